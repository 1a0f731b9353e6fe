"""The CLI turns the project's own errors into one-line messages and lets a bug keep its traceback."""

from __future__ import annotations

import argparse

import pytest

from pipelines import cli
from pipelines.errors import MissingPathError, UserError
from pipelines.ingest import IngestError
from pipelines.settings import SettingsError
from pipelines.warehouse import WarehouseError


def _command_raising(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    def handler(args: argparse.Namespace, settings: object) -> int:
        raise exc

    real = cli.build_parser

    def parser() -> argparse.ArgumentParser:
        built = real()
        parse = built.parse_args
        built.parse_args = lambda argv=None: argparse.Namespace(**{**vars(parse(argv)), "func": handler})
        return built

    monkeypatch.setattr(cli, "build_parser", parser)


@pytest.mark.parametrize("exc", [UserError("fix it: use --x"), IngestError("a.csv: fix it"),
                                 SettingsError("voc.toml: fix it"), WarehouseError("locked: fix it"),
                                 MissingPathError("no warehouse at x.duckdb; build one")])
def test_user_errors_are_one_line_messages(monkeypatch, capsys, exc) -> None:
    _command_raising(monkeypatch, exc)
    assert cli.main(["publish"]) == 2
    assert capsys.readouterr().err == f"error: {exc}\n"


@pytest.mark.parametrize("exc", [ValueError("a bug"), FileNotFoundError("a bug's missing file"), KeyError("k")])
def test_a_bug_keeps_its_traceback(monkeypatch, exc) -> None:
    _command_raising(monkeypatch, exc)
    with pytest.raises(type(exc)):
        cli.main(["publish"])


def test_verbose_shows_the_traceback_of_a_user_error(monkeypatch) -> None:
    _command_raising(monkeypatch, IngestError("a.csv: fix it"))
    with pytest.raises(IngestError):
        cli.main(["-v", "publish"])
