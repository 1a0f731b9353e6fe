"""`teach`: read a labels file, store its labels beside the warehouse, train and validate a head.

    teach(db, "sentiment", Path("qa_labels.csv"))

A file has a `label` column and `interaction_id` or `source_id` (the id in the source export).
Labels that match no interaction (or several) and unknown label values are reported, not stored.
Then every stored label of the task (file and dashboard corrections alike) trains a head on the
stored embeddings (`pipelines.models.teach`); it becomes the active version only when its
cross-validated macro-F1 beats the shipped head's on the same labels. Contact-reason labels train
no head: they are pinned topic assignments (`pipelines.models.reasons`).
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.models import taught
from pipelines.models.taught import LabelsError
from pipelines.warehouse import registered

SHOWN = 5  # unmatched ids / bad rows quoted in a report


@dataclasses.dataclass
class Report:
    """What a teach did, printed by the CLI."""

    task: str
    read: int = 0
    stored: int = 0
    unmatched: list[str] = dataclasses.field(default_factory=list)
    ambiguous: list[str] = dataclasses.field(default_factory=list)
    bad_labels: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    n_train: int = 0
    no_vector: int = 0
    cv_macro_f1: float | None = None
    shipped_macro_f1: float | None = None
    accepted: bool = False
    head: str = ""
    message: str = ""
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """The report as the CLI prints it."""
        out = [f"read {self.read} labels, stored {self.stored}"]
        if self.unmatched:
            out.append(f"{len(self.unmatched)} labels match no interaction (not stored), e.g. "
                       + ", ".join(self.unmatched[:SHOWN]) + ": check the id column, or ingest those contacts first")
        if self.ambiguous:
            out.append(f"{len(self.ambiguous)} source_ids match several interactions (not stored), e.g. "
                       + ", ".join(self.ambiguous[:SHOWN]) + ": give interaction_id instead")
        if self.bad_labels:
            shown = ", ".join(f"row {r}: {v!r}" for r, v in self.bad_labels[:SHOWN])
            out.append(f"{len(self.bad_labels)} rows with an unknown label (not stored): {shown}; "
                       f"accepted: {', '.join(taught.VOCABULARY[self.task] or ())}")
        if self.no_vector:
            out.append(f"{self.no_vector} labelled interactions have no stored embedding yet (not enriched, "
                       "or not English): run `python -m pipelines enrich` and teach again to use them")
        if self.message:
            out.append(self.message)
        return out


def read_labels(path: Path, task: str) -> tuple[pd.DataFrame, str, list[tuple[int, str]]]:
    """Rows (row_no, key, label) of a labels CSV, the id column used, and rows with unknown labels."""
    if not Path(path).exists():
        raise LabelsError(f"labels file {path} not found")
    try:
        with duckdb.connect() as con:
            df = con.execute("SELECT * FROM read_csv(?, all_varchar = true, header = true)", [str(path)]).fetch_df()
    except duckdb.Error as exc:
        raise LabelsError(f"labels file {path}: cannot be read as CSV ({exc})") from exc
    cols = {c.strip().lower(): c for c in df.columns}
    key = "interaction_id" if "interaction_id" in cols else "source_id" if "source_id" in cols else None
    if key is None or "label" not in cols:
        raise LabelsError(f"labels file {path}: needs a `label` column and `interaction_id` or `source_id` "
                          f"(found: {', '.join(df.columns)})")
    out = pd.DataFrame({"row_no": np.arange(2, len(df) + 2),  # row 1 is the header
                        "key": df[cols[key]].fillna("").str.strip(),
                        "label": df[cols["label"]].fillna("").str.strip()})
    out = out[out["key"] != ""]
    vocab = taught.VOCABULARY[task]
    if vocab:  # a reason keeps the analyst's spelling; fixed vocabularies match in any case
        out["label"] = out["label"].str.lower()
    bad = ~out["label"].isin(vocab) if vocab else out["label"] == ""
    rejected = list(zip(out.loc[bad, "row_no"].tolist(), out.loc[bad, "label"].tolist()))
    return out[~bad].reset_index(drop=True), key, rejected


def match(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, key: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Labels joined to staging.interactions by `key`; the keys matching none, and several."""
    column = "interaction_id" if key == "interaction_id" else "source_id"
    with registered(con, label_rows=rows[["row_no", "key", "label"]]):
        hits = con.execute(f"""
            SELECT l.row_no, l.key, l.label, i.interaction_id,
                   count(i.interaction_id) OVER (PARTITION BY l.row_no) AS n
            FROM label_rows l LEFT JOIN staging.interactions i ON i.{column} = l.key
            ORDER BY l.row_no""").fetch_df()
    unmatched = hits.loc[hits["interaction_id"].isna(), "key"].drop_duplicates().tolist()
    ambiguous = hits.loc[hits["n"] > 1, "key"].drop_duplicates().tolist()
    ok = hits[hits["n"] == 1].drop_duplicates("interaction_id", keep="last")  # a later row corrects an earlier one
    return ok[["interaction_id", "label"]].reset_index(drop=True), unmatched, ambiguous


def teach(
    db: Path, task: str, path: Path | None = None, models=None, origin: str | None = None, con=None,
    model_settings=None,
) -> Report:
    """Store the file's labels (if any) and teach `task` on every stored label; see the module doc.

    `con`: an open warehouse connection to use (the pipeline's own); else the warehouse is opened read-only.
    `models` (loaded) wins over `model_settings` (`[models]`, to load them from; None = voc.toml and env).
    """
    if task not in taught.TASKS:
        raise LabelsError(f"unknown task {task!r}: one of {', '.join(taught.TASKS)}")
    from pipelines import warehouse

    start = time.perf_counter()
    report = Report(task)
    own = con is None
    con = warehouse.connect(db, read_only=True) if own else con
    try:
        if path is not None:
            rows, key, report.bad_labels = read_labels(path, task)
            report.read = len(rows) + len(report.bad_labels)
            matched, report.unmatched, report.ambiguous = match(con, rows, key)
            if len(matched):
                taught.add_labels(db, task, matched, origin or Path(path).name)
            report.stored = len(matched)
        if task == "reason":
            n = len(taught.current_labels(db, "reason"))
            report.message = (f"{n} contact-reason labels stored; the next `run` (topics stage) pins them "
                              "as the contacts' reasons and adds labels no topic carries to the taxonomy")
        else:
            _train(con, db, task, report, models, model_settings, writable=not own)
    finally:
        if own:
            con.close()
    report.seconds = time.perf_counter() - start
    return report


def teach_base(task: str, models):
    """(shipped head, encoder) a task is taught on: for sentiment with `[models] teach_encoder` =
    "multilingual" (the default in full mode), the multilingual route's shipped head and its encoder
    (e5), whose vectors are stored under e5's own name; otherwise the shared encoder and its shipped head."""
    from pipelines.models import load_emotion, load_sentiment

    if task == "sentiment" and models.settings.teach_on == "multilingual":
        multilingual = models.multilingual
        if multilingual is None:
            from pipelines.models.multilingual import MultilingualModels

            multilingual = MultilingualModels.load(threads=models.settings.threads or 1)
        route = models.sentiment_route
        encoder = route.encoder(multilingual) if route is not None else multilingual.encoder
        return multilingual.sentiment, encoder
    # A taught head always starts from the shipped one (never from an earlier taught head).
    return (load_sentiment if task == "sentiment" else load_emotion)(models.settings), models.encoder


def teach_encoder_name(task: str, models) -> str:
    """The name of the encoder whose vectors `task`'s taught head reads (what `heads.encoder` records)."""
    if task == "sentiment" and models.settings.teach_on == "multilingual":
        from pipelines.enrich.scoring import teach_route_encoder

        return teach_route_encoder(models.settings, models.multilingual)
    return models.encoder.name


def _train(con, db: Path, task: str, report: Report, models, model_settings=None, writable: bool = False) -> None:
    """Fit, cross-validate and (when better) activate a head on the task's stored labels.

    Sentiment: the taught head mixed with a probe (`teach.fit_mix`), accepted only when its nested
    cross-validated macro-F1 (`teach.nested_cross_validate`: the mix weight chosen inside each outer
    fold) beats the shipped head's on the same labels. Emotion: the taught head alone (`cross_validate`).
    """
    from pipelines.enrich.scoring import Models
    from pipelines.models import teach as fit
    from pipelines.models.heads import save_head

    models = models or Models.load(None, model_settings, db=None)
    shipped, encoder = teach_base(task, models)
    if not getattr(shipped, "needs_embeddings", False):
        report.message = f"teach needs the builtin {task} head ([models] {task}_model = \"builtin\")"
        return
    labels = taught.current_labels(db, task)
    x, y, groups, report.no_vector = training_set(con, labels, models.encoder.name, fit.classes(task))
    if encoder.name != models.encoder.name and len(y):
        x = route_vectors(con, labels, models.encoder.name, fit.classes(task), encoder, writable)
    report.n_train = len(y)
    k = len(fit.classes(task))
    if len(y) < fit.MIN_LABELS or len(np.unique(y)) < 2:
        report.message = (f"not taught: {len(y)} usable labels over {len(np.unique(y))} classes; "
                          f"needs at least {fit.MIN_LABELS} over 2 classes")
        return
    layers, config = shipped.head.layers, shipped.head.config
    offset = fit.class_offsets(task, layers, config, x)
    mix_weight = None
    if task == "sentiment":
        nested = fit.nested_cross_validate(offset, x, y, groups, k)
        report.cv_macro_f1, report.shipped_macro_f1 = nested.mix_macro_f1, nested.shipped_macro_f1
    else:
        report.cv_macro_f1, report.shipped_macro_f1 = fit.cross_validate(offset, x, y, groups, k, False)
    report.accepted = report.cv_macro_f1 > report.shipped_macro_f1
    version = taught.next_version(db, task)
    row = {"task": task, "encoder": encoder.name, "version": version, "path": None, "head_version": None,
           "base_version": shipped.version, "n_labels": len(y), "labels_batch": taught.last_batch(db, task),
           "cv_macro_f1": report.cv_macro_f1, "shipped_macro_f1": report.shipped_macro_f1,
           "mix_weight": None, "accepted": report.accepted}
    figures = (f"cross-validated macro-F1 {report.cv_macro_f1:.3f} vs the shipped head's "
               f"{report.shipped_macro_f1:.3f} on the same {len(y)} labels"
               + (" (nested: the mix weight chosen within each outer fold)" if task == "sentiment" else ""))
    if report.accepted:
        if task == "sentiment":
            correction, mix_weight, _, _ = fit.fit_mix(offset, x, y, groups, k)
            row["mix_weight"] = mix_weight
            figures += f", on {encoder.name}, mix weight {mix_weight:g}"
        else:
            correction = fit.fit_correction(offset, x, y, k, learn_scale=False)
        new_layers, changes = fit.taught_layers(task, layers, config, correction)
        out = taught.heads_root(db) / task / f"v{version}"
        cfg = {**config, **changes, "name": f"{task}-taught-v{version}", "encoder": encoder.name,
               "taught": {"base": shipped.version, "labels": len(y), "labels_batch": row["labels_batch"],
                          "classes": list(fit.classes(task)), "scale": correction.scale, "mix_weight": mix_weight,
                          "l2": fit.L2, "cv_macro_f1": report.cv_macro_f1,
                          "shipped_macro_f1": report.shipped_macro_f1, "folds": fit.FOLDS}}
        cfg.pop("train", None)
        save_head(out, new_layers, cfg)
        from pipelines.models.heads import Head

        row.update(path=str(out.resolve()), head_version=Head.load(out).version)
        report.head = row["head_version"]
        report.message = (f"taught {row['head_version']}: {figures}; active from the next enrich "
                          f"(`python -m pipelines run`), which rescores from the stored embeddings")
    else:
        report.message = (f"refused: {figures}; the shipped head stays active. More labels (or labels on "
                          "the contacts it gets wrong: see the dashboard's Explore page) may help")
    taught.register_head(db, row)


def route_vectors(con, labels: pd.DataFrame, shared: str, classes: tuple[str, ...], encoder, writable: bool):
    """`encoder`'s vectors of the rows `training_set` returns (same order): read from the embedding
    store under `encoder`'s own name, the rest encoded and, on a writable warehouse, stored there (the
    next enrich then reuses them)."""
    from pipelines.embeddings.index import StoreIndex
    from pipelines.embeddings.store import encode_units

    wanted = labels[labels["label"].isin(classes)][["interaction_id", "label"]]
    with registered(con, wanted=wanted):
        df = con.execute("""
            SELECT md5(i.text) AS h, i.text
            FROM wanted w JOIN staging.interactions i USING (interaction_id)
            JOIN enriched.embeddings e ON e.text_hash = md5(i.text) AND e.encoder = ?
            ORDER BY w.interaction_id""", [shared]).fetch_df()
    hashes, texts = df["h"].tolist(), dict(zip(df["h"], df["text"]))
    index = StoreIndex.load(con, encoder)
    missing = [h for h in dict.fromkeys(hashes) if h not in index.stored(hashes)]
    fresh = {}
    if missing:
        vectors = encode_units(encoder, [texts[h] for h in missing]).vectors
        fresh = dict(zip(missing, vectors))
        if writable:
            index.store(missing, vectors)
    stored = [h for h in hashes if h not in fresh]
    old = dict(zip(stored, index.vectors(stored))) if stored else {}
    return np.stack([fresh[h] if h in fresh else old[h] for h in hashes]).astype(np.float32)


def training_set(con, labels: pd.DataFrame, encoder: str, classes: tuple[str, ...]):
    """(x, y, groups, n without a vector) of the labelled interactions' stored embeddings."""
    wanted = labels[labels["label"].isin(classes)][["interaction_id", "label"]]
    with registered(con, wanted=wanted):
        df = con.execute("""
            SELECT w.label, coalesce(i.customer_id, i.interaction_id) AS grp, e.embedding
            FROM wanted w JOIN staging.interactions i USING (interaction_id)
            LEFT JOIN enriched.embeddings e ON e.text_hash = md5(i.text) AND e.encoder = ?
            ORDER BY w.interaction_id""", [encoder]).fetch_df()
    has = df["embedding"].notna().to_numpy()
    df = df[has]
    x = np.stack(df["embedding"].to_numpy()).astype(np.float32) if len(df) else np.zeros((0, 384), np.float32)
    y = df["label"].map({c: i for i, c in enumerate(classes)}).to_numpy(dtype=np.int64)
    return x, y, df["grp"].to_numpy(), int((~has).sum())


def pending_tasks(db: Path, encoders: str | dict[str, str]) -> list[str]:
    """Head tasks with labels newer than the last teach attempt on the encoder each is taught on
    (`encoders`: task -> encoder name, or one name for both), e.g. dashboard corrections."""
    if not taught.labels_path(db).exists():
        return []
    if isinstance(encoders, str):
        encoders = {"sentiment": encoders, "emotion": encoders}
    on = pd.DataFrame(list(encoders.items()), columns=["task", "encoder"])
    with taught.open_labels(db, read_only=True) as con, registered(con, on=on):
        rows = con.execute("""
            SELECT l.task FROM labels l JOIN "on" o USING (task)
            WHERE l.task IN ('sentiment', 'emotion')
            GROUP BY l.task, o.encoder
            HAVING max(l.batch_id) > coalesce((SELECT max(h.labels_batch) FROM heads h
                                                WHERE h.task = l.task AND h.encoder = o.encoder), 0)
            ORDER BY l.task""").fetchall()
    return [r[0] for r in rows]


def teach_pending(con, db: Path | None, models) -> tuple[list[str], bool]:
    """Teach every task with new labels (the enrich stage calls this first): (report lines, any accepted)."""
    if db is None:
        return [], False
    lines, accepted = [], False
    for task in pending_tasks(db, {t: teach_encoder_name(t, models) for t in ("sentiment", "emotion")}):
        report = teach(db, task, models=models, con=con)
        lines.append(f"teach {task}: {report.lines()[-1]}")
        accepted = accepted or report.accepted
    return lines, accepted


def reset(db: Path, task: str) -> str:
    """Deactivate the task's taught heads: the shipped head is used again (labels are kept)."""
    with taught.open_labels(db) as con:
        n = con.execute("UPDATE heads SET active = false WHERE task = ? AND active RETURNING version", [task]).fetchall()
    return f"{task}: {len(n)} taught head(s) deactivated; the shipped head is active again"


def summary(db: Path) -> str:
    """Stored labels and teach attempts, as JSON lines (for `teach --status`)."""
    with taught.open_labels(db, read_only=True) as con:
        counts = con.execute("SELECT task, label, count(*) FROM current_labels GROUP BY ALL ORDER BY ALL").fetchall()
    hist = taught.history(db)
    lines = [json.dumps({"task": t, "label": lb, "labels": n}) for t, lb, n in counts]
    for r in hist.to_dict("records"):
        lines.append(json.dumps({k: (v if not isinstance(v, pd.Timestamp) else str(v)) for k, v in r.items()},
                                default=str))
    return "\n".join(lines) or "no labels stored"
