-- reconcile_results_for_date: what reconcile_daily found for one business day, per store.
-- Inputs:  parameter business_date (Date); reconcile_results (one partition read).
-- Outputs: every column of reconcile_results (0005_reconcile_results.sql documents them), one row per
--          store reconciled that day, ordered by store_id.
SELECT *
FROM reconcile_results
WHERE business_date = {business_date:Date}
ORDER BY store_id
