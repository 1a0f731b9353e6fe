"""`[analytics]` settings: the conventions every mart uses (stored in `marts.build_info`).

Example `voc.toml`::

    [analytics]
    default_window_hours = 24
    transfer_gap_minutes = 10
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import SettingsError, load_section


@dataclass(frozen=True)
class AnalyticsSettings:
    """Repeat-contact conventions, statistics and money parameters (docs/metrics.md names each one)."""

    windows_hours: tuple[int, ...] = (24, 48, 168, 720)  # QueueMetrics/Capturi/Genesys windows
    default_window_hours: int = 168                      # industry default: 7 days
    transfer_gap_minutes: float = 15.0                   # Capturi: a transfer or dropped call
    same_channel_transfer: bool = True                   # transfers only on the same channel
    same_issue_level: str = "parent"                     # same issue = same parent reason | "reason"
    reply_target_hours_email: float = 24.0               # service level: email answered within 24 h
    reply_target_hours_social: float = 1.0               # social posts within 1 h
    min_volume: int = 30                                 # below it a rate/impact is flagged
    bootstrap_samples: int = 400
    confidence: float = 0.95
    seed: int = 42
    discount_rate: float = 0.10                          # per year, a fraction
    retention_rate: float = 0.80                         # per year, a fraction, when not measured
    margin_share: float = 0.25                           # margin = share x revenue when margin missing
    clv_horizon_months: int = 36                         # BG/NBD + Gamma-Gamma horizon
    # L2 penalties tried in order until BG/NBD and Gamma-Gamma converge (small or short histories
    # often fail at 0.01); only when all fail does CLV fall back to margin-retention.
    clv_penalizers: tuple[float, ...] = (0.01, 0.1, 1.0)
    churn_heuristic_share: float = 0.5                   # Promoter.io: 50% of annual revenue
    call_handle_s: float = 360.0                         # default handle times when duration unknown
    chat_handle_s: float = 600.0
    email_handle_s: float = 480.0
    social_handle_s: float = 240.0
    emerging_z: float = 3.0
    emerging_baseline_weeks: int = 8
    emerging_min_volume: int = 10
    terms_top_n: int = 25
    terms_min_count: int = 3
    terms_max_docs: int = 1000                           # per reason and group, for speed
    callback_limit: int = 1000
    proactive_min_contacts: int = 3
    proactive_max_gap_cv: float = 0.5
    summary_period_days: int = 28
    topic_model_version: str = ""                        # empty: the current (latest) version

    def __post_init__(self) -> None:
        for name in ("discount_rate", "retention_rate", "margin_share", "churn_heuristic_share", "confidence"):
            value = getattr(self, name)
            if not 0 <= value < 1 or (name == "retention_rate" and value == 0):
                raise SettingsError(
                    f"[analytics] {name} = {value} must be a fraction in [0, 1) "
                    f"(write 0.1 for 10%, not 10)"
                )
        if self.same_issue_level not in ("parent", "reason"):
            raise SettingsError(
                f"[analytics] same_issue_level = {self.same_issue_level!r} must be 'parent' (the reason a "
                "CX leader sees) or 'reason' (the sub-reason)"
            )
        if self.default_window_hours not in self.windows_hours:
            raise SettingsError(
                f"[analytics] default_window_hours = {self.default_window_hours} is not one of "
                f"windows_hours {self.windows_hours}; add it there"
            )
        object.__setattr__(self, "windows_hours", tuple(int(w) for w in self.windows_hours))

    def handle_times(self) -> dict[str, float]:
        """Default handle time per channel in seconds (used when duration_s is missing)."""
        return {"call": self.call_handle_s, "chat": self.chat_handle_s,
                "email": self.email_handle_s, "social": self.social_handle_s}

    def as_rows(self) -> list[tuple[str, str]]:
        """(key, value) pairs for `marts.build_info`."""
        return [(f.name, str(getattr(self, f.name))) for f in dataclasses.fields(self)]


def load(path: Path | None = None) -> AnalyticsSettings:
    """The `[analytics]` section of the settings file, with env overrides."""
    return load_section("analytics", AnalyticsSettings, path)
