"""Staff sign-in page: the one menu entry a resident sees besides the public pages.

After signing in, the menu shows the pages of the user's role (see ``streamlit_app.PAGES``).
"""

from __future__ import annotations

import streamlit as st

from ui.auth import current_actor, sign_in_form, sign_out_button
from ui.i18n import t


def main() -> None:
    st.title(t("words.sign_in.title"))
    actor = current_actor()
    if actor.user_id is None:
        st.caption(t("words.sign_in.intro"))
        sign_in_form()
        return
    sign_out_button()
    st.success(t("words.sign_in.done", role=t(f"auth.role.{actor.role}")))


main()
