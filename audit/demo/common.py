"""What every demo seeder shares: the seed, the synthetic time span and the acting demo roles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from audit.actors import SYSTEM, Actor

DEMO_SEED: Final = 20_211_125
#: Synthetic audits start on this day and spread over SPAN_DAYS.
START: Final = datetime(2025, 3, 1, tzinfo=UTC)
SPAN_DAYS: Final = 600
#: The demo inspector who "submits" the synthetic audits (a system role: no account, no password).
DEMO_INSPECTOR: Final = Actor(None, "演示督导员 demo-inspector", "system")
#: The demo bureau who moderates synthetic reports and manages synthetic work orders.
DEMO_BUREAU: Final = Actor(None, "演示城管局 demo-bureau", "system")
#: Synthetic residents report as the system.
DEMO_RESIDENT: Final = SYSTEM
