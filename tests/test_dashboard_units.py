"""Pure parts of the dashboard: filters -> SQL, chart builders, exports, definitions, report, data access."""

from __future__ import annotations

import io
import os
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import dashboard_fixture  # noqa: E402

from dashboard import charts, data, export, queries, report, ui  # noqa: E402
from analytics import definitions  # noqa: E402
from dashboard.filters import Filters  # noqa: E402


@pytest.fixture
def served(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VOC_DB", str(warehouse))
    return warehouse


def _count(db: Path, where: str, params: list) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM marts.interactions WHERE {where}", params).fetchone()[0]


# --- filters -------------------------------------------------------------------------------------


def test_filters_bind_every_value_and_count_like_sql(warehouse: Path) -> None:
    f = Filters(
        start=date(2026, 1, 10),
        end=date(2026, 1, 20),
        channels=("call", "chat"),
        reasons=("Billing",),
        languages=("en",),
    )
    where, params = f.where()
    assert "?" in where and "Billing" not in where and "call" not in where
    expected = _count(
        warehouse,
        "occurred_at >= '2026-01-10' AND occurred_at < '2026-01-21' AND channel IN "
        "('call','chat') AND parent_reason = 'Billing' AND language = 'en'",
        [],
    )
    assert _count(warehouse, where, params) == expected > 0


def test_end_date_is_inclusive_on_both_sources() -> None:
    f = Filters(start=date(2026, 1, 1), end=date(2026, 1, 1))
    assert f.where()[1] == [date(2026, 1, 1), date(2026, 1, 2)]
    assert f.where(on_day=True) == ("day >= ? AND day <= ?", [date(2026, 1, 1), date(2026, 1, 1)])


def test_search_treats_wildcards_and_quotes_as_text() -> None:
    where, params = Filters(search="50%'; DROP TABLE x --").where()
    rows = duckdb.execute(
        f"SELECT count(*) FROM (VALUES ('pay 50%''; DROP TABLE x -- now'), ('pay 500')) "
        f"t(text) WHERE {where}",
        params,
    ).fetchone()[0]
    assert rows == 1


def test_previous_period_has_the_same_length() -> None:
    prev = Filters(start=date(2026, 2, 1), end=date(2026, 2, 28), channels=("call",)).previous_period()
    assert (prev.start, prev.end, prev.channels) == (date(2026, 1, 4), date(2026, 1, 31), ("call",))
    assert Filters().previous_period() is None


# --- charts ----------------------------------------------------------------------------------------


def test_pareto_chart_carries_drill_values_and_cumulative_share() -> None:
    df = pd.DataFrame({"reason": ["a", "b"], "n": [8, 2], "cum_share": [0.8, 1.0]})
    fig = charts.pareto(df)
    assert isinstance(fig, go.Figure) and not charts.is_empty(fig)
    assert list(fig.data[0].customdata) == ["a", "b"]
    assert list(fig.data[1].y) == [0.8, 1.0]


@pytest.mark.parametrize(
    "builder",
    [
        charts.volume_by_channel,
        charts.sentiment_nev_trend,
        charts.trajectory,
        charts.pareto,
        charts.hierarchy,
        charts.reason_trend,
        charts.value_irritant,
        charts.channel_switch,
        charts.clv_nev,
    ],
)
def test_every_builder_returns_a_labelled_placeholder_when_empty(builder) -> None:
    fig = builder(pd.DataFrame())
    assert charts.is_empty(fig) and fig.layout.annotations[0].text == "No data for these filters"


def test_nev_is_labelled_as_text_proxy() -> None:
    daily = pd.DataFrame(
        {
            "day": pd.to_datetime(["2026-01-01", "2026-01-02"]),
            "channel": ["call", "call"],
            "n": [2, 2],
            "sentiment": [0.1, 0.2],
            "nev": [10.0, None],
        }
    )
    fig = charts.sentiment_nev_trend(daily)
    assert fig.data[0].name == "NEV (text proxy)"
    assert fig.data[0].y[0] == pytest.approx(10.0)  # the NaN day is excluded, not counted as 0


def test_channel_switch_heatmap_is_from_by_to() -> None:
    df = pd.DataFrame({"from_channel": ["chat", "chat"], "to_channel": ["call", "chat"], "n": [5, 1]})
    heat = charts.channel_switch(df).data[0]
    assert list(heat.y) == ["chat"] and list(heat.x) == ["call", "chat"] and heat.z.tolist() == [[5, 1]]


# --- exports ---------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", None]


def test_exports_neutralise_formulas_in_every_format() -> None:
    df = pd.DataFrame({"text": FORMULAS, "n": range(len(FORMULAS))})
    expected = ["'" + v for v in FORMULAS[:6]] + ["plain", None]
    csv = pd.read_csv(io.BytesIO(export.to_csv(df)), encoding="utf-8-sig", keep_default_na=False)
    assert csv["text"].tolist()[:7] == expected[:7]
    xlsx = pd.read_excel(io.BytesIO(export.to_excel(df)))
    # XML turns a bare CR into LF; what matters is the leading quote
    assert [str(v).replace("\n", "\r") for v in xlsx["text"].tolist()[:7]] == expected[:7]
    parquet = pd.read_parquet(io.BytesIO(export.to_parquet(df)))
    assert parquet["text"].tolist()[:7] == expected[:7] and pd.isna(parquet["text"].iloc[7])
    assert parquet["n"].tolist() == list(range(len(FORMULAS)))  # numbers stay numbers


def test_exports_flatten_lists_for_csv() -> None:
    df = pd.DataFrame({"top_emotions": [["anger", "joy"]]})
    assert b"anger, joy" in export.to_csv(df)


# --- definitions and report ------------------------------------------------------------------------


def test_definitions_come_from_the_mart_and_nev_keeps_its_label() -> None:
    table = pd.DataFrame(
        {
            "metric": ["mean_nev", "new_metric"],
            "label": ["NEV", "New"],
            "definition": ["From the mart", "Something"],
            "formula": ["100*(P-N)/(P+N)", None],
            "source": ["docs/metrics.md", "paper"],
        }
    )
    merged = ui.merge(table)
    assert merged["mean_nev"].label == "NEV (text proxy)"
    assert (
        merged["mean_nev"].text.startswith("From the mart") and "100*(P-N)/(P+N)" in merged["mean_nev"].text
    )
    assert merged["new_metric"].help() == "Something. Source: paper."
    # before a first build the dashboard explains figures with the project's one definitions module
    fallback = ui.merge(pd.DataFrame())
    assert set(fallback) == {row[0] for row in definitions.DEFINITIONS}
    assert fallback["fcr_proxy"].source.startswith("docs/metrics.md")


def test_sentences_say_direction_and_escape_in_html() -> None:
    words = report.sentences(
        {"nev": -5.0, "fcr": 0.7, "repeat_rate": 0.3, "judged": 100, "volume": 120},
        {"nev": -10.0, "fcr": 0.7, "repeat_rate": 0.2, "volume": 100},
        1.5e6,
        "7-day window",
    )
    assert "up from -10.0" in words["mean_nev"] and "unchanged" in words["fcr_proxy"]
    assert "1.50M" in words["revenue_at_risk"] and "7-day window" in words["repeat_rate_any"]
    page = report.printable_html("<title>", "p", ["<script>x</script>"], [charts.pareto(pd.DataFrame())])
    assert b"&lt;script&gt;x" in page and b"<script>x</script>" not in page
    assert report.change(0.8, 0.7, points=True) == "+10.0 pts" and report.change(None, 1) is None


# --- data access -----------------------------------------------------------------------------------


def test_queries_match_the_marts(served: Path) -> None:
    k = queries.kpis(Filters())
    with duckdb.connect(str(served), read_only=True) as con:
        judged, rate, same = con.execute(
            "SELECT count(has_recontact), avg(has_recontact::INT), avg(has_same_issue_recontact::INT) "
            "FROM marts.interactions"
        ).fetchone()
        pareto_top = con.execute(
            "SELECT reason, count(*) FROM marts.interactions GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
        ).fetchone()
    assert (k["judged"], k["repeat_rate"], k["fcr"]) == (judged, pytest.approx(rate), pytest.approx(1 - same))
    p = queries.pareto(Filters())
    assert (p.iloc[0]["reason"], p.iloc[0]["n"]) == pareto_top
    assert p["cum_share"].iloc[-1] == pytest.approx(1.0)
    # daily_volume (pre-aggregated) and interactions give the same series
    fast = queries.daily_by_channel(Filters(reasons=("Billing",)))
    slow = queries.daily_by_channel(Filters(reasons=("Billing",), languages=("en", "es")))
    assert fast["n"].sum() == slow["n"].sum() == _count(served, "parent_reason = 'Billing'", [])


def test_verbatim_pages_and_drill_columns_are_checked(served: Path) -> None:
    total = queries.count_verbatims(Filters(), (("channel", "call"),))
    pages = [queries.verbatims(Filters(), (("channel", "call"),), 25, o) for o in range(0, total, 25)]
    ids = pd.concat(pages)["interaction_id"]
    assert len(ids) == ids.nunique() == total
    with pytest.raises(ValueError, match="cannot drill down"):
        queries.verbatims(Filters(), (("text; DROP TABLE x", 1),))


def test_row_reads_come_from_marts_verbatims_and_equal_the_contacts(served: Path) -> None:
    """The chains, the timeline and a verbatim page read the narrow mart and show what the same reads of
    marts.interactions show (same rows, same order)."""
    f = Filters(start=date(2026, 1, 5), end=date(2026, 2, 20), channels=("call", "chat", "email"))
    where, params = f.where()
    chains = queries.top_chains(f)
    with duckdb.connect(str(served), read_only=True) as con:
        expected = con.execute(
            "SELECT customer_id, count(*) AS contacts, count(*) FILTER (WHERE is_repeat) AS repeats "
            f"FROM marts.interactions WHERE {where} AND customer_id IS NOT NULL GROUP BY 1 "
            "ORDER BY repeats DESC, contacts DESC, customer_id LIMIT 20", params).df()
        who = expected["customer_id"].iloc[0]
        timeline = con.execute(
            "SELECT interaction_id, occurred_at, channel, reason, sentiment_label, is_repeat, chain_id, "
            "hours_since_prev FROM marts.interactions WHERE customer_id = ? ORDER BY occurred_at", [who]).df()
        page = con.execute(
            f"SELECT {', '.join(queries.VERBATIM_COLUMNS)} FROM marts.interactions WHERE {where} AND is_negative "
            "ORDER BY occurred_at DESC, interaction_id LIMIT 7 OFFSET 3", params).df()
    assert expected["repeats"].iloc[0] > 0
    pd.testing.assert_frame_equal(chains, expected)
    pd.testing.assert_frame_equal(queries.customer_timeline(who), timeline)
    pd.testing.assert_frame_equal(queries.verbatims(f, (("is_negative", True),), 7, 3), page)
    assert queries.count_verbatims(f, (("is_negative", True),)) == _count(served, f"{where} AND is_negative", params)


def test_top_chains_mart_is_the_live_query_unfiltered(served: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under the default filters the Repeat page reads marts.top_chains: the same rows, in the same
    order, as grouping the contacts; any filter goes back to the contacts."""
    live = (
        "SELECT customer_id, count(*) AS contacts, count(*) FILTER (WHERE is_repeat) AS repeats "
        "FROM marts.verbatims WHERE {where} AND customer_id IS NOT NULL GROUP BY 1 "
        "ORDER BY repeats DESC, contacts DESC, customer_id LIMIT ?"
    )
    _, first, last = queries.options()
    with duckdb.connect(str(data.warehouse_path()), read_only=True) as con:
        kept = con.execute("SELECT count(*), max(rank) FROM marts.top_chains").fetchone()
        unfiltered = con.execute(live.format(where="TRUE"), [queries.TOP_CHAINS_KEPT]).df()
        on_call = con.execute(live.format(where="channel = 'call'"), [20]).df()
    assert kept[0] == kept[1] == len(unfiltered) > 20 and unfiltered["repeats"].iloc[0] > 0
    for default in (Filters(), Filters(start=first, end=last)):
        for limit in (20, queries.TOP_CHAINS_KEPT):
            pd.testing.assert_frame_equal(queries.top_chains(default, limit), unfiltered.head(limit))
    read: list[str] = []
    monkeypatch.setattr(queries, "query", lambda sql, params=(): read.append(sql) or data.query(sql, params))
    queries.top_chains(Filters(start=first, end=last))
    assert "FROM marts.top_chains" in read[-1]
    queries.top_chains(Filters(start=first + timedelta(days=1), end=last))
    assert "FROM marts.verbatims" in read[-1]
    pd.testing.assert_frame_equal(queries.top_chains(Filters(channels=("call",))), on_call)
    assert not on_call.equals(unfiltered.head(20))


def test_customer_lists_page_through_the_whole_ranked_list(served: Path) -> None:
    for table in queries.CUSTOMER_LISTS:
        whole = queries.customer_list(table, Filters(), None)
        total = queries.count_customer_list(table, Filters())
        pages = [queries.customer_list(table, Filters(), 2, o) for o in range(0, total, 2)]
        assert total == len(whole) > 2
        pd.testing.assert_frame_equal(pd.concat(pages, ignore_index=True), whole)
        assert whole["rank"].is_monotonic_increasing
        segment = whole["segment"].dropna().iloc[-1]  # a segment whose customers rank late: filtered first
        mine = queries.customer_list(table, Filters(segments=(segment,)), 3)
        assert len(mine) == min(3, int((whole["segment"] == segment).sum()))
        assert (mine["segment"] == segment).all()
    # the download of a paged list is the whole list, read when clicked
    csv = ui._export("csv", lambda: queries.customer_list("callback_list", Filters(), None))
    assert len(pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig")) == queries.count_customer_list(
        "callback_list", Filters()
    )


def test_clv_scatter_draws_the_top_customers_with_the_population_median(served: Path) -> None:
    top = queries.customer_value(Filters(), limit=5)
    everyone = queries.customer_value(Filters(), limit=10**6)
    population = queries.clv_population(Filters())
    assert population["customers"] == len(everyone) > 5
    assert population["median_clv"] == pytest.approx(everyone["clv"].median())
    pd.testing.assert_frame_equal(top, everyone.head(5))
    fig = charts.clv_nev(top.rename(columns={"mean_nev": "nev"}), population["median_clv"])
    drawn = [c for trace in fig.data for c in trace.customdata]
    assert sorted(drawn) == sorted(top["customer_id"]) and all(t.type == "scatter" for t in fig.data)
    assert fig.layout.shapes[1].y0 == pytest.approx(population["median_clv"])
    churned = charts.clv_nev(pd.DataFrame({"nev": [1.0, -1.0], "clv": [5.0, 9.0], "segment": ["a", "a"],
                                           "churned": [True, None], "customer_id": ["c1", "c2"]}))
    assert list(churned.data[0].marker.symbol) == ["x", "circle-open"]


def test_label_suggestions_from_the_mart_are_the_live_ranking(
    served: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What to label next reads marts.label_candidates: the same rows as ranking every contact, with
    no labels, with labels on the first suggestions, and (back to the live ranking) once labels have
    used up a reason's candidates."""
    from dashboard import corrections

    def live(labelled: list[str]) -> pd.DataFrame:
        return data.query(corrections.SUGGEST_SQL, [labelled, corrections.PER_REASON, corrections.NEXT_ROWS])

    with duckdb.connect(str(data.warehouse_path()), read_only=True) as con:
        big = con.execute(
            "SELECT reason, list(interaction_id ORDER BY candidate_rank) FROM marts.label_candidates "
            "WHERE reason_contacts > 20 GROUP BY reason ORDER BY reason LIMIT 1"
        ).fetchone()
    assert big is not None and len(big[1]) == 20
    read: list[str] = []
    monkeypatch.setattr(corrections.queries, "query",
                        lambda sql, params=(): read.append(sql) or data.query(sql, params))
    cases = [[], live([])["interaction_id"].head(5).tolist(), big[1][:19]]
    sources = ("label_candidates", "label_candidates", "marts.interactions")
    for labelled, source in zip(cases, sources, strict=True):
        monkeypatch.setattr(corrections, "labelled_ids", lambda labelled=labelled: labelled)
        got = corrections.suggestions()
        assert source in read[-1]
        pd.testing.assert_frame_equal(got, live(labelled))
        assert len(got) == corrections.NEXT_ROWS and not set(got["interaction_id"]) & set(labelled)


def test_connection_is_read_only_and_follows_a_new_publish(served: Path) -> None:
    con = data.connection()
    with pytest.raises(duckdb.Error):
        con.execute("CREATE TABLE marts.x AS SELECT 1")
    before = queries.kpis(Filters())["volume"]
    # publish a bigger build the way pipelines.warehouse.publish does: os.replace of the serving file
    bigger = dashboard_fixture.build(served.parent / "next" / "voc.duckdb", n=450)
    tmp = data.warehouse_path().with_suffix(".tmp")
    shutil.copyfile(data.warehouse_path().parent / "next" / "voc.serving.duckdb", tmp)
    os.replace(tmp, data.warehouse_path())
    try:
        assert queries.kpis(Filters())["volume"] == 450 != before
    finally:
        dashboard_fixture.build(served, n=400)
        assert bigger.exists()


def test_missing_warehouse_says_how_to_build_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOC_DB", str(tmp_path / "nothing.duckdb"))
    with pytest.raises(data.WarehouseMissing, match="python -m pipelines demo"):
        data.check_ready()


def test_server_warm_up_reads_the_serving_copy_and_leaves_a_broken_one_to_the_page(
    served: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard import server

    assert server.warm()["serving copy"] >= 0
    assert data.check_ready() > 0
    # no serving copy, then a corrupt one: the server still starts; the page names the fix
    monkeypatch.setenv("VOC_DB", str(tmp_path / "nothing.duckdb"))
    server.warm()
    with pytest.raises(data.WarehouseMissing):
        data.check_ready()
    data.warehouse_path().write_bytes(b"not a duckdb file" * 1000)
    server.warm()
    with pytest.raises(data.ServingCopyUnreadable):
        data.check_ready()


def test_drill_downs_by_week_emotion_and_term(served: Path) -> None:
    fig = charts.trend(queries.weekly_kpis(Filters()), "week", "volume", "t")
    week = fig.data[0].customdata[0]
    assert len(week) == 10  # 'YYYY-MM-DD', what a click sends back
    n_week = queries.count_verbatims(Filters(), (("week", week),))
    assert n_week == _count(served, "week = CAST(? AS DATE)", [week]) > 0
    assert queries.count_verbatims(Filters(), (("emotion", "anger"),)) == _count(
        served, "list_contains(top_emotions, 'anger')", []
    )
    rows = queries.verbatims(Filters(), (("term", "charged twice"),), 5)
    assert len(rows) and rows["text"].str.contains("charged twice").all()
    assert queries.count_verbatims(Filters(), (("term", "%"),)) == 0  # a wildcard typed is a literal


def test_overview_marts_match_the_contacts(served: Path) -> None:
    """The emotion mix and the trajectory come from small marts; they agree with the contacts."""
    with duckdb.connect(str(served), read_only=True) as con:
        mix = dict(con.execute("SELECT e, count(*) FROM (SELECT unnest(top_emotions) AS e FROM marts.interactions "
                               "WHERE channel = 'chat') GROUP BY e").fetchall())
        start, end = con.execute("SELECT avg(sentiment_start), avg(sentiment_end) FROM marts.interactions "
                                 "WHERE channel = 'call' AND sentiment_end IS NOT NULL").fetchone()
    got = queries.emotion_mix(Filters(channels=("chat",)))
    assert dict(zip(got["emotion"], got["n"], strict=True)) == mix
    searched = queries.emotion_mix(Filters(channels=("chat",), search="a"))  # the contacts path
    assert searched["n"].sum() <= sum(mix.values())
    traj = queries.trajectory(Filters()).set_index("channel")
    assert (traj.loc["call", "start"], traj.loc["call", "end"]) == (pytest.approx(start), pytest.approx(end))


def test_staffing_draws_forecast_and_agents_in_one_figure() -> None:
    hours = pd.date_range("2026-03-02 08:00", periods=3, freq="h")
    plan = pd.DataFrame({"interval_start": hours, "forecast_contacts": [4.0, 6.0, 5.0],
                         "agents_needed": [2, 3, 2]})
    fig = charts.staffing(plan, "call")
    assert [list(t.y) for t in fig.data] == [[4.0, 6.0, 5.0], [2, 3, 2]]
    assert fig.data[0].xaxis == "x" and fig.data[1].xaxis == "x2" and fig.layout.xaxis.matches == "x2"
    assert charts.is_empty(charts.staffing(plan.iloc[:0], "call"))
