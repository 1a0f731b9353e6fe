"""The README and the CLI stay in sync: every command the README shows exists, and vice versa."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.cli import build_parser

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _cli_commands() -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return set(sub.choices)


def test_every_readme_command_exists():
    shown = set(re.findall(r"python -m pipelines (?:--db \S+ )?([a-z][a-z-]*)", README))
    assert shown, "the README shows no pipeline command"
    assert shown <= _cli_commands(), f"README shows commands the CLI lacks: {shown - _cli_commands()}"


def test_every_cli_command_is_documented_in_readme_table():
    table = set(re.findall(r"^\| `([a-z-]+)", README, flags=re.M))
    assert _cli_commands() <= table, f"commands missing from the README table: {_cli_commands() - table}"


def test_every_make_target_in_readme_exists():
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z-]+):", makefile, flags=re.M))
    shown = set(re.findall(r"make ([a-z][a-z-]+)", README)) | set(re.findall(r"`(bench-[a-z]+)`", README))
    assert shown <= targets, f"README names make targets that do not exist: {shown - targets}"


def test_every_metric_source_names_a_section_of_metrics_md():
    """The dashboard's "Source" of a figure points at a section that exists in docs/metrics.md."""
    from analytics.definitions import DEFINITIONS

    text = (Path(__file__).resolve().parents[1] / "docs" / "metrics.md").read_text(encoding="utf-8")
    sections = {h.strip() for h in re.findall(r"^## (.+)$", text, re.M)}
    missing = {row[0]: row[5] for row in DEFINITIONS
               if row[5].split(";")[0].removeprefix("docs/metrics.md, ") not in sections}
    assert not missing, f"sources naming no section of docs/metrics.md: {missing}"
