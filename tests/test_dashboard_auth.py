"""Optional sign-in: off by default, a shared password from secrets, bad settings rejected."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).parent))
import dashboard_fixture  # noqa: E402

from dashboard import auth  # noqa: E402
from pipelines.settings import SettingsError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def test_password_comparison() -> None:
    assert auth.password_ok("s3cret", "s3cret")
    assert not auth.password_ok("s3cre", "s3cret")
    assert not auth.password_ok("", "")  # an unset password never opens the door


def test_unknown_mode_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOC_DASHBOARD_AUTH", "ldap")
    with pytest.raises(SettingsError, match="none, password or oidc"):
        auth.settings()


def test_password_mode_gates_every_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = dashboard_fixture.build(tmp_path / "voc.duckdb", n=120)
    monkeypatch.setenv("VOC_DB", str(db))
    monkeypatch.setenv("VOC_DASHBOARD_AUTH", "password")
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["dashboard"] = {"password": "open sesame"}
    at.run()
    assert not at.exception
    assert not at.metric and not at.get("plotly_chart"), "nothing shows before sign-in"
    at.text_input[0].input("wrong")
    at.button[0].click()
    at.run()
    assert not at.metric and any("Wrong password" in e.value for e in at.error)
    at.text_input[0].input("open sesame")
    at.button[0].click()
    at.run()
    assert not at.exception
    assert any(m.label == "Contacts" for m in at.metric)
