"""Ingest: source files -> raw + staging. `ingest_paths` is the one entry point (CLI, demo, tests).

Every file goes through the one load path of `pipelines.ingest.load`. Formats differ only in
how their rows are landed:
- tabular files (`pipelines.ingest.tabular`): CSV/TSV/JSONL read by DuckDB;
- Python parsers (`pipelines.ingest.transcripts`, `pipelines.ingest.emails`): each module exposes
  `PARSERS` (format -> fn(path, options) -> Iterator[Parsed]) and `detect_format(path)`; their
  records are landed by `pipelines.ingest.load.land`. They are imported on first use.
A gzip or zip export, or an .xlsx workbook, is opened first (`pipelines.ingest.containers`) and
its content loaded under the archive's own path and hash.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import duckdb

from pipelines.errors import MissingPathError, UserError
from pipelines.ingest import load
from pipelines.ingest.records import FileReport, IngestOptions, Parsed
from pipelines.redact import redact

log = logging.getLogger(__name__)

KINDS = ("transcripts", "emails", "social", "customers", "transactions")
PARSER_MODULES = {
    "transcripts": "pipelines.ingest.transcripts",
    "emails": "pipelines.ingest.emails",
    "social": "pipelines.ingest.social_twitter",
}

__all__ = [
    "KINDS",
    "FileReport",
    "IngestOptions",
    "Parsed",
    "IngestError",
    "formats",
    "ingest_paths",
    "detect_format",
    "expand_paths",
]


class IngestError(UserError, ValueError):
    """A file or option that cannot be ingested; the message names the file and the fix."""


def _parser_module(kind: str) -> ModuleType | None:
    name = PARSER_MODULES.get(kind)
    if not name:
        return None
    # Imported on first use (the parsers import this package), never behind a fallback.
    return importlib.import_module(name)


def formats(kind: str) -> dict[str, str]:
    """Format name -> 'tabular' or 'parser', for the formats of `kind` available now."""
    from pipelines.ingest import tabular

    found = {fmt: "tabular" for fmt in tabular.FORMATS.get(kind, {})}
    module = _parser_module(kind)
    if module is not None:
        found.update({fmt: "parser" for fmt in getattr(module, "PARSERS", {})})
    return found


def detect_format(kind: str, path: Path) -> str | None:
    """The format of `path` for `kind`, from its extension and content; None when unknown."""
    from pipelines.ingest import tabular

    module = _parser_module(kind)
    sniff = getattr(module, "detect_format", None)
    if sniff is not None and getattr(module, "SNIFFS_CONTENT", False):
        fmt = sniff(path)  # a shape the bulk reader would misread (Twitter API v2 pages)
        if fmt:
            return fmt
    fmt = tabular.detect_format(kind, path)
    if fmt:
        return fmt
    return sniff(path) if sniff is not None else None


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; directories expand to their files (recursively, sorted, hidden ones skipped)."""
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            out.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.exists():
            out.append(path)
        else:
            raise MissingPathError(f"{path}: no such file or directory")
    return out


def _load_one(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    path: Path,
    fmt: str | None,
    options: IngestOptions,
    batch: load.ParsedFiles | None = None,
) -> FileReport:
    """Load `path`; with `batch`, a parsed file joins it (written at its `flush`), a tabular one flushes it first."""
    from pipelines.ingest import containers, core

    state = core.begin_file(con, path, replace=options.replace)
    if batch is not None and batch.holds(state):  # the same content or path twice: as if loaded one by one
        batch.flush()
        state = core.begin_file(con, path, replace=options.replace)
    if state.already_loaded_as:  # do not open or parse what is already loaded
        return core.skipped_report(state, path, kind, fmt or "?")
    with containers.opened(path) as inner:
        return _load_inner(con, kind, path, inner, fmt, options, state, batch)


def _load_inner(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    path: Path,
    inner: Path,
    fmt: str | None,
    options: IngestOptions,
    state: object,
    batch: load.ParsedFiles | None = None,
) -> FileReport:
    from pipelines.ingest import tabular
    from pipelines.ingest.encoding import detect_encoding

    fmt = fmt or detect_format(kind, inner)
    available = formats(kind)
    if fmt is None:
        raise IngestError(
            f"{path}: cannot tell its format for kind '{kind}'; pass --format "
            f"(one of: {', '.join(sorted(available)) or 'none installed'})"
        )
    if fmt not in available:
        raise IngestError(
            f"{path}: format '{fmt}' is not available for '{kind}'; "
            f"choose one of: {', '.join(sorted(available))}"
        )
    if available[fmt] == "tabular":
        if batch is not None:
            batch.flush()  # the batch's files were added first: they load first
        report = tabular.load(con, inner, kind, fmt, options, state=state, report_path=path)
    else:
        module = _parser_module(kind)
        parse: Callable[[Path, IngestOptions], Iterator[Parsed]] = module.PARSERS[fmt]  # type: ignore[union-attr]
        encoding = None if kind == "emails" else detect_encoding(inner, options.encoding)
        records = parse(inner, options)
        if batch is None:
            report = load.land(con, inner, kind, fmt, records, options, encoding, state=state)
        else:
            report = batch.add(inner, kind, fmt, records, encoding, state=state)
    report.path = str(path)
    return report


def safe_error(exc: BaseException, path: Path) -> str:
    """A one-line reason for a file that failed: never the raw row DuckDB quotes, personal data redacted."""
    if isinstance(exc, RecursionError):
        return (
            f"{path}: nested too deeply to read (JSON or XML nested thousands of levels); "
            "the file is probably corrupt or not an export: check how it was produced"
        )
    text = str(exc).split("\nOriginal Line", 1)[0].split("\n", 1)[0].strip()
    text = redact(text)
    reason = text if str(path) in text else f"{path}: {text}"
    if isinstance(exc, duckdb.Error):
        reason += "; check that the file is a valid export of this kind, or set --format/--encoding"
    return reason


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    paths: list[Path],
    options: IngestOptions,
    fmt: str | None = None,
) -> list[FileReport]:
    """Load every file under `paths` as `kind`; one report per file, errors kept per file.

    >>> ingest_paths(con, "social", [Path("Tweets.csv")], IngestOptions())  # doctest: +SKIP
    """
    from pipelines.ingest import vocab

    if kind not in KINDS:
        raise IngestError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    if options.channel and vocab.channel(options.channel) is None:
        raise IngestError(f"--channel {options.channel!r}: use one of {', '.join(vocab.CHANNELS)}")

    from pipelines.ingest.file_dates import parse_fallback

    parse_fallback(options.occurred_at)  # a bad --occurred-at is an error before anything loads
    files = expand_paths(paths)
    if not files:
        raise IngestError(f"no files found under {', '.join(map(str, paths))}")
    from pipelines.ingest import identity, tabular

    # SQL functions are registered before any batch's transaction: one registered inside a
    # transaction that rolls back can be neither called nor registered again
    tabular.register_redaction(con, options)
    identity.register(con)
    reports: list[FileReport] = []
    for group in _batches(files):
        if len(group) > 1:
            batched = _load_batch(con, kind, group, fmt, options)
            if batched is not None:
                reports += batched
                continue
        reports += [_load_alone(con, kind, path, fmt, options) for path in group]
    return reports


BATCH_FILES = 200  # small files loaded in one transaction (a commit costs more than a small file)
BATCH_FILE_BYTES = 256 * 1024  # a file this size or larger loads in its own transaction


def _batches(files: list[Path]) -> Iterator[list[Path]]:
    """Runs of consecutive small files (up to BATCH_FILES), and each larger file alone."""
    group: list[Path] = []
    for path in files:
        try:
            small = path.stat().st_size < BATCH_FILE_BYTES
        except OSError:
            small = False
        if not small:
            if group:
                yield group
                group = []
            yield [path]
            continue
        group.append(path)
        if len(group) >= BATCH_FILES:
            yield group
            group = []
    if group:
        yield group


def _load_batch(
    con: duckdb.DuckDBPyConnection, kind: str, group: list[Path], fmt: str | None, options: IngestOptions
) -> list[FileReport] | None:
    """Load `group` in one transaction, its parsed files landed and written together
    (`load.ParsedFiles`); None (all rolled back) when any file fails, to retry them alone."""
    try:
        with load.batch(con):
            files = load.ParsedFiles(con, options)
            reports = [_load_one(con, kind, path, fmt, options, files) for path in group]
            files.flush()
    except (ValueError, OSError, duckdb.Error, RecursionError):
        log.debug("a batch of %d files failed: loading them one by one", len(group), exc_info=True)
        return None
    finally:
        load.drop_temps(con)
    return reports


def _load_alone(
    con: duckdb.DuckDBPyConnection, kind: str, path: Path, fmt: str | None, options: IngestOptions
) -> FileReport:
    try:
        return _load_one(con, kind, path, fmt, options)
    except (ValueError, OSError, duckdb.Error, RecursionError) as exc:
        log.debug("loading %s failed", path, exc_info=not isinstance(exc, RecursionError))
        return FileReport(path=str(path), kind=kind, format=fmt or "?", error=safe_error(exc, path))
