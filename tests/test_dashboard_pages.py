"""AppTest smoke tests for every page, and filters driven through the sidebar checked against the marts."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).parent))
import dashboard_fixture  # noqa: E402

from dashboard import ui  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGES = [
    "dashboard/pages/executive.py",
    "dashboard/pages/overview.py",
    "dashboard/pages/reasons.py",
    "dashboard/pages/repeats.py",
    "dashboard/pages/root_causes.py",
    "dashboard/pages/customers.py",
    "dashboard/pages/explore.py",
    "dashboard/pages/agents.py",
    "dashboard/pages/operations.py",
]


# The on-demand expanders (ui.on_demand) of each page: their charts draw once they are opened.
ON_DEMAND = {
    "dashboard/pages/executive.py": ("exec_charts",),
    "dashboard/pages/overview.py": ("ov_more",),
    "dashboard/pages/reasons.py": ("rs_more", "rs_em_chart"),
    "dashboard/pages/repeats.py": ("rp_chains",),
    "dashboard/pages/customers.py": ("cu_clv_more", "cu_seg_more"),
    "dashboard/pages/root_causes.py": ("rc_terms_more",),
    "dashboard/pages/agents.py": ("ag_more", "ag_failed_more"),
}


def open_on_demand(at: AppTest, keys: tuple[str, ...], is_open: bool = True) -> AppTest:
    """Open (or close) a page's on-demand expanders, as a click on each does, and rerun."""
    for key in keys:
        at.session_state[key] = is_open
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(app: AppTest, page: str) -> None:
    at = dashboard_fixture.open_page(app, page)
    assert at.title, f"{page} has no title"
    first_view = len(at.get("plotly_chart"))
    try:
        if page in ON_DEMAND:  # every figure stays reachable: opened, the sections add theirs
            assert len(open_on_demand(at, ON_DEMAND[page]).get("plotly_chart")) > first_view
        charts = at.get("plotly_chart")
        assert charts or page.endswith("explore.py"), f"{page} shows no chart"
    finally:
        if page in ON_DEMAND:
            open_on_demand(at, ON_DEMAND[page], False)


def test_executive_first_view_draws_no_plotly_chart_and_the_charts_open_on_demand(app: AppTest) -> None:
    # a fresh tab's first plotly chart costs the browser plotly.js: the summary's first view does
    # without, its trends are the metrics' sparklines, the top reasons a list
    at = dashboard_fixture.open_page(app, PAGES[0])
    assert not at.get("plotly_chart")
    trends = {m.label: list(m.proto.chart_data) for m in at.metric}
    assert all(len(v) > 1 for k, v in trends.items() if k != "Revenue at risk"), trends
    assert any(md.value.startswith("1. ") for md in at.markdown), "the top reasons are listed"
    try:
        open_on_demand(at, ON_DEMAND[PAGES[0]])
        charts = at.get("plotly_chart")
        assert len(charts) == 5, "four weekly trends and the top reasons"
    finally:
        open_on_demand(at, ON_DEMAND[PAGES[0]], False)


def test_customers_first_view_is_the_ranked_lists_and_the_charts_open_with_their_drill_down(
    app: AppTest, warehouse: Path
) -> None:
    # the callback list is what the page is opened for: shown first, without plotly.js; the scatter and
    # the segment bar draw once their expanders are opened, each with its drill-down select box
    page = PAGES[5]
    at = dashboard_fixture.open_page(app, page)
    assert not at.get("plotly_chart")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        callbacks = con.execute("SELECT count(*) FROM marts.callback_list").fetchone()[0]
    assert callbacks > 0
    first = at.dataframe[0].value
    assert len(first) == min(callbacks, ui.PAGE_ROWS) and "priority" in first.columns
    # both lists' whole-list downloads (CSV, Excel, Parquet) are on the first view
    assert [b.proto.label for b in at.get("download_button")] == ["Download CSV", "Download XLSX",
                                                                  "Download PARQUET"] * 2
    try:
        opened = open_on_demand(at, ON_DEMAND[page])
        assert len(opened.get("plotly_chart")) == 2, "the CLV x NEV scatter and revenue at risk by segment"
        drills = {s.key for s in opened.selectbox}
        assert {"cu_clv_drill", "cu_seg_drill"} <= drills, drills
        segments = opened.selectbox(key="cu_seg_drill").options
        opened.selectbox(key="cu_seg_drill").set_value(segments[1]).run()
        assert not opened.exception
        rows = next(t.value for t in opened.dataframe if "interaction_id" in t.value.columns)  # verbatims
        assert len(rows) and set(rows["segment"]) == {segments[1]}
    finally:
        at.selectbox(key="cu_seg_drill").set_value(None)
        open_on_demand(at, ON_DEMAND[page], False)


def test_root_causes_first_view_is_the_impact_chart_and_the_terms_open_with_their_drill_down(
    app: AppTest,
) -> None:
    # the impact per reason (chart with its intervals, and its table) is what the page is opened for; the
    # distinctive terms' bar draws once its expander is opened, with its drill-down select box
    page = PAGES[4]
    at = dashboard_fixture.open_page(app, page)
    charts = at.get("plotly_chart")
    assert len(charts) == 1, "the impact chart only"
    assert "rc_impact_drill" in {s.key for s in at.selectbox}
    assert any("impact" in t.value.columns and "ci_low" in t.value.columns for t in at.dataframe)
    try:
        opened = open_on_demand(at, ON_DEMAND[page])
        assert len(opened.get("plotly_chart")) == 2, "the impact chart and the distinctive terms"
        terms = opened.selectbox(key="rc_terms_drill").options
        assert len(terms) > 1, terms
        opened.selectbox(key="rc_terms_drill").set_value(terms[1]).run()
        assert not opened.exception
        assert any("interaction_id" in t.value.columns for t in opened.dataframe), "the term's verbatims"
    finally:
        at.selectbox(key="rc_terms_drill").set_value(None)
        open_on_demand(at, ON_DEMAND[page], False)


def test_agents_first_view_is_the_scorecards_and_the_charts_open_on_demand(app: AppTest) -> None:
    # the scorecard tables and the contacts to coach from are what the page is opened for: no plotly.js on
    # the first view; the QA score per agent, one agent's weeks and the items most failed draw once opened
    page = PAGES[7]
    at = dashboard_fixture.open_page(app, page)
    assert not at.get("plotly_chart")
    tables = len(at.dataframe)
    assert tables >= 3, "scorecards per agent and per team, contacts to coach from"
    assert "qa_score" in at.dataframe[0].value.columns
    try:
        opened = open_on_demand(at, ON_DEMAND[page])
        assert len(opened.get("plotly_chart")) == 3, "QA score per agent, per week, items most failed"
        assert "ag_agent" in {s.key for s in opened.selectbox}
        assert len(opened.dataframe) == tables, "the same tables, none moved"
    finally:
        open_on_demand(at, ON_DEMAND[page], False)


def test_executive_summary_figures_match_the_marts(app: AppTest, warehouse: Path) -> None:
    at = dashboard_fixture.open_page(app, PAGES[0])
    metrics = {m.label: m.value for m in at.metric}
    assert "NEV (text proxy)" in metrics
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # all data selected and nothing before it: the summary compares the last 28 days
        n, nev, fcr = con.execute(
            "SELECT count(*), avg(nev_text), 1 - avg(has_same_issue_recontact::INT) FROM marts.interactions "
            "WHERE day >= (SELECT max(day) - 27 FROM marts.interactions)"
        ).fetchone()
        rar = con.execute(
            "SELECT revenue_at_risk FROM marts.revenue_at_risk WHERE scope = 'total'"
        ).fetchone()[0]
        top = con.execute(
            "SELECT key FROM marts.revenue_at_risk WHERE scope = 'reason' "
            "ORDER BY revenue_at_risk DESC LIMIT 5"
        ).fetchall()
        summary = dict(con.execute("SELECT metric, value FROM marts.executive_summary").fetchall())
    # the page shows the mart's own figures (one definition, analytics.definitions.KPIS)
    assert metrics["Contacts"] == f"{summary['contact_volume']:,.0f}"
    assert metrics["FCR (proxy)"] == f"{summary['fcr_proxy']:.1%}"
    assert metrics["NEV (text proxy)"] == f"{summary['mean_nev']:,.1f}"
    assert metrics["Contacts"] == f"{n:,}"
    assert metrics["NEV (text proxy)"] == f"{nev:,.1f}"
    assert metrics["FCR (proxy)"] == f"{fcr:.1%}"
    assert metrics["Revenue at risk"] == f"{rar / 1000:,.2f}k"
    assert all(m.delta for m in at.metric if m.label != "Revenue at risk"), "each trend shows its change"
    listed = next(md.value for md in at.markdown if md.value.startswith("1. "))
    assert [line.split(". ", 1)[1].rsplit(": ", 1)[0] for line in listed.splitlines()] == [
        ui.md(key) for (key,) in top
    ]
    try:
        top_chart = open_on_demand(at, ON_DEMAND[PAGES[0]]).get("plotly_chart")[-1].proto.spec
        assert all(f'"{key}"' in top_chart for (key,) in top)
    finally:
        open_on_demand(at, ON_DEMAND[PAGES[0]], False)


def test_channel_filter_changes_the_figures(app: AppTest, warehouse: Path) -> None:
    at = dashboard_fixture.open_page(app, PAGES[1])
    at.sidebar.multiselect(key="f_channels").set_value(["email"])
    at.run()
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            n = con.execute("SELECT count(*) FROM marts.interactions WHERE channel = 'email'").fetchone()[0]
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Contacts"] == f"{n:,}"
        # the company's replies are their own measure, never contacts
        with duckdb.connect(str(warehouse), read_only=True) as con:
            out = con.execute("SELECT count(*) FROM staging.interactions WHERE direction = 'outbound' "
                              "AND channel = 'email' AND CAST(occurred_at AS DATE) <= "
                              "(SELECT max(day) FROM marts.interactions)").fetchone()[0]
        assert out > 0 and metrics["Outbound messages"] == f"{out:,}"
        volume = at.get("plotly_chart")[0].proto.spec
        assert '"email"' in volume and '"call"' not in volume
    finally:
        at.sidebar.multiselect(key="f_channels").set_value([])
        at.run()


def test_date_filter_drives_the_summary_period(app: AppTest, warehouse: Path) -> None:
    at = dashboard_fixture.open_page(app, PAGES[0])
    at.sidebar.date_input(key="f_dates").set_value((date(2026, 2, 1), date(2026, 2, 14)))
    at.run()
    try:
        assert not at.exception
        with duckdb.connect(str(warehouse), read_only=True) as con:
            n_now, n_before = con.execute(
                "SELECT count(*) FILTER (WHERE day BETWEEN '2026-02-01' AND '2026-02-14'), "
                "count(*) FILTER (WHERE day BETWEEN '2026-01-18' AND '2026-01-31') FROM marts.interactions"
            ).fetchone()
        contacts = next(m for m in at.metric if m.label == "Contacts")
        assert contacts.value == f"{n_now:,}"
        assert contacts.delta == f"{(n_now - n_before) / n_before:+.1%}"
    finally:
        at.sidebar.date_input(key="f_dates").set_value((date(2026, 1, 1), date(2026, 3, 1)))
        at.run()


def test_missing_warehouse_names_the_build_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOC_DB", str(tmp_path / "none.duckdb"))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception
    assert "python -m pipelines demo" in at.info[0].value


def test_empty_warehouse_is_a_friendly_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = dashboard_fixture.build_empty(tmp_path / "voc.duckdb")
    monkeypatch.setenv("VOC_DB", str(db))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception
    assert "no interactions" in at.info[0].value


def test_search_and_transcript_render_customer_text_as_text(app: AppTest) -> None:
    at = dashboard_fixture.open_page(app, "dashboard/pages/explore.py")
    at.text_input(key="ex_search").set_value("<b>bold</b>")
    at.run()
    try:
        table = at.dataframe[0].value
        assert len(table) > 0 and table["text"].str.contains("<b>bold</b>", regex=False).all()
        at.selectbox(key="ex_open").set_value(table["interaction_id"].iloc[0])
        at.run()
        assert not at.exception
        texts = [t.value for t in at.text]
        assert any("<b>bold</b> **not markdown** =1+1" in t for t in texts)
        rendered = " ".join(str(m.value) for m in [*at.markdown, *at.caption])
        assert "<b>bold</b>" not in rendered and "**not markdown**" not in rendered
        assert [b.label for b in at.get("download_button")][:3] == [
            "Download CSV",
            "Download XLSX",
            "Download PARQUET",
        ]
    finally:
        at.text_input(key="ex_search").set_value("")
        at.selectbox(key="ex_open").set_value(None)
        at.run()


def test_chart_drill_down_lists_the_verbatims_behind_it(app: AppTest, warehouse: Path) -> None:
    at = dashboard_fixture.open_page(app, PAGES[2])
    at.selectbox(key="rs_pareto_drill").set_value("Lost parcel")
    at.run()
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            n = con.execute(
                "SELECT count(*) FROM marts.interactions WHERE reason = 'Lost parcel'"
            ).fetchone()[0]
        rows = at.dataframe[0].value
        assert set(rows["reason"]) == {"Lost parcel"} and len(rows) == min(n, 25)
        assert any(f"{n:,} interactions" in str(x.label) for x in at.number_input)
    finally:
        at.selectbox(key="rs_pareto_drill").set_value(None)
        at.run()


def test_reasons_page_shows_each_languages_reasons(app: AppTest, warehouse: Path) -> None:
    at = dashboard_fixture.open_page(app, PAGES[2])
    assert "Reasons by language" in [h.value for h in at.subheader]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        want = con.execute(
            "WITH n AS (SELECT reason, coalesce(language, 'unknown') AS language, sum(contacts) AS n "
            "FROM marts.daily_volume GROUP BY 1, 2) "
            "SELECT reason, language, n / sum(n) OVER (PARTITION BY language) FROM n").fetchall()
    tables = [t.value for t in at.dataframe if "es" in t.value.columns and "en" in t.value.columns]
    assert len(tables) == 1
    table = tables[0]
    shown = {(reason, lang): table.loc[reason, lang] for reason in table.index for lang in table.columns}
    for reason, lang, share in want:
        if reason in table.index:
            assert shown[(reason, lang)] == pytest.approx(round(share * 100, 1))
