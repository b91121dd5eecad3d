"""Streamlit's own English words in the user's language (issue 17, item 9).

Streamlit has no option for some of its built-in texts ("Skip to main content", "Expand
sidebar", "Help for …", the file uploader's "Drag and drop files here" / "Browse files" / "Limit
200MB per file", the multiselect's "Select all", "Choose an option"). Widgets get placeholders
and ``select_all=False`` where Streamlit offers them; for the rest :func:`install` adds the app's
own small script (no third-party code) that rewrites those texts and their ``aria-label`` /
``title`` attributes from the catalogue as Streamlit draws them, and a style rule that hides
"Press Enter to submit form", which Streamlit draws over the text being typed (every form has a
submit button).
"""

from __future__ import annotations

import json

import streamlit as st

from ui.i18n import current_language, translate

#: The element of the report confirmation that takes the focus.
RECEIPT_ID = "a11y-report-receipt"
#: Streamlit's exact English texts → catalogue keys.
EXACT: dict[str, str] = {
    "Choose an option": "words.chrome.choose",
    "Choose options": "words.chrome.choose",
    "Select all": "words.chrome.select_all",
    "Drag and drop files here": "words.chrome.drop",
    "Drag and drop file here": "words.chrome.drop",
    "Browse files": "words.chrome.browse",
    "Upload": "words.chrome.upload",
    "Skip to main content": "words.chrome.skip",
    "Expand sidebar": "words.chrome.expand",
    "Collapse sidebar": "words.chrome.collapse",
    "No results": "words.chrome.no_results",
    "Clear all": "words.chrome.clear_all",
    "Clear value": "words.chrome.clear_all",
    "Remove file": "words.chrome.remove_file",
    "Press Enter to submit form": "words.chrome.enter",
    "Press Enter to apply": "words.chrome.enter",
    "Add files": "words.chrome.add_files",
    "Error:": "words.chrome.error",
}
#: Streamlit's texts with a variable part: (JavaScript regex source, catalogue key with {0}).
PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^Help for (.+)$", "words.chrome.help_for"),
    (r"^(?:Limit )?(\S+) per file(.*)$", "words.chrome.limit"),
    # a file the uploader refused in the browser (it never reaches the app): the reason, made
    # visible below the file's name by the style rule, in the person's language
    (r"^(?:Error: )?File must be (\S+) or smaller\.$", "words.chrome.file_too_big"),
    (r"^(?:Error: )?(\S+) files are not allowed\.$", "words.chrome.file_type"),
    (r"^Remove (.+)$", "words.chrome.remove_named"),
)

_SCRIPT = """
<style>[data-testid="InputInstructions"]{display:none !important}
[data-testid="stFileChip"]{flex-wrap:wrap}
[data-testid="stFileChip"] [role="alert"]{position:static !important;width:100% !important;
height:auto !important;clip:auto !important;clip-path:none !important;overflow:visible !important;
white-space:normal !important;margin:0.25rem 0 0 0 !important;color:#a4001a;font-size:0.875rem}
/* what is scrolled into view (focus, a control of the map) stops below Streamlit's fixed
   header (60 px), not under it where a click lands on the header */
html, [data-testid="stMain"], [data-testid="stAppViewContainer"]{scroll-padding-top:4.5rem}
</style>
<script>
(() => {
  const words = __WORDS__;
  const patterns = __PATTERNS__.map(([re, text]) => [new RegExp(re), text]);
  const swap = (value) => {
    if (!value) return null;
    const trimmed = value.trim();
    if (Object.prototype.hasOwnProperty.call(words, trimmed)) return words[trimmed];
    for (const [re, text] of patterns) {
      const m = trimmed.match(re);
      if (m) return text.replace("{0}", m[1]).replace("{1}", m[2] || "");
    }
    return null;
  };
  const ATTRS = ["aria-label", "title", "placeholder"];
  const FRAMES = 'iframe[title="streamlit_folium.st_folium"]';
  const state = window.__a11yChrome || (window.__a11yChrome = {});
  // Streamlit's own text of what we replaced, keyed by node/attribute: after a switch of
  // language the replacement is made again from it (not from the other language's words)
  const done = state.done || (state.done = new WeakMap());
  const replace = (key, current) => {
    const before = done.get(key);
    const source = before && before.out === current ? before.source : current;
    const out = swap(source);
    if (out === null) return null;
    done.set(key, {source, out});
    return out === current ? null : out;
  };
  const fix = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const out = replace(node, node.nodeValue);
      if (out !== null) node.nodeValue = out;
    }
    const elements = root.querySelectorAll
      ? root.querySelectorAll("[aria-label],[title],[placeholder]") : [];
    for (const el of elements) {
      for (const name of ATTRS) {
        const value = el.getAttribute(name);
        if (!value) continue;
        let keys = done.get(el);
        if (!keys) { keys = {}; done.set(el, keys); }
        const key = keys[name] || (keys[name] = {});
        const out = replace(key, value);
        if (out !== null) el.setAttribute(name, out);
      }
    }
  };
  state.fix = fix;
  // the map component's frame is titled "streamlit_folium.st_folium": name it for people
  const nameFrames = () => {
    for (const el of document.querySelectorAll(FRAMES)) {
      if (el.getAttribute("aria-label") !== __FRAME__) el.setAttribute("aria-label", __FRAME__);
    }
  };
  state.nameFrames = nameFrames;
  document.documentElement.lang = __LANG__;
  fix(document.body);
  nameFrames();
  if (!state.observer) {
    state.observer = new MutationObserver(() => {
      if (state.pending) return;
      state.pending = true;
      requestAnimationFrame(() => {
        state.pending = false; state.fix(document.body); state.nameFrames();
      });
    });
    state.observer.observe(document.body, {subtree: true, childList: true, characterData: true,
      attributes: true, attributeFilter: ATTRS});
  }
})();
</script>
"""


def chrome_words(lang: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The replacements for ``lang``: exact texts and (pattern, text with {0}/{1})."""
    exact = {english: translate(lang, key) for english, key in EXACT.items()}
    patterns = [(regex, translate(lang, key)) for regex, key in PATTERNS]
    return exact, patterns


def script(lang: str) -> str:
    """The style rule and the script for ``lang`` (JSON-encoded data, no user text)."""
    exact, patterns = chrome_words(lang)
    html_lang = "zh-Hans" if lang == "zh-Hans" else "en"
    return (_SCRIPT.replace("__WORDS__", json.dumps(exact, ensure_ascii=False))
            .replace("__PATTERNS__", json.dumps(patterns, ensure_ascii=False))
            .replace("__LANG__", json.dumps(html_lang))
            .replace("__FRAME__", json.dumps(translate(lang, "mapux.frame"), ensure_ascii=False)))


def photo_limit_mb() -> int:
    """The photo size limit in whole MB, for ``st.file_uploader(max_upload_size=...)`` (so the
    uploader states the app's own limit, not the server-wide one)."""
    from audit.settings import get_settings

    return max(1, get_settings().photo_max_bytes // (1024 * 1024))


def receipt_status(label: str, code: str) -> None:
    """The confirmation line with the report code as a status message that takes the focus,
    so a screen reader announces it at once (the code is the app's own, escaped anyway)."""
    import html

    st.html(f'<p id="{RECEIPT_ID}" role="status" aria-live="polite" tabindex="-1" '
            f'style="font-size:1.25rem;font-weight:600;margin:0">{html.escape(label)} '
            f'<span lang="en">{html.escape(code)}</span></p>'
            f'<script>document.getElementById("{RECEIPT_ID}").focus();</script>',
            unsafe_allow_javascript=True)


def install() -> None:
    """Add the translator to this run (once per page, in the sidebar: it takes no space)."""
    with st.sidebar:
        st.html(script(current_language()), unsafe_allow_javascript=True)


__all__ = ["EXACT", "PATTERNS", "chrome_words", "install", "photo_limit_mb", "script"]
