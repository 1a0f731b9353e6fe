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


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_slows_then_locks_out_a_guesser() -> None:
    clock = FakeClock()
    throttle = auth.Throttle(clock=clock)
    allowed = 0
    for _ in range(50):  # 50 guesses in one second
        if throttle.wait("10.0.0.9") == 0:
            allowed += 1
            throttle.failed("10.0.0.9")
        clock.now += 0.02
    assert allowed == 3, "3 free tries, then a 1 s pause"
    assert throttle.wait("10.0.0.7") == 0, "another client is not slowed"
    for _ in range(20):  # keep guessing as fast as the pauses allow
        clock.now += throttle.wait("10.0.0.9")
        if throttle.wait("10.0.0.9") > throttle.max_delay:
            break
        throttle.failed("10.0.0.9")
    assert throttle.wait("10.0.0.9") > 14 * 60, "10 wrong tries in a row: locked for 15 minutes"
    clock.now += throttle.lockout_s
    assert throttle.wait("10.0.0.9") == 0
    throttle.succeeded("10.0.0.9")
    assert throttle.wait("10.0.0.9") == 0


def test_password_form_refuses_fast_guesses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = dashboard_fixture.build(tmp_path / "voc.duckdb", n=120)
    monkeypatch.setenv("VOC_DB", str(db))
    monkeypatch.setenv("VOC_DASHBOARD_AUTH", "password")
    monkeypatch.chdir(ROOT)
    auth._throttle.clear()
    auth._throttle().clock = lambda: 1000.0  # time stands still: the pauses never run out
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["dashboard"] = {"password": "open sesame"}
    at.run()
    for guess in ("a", "b", "c", "d"):
        at.text_input[0].input(guess)
        at.button[0].click()
        at.run()
    assert any("Too many wrong passwords" in e.value for e in at.error)
    at.text_input[0].input("open sesame")
    at.button[0].click()
    at.run()
    assert not at.metric, "even the right password waits out the pause"
    auth._throttle.clear()
