"""Export to Hive-partitioned Parquet: DuckDB reads it back in place, partitions pruned by month."""

from __future__ import annotations

from pipelines import warehouse
from pipelines.cli import main
from pipelines.export import export_parquet


def test_export_round_trips_and_partitions_by_month(db_path, tmp_path):
    con = warehouse.connect(db_path)
    con.execute(
        "CREATE TABLE marts.sample AS SELECT i AS id, TIMESTAMP '2025-01-15' + INTERVAL (i * 10) DAY AS occurred_at "
        "FROM range(9) t(i)"
    )
    con.execute("CREATE TABLE marts.flat AS SELECT 'x' AS label")
    out = tmp_path / "parquet"
    written = {t: rows for _, t, rows, _ in export_parquet(con, out)}
    assert written["sample"] == 9 and written["flat"] == 1
    months = sorted(p.name for p in (out / "marts" / "sample" / "year=2025").iterdir())
    assert months == ["month=1", "month=2", "month=3", "month=4"]  # Jan 15 + 0..80 days
    back = con.execute(
        "SELECT count(*), count(DISTINCT month) FROM read_parquet(?, hive_partitioning = true)",
        [str(out / "marts" / "sample" / "**" / "*.parquet")],
    ).fetchone()
    assert back == (9, 4)
    con.close()


def test_export_cli_names_missing_warehouse(tmp_path, capsys):
    code = main(["--db", str(tmp_path / "none.duckdb"), "export", str(tmp_path / "out")])
    assert code == 2
    assert "python -m pipelines demo" in capsys.readouterr().err
