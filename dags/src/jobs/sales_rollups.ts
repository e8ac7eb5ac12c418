/**
 * Job sales_rollups: per business date, load the day's stored sales into the fact table, then recompute
 * every rollup from those facts. load_facts replaces the day's facts and each rollup replaces its day,
 * so a re-run (late data, retry, backfill) converges to the same tables.
 */
import type { StoredSale } from '@retail-sync/libs/domain';
import type { FactSaleLine } from '@retail-sync/libs/ports';
import { defineJob, type TaskDefinition } from '../engine/job.ts';
import { ROLLUP_NAMES } from '../warehouse/rollups.ts';
import type { DagResources } from './resources.ts';

/**
 * One fact row per sale line. Amounts stay as the receipt carries them (the sign comes from `type`, in
 * SQL); the receipt's tax and total ride on its first line only, so sums over lines count them once.
 * occurred_at is normalised to UTC.
 */
export function toFactLines(sale: StoredSale): FactSaleLine[] {
  const lines = [...sale.lines].sort((a, b) => a.line_no - b.line_no);
  return lines.map((line, index) => ({
    event_id: sale.event_id,
    store_id: sale.store_id,
    seq: sale.seq,
    line_no: line.line_no,
    business_date: sale.business_date,
    business_hour: sale.business_hour,
    occurred_at: new Date(sale.occurred_at).toISOString(),
    region: sale.region,
    timezone: sale.timezone,
    currency: sale.currency,
    type: sale.type,
    terminal_id: sale.terminal_id,
    receipt_no: sale.receipt_no,
    payment_method: sale.payment_method,
    customer_hash: sale.customer_hash,
    sku: line.sku,
    category: line.category,
    qty: line.qty,
    unit_price_minor: line.unit_price_minor,
    discount_minor: line.discount_minor,
    net_minor: line.net_minor,
    unit_cost_minor: line.unit_cost_minor,
    receipt_tax_minor: index === 0 ? sale.tax_minor : 0,
    receipt_total_minor: index === 0 ? sale.total_minor : 0,
  }));
}

const rollupTasks = Object.fromEntries(
  ROLLUP_NAMES.map((name): [string, TaskDefinition<DagResources>] => [
    name,
    { deps: ['load_facts'], run: ({ resources, partition }) => resources.warehouse.runRollup(name, partition) },
  ]),
);

export const sales_rollups = defineJob<DagResources>({
  id: 'sales_rollups',
  description: 'Facts from the order store, then every sales rollup, per business date.',
  // The full re-roll (today, yesterday, missed days); late data is picked up on every scheduler tick.
  schedule: '*/15 * * * *',
  partition: 'business_date',
  tasks: {
    load_facts: {
      run: async ({ resources, partition }) => {
        const sales = await resources.orderStore.salesForDate(partition);
        return resources.warehouse.replaceFacts(partition, sales.flatMap(toFactLines));
      },
    },
    ...rollupTasks,
  },
});
