"""Undo a load: a file's rows and everything derived from them leave every layer.

`unload_paths(con, paths)` finds the loads recorded under each path (a file, or every file
under a folder; the file itself may be gone already), then in one transaction deletes their
enriched scores, turn scores and topic assignments, their staging rows and raw records,
rejects and file rows; identities are re-resolved when customers left. Marts are rebuilt from
what remains by the next `build` (or `run`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.ingest import core, identity
from pipelines.warehouse import transaction

@dataclass
class Unloaded:
    """What unloading one PATH removed."""

    path: str
    files: int = 0
    interactions: int = 0
    records: int = 0

    def line(self) -> str:
        """One line for the CLI."""
        if not self.files:
            return f"{self.path}: nothing loaded from here"
        return (
            f"{self.path}: unloaded {self.files} file(s): {self.records} record(s), "
            f"{self.interactions} interaction(s) and what was derived from them"
        )


def _file_ids(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[str, str]]:
    """(file_id, kind) of the loads recorded at `path` or under it when it is (or was) a folder."""
    key = core.path_key(path)
    return con.execute(
        "SELECT file_id, kind FROM raw.files WHERE path = $key OR starts_with(path, $key || '/') ORDER BY path",
        {"key": key},
    ).fetchall()


def unload_paths(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> list[Unloaded]:
    """Remove every load recorded under `paths`, one transaction for all; one report per PATH."""
    reports, every_id, kinds = [], [], set()
    for path in map(Path, paths):
        found = _file_ids(con, path)
        report = Unloaded(str(path), files=len(found))
        ids = [f for f, _ in found]
        if ids:
            marks = ", ".join("?" * len(ids))
            report.interactions = con.execute(
                f"SELECT count(*) FROM staging.interactions WHERE file_id IN ({marks})", ids
            ).fetchall()[0][0]
            report.records = con.execute(
                f"SELECT count(*) FROM raw.records WHERE file_id IN ({marks})", ids
            ).fetchall()[0][0]
        every_id += ids
        kinds.update(k for _, k in found)
        reports.append(report)
    if not every_id:
        return reports
    with transaction(con):
        core.delete_files(con, every_id)
        if "customers" in kinds:
            identity.rebuild_identities(con)
            identity.resolve_interactions(con)
    return reports
