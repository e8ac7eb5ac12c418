-- reconcile_problem_totals: the source of the reconciliation metrics, over every reconciled day.
-- Inputs:  reconcile_results.
-- Outputs: one row: mismatched (store-days whose totals disagree), gap_days (store-days with missing
--          seqs) and seq_gaps (missing seqs in all), each 0 when nothing was reconciled.
SELECT
  CAST(count(*) FILTER (WHERE status = 'mismatch') AS BIGINT) AS mismatched,
  CAST(count(*) FILTER (WHERE seq_gaps > 0) AS BIGINT)        AS gap_days,
  CAST(coalesce(sum(seq_gaps), 0) AS BIGINT)                  AS seq_gaps
FROM reconcile_results
