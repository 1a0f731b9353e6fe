"""`make eval-analytics`: the marts checked against truth (issue 5, "Checked against truth").

Three sections, every figure measured on a fresh build:

1. Demo: generate the seeded demo set into a temp folder, run every stage, and check that the planted
   patterns (`pipelines.demo.planted_truth`) come out on top. Topic labels are learned, so each
   topic is mapped back to the planted reason that most of its contacts were generated with: the
   generator is deterministic, so `pipelines.demo.build` with the same arguments gives each contact's
   planted reason, linked to staging by the ids the writers put in the files (call ContactId =
   uuid5 of the call id, chat id, e-mail Message-ID serial, read from the demo mbox and matched by
   its keyed hash, the form staging keeps e-mail ids in). Social posts carry no such id and are
   left out of the mapping (they still count in the marts).
2. TWCS (`/work/shared/datasets/twcs_first5000`): contacts (customer tweets only: brand replies are
   the company's side), transfers and repeat chains of real Twitter support threads.
3. Airline tweets: the dataset's own `negativereason` (staging `source_category`) ranked as root
   causes of negative sentiment, the outcome being the dataset's own `airline_sentiment` label.
4. Contact reasons fitted on TWCS and the airline tweets: Other share, reasons named after a brand,
   and the airline reasons' NMI against the set's own negative reasons.

Exit code 0 when a check fails (this is an evaluation); non-zero only on a crash.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
import tempfile
import uuid
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analytics.settings import AnalyticsSettings
from pipelines import warehouse
from pipelines.demo.writers import CALL_NAMESPACE as _CALL_NS  # ContactId = uuid5(ns, call id)

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
TWCS = DATASETS / "twcs_first5000" / "twcs_first5000.csv"
AIRLINE = DATASETS / "twitter_us_airline_sentiment" / "Tweets_shared.csv"
WINDOW_HOURS = AnalyticsSettings().default_window_hours  # the marts' default window (docs/marts.md)
_SERIAL = re.compile(r"^(?:CHAT-|CALL-|m)(\d{7})")


def verdict(ok: bool) -> str:
    """PASS / FAIL word for a check line."""
    return "PASS" if ok else "FAIL"


def contact_index(source_id: str | None, thread_id: str | None, call_index: dict[str, int]) -> int | None:
    """Index into the generator's contact arrays for a staging row, from the ids the demo writers emit."""
    if source_id in call_index:
        return call_index[source_id]
    for ref in (source_id, thread_id):
        m = _SERIAL.match(ref or "")
        if m:
            return int(m.group(1)) - 1
    return None


# ---------------------------------------------------------------- 1. demo
def email_index(mbox: Path) -> dict[str, int]:
    """Keyed hash of each demo Message-ID (staging keeps e-mail ids hashed) -> its contact index."""
    from pipelines.ingest.keys import keyed_hash

    found = re.findall(rb"^Message-ID: <(m(\d{7})\.[a-z]@[^>]+)>", mbox.read_bytes(), re.MULTILINE)
    return {keyed_hash(mid.decode(), "message-id"): int(serial) - 1 for mid, serial in found}


def _topic_to_reason(con: duckdb.DuckDBPyConnection, customers: int, days: int, seed: int,
                     files: Path) -> pd.DataFrame:
    """Per learned topic label: the planted reason of most of its contacts, with its purity."""
    from pipelines.demo import build
    from pipelines.demo.reasons import CATALOGUE

    _, contacts, _ = build(seed=seed, customers=customers, days=days)
    n = len(contacts["reason"])
    call_index = {str(uuid.uuid5(_CALL_NS, f"CALL-{i + 1:07d}")): i for i in range(n)}
    for mbox in sorted(files.glob("emails/*.mbox")):
        call_index.update(email_index(mbox))
    rows = con.execute("SELECT source_id, thread_id, reason FROM marts.interactions").fetchall()
    keys = np.asarray([r.key for r in CATALOGUE], dtype=object)
    linked = []
    for source_id, thread_id, topic in rows:
        idx = contact_index(source_id, thread_id, call_index)
        if idx is not None and 0 <= idx < n:
            linked.append((topic, keys[contacts["reason"][idx]]))
    df = pd.DataFrame(linked, columns=["topic", "planted"])
    counts = df.groupby(["topic", "planted"]).size().rename("n").reset_index()
    totals = counts.groupby("topic")["n"].transform("sum")
    counts["purity"] = counts["n"] / totals
    best = counts.sort_values(["topic", "n"], ascending=[True, False]).drop_duplicates("topic")
    print(f"  topic -> planted reason: {len(df):,} of {len(rows):,} interactions linked by id "
          f"(social posts carry no generator id); {len(best)} topics, median purity {best['purity'].median():.0%}")
    return best.set_index("topic")


def _rank_of(ranked: list[str], mapping: pd.DataFrame, planted: str) -> tuple[int | None, str | None]:
    """1-based rank of the first topic in `ranked` that maps to `planted`, and its label."""
    for i, topic in enumerate(ranked, 1):
        if topic in mapping.index and mapping.at[topic, "planted"] == planted:
            return i, topic
    return None, None


def _describe(topic: str, mapping: pd.DataFrame) -> str:
    if topic not in mapping.index:
        return f"'{topic}' (unmapped)"
    return f"'{topic}' (= {mapping.at[topic, 'planted']}, purity {mapping.at[topic, 'purity']:.0%})"


def check_demo(customers: int, days: int, seed: int) -> None:
    """Build the demo in a temp folder and check the three planted patterns in the marts."""
    from pipelines.cli import main as cli_main
    from pipelines.demo import planted_truth
    from pipelines.ingest import keys

    print(f"\n== 1. Demo: {customers} customers, {days} days, seed {seed} ==")
    with tempfile.TemporaryDirectory(prefix="voc-eval-") as tmp:
        db = Path(tmp) / "voc.duckdb"
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            code = cli_main(["--db", str(db), "demo", "--out", str(Path(tmp) / "files"), "--seed", str(seed),
                             "--customers", str(customers), "--days", str(days)])
        if code:
            print(log.getvalue())
            raise RuntimeError(f"demo build failed with exit code {code}")
        truth = planted_truth(days=days)
        con = duckdb.connect(str(db), read_only=True)
        try:
            keys.use_warehouse(db)  # the demo warehouse's secret, for its hashed e-mail ids
            mapping = _topic_to_reason(con, customers, days, seed, Path(tmp) / "files")
            _demo_checks(con, mapping, truth)
            check_other_languages(con, mapping)
        finally:
            con.close()


def check_other_languages(con: duckdb.DuckDBPyConnection, mapping: pd.DataFrame) -> None:
    """Polish and Chinese demo contacts: is the reason they get (across languages, from the English
    fit) the one planted? Their text says the contact's planted reason in its language
    (`pipelines.demo.languages.PHRASES`, one phrase per reason and language, with a mood tail)."""
    from pipelines.demo.languages import phrase_reasons
    from pipelines.demo.reasons import CATALOGUE

    about = phrase_reasons()
    group = {r.key: r.parent for r in CATALOGUE}
    rows = con.execute(
        "SELECT m.language, s.text, m.reason, t.topic_source FROM marts.interactions m "
        "JOIN staging.interactions s USING (interaction_id) "
        "LEFT JOIN enriched.topic_assignments t USING (interaction_id) "
        "WHERE m.language IN ('pl', 'zh')").fetchall()
    found = []
    for language, text, reason, source in rows:
        phrase = next((p for p in about if p in (text or "")), None)
        if phrase is not None and about[phrase] is not None:
            planted = mapping["planted"].get(reason) if source == "crosslingual" else None
            found.append((language, about[phrase], planted, source))
    if not found:
        print("[FAIL] other languages: no Polish or Chinese demo contacts found")
        return
    df = pd.DataFrame(found, columns=["language", "truth", "planted", "source"])
    df["right"] = df["planted"] == df["truth"]
    df["right_group"] = df["planted"].map(group) == df["truth"].map(group)
    for language, g in df.groupby("language"):
        assigned = g["source"] == "crosslingual"
        print(f"  {language}: {len(g)} contacts whose phrase names a demo reason; assigned a reason "
              f"{assigned.mean():.0%} (else Other); the phrase's reason {g['right'].mean():.0%} of all "
              f"({g.loc[assigned, 'right'].mean() if assigned.any() else 0:.0%} of assigned), its group "
              f"{g['right_group'].mean():.0%}")
    by_reason = df.groupby("truth")["right"].mean().sort_values()
    print("       per phrase reason: " + ", ".join(f"{k} {v:.0%}" for k, v in by_reason.items()))
    print(f"[{verdict(df['right'].mean() >= 0.8)}] Polish and Chinese contacts get their phrase's reason: "
          f"{df['right'].mean():.0%} of {len(df)} (goal 80%)")
    _every_phrase(con, mapping, about, group)


def _every_phrase(con: duckdb.DuckDBPyConnection, mapping: pd.DataFrame, about: dict, group: dict) -> None:
    """Every distinct Polish and Chinese demo phrase through the current model's cross-lingual
    centres (a small demo draws only some of them)."""
    from pipelines.topics import crosslingual, stage
    from pipelines.topics.model import nearest_topic

    model = stage.current_model(con)
    encoder = stage.multilingual_encoder()
    index = crosslingual.load_or_build(stage.model_folder(con, model), model.topics, encoder)
    phrases = list(about)
    ids, _ = nearest_topic(encoder.encode(phrases), index.centroids, index.ids, index.threshold)
    label = {t["id"]: t["label"] for t in model.topics}
    got = [mapping["planted"].get(label.get(int(i))) if i != -1 else None for i in ids]
    known = [j for j, p in enumerate(phrases) if about[p] is not None]
    right = sum(got[j] == about[phrases[j]] for j in known)
    right_group = sum(group.get(got[j]) == group[about[phrases[j]]] for j in known)
    other = sum(i == -1 for i in ids)
    print(f"  every phrase ({len(phrases)}, {len(known)} about a demo reason; threshold "
          f"{index.threshold:.3f} on {index.encoder}): its reason {right}/{len(known)}, its group "
          f"{right_group}/{len(known)}, Other {other}")
    for j, p in enumerate(phrases):
        if got[j] != about[p]:
            name = label.get(int(ids[j]), "Other")[:40]
            print(f"       {p[:34]:<34} {str(about[p]):<24} got {name} (= {got[j]})")


def _by_planted(df: pd.DataFrame, mapping: pd.DataFrame, value: str) -> pd.Series:
    """Sum of `value` per planted reason (topics mapped by majority), descending."""
    planted = df["topic"].map(mapping["planted"]).fillna("(unmapped)")
    return df.groupby(planted)[value].sum().sort_values(ascending=False)


def _risk_by_planted(con: duckdb.DuckDBPyConnection, mapping: pd.DataFrame) -> pd.DataFrame:
    """`marts.revenue_at_risk` per planted reason: the mart's SQL (analytics/sql/revenue_at_risk.sql)
    run over marts.interactions with each topic (and each repeat's triggering topic) replaced by the
    planted reason it maps to; indexed by planted reason, largest first."""
    from analytics import build

    text, params = build.mart_sql("revenue_at_risk", {"churn_heuristic_share": AnalyticsSettings().churn_heuristic_share})
    path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    topics = pd.DataFrame({"topic": mapping.index.astype(str), "planted": mapping["planted"].astype(str).to_numpy()})
    with duckdb.connect() as mem:  # in memory; the warehouse attached read-only under the SQL's own names
        mem.execute("ATTACH ? AS voc (READ_ONLY)", [path])
        mem.execute("CREATE SCHEMA marts")
        mem.register("planted_topics", topics)  # explicitly: no replacement scan finds `topics` by name
        mem.execute("CREATE TABLE topic_map AS SELECT * FROM planted_topics")
        mem.execute(
            "CREATE VIEW marts.interactions AS SELECT i.* REPLACE ("
            "coalesce(m.planted, i.reason) AS reason, coalesce(p.planted, i.prev_same_reason) AS prev_same_reason) "
            "FROM voc.marts.interactions AS i LEFT JOIN topic_map AS m ON m.topic = i.reason "
            "LEFT JOIN topic_map AS p ON p.topic = i.prev_same_reason")
        mem.execute("CREATE VIEW marts.customer_value AS SELECT * FROM voc.marts.customer_value")
        out = mem.execute(f"SELECT * FROM ({text}) WHERE scope = 'reason' ORDER BY rank", params).df()
    return out.set_index("key")


def _demo_checks(con: duckdb.DuckDBPyConnection, mapping: pd.DataFrame, truth: dict) -> None:
    billing = truth["billing_defect"]["reason"]
    rep = con.execute(
        "SELECT dim_value AS topic, numerator, denominator, rate FROM marts.repeat_rates "
        "WHERE window_hours = ? AND scope = 'same_issue' AND denominator_kind = 'judged_contacts' "
        "AND dimension = 'reason' ORDER BY numerator DESC, rate DESC", [WINDOW_HOURS]).df()
    top = rep.iloc[0]
    agg = _by_planted(rep, mapping, "numerator")
    print(f"[{verdict(mapping['planted'].get(top['topic']) == billing)}] lead same-issue repeat driver (7-day, judged "
          f"contacts): {_describe(top['topic'], mapping)} with {top['numerator']} repeats / {top['denominator']} "
          f"judged contacts ({top['rate']:.0%}); expected {billing}")
    print(f"[{verdict(agg.index[0] == billing)}]   summed over topics per planted reason: {billing} "
          f"{agg.get(billing, 0)} repeats, rank {list(agg.index).index(billing) + 1 if billing in agg.index else '-'}"
          f" (next: {agg.index[1] if agg.index[0] == billing else agg.index[0]} {agg.iloc[1] if agg.index[0] == billing else agg.iloc[0]})")

    # The generator plants churn on the customers of a reason, not on a topic: when the topic model splits
    # billing_double_charge over several topics, each topic holds part of its customers, so its rank by
    # topic says how the topics split, not whether the mart finds the pattern (given each contact's
    # planted reason as its topic, the mart ranks it first). The check runs the mart's own SQL with each
    # topic replaced by the planted reason it maps to: every exposed customer counted once.
    rar = con.execute("SELECT key AS topic, revenue_at_risk, exposed_customers, churn_uplift, rank FROM "
                      "marts.revenue_at_risk WHERE scope = 'reason' ORDER BY rank").df()
    rank, topic = _rank_of(list(rar["topic"]), mapping, billing)
    lead = rar.iloc[0]
    if rank is None:
        print(f"[INFO] by topic: no topic maps to {billing}; top is {_describe(lead['topic'], mapping)}")
    else:
        row = rar.iloc[rank - 1]
        print(f"[INFO] by topic: {billing}'s first topic by revenue at risk is rank {rank}, "
              f"{_describe(topic, mapping)}: {row['revenue_at_risk']:,.0f} at risk, {row['exposed_customers']} exposed, "
              f"uplift {row['churn_uplift']:.2f}; rank 1 is {_describe(lead['topic'], mapping)} "
              f"({lead['revenue_at_risk']:,.0f}); {int((mapping['planted'] == billing).sum())} topics map to {billing}")
    planted = _risk_by_planted(con, mapping)
    place = list(planted.index).index(billing) + 1 if billing in planted.index else None
    other = planted.drop(billing, errors="ignore").iloc[0]
    mine = planted.loc[billing] if place else None
    print(f"[{verdict(place == 1)}] top revenue-at-risk reason (the mart's SQL over each planted reason's topics, "
          f"customers counted once): {billing} rank {place or '-'}"
          + (f" ({mine['revenue_at_risk']:,.0f} at risk, {mine['exposed_customers']} exposed, uplift "
             f"{mine['churn_uplift']:.2f})" if place else "")
          + f"; {'next' if place == 1 else 'top'}: {other.name} ({other['revenue_at_risk']:,.0f}, "
          f"{other['exposed_customers']} exposed, uplift {other['churn_uplift']:.2f})")

    spike = truth["delivery_spike"]
    em = con.execute("SELECT reason AS topic, metric, start_week, peak_week, peak_value, baseline_mean, z_max "
                     "FROM marts.emerging_issues ORDER BY start_week, z_max DESC").df()
    em["planted"] = em["topic"].map(mapping["planted"])
    hits = em[(em["planted"] == spike["reason"]) & (em["metric"] == "volume")]
    weeks = sorted({str(w)[:10] for w in hits["start_week"]})
    ok = spike["week_start"] in weeks
    detail = "; ".join(f"{_describe(r.topic, mapping)} from {str(r.start_week)[:10]}, peak {r.peak_value:.0f} vs "
                       f"baseline {r.baseline_mean:.1f} (z {r.z_max:.1f})" for r in hits.itertuples()) or "none flagged"
    print(f"[{verdict(ok)}] delivery spike flagged: truth week {spike['week_start']} ({spike['reason']}); "
          f"flagged weeks {weeks or '-'}: {detail}")
    other = em[em["planted"] != spike["reason"]]
    print(f"       other emerging episodes: {len(other)}"
          + "".join(f"; {_describe(r.topic, mapping)} {r.metric} {str(r.start_week)[:10]}" for r in other.head(5).itertuples()))

    login = truth["login_switch"]
    sw = con.execute("SELECT reason AS topic, switches, from_contacts, share FROM marts.channel_switch "
                     "WHERE window_hours = ? AND from_channel = ? AND to_channel = ? AND reason <> '(all)' "
                     "ORDER BY switches DESC, share DESC",
                     [WINDOW_HOURS, login["from_channel"], login["to_channel"]]).df()
    if sw.empty:
        print("[FAIL] chat->call switch: marts.channel_switch has no chat->call rows")
        return
    top = sw.iloc[0]
    print(f"[{verdict(mapping['planted'].get(top['topic']) == login['reason'])}] top chat->call switch reason (7-day): "
          f"{_describe(top['topic'], mapping)}: {top['switches']} of {top['from_contacts']} chats ({top['share']:.0%}); "
          f"expected {login['reason']}")
    agg = _by_planted(sw, mapping, "switches")
    print(f"[{verdict(agg.index[0] == login['reason'])}]   summed over topics per planted reason: "
          + ", ".join(f"{k} {v}" for k, v in agg.head(3).items()))


# ---------------------------------------------------------------- 2. TWCS
def _load(con: duckdb.DuckDBPyConnection, kind: str, path: Path) -> None:
    from pipelines.ingest import ingest_paths
    from pipelines.ingest.records import IngestOptions

    for report in ingest_paths(con, kind, [path], IngestOptions()):
        print(f"  {report.line()}")


def _build(con: duckdb.DuckDBPyConnection) -> str:
    """Build the marts without enrichment or topics (the build must tolerate their absence)."""
    from analytics import build

    with contextlib.redirect_stderr(io.StringIO()):
        return build.run(con)


@contextlib.contextmanager
def _scratch(kind: str, path: Path):
    """A temporary warehouse with `path` ingested as `kind`; closed and removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="voc-eval-") as tmp:
        con = warehouse.connect(Path(tmp) / "voc.duckdb")
        try:
            _load(con, kind, path)
            yield con
        finally:
            con.close()


def check_twcs(path: Path = TWCS) -> None:
    """Contacts, transfers and repeat chains on the first 5,000 TWCS tweets."""
    print(f"\n== 2. TWCS contacts and repeat chains ({path}) ==")
    if not path.exists():
        print(f"[SKIP] {path} not found")
        return
    with _scratch("social", path) as con:
        print(f"  build: {_build(con)}")
        # the file's own label; pandas reads its multi-line tweets that DuckDB's sniffer rejects
        truth = int(pd.read_csv(path, usecols=["inbound"], dtype=str)["inbound"].str.lower().eq("true").sum())
        inbound, outbound, contacts, pareto, daily, replies, outreach = con.execute(
            "SELECT (SELECT count(*) FROM staging.interactions WHERE direction = 'inbound'), "
            "(SELECT count(*) FROM staging.interactions WHERE direction = 'outbound'), "
            "(SELECT count(*) FROM marts.interactions), (SELECT sum(volume) FROM marts.reason_pareto), "
            "(SELECT sum(contacts) FROM marts.daily_volume), "
            "(SELECT coalesce(sum(messages) FILTER (WHERE kind = 'reply'), 0) FROM marts.outbound_volume), "
            "(SELECT coalesce(sum(messages) FILTER (WHERE kind = 'outreach'), 0) FROM marts.outbound_volume)"
        ).fetchone()
        print(f"  staging: {inbound:,} inbound, {outbound:,} outbound tweets; the file's own inbound column: "
              f"{truth:,} customer tweets")
        print(f"[{verdict(contacts == pareto == daily == truth)}] contacts counted: marts.interactions {contacts:,}, "
              f"Pareto {pareto:,}, daily volume {daily:,} (expected {truth:,}); company messages apart: "
              f"{replies:,} replies, {outreach:,} outreach")
        answered, median_s = con.execute(
            "SELECT avg(CAST(is_answered AS DOUBLE)), median(first_response_s) FROM marts.interactions").fetchone()
        print(f"  answered within the social target: {answered:.1%} of judged contacts; median first response "
              f"{(median_s or 0) / 60:.1f} min")
        over, longest, merged = con.execute(
            "WITH g AS (SELECT coalesce(merged_into_interaction_id, interaction_id) AS anchor, "
            "  epoch(max(occurred_at)) - epoch(min(occurred_at)) AS span_s FROM marts.interactions "
            "  WHERE customer_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1) "
            "SELECT count(*) FILTER (WHERE span_s >= ? * 60), max(span_s) / 60, count(*) FROM g",
            [AnalyticsSettings().transfer_gap_minutes]).fetchone()
        print(f"[{verdict(over == 0)}] transfer bursts: {merged:,} contacts with merged transfers; {over} span "
              f"the {AnalyticsSettings().transfer_gap_minutes:g}-min gap or more (longest {longest or 0:.2f} min; "
              "34 spanned more, up to 42 min, when gaps chained)")
        n, multi, chains, repeats = con.execute(
            "WITH s AS (SELECT * FROM marts.interactions WHERE in_sequence), "
            "c AS (SELECT customer_id, count(*) AS k FROM s GROUP BY ALL), "
            "ch AS (SELECT chain_id, count(*) AS k FROM s GROUP BY ALL) "
            "SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM c WHERE k > 1), "
            "(SELECT count(*) FROM ch WHERE k > 1), (SELECT count(*) FROM s WHERE is_repeat)").fetchone()
        print(f"  customers with a sequenced contact: {n:,}; with >1 contact: {multi:,}; "
              f"chains of >1 contact (7-day): {chains:,}; repeat contacts: {repeats:,}")
        for row in con.execute(
            "SELECT denominator_kind, numerator, denominator, rate, denominator_definition, provisional_excluded "
            "FROM marts.repeat_rates WHERE window_hours = ? AND scope = 'any_issue' AND dimension = 'overall' "
            "ORDER BY denominator_kind", [WINDOW_HOURS]).fetchall():
            kind, num, den, rate, definition, excluded = row
            shown = f"{rate:.1%}" if rate is not None else "n/a"
            print(f"  any-issue repeat rate, 7 days, {kind}: {shown} = {num:,}/{den:,} ({definition}; "
                  f"provisional excluded {excluded or 0:,})")
        summary = dict(con.execute("SELECT metric, value FROM marts.executive_summary").fetchall())
        risk = con.execute("SELECT revenue_at_risk, method, note FROM marts.revenue_at_risk "
                           "WHERE scope = 'total'").fetchone()
        shown = ("no exposed customer (no negative or repeated experience scored in this build)" if risk is None
                 else f"unknown ({risk[2]})" if risk[0] is None else f"{risk[0]:,.0f} ({risk[1]})")
        negative = summary.get("negative_share")
        print(f"  executive summary (last 28 days): {summary.get('contact_volume') or 0:,.0f} contacts, negative "
              f"share {'n/a' if negative is None else f'{negative:.1%}'} (unscored build); revenue at risk: {shown}")
        print(f"[{verdict(chains > 0)}] TWCS gives repeat chains")


# ---------------------------------------------------------------- 3. airline tweets
def check_airline(path: Path = AIRLINE, top: int = 5) -> None:
    """Negative reasons ranked by counterfactual impact on the negative share (label = airline_sentiment)."""
    print(f"\n== 3. Airline tweets: root causes of negative sentiment ({path}) ==")
    if not path.exists():
        print(f"[SKIP] {path} not found")
        return
    with _scratch("social", path) as con:
        # The outcome is the dataset's own label, not a model score: staging does not carry it,
        # so it is joined back from the CSV on the tweet id (staging.source_id).
        ranked = con.execute(
            "WITH lab AS (SELECT CAST(tweet_id AS VARCHAR) AS source_id, "
            "  any_value(airline_sentiment) AS airline_sentiment "  # the file repeats some tweet ids
            "  FROM read_csv(?, header = true, all_varchar = true) GROUP BY ALL), "
            "t AS (SELECT s.source_category AS reason, (l.airline_sentiment = 'negative')::INT AS neg "
            "  FROM staging.interactions s JOIN lab l USING (source_id) WHERE s.direction = 'inbound'), "
            "tot AS (SELECT count(*) AS total_n, sum(neg) AS total_neg FROM t) "
            "SELECT reason, count(*) AS n, sum(neg)::BIGINT AS neg, sum(neg) / any_value(total_neg) AS share_of_negative, "
            "  any_value(total_neg) / any_value(total_n) AS overall, "
            "  (any_value(total_neg) - sum(neg)) / (any_value(total_n) - count(*)) AS without, "
            "  any_value(total_neg) / any_value(total_n) "
            "    - (any_value(total_neg) - sum(neg)) / (any_value(total_n) - count(*)) AS impact, "
            "  any_value(total_n) AS total "
            "FROM t, tot WHERE reason IS NOT NULL AND reason <> '' GROUP BY reason ORDER BY impact DESC",
            [str(path)]).df()
        if ranked.empty:
            print("[FAIL] no negative reasons carried in staging.interactions.source_category")
            return
        print(f"  outcome: the dataset's airline_sentiment label (negative), {int(ranked['total'].iloc[0]):,} "
              f"inbound tweets joined on tweet id; overall negative share {ranked['overall'].iloc[0]:.1%}")
        print("  rank  reason                        tweets  negative  share of negative  share without  impact")
        for i, r in enumerate(ranked.head(top).itertuples(), 1):
            print(f"  {i:>4}  {r.reason:<28} {r.n:>7,} {r.neg:>9,}  {r.share_of_negative:>17.1%}  "
                  f"{r.without:>13.1%}  {r.impact:+.1%}")
        head = {x.lower() for x in ranked["reason"].head(top)}
        expected = {"late flight", "customer service issue", "lost luggage"}
        found = sorted(expected & head)
        print(f"[{verdict(len(found) == len(expected))}] issue's named reasons in the top {top}: {found} "
              f"of {sorted(expected)} (association, not causation)")


# ---------------------------------------------------------------- 4. contact reasons on real data
def check_reasons(sets: tuple[tuple[str, Path], ...] = (("TWCS", TWCS), ("airline tweets", AIRLINE))) -> None:
    """Reasons fitted on each real set: Other share, brand-named reasons, NMI against the set's own
    categories (the airline tweets' negativereason); see pipelines.topics.evaluate.reason_report."""
    from pipelines.topics import stage
    from pipelines.topics.evaluate import reason_report

    print("\n== 4. Contact reasons on real data ==")
    for name, path in sets:
        if not path.exists():
            print(f"[SKIP] {path} not found")
            continue
        with _scratch("social", path) as con:
            print(f"  {name}: {stage.assign(con)}")
            figures = reason_report(con)
        ok = figures.get("other_share", 1.0) < 0.10 and figures.get("brand_named", 1) == 0
        print(f"[{verdict(ok)}] {name}: Other under 10% of customer texts and no reason named after a brand")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m analytics.evaluate", description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=400, help="demo customers (default: %(default)s)")
    p.add_argument("--days", type=int, default=60, help="demo days (default: %(default)s)")
    p.add_argument("--seed", type=int, default=7, help="demo seed (default: %(default)s)")
    p.add_argument("--skip-demo", action="store_true", help="only the real-data sections")
    args = p.parse_args(argv)
    if not args.skip_demo:
        check_demo(args.customers, args.days, args.seed)
    check_twcs()
    check_airline()
    check_reasons()
    return 0


if __name__ == "__main__":
    sys.exit(main())
