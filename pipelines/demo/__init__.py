"""The seeded, reproducible demo data set (formats and planted patterns: `pipelines.demo.generate`).

>>> from pipelines.demo import generate, planted_truth
>>> files = generate(Path("data/demo"), seed=7)       # {"transcripts": [...], "emails": [...], ...}
>>> planted_truth()["delivery_spike"]["week_start"]
"""

from pipelines.demo.generate import DEFAULT_END, KINDS, build, generate, planted_truth
from pipelines.demo.writers import BRAND_HANDLE, COMPANY_DOMAIN

__all__ = ["BRAND_HANDLE", "COMPANY_DOMAIN", "DEFAULT_END", "KINDS", "build", "generate", "planted_truth"]
