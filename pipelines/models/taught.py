"""A center's own labels and the heads taught on them, stored beside the warehouse.

- Labels: `<warehouse>.labels.duckdb` (`data/voc.duckdb` -> `data/voc.labels.duckdb`), table
  `labels(task, interaction_id, label, origin, batch_id, added_at)`, append-only: a correction is a
  newer row, the view `current_labels` keeps the latest per (task, interaction_id). `teach` files and
  the dashboard's corrections write here; the warehouse (and its read-only serving copy) is never
  written by either, so a dashboard can take corrections while the pipeline runs.
- Heads: `<warehouse>.heads/<task>/v<N>/` (`head.safetensors` + `config.json`, what
  `pipelines.models.heads.Head` reads), registered in the same DuckDB (`heads`, one row per attempt,
  refused ones too, with their cross-validated figures, the encoder whose vectors the head reads and,
  for sentiment, the weight of its mix with a probe). At most one active head per (task, encoder):
  `Models.load` swaps it in for the shipped head; a new warehouse has none, so the shipped heads
  stay the default. A sentiment head taught on the multilingual route's encoder (e5, `[models]
  teach_encoder`) is registered under that encoder's name; when several of a task's encoders have an
  active head, the newest version wins.

Tasks: `sentiment` (negative/neutral/positive), `emotion` (Ekman), `reason` (contact-reason labels:
pinned topic assignments, see `pipelines.models.reasons`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.errors import UserError
from pipelines.models.labels import EKMAN_LABELS, SENTIMENT_LABELS
from pipelines.warehouse import registered

TASKS = ("sentiment", "emotion", "reason")
# Accepted labels per task; None = free text (contact reasons name the taxonomy's topics).
VOCABULARY: dict[str, tuple[str, ...] | None] = {
    "sentiment": SENTIMENT_LABELS, "emotion": EKMAN_LABELS, "reason": None,
}

_DDL = (
    """CREATE TABLE IF NOT EXISTS labels (
        task VARCHAR NOT NULL, interaction_id VARCHAR NOT NULL, label VARCHAR NOT NULL,
        origin VARCHAR NOT NULL, batch_id BIGINT NOT NULL, added_at TIMESTAMP NOT NULL)""",
    """CREATE OR REPLACE VIEW current_labels AS
       SELECT task, interaction_id, label, origin, batch_id, added_at FROM labels
       QUALIFY row_number() OVER (PARTITION BY task, interaction_id ORDER BY batch_id DESC, added_at DESC) = 1""",
    """CREATE TABLE IF NOT EXISTS heads (
        task VARCHAR NOT NULL, encoder VARCHAR NOT NULL, version INTEGER NOT NULL, path VARCHAR,
        head_version VARCHAR, base_version VARCHAR, n_labels INTEGER, labels_batch BIGINT,
        cv_macro_f1 DOUBLE, shipped_macro_f1 DOUBLE, accepted BOOLEAN NOT NULL, active BOOLEAN NOT NULL,
        created_at TIMESTAMP NOT NULL)""",
    # A store written before sentiment heads were mixed (teach.fit_mix) gains the column; NULL = not mixed.
    "ALTER TABLE heads ADD COLUMN IF NOT EXISTS mix_weight DOUBLE",
)


class LabelsError(UserError, ValueError):
    """A labels file or labels store that cannot be used; the message says how to fix it."""


def labels_path(db: Path | str) -> Path:
    """`data/voc.duckdb` -> `data/voc.labels.duckdb`."""
    db = Path(db)
    return db.with_name(db.stem + ".labels" + db.suffix)


def heads_root(db: Path | str) -> Path:
    """`data/voc.duckdb` -> `data/voc.heads/` (taught heads, one folder per task and version)."""
    db = Path(db)
    return db.with_name(db.stem + ".heads")


def warehouse_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file behind a warehouse connection (None for in-memory)."""
    # fetchall, not fetchone: DuckDB 2 keeps a half-read result open and refuses `con.register` after it.
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return Path(rows[0][0]) if rows and rows[0][0] else None


@contextlib.contextmanager
def open_labels(db: Path | str, read_only: bool = False, retries: int = 20) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection to the labels store (created on first write).

    The dashboard and the pipeline both open it briefly; a lock held by the other is waited for.
    """
    path = labels_path(db)
    if read_only and not path.exists():
        con = duckdb.connect(":memory:")
        for ddl in _DDL:
            con.execute(ddl)
        yield con
        con.close()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(retries):
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if attempt == retries - 1:
                raise LabelsError(f"labels store {path} is locked by another process ({exc}); try again") from exc
            time.sleep(0.25)
    try:
        if not read_only:
            for ddl in _DDL:
                con.execute(ddl)
        yield con
    finally:
        con.close()


def add_labels(db: Path | str, task: str, frame: pd.DataFrame, origin: str) -> int:
    """Append (interaction_id, label) rows of `frame` as one new batch; returns the batch id."""
    if task not in TASKS:
        raise LabelsError(f"unknown task {task!r}: one of {', '.join(TASKS)}")
    with open_labels(db) as con:
        batch = int(con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM labels").fetchall()[0][0])
        with registered(con, rows=frame[["interaction_id", "label"]].astype(str)):
            con.execute(
                "INSERT INTO labels SELECT ?, interaction_id, label, ?, ?, now()::TIMESTAMP FROM rows",
                [task, origin, batch],
            )
    return batch


def current_labels(db: Path | str, task: str) -> pd.DataFrame:
    """The latest label per interaction for `task`: interaction_id, label, origin, batch_id."""
    with open_labels(db, read_only=True) as con:
        return con.execute(
            "SELECT interaction_id, label, origin, batch_id FROM current_labels WHERE task = ? ORDER BY interaction_id",
            [task],
        ).fetch_df()


def last_batch(db: Path | str, task: str) -> int:
    """Newest label batch of `task` (0 = none)."""
    with open_labels(db, read_only=True) as con:
        return int(con.execute("SELECT coalesce(max(batch_id), 0) FROM labels WHERE task = ?", [task]).fetchone()[0])


def register_head(db: Path | str, row: dict) -> None:
    """Record a teach attempt; an accepted one becomes the only active head of its task and encoder."""
    with open_labels(db) as con:
        con.execute("BEGIN TRANSACTION")
        if row["accepted"]:
            con.execute("UPDATE heads SET active = false WHERE task = ? AND encoder = ?", [row["task"], row["encoder"]])
        cols = ("task", "encoder", "version", "path", "head_version", "base_version", "n_labels", "labels_batch",
                "cv_macro_f1", "shipped_macro_f1", "mix_weight", "accepted")
        con.execute(
            f"INSERT INTO heads ({', '.join(cols)}, active, created_at) "
            f"VALUES ({', '.join('?' for _ in cols)}, ?, now()::TIMESTAMP)",
            [row.get(c) for c in cols] + [bool(row["accepted"])],
        )
        con.execute("COMMIT")


def next_version(db: Path | str, task: str) -> int:
    """The next head version number of `task` (1, 2, ...), counting refused attempts too."""
    with open_labels(db, read_only=True) as con:
        return int(con.execute("SELECT coalesce(max(version), 0) + 1 FROM heads WHERE task = ?", [task]).fetchone()[0])


def history(db: Path | str, task: str | None = None) -> pd.DataFrame:
    """Every teach attempt, newest first."""
    with open_labels(db, read_only=True) as con:
        where, params = ("WHERE task = ?", [task]) if task else ("", [])
        return con.execute(f"SELECT * FROM heads {where} ORDER BY task, version DESC", params).fetch_df()


def active_head(db: Path | str | None, task: str, encoder: str | tuple[str, ...]) -> Path | None:
    """Folder of the newest active taught head of `task` on `encoder` (or on any of several encoders),
    or None (then the shipped head is used)."""
    if db is None or str(db) == ":memory:" or not labels_path(db).exists():
        return None
    encoders = [encoder] if isinstance(encoder, str) else list(encoder)
    with open_labels(db, read_only=True) as con:
        row = con.execute(
            "SELECT path FROM heads WHERE task = ? AND list_contains(?, encoder) AND active "
            "ORDER BY version DESC LIMIT 1",
            [task, encoders],
        ).fetchone()
    if not row or not row[0]:
        return None
    if not (Path(row[0]) / "head.safetensors").exists():
        from pipelines.models.encoder import ModelPathError

        raise ModelPathError(
            f"the active taught {task} head {row[0]} is missing (registered in {labels_path(db)}); restore "
            f"the folder, or run `python -m pipelines teach {task} --reset` to go back to the shipped head"
        )
    return Path(row[0])


def load_taught(db: Path | str | None, encoder: str, sentiment, emotion, route: str = ""):
    """The active taught heads of `encoder` in place of the shipped ones (each only if taught). With
    `route` (the multilingual route's encoder name), a sentiment head taught on that encoder's vectors
    counts too: the caller reads its `encoder_name` to feed it that encoder's vectors."""
    from pipelines.models.heads import HeadEmotionModel, HeadSentimentModel

    path = active_head(db, "sentiment", (encoder, route) if route else encoder)
    if path is not None:
        sentiment = HeadSentimentModel.load(path)
    path = active_head(db, "emotion", encoder)
    if path is not None:
        emotion = HeadEmotionModel.load(path)
    return sentiment, emotion
