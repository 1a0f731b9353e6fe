"""Optional sign-in: off for the demo; a shared password or an OIDC provider for deployments.

Choose with `[dashboard] auth` in voc.toml or `VOC_DASHBOARD_AUTH`:
- `none` (default): no sign-in; serve on localhost or behind your own proxy only.
- `password`: one shared password, `password = "..."` under `[dashboard]` in `.streamlit/secrets.toml`.
- `oidc`: Streamlit's `st.login()` with the `[auth]` section of `.streamlit/secrets.toml`
  (redirect_uri, cookie_secret, client_id, client_secret, server_metadata_url); optionally
  `allowed_domains = ["example.com"]` under `[dashboard]` restricts who gets in.
See docs/dashboard.md.
"""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass, field

import streamlit as st

from pipelines.settings import SettingsError, load_section

SESSION_KEY = "voc_signed_in"


@dataclass(frozen=True)
class DashboardSettings:
    """`[dashboard]` settings."""

    auth: str = "none"  # none | password | oidc
    # gzip Streamlit's frontend bundle, compressed once at server start (dashboard.static_gzip)
    compress_static: bool = True


def _secrets(section: str) -> dict:
    try:
        return dict(st.secrets.get(section, {}))
    except Exception:  # no secrets.toml at all: Streamlit raises on first access
        return {}


def settings() -> DashboardSettings:
    """The sign-in mode, validated."""
    chosen = load_section("dashboard", DashboardSettings)
    if chosen.auth not in {"none", "password", "oidc"}:
        raise SettingsError(f"[dashboard] auth = {chosen.auth!r}; use none, password or oidc")
    return chosen


def password_ok(typed: str, expected: str) -> bool:
    """Constant-time comparison (an empty expected password never matches)."""
    return bool(expected) and hmac.compare_digest(typed.encode(), expected.encode())


@dataclass
class Throttle:
    """Wrong-password throttle shared by every session of the server process.

    The first `free_tries` wrong passwords cost nothing (typos); after that each next try waits twice
    as long (1 s, 2 s, 4 s... up to `max_delay`);
    `lockout_after` wrong tries in a row lock sign-in for `lockout_s`. Keyed by the client's address
    (all clients share one key when Streamlit does not know it), so a script opening new sessions
    gains nothing. A right password clears its key.
    """

    free_tries: int = 3
    base_delay: float = 1.0
    max_delay: float = 30.0
    lockout_after: int = 10
    lockout_s: float = 900.0
    clock: object = time.monotonic
    _failures: dict[str, tuple[int, float]] = field(default_factory=dict)  # key -> (count, last at)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, key: str) -> float:
        """Seconds before `key` may try again (0: now)."""
        with self._lock:
            count, last = self._failures.get(key, (0, 0.0))
        if count < self.free_tries:
            return 0.0
        pause = self.lockout_s if count >= self.lockout_after else min(
            self.base_delay * 2 ** (count - self.free_tries), self.max_delay
        )
        return max(0.0, last + pause - self.clock())

    def failed(self, key: str) -> None:
        """Count a wrong password for `key`."""
        with self._lock:
            count, _ = self._failures.get(key, (0, 0.0))
            self._failures[key] = (count + 1, self.clock())

    def succeeded(self, key: str) -> None:
        """Forget `key`'s failures."""
        with self._lock:
            self._failures.pop(key, None)


@st.cache_resource
def _throttle() -> Throttle:
    return Throttle()


def _client_key() -> str:
    """The client's address (behind a proxy: the proxy's, i.e. one key for everyone)."""
    try:
        address = st.context.ip_address
    except Exception:  # no request context: one shared key
        return ""
    return address if isinstance(address, str) else ""


def _password_form(expected: str) -> None:
    throttle, key = _throttle(), _client_key()
    with st.form("sign_in"):
        typed = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in")
    if not submitted:
        return
    wait = throttle.wait(key)
    if wait > 0:
        locked = wait > throttle.max_delay
        st.error(
            f"Too many wrong passwords: sign-in is locked for {wait / 60:.0f} more minute(s)."
            if locked else f"Too many wrong passwords: try again in {wait:.0f} s."
        )
        return
    if password_ok(typed, expected):
        throttle.succeeded(key)
        st.session_state[SESSION_KEY] = True
        st.rerun()
    throttle.failed(key)
    st.error("Wrong password.")


def require_sign_in() -> None:
    """Stop the page unless the visitor is signed in under the configured mode."""
    mode = settings().auth
    if mode == "none" or st.session_state.get(SESSION_KEY):
        return
    if mode == "password":
        expected = str(_secrets("dashboard").get("password", ""))
        if not expected:
            st.error("Sign-in is set to 'password' but .streamlit/secrets.toml has no [dashboard] password.")
            st.stop()
        _password_form(expected)
        st.stop()
    # oidc
    if not st.user.is_logged_in:
        st.title("Sign in")
        st.button("Sign in with your company account", on_click=st.login)
        st.stop()
    domains = tuple(_secrets("dashboard").get("allowed_domains", ()))
    email = str(st.user.get("email", ""))
    if domains and not email.endswith(tuple("@" + d for d in domains)):
        st.error(f"{email} is not allowed here.")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    st.sidebar.button("Sign out", on_click=st.logout)
