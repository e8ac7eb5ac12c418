-- reconcile_results_for_date: what reconcile_daily found for one business day, per store.
-- Inputs:  $business_date; reconcile_results.
-- Outputs: every column of reconcile_results (0005_reconcile_results.sql documents them), one row per
--          store reconciled that day, ordered by store_id.
SELECT *
FROM reconcile_results
WHERE business_date = CAST($business_date AS DATE)
ORDER BY store_id
