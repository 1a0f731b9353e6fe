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
from dataclasses import dataclass

import streamlit as st

from pipelines.settings import SettingsError, load_section

SESSION_KEY = "voc_signed_in"


@dataclass(frozen=True)
class DashboardSettings:
    """`[dashboard]` settings."""

    auth: str = "none"  # none | password | oidc


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
        with st.form("sign_in"):
            typed = st.text_input("Password", type="password")
            if st.form_submit_button("Sign in") and password_ok(typed, expected):
                st.session_state[SESSION_KEY] = True
                st.rerun()
            elif typed:
                st.error("Wrong password.")
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
