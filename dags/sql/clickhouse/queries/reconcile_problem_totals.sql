-- reconcile_problem_totals: the source of the reconciliation metrics, over every reconciled day.
-- Inputs:  reconcile_results.
-- Outputs: one row: mismatched (store-days whose totals disagree), gap_days (store-days with missing
--          seqs) and seq_gaps (missing seqs in all), each 0 when nothing was reconciled.
--          Renamed in a subquery: an alias equal to a column name would replace that column in the
--          whole query.
SELECT
  countIf(day_status = 'mismatch') AS mismatched,
  countIf(day_gaps > 0)            AS gap_days,
  sum(day_gaps)                    AS seq_gaps
FROM (SELECT status AS day_status, seq_gaps AS day_gaps FROM reconcile_results)
