-- marts.top_chains: the customers with the most repeat contacts over all the data, in the order the
-- Repeat contacts page lists them (repeats, then contacts, then customer_id), the first
-- $top_chains_kept (analytics.definitions.TOP_CHAINS_KEPT) kept.
-- The page reads it under the default filters (the whole date range, nothing else narrowed) instead
-- of grouping the 1M-row marts.verbatims per customer on a visit; with any filter set it runs this
-- same query on marts.verbatims (dashboard/queries.py top_chains).
WITH per_customer AS (
    SELECT customer_id, count(*) AS contacts, count(*) FILTER (WHERE is_repeat) AS repeats
    FROM marts.verbatims
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
),
final AS (
    SELECT row_number() OVER (ORDER BY repeats DESC, contacts DESC, customer_id) AS rank,
           customer_id, contacts, repeats
    FROM per_customer
    QUALIFY rank <= $top_chains_kept
)
SELECT * FROM final ORDER BY rank
