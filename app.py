"""The dashboard's router and frame: page config, sign-in, shared filters, navigation.

Run: `VOC_DB=data/voc.duckdb streamlit run app.py` (or `make serve`). Pages live in dashboard/pages.
"""

from __future__ import annotations

import streamlit as st

from dashboard import auth, data, queries, ui
from dashboard.filters import sidebar

st.set_page_config(page_title="Voice of the customer", page_icon=":material/support_agent:", layout="wide")
auth.require_sign_in()

PAGES = {
    "Leadership": [
        st.Page(
            "dashboard/pages/executive.py",
            title="Executive summary",
            icon=":material/summarize:",
            default=True,
        ),
        st.Page("dashboard/pages/overview.py", title="Overview", icon=":material/monitoring:"),
    ],
    "Analysis": [
        st.Page("dashboard/pages/reasons.py", title="Contact reasons", icon=":material/category:"),
        st.Page("dashboard/pages/repeats.py", title="Repeat contacts", icon=":material/replay:"),
        st.Page("dashboard/pages/root_causes.py", title="Root causes", icon=":material/troubleshoot:"),
        st.Page("dashboard/pages/customers.py", title="Customers and value", icon=":material/payments:"),
        st.Page("dashboard/pages/explore.py", title="Explore and export", icon=":material/search:"),
    ],
    "Operations": [
        st.Page("dashboard/pages/agents.py", title="Agents and quality", icon=":material/groups:"),
        st.Page("dashboard/pages/operations.py", title="Operations", icon=":material/schedule:"),
    ],
}

navigation = st.navigation(PAGES)
try:
    ui.ready_or_stop()
    choices, first, last = queries.options()
    sidebar(choices, first, last)
    st.sidebar.caption(f"Conventions: {queries.window_label()} repeat window. Data {first} to {last}.")
    navigation.run()
except data.WarehouseMissing as exc:  # a serving copy that breaks mid-page (truncated, corrupt)
    ui.no_data_page(exc)
