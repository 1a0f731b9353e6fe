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


def test_reexport_replaces_only_what_it_wrote(db_path, tmp_path):
    con = warehouse.connect(db_path)
    con.execute(
        "CREATE TABLE marts.sample AS SELECT i AS id, TIMESTAMP '2025-01-15' + INTERVAL (i * 10) DAY AS occurred_at "
        "FROM range(9) t(i)"
    )
    out = tmp_path / "parquet"
    list(export_parquet(con, out))
    mine = out / "marts" / "sample" / "README.txt"
    mine.write_text("my notes")
    con.execute("DELETE FROM marts.sample WHERE occurred_at >= TIMESTAMP '2025-03-01'")  # months 3 and 4 go
    [(_, _, rows, target)] = list(export_parquet(con, out))
    assert mine.read_text() == "my notes", "a user's file in the export folder is kept"
    assert sorted(p.name for p in (target / "year=2025").iterdir()) == ["month=1", "month=2"]
    back = con.execute(
        "SELECT count(*) FROM read_parquet(?, hive_partitioning = true)", [str(target / "**" / "*.parquet")]
    ).fetchone()[0]
    assert back == rows == 5, "the old months are gone, nothing counted twice"
    con.close()


def test_export_into_a_file_is_a_clear_error(db_path, tmp_path, capsys):
    warehouse.connect(db_path).close()
    out = tmp_path / "out.parquet"
    out.write_text("not a folder")
    assert main(["--db", str(db_path), "export", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and str(out) in err
    assert out.read_text() == "not a folder"
