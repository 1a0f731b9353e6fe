"""Settings: one dataclass per module, filled from `voc.toml`, then `VOC_<SECTION>_<FIELD>` env vars.

Example `voc.toml`::

    [ingest]
    timezone = "Europe/Warsaw"
    keep_originals = false

CLI flags override both; each command applies its own flags with `dataclasses.replace`.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from pathlib import Path
from typing import TypeVar

from pipelines.errors import UserError

T = TypeVar("T")

DEFAULT_DB = Path("data/voc.duckdb")
CONFIG_ENV = "VOC_CONFIG"


class SettingsError(UserError, ValueError):
    """A settings file or variable that cannot be used; the message says which and how to fix it."""


def config_path() -> Path | None:
    """The settings file in force: `$VOC_CONFIG`, else `./voc.toml` when it exists."""
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    local = Path("voc.toml")
    return local if local.exists() else None


def default_db() -> Path:
    """The working warehouse: `$VOC_DB`, else `data/voc.duckdb`."""
    return Path(os.environ.get("VOC_DB", DEFAULT_DB))


def _coerce(raw: str, annotation: object, name: str) -> object:
    kind = annotation if isinstance(annotation, type) else str(annotation)
    text = str(kind)
    try:
        if kind is bool or text == "bool":
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if kind is int or text == "int":
            return int(raw)
        if kind is float or text == "float":
            return float(raw)
        if "tuple" in text or "list" in text:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a valid {text}; fix the environment variable") from exc
    return raw


def load_section(section: str, cls: type[T], path: Path | None = None) -> T:
    """Build `cls` (a dataclass) from `[section]` of the settings file and `VOC_SECTION_FIELD` env vars."""
    values: dict[str, object] = {}
    path = path or config_path()
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"cannot read settings file {path}: {exc}") from exc
        table = data.get(section, {})
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = set(table) - known
        if unknown:
            raise SettingsError(
                f"{path}: unknown key(s) {sorted(unknown)} in [{section}]; known keys: {sorted(known)}"
            )
        values.update(table)
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        env = f"VOC_{section}_{field.name}".upper()
        if env in os.environ:
            values[field.name] = _coerce(os.environ[env], hints.get(field.name, str), env)
    for key, value in list(values.items()):
        if isinstance(value, list):
            values[key] = tuple(value)
    return cls(**values)
