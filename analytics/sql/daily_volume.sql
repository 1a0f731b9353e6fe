-- marts.daily_volume: customer contacts per day x channel x reason x segment x language, with the
-- additive counts every headline figure is a ratio of (analytics/definitions.py CONTACT_MEASURES;
-- docs/metrics.md). The dashboard and marts.executive_summary both sum these columns.
-- `repeats` are blamed on the triggering contact (its day, channel and reason), not on the repeat.
WITH final AS (
    SELECT day, channel, reason, parent_reason,
           coalesce(segment, '(none)') AS segment, coalesce(language, '(none)') AS language,
           /*measures*/
    FROM marts.interactions
    GROUP BY ALL
)
SELECT * FROM final ORDER BY day, channel, reason, segment, language
