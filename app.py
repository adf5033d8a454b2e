"""CNN Lens entry point: page config and navigation only (no widgets; see ui/sidebar.py)."""

import streamlit as st

from ui.i18n import t
from ui.nav import PAGES, existing_pages

st.set_page_config(page_title="CNN Lens", page_icon="🔍", layout="wide")

_sections: dict[str, list] = {}
for spec in existing_pages():
    page = st.Page(spec.path, title=t(spec.title_key), icon=spec.icon, default=spec.path == PAGES[0].path)
    _sections.setdefault(t(spec.section_key), []).append(page)
st.navigation(_sections).run()
