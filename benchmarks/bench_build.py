"""Build every mart on N synthetic interactions (default 1,000,000) and print time per mart.

Staging, scores and topic rows are generated in DuckDB with range() + hashing (no Python loops).
Usage: python -m benchmarks.bench_build [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from analytics import build
from analytics.settings import AnalyticsSettings
from pipelines.warehouse import connect

REASONS = [f"reason_{i:02d}" for i in range(30)]


def populate(con, n: int) -> None:
    customers = max(n // 5, 1)
    con.execute("""
        INSERT INTO staging.customers (customer_id, segment, revenue, margin, churned, file_id)
        SELECT 'C' || i, ['Basic', 'Plus', 'Premium'][1 + (hash(i, 's') % 3)::BIGINT], 100 + hash(i, 'r') % 900,
               NULL, hash(i, 'c') % 10 = 0, 'bench'
        FROM range(?) AS t(i)""", [customers])
    con.execute("""
        INSERT INTO staging.interactions (interaction_id, source_id, channel, direction, customer_id,
            occurred_at, text, agent_id, duration_s, file_id)
        SELECT substr(md5(i::VARCHAR), 1, 16), i::VARCHAR,
               ['call', 'chat', 'email', 'social'][1 + (hash(i, 'ch') % 4)::BIGINT], 'inbound',
               CASE WHEN hash(i, 'a') % 20 = 0 THEN NULL ELSE 'C' || (hash(i, 'cu') % ?) END,
               TIMESTAMP '2024-01-01' + to_seconds((hash(i, 't') % (180 * 86400))::BIGINT),
               ['my bill is wrong charged twice', 'parcel late again where is it', 'cannot log in to the app',
                'please cancel my plan', 'thanks all good now'][1 + (hash(i, 'x') % 5)::BIGINT],
               'agent' || (hash(i, 'ag') % 200), 60 + hash(i, 'd') % 900, 'bench'
        FROM range(?) AS t(i)""", [customers, n])
    con.execute("""
        INSERT INTO enriched.interaction_scores (interaction_id, model_version, is_scored, sentiment_label,
            sentiment_score, nev_text, scored_at)
        SELECT interaction_id, 'bench-1', true,
               ['negative', 'neutral', 'positive'][1 + (hash(interaction_id, 'l') % 3)::BIGINT],
               (hash(interaction_id, 'sc') % 2001) / 1000.0 - 1, (hash(interaction_id, 'n') % 201) - 100.0,
               TIMESTAMP '2024-07-01'
        FROM staging.interactions""")
    con.execute("""
        INSERT INTO enriched.topic_assignments (interaction_id, topic_model_version, topic_id, topic_label,
            topic_confidence, topic_source)
        SELECT interaction_id, 'bench-topics', k, ?[k + 1], 0.8, 'model'
        FROM (SELECT interaction_id, (hash(interaction_id, 'k') % 30)::INTEGER AS k FROM staging.interactions)""",
        [REASONS])


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        t0 = time.perf_counter()
        populate(con, n)
        print(f"generated {n:,} interactions in {time.perf_counter() - t0:.1f}s")
        print(build.run(con, AnalyticsSettings()))
        for mart, seconds, rows in con.execute("SELECT * FROM marts.build_timings").fetchall():
            print(f"  {mart:<22} {seconds:7.2f}s  {rows:>10,} rows")
        total = con.execute("SELECT value FROM marts.build_info WHERE key = 'build_seconds'").fetchall()[0][0]
        print(f"total build: {total}s for {n:,} interactions (goal < 60 s)")
        con.close()


if __name__ == "__main__":
    main()
