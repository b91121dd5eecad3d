"""Phone layout helpers that Streamlit lacks: the menu closes after a page is chosen or after
signing out (the button sits in the menu, and the page behind it is what changed), and a
folded sidebar leaves the Tab order (``inert``).

Streamlit draws the sidebar as an overlay on narrow screens and keeps it open after a link is
chosen; folded, its links stay focusable off-screen. A small script, run once in the page
itself (``st.html``, not a component iframe), fixes both.
"""

from __future__ import annotations

import streamlit as st

#: Width (CSS px) under which Streamlit draws the sidebar over the page (its mobile breakpoint).
PHONE_MAX_WIDTH_PX = 768

_PAGE_SCRIPT = """
(function () {
  if (window.a11yPhoneLayout) { return; }
  window.a11yPhoneLayout = true;
  var doc = document, PHONE_MAX_WIDTH = __WIDTH__;
  function collapsed() { return !!doc.querySelector('[data-testid="stExpandSidebarButton"]'); }
  function sync() {
    var bar = doc.querySelector('[data-testid="stSidebar"]');
    if (bar && bar.inert !== collapsed()) { bar.inert = collapsed(); }
  }
  doc.addEventListener('click', function (e) {
    var link = e.target.closest && e.target.closest(
      '[data-testid="stSidebarNavLink"], .st-key-sign_out_button button');
    if (!link || window.innerWidth >= PHONE_MAX_WIDTH) { return; }
    setTimeout(function () {
      var close = doc.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (close) { close.click(); }
    }, 0);
  }, true);
  new MutationObserver(sync).observe(doc.body, {childList: true, subtree: true});
  sync();
})();
""".replace("__WIDTH__", str(PHONE_MAX_WIDTH_PX))


def install_phone_layout() -> None:
    """Add the script to the page once per browser tab (a no-op on later runs); drawn in the
    sidebar with ``st.html`` (in the page itself: no iframe, and it takes no room)."""
    with st.sidebar:
        st.html(f"<script>{_PAGE_SCRIPT}</script>", unsafe_allow_javascript=True)
