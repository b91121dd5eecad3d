"""A private, throw-away PostgreSQL cluster with PostGIS, for tests that stop and start the server.

:func:`private_cluster` runs ``initdb`` into a temporary directory, starts ``postgres`` on a free
localhost port (its Unix socket in that directory too) and yields a :class:`PrivateCluster`
whose :attr:`~PrivateCluster.url` reaches a database with the ``postgis`` extension. Nothing is
shared with the machine's PostgreSQL: stopping this cluster disturbs no other test or person.

The binaries come from ``PG_BINDIR`` or the newest ``/usr/lib/postgresql/*/bin`` (Debian's
layout). PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres``
system user (the commands run through ``runuser``); otherwise it runs as the current user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from skips import skip_or_fail

#: Seconds to wait for the server to accept connections after a start.
READY_TIMEOUT_S = 60.0


def pg_bindir() -> Path | None:
    """Directory holding initdb/pg_ctl/postgres: ``PG_BINDIR`` or the newest Debian one."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrivateCluster:
    """A running throw-away cluster: ``url`` (with password) and ``stop()``/``start()``."""

    bindir: Path
    datadir: Path
    port: int
    password: str
    owner: str | None  # system user the server runs as (None: the current user)
    database: str = "a11y_fault"

    @property
    def url(self) -> str:
        return (f"postgresql+psycopg://postgres:{self.password}@127.0.0.1:{self.port}/"
                f"{self.database}")

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL binary (by name) as the cluster's owner."""
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.owner is not None:
            cmd = ["runuser", "-u", self.owner, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n"
                               f"{done.stdout}\n{done.stderr}")
        return done

    def psql(self, sql: str, database: str = "postgres") -> None:
        self.run("psql", "-v", "ON_ERROR_STOP=1", "-q", "-X", "-h", str(self.datadir),
                 "-p", str(self.port), "-U", "postgres", "-d", database, "-c", sql)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", str(self.datadir), "-l", str(self.datadir / "server.log"),
                 "-o", options, "-w", "-t", str(int(READY_TIMEOUT_S)), "start")
        self.wait_ready()

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")

    def is_ready(self) -> bool:
        done = self.run("pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port), check=False)
        return done.returncode == 0

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.is_ready():
            if time.monotonic() > deadline:
                raise AssertionError(f"private PostgreSQL did not come back within {timeout_s} s")
            time.sleep(0.2)


@contextlib.contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """Start a throw-away cluster with a PostGIS database; stop and delete it afterwards.

    Skips (laptop) or fails (CI) when the PostgreSQL server binaries are not installed.
    """
    bindir = pg_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        skip_or_fail("PostgreSQL server binaries (initdb, pg_ctl) not found; set PG_BINDIR",
                     needs="postgis")
    owner: str | None = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            skip_or_fail("running as root without a 'postgres' system user to own a private "
                         "PostgreSQL cluster", needs="postgis")
        owner = "postgres"
    root = Path(tempfile.mkdtemp(prefix="a11y-pg-"))
    cluster = PrivateCluster(bindir=bindir, datadir=root / "data", port=_free_port(),
                             password=secrets.token_hex(12), owner=owner)
    started = False
    try:
        pwfile = root / "pw"
        pwfile.write_text(cluster.password + "\n")
        if owner is not None:
            shutil.chown(root, user=owner)
            shutil.chown(pwfile, user=owner)
        cluster.run("initdb", "-D", str(cluster.datadir), "-U", "postgres", "-A", "trust",
                    "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "--no-sync",
                    "-E", "UTF8", "--locale=C")
        cluster.start()
        started = True
        cluster.psql(f"CREATE DATABASE {cluster.database}")
        cluster.psql("CREATE EXTENSION postgis", database=cluster.database)
        yield cluster
    finally:
        if started:
            with contextlib.suppress(Exception):
                cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
