"""Distinctive terms within a reason: words and bigrams over-represented in repeat (or negative)
contacts versus resolved (or other) ones, scored by the log-odds ratio with an informative
Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words"); Qualtrics calls these Outliers.

Tokenising and counting run in DuckDB; only the per-term counts come to Python.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from analytics.settings import AnalyticsSettings

PRIOR_TOTAL = 1000.0  # the prior's weight, in pseudo-counts, spread by background frequency
STOPWORDS = sorted(set(
    "a an the and or but if then so to of in on at by for with from up about into over after before "
    "is are was were be been being am do does did done have has had having i me my mine we us our you "
    "your he him his she her it its they them their this that these those there here what which who "
    "whom when where why how all any both each few more most other some such no nor not only own same "
    "than too very can will just should now would could im ive dont cant its thats u ur rt amp "
    "hi hello thanks thank please get got one also still".split()
))

_COUNTS_SQL = """
WITH docs AS (
    SELECT reason, interaction_id, text,
           CASE WHEN has_same_issue_recontact THEN 'target' ELSE 'reference' END AS grp,
           'repeat_vs_resolved' AS contrast
    FROM marts.interactions
    WHERE text IS NOT NULL AND has_same_issue_recontact IS NOT NULL
    UNION ALL
    SELECT reason, interaction_id, text,
           CASE WHEN is_negative THEN 'target' ELSE 'reference' END, 'negative_vs_other'
    FROM marts.interactions
    WHERE text IS NOT NULL
),
sampled AS (
    -- a deterministic sample per reason and group keeps the build fast on millions of contacts
    SELECT * FROM docs
    QUALIFY row_number() OVER (PARTITION BY contrast, reason, grp ORDER BY hash(interaction_id)) <= $max_docs
),
tokens AS (
    SELECT contrast, reason, grp, regexp_extract_all(lower(text), '[a-z][a-z'']+') AS words FROM sampled
),
terms AS (
    SELECT contrast, reason, grp, unnest(list_filter(words, lambda w: NOT list_contains($stopwords, w))) AS term
    FROM tokens
    UNION ALL
    SELECT contrast, reason, grp,
           unnest(list_transform(range(1, len(words)), lambda i: words[i] || ' ' || words[i + 1])) AS term
    FROM tokens
)
SELECT contrast, reason, term,
       count(*) FILTER (WHERE grp = 'target') AS n_target,
       count(*) FILTER (WHERE grp = 'reference') AS n_reference
FROM terms
WHERE NOT list_contains($stopwords, split_part(term, ' ', 1)) OR NOT list_contains($stopwords, split_part(term, ' ', 2))
GROUP BY contrast, reason, term
HAVING count(*) >= $min_count
"""


def log_odds(counts: pd.DataFrame) -> pd.DataFrame:
    """Add `log_odds` and `z` to per-term counts of one corpus pair (columns n_target, n_reference).

    The prior is the term's frequency over both groups, scaled to PRIOR_TOTAL pseudo-counts, so rare
    words do not dominate.
    """
    yt = counts["n_target"].to_numpy(float)
    yr = counts["n_reference"].to_numpy(float)
    background = yt + yr
    alpha = PRIOR_TOTAL * background / max(background.sum(), 1.0)
    nt, nr = yt.sum(), yr.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = (np.log((yt + alpha) / (nt + PRIOR_TOTAL - yt - alpha))
                 - np.log((yr + alpha) / (nr + PRIOR_TOTAL - yr - alpha)))
        z = delta / np.sqrt(1 / (yt + alpha) + 1 / (yr + alpha))
    return counts.assign(log_odds=delta, z=z)


def build(con: duckdb.DuckDBPyConnection, settings: AnalyticsSettings) -> str:
    """Write `marts.distinctive_terms` (top terms per reason and contrast)."""
    counts = con.execute(_COUNTS_SQL, {"max_docs": settings.terms_max_docs, "stopwords": STOPWORDS,
                                       "min_count": settings.terms_min_count}).df()
    parts = []
    for _, group in counts.groupby(["contrast", "reason"], sort=False):
        if group["n_target"].sum() == 0 or group["n_reference"].sum() == 0:
            continue  # nothing to contrast: every contact of the reason is on one side
        scored = log_odds(group)
        # Ties broken by the term itself, so a rebuild gives the same rows whatever order DuckDB returned.
        scored = (scored[scored["n_target"] > 0]
                  .sort_values(["z", "term"], ascending=[False, True], kind="mergesort")
                  .head(settings.terms_top_n))
        parts.append(scored.assign(rank=np.arange(1, len(scored) + 1)))
    columns = ["contrast", "reason", "term", "n_target", "n_reference", "log_odds", "z", "rank"]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    con.register("_terms", table[columns])
    con.execute(
        "CREATE OR REPLACE TABLE marts.distinctive_terms AS SELECT reason::VARCHAR AS reason, "
        "contrast::VARCHAR AS contrast, term::VARCHAR AS term, n_target::BIGINT AS n_target, "
        "n_reference::BIGINT AS n_reference, log_odds::DOUBLE AS log_odds, z::DOUBLE AS z, "
        "rank::INTEGER AS rank FROM _terms ORDER BY reason, contrast, rank"
    )
    con.unregister("_terms")
    return f"{len(table)} distinctive terms"
