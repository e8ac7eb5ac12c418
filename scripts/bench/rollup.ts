/**
 * Rollup: one business-day partition of N sales (≈2.5 lines each) in ClickHouse's fact_sales_line, and
 * the seven rollups of that day through the warehouse adapter's runRollup (staging table, INSERT …
 * SELECT, count, REPLACE PARTITION, drop). Ceiling: the same rollup SQL as a bare INSERT … SELECT into
 * a scratch copy of each rollup table. The facts are generated inside ClickHouse (INSERT … SELECT from
 * numbers()), so the load is not part of either side.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { loadDagsConfig, openResources, ROLLUP_NAMES, type ExternalResources } from '@retail-sync/dags';
import { productionIsolation } from '../lib/production-isolation.ts';
import { REPO_ROOT } from '../lib/stack.ts';
import { explainMiss, interleave, median, medianFigures, ratioTarget, timed, type BenchStage, type Figures } from './harness.ts';
import { profileInProcess, summarizeProfile } from './profile.ts';

const DAY = '2026-11-01';
const TARGET = 0.8;

/** The rollups read facts only; the order store and dead letters a DAG run would also get are not used. */
const unused = new Proxy({}, { get: (_, key) => () => Promise.reject(new Error(`rollup bench: ${String(key)} is not used`)) }) as ExternalResources['orderStore'];

/** N sales of one day as fact lines, generated server-side: 20 stores, 1–4 lines a sale, some refunds and voids. */
function factsSql(sales: number): string {
  const dayStart = Date.parse(`${DAY}T00:00:00Z`) / 1000;
  return `INSERT INTO fact_sales_line
SELECT
  concat('ev-', toString(i)), concat('s-', toString(i % 20)), toInt64(intDiv(i, 20) + 1), toInt32(l + 1),
  toDate('${DAY}'), toInt32(intDiv(i, 7) % 24), toDateTime(${dayStart} + i % 86400),
  concat('r-', toString(i % 4)), 'UTC', if((i % 20) % 3 = 0, 'CAD', 'USD'),
  multiIf(i % 17 = 0, 'refund', i % 23 = 0, 'void', 'sale'), concat('t', toString(i % 4)), concat('r', toString(i)), 'card',
  CAST(NULL AS Nullable(String)), concat('SKU-', toString((i * 11 + l) % 500)), concat('c-', toString(l % 8)),
  toInt32(1 + (i * 7 + l) % 5) AS qty, toInt64(100 + (i * 13 + l * 31) % 4900) AS price, toInt64(0), toInt64(qty * price),
  toInt64(intDiv(price * 6, 10)), toInt64(if(l = 0, 80, 0)), toInt64(if(l = 0, qty * price + 80, 0))
FROM (SELECT number AS i FROM numbers(${sales})) ARRAY JOIN range(toUInt64(1 + i % 4)) AS l`;
}

export const rollupStage: BenchStage = {
  name: 'rollup',
  needs: ['clickhouse', 'redis', 'cassandra', 'kafka'],
  title: 'rollup: the seven rollups of one day partition through the ClickHouse warehouse adapter (runRollup) vs bare INSERT … SELECT of the same rollup SQL',
  async run(scale, context) {
    const sales = scale.pick(1_000_000, 20_000);
    const isolation = productionIsolation();
    const config = loadDagsConfig({ ...process.env, ...isolation.env, RS_PROFILE: 'production', RS_CLICKHOUSE_REQUEST_TIMEOUT_MS: '600000' });
    const opened = await openResources(config, { orderStore: unused, deadLetters: unused as unknown as ExternalResources['deadLetters'] });
    const clickhouse = createClient({ url: config.RS_CLICKHOUSE_URL, database: config.RS_CLICKHOUSE_DATABASE, request_timeout: 600_000, clickhouse_settings: { send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '10000' } });
    try {
      context.log(`rollup: generating ${sales.toLocaleString('en-US')} sales of ${DAY} in ClickHouse`);
      await clickhouse.command({ query: factsSql(sales) });
      const [{ lines }] = (await (await clickhouse.query({ query: 'SELECT count() AS lines FROM fact_sales_line', format: 'JSONEachRow' })).json()) as [{ lines: string }];

      const bareInserts = new Map<string, string>();
      for (const name of ROLLUP_NAMES) {
        const described = (await (await clickhouse.query({ query: `DESCRIBE TABLE ${name}`, format: 'JSONEachRow' })).json()) as Array<{ name: string }>;
        const columns = described.map((column) => column.name).join(', ');
        const select = readFileSync(join(REPO_ROOT, 'dags/sql/clickhouse/rollups', `${name}.sql`), 'utf8').replaceAll('{business_date:Date}', `toDate('${DAY}')`);
        if (/\{[A-Za-z_]+:/.test(select)) throw new Error(`${name}.sql has a parameter the bench does not bind`);
        await clickhouse.command({ query: `CREATE TABLE bench_${name} AS ${name}` });
        bareInserts.set(name, `INSERT INTO bench_${name} (${columns}) SELECT ${columns} FROM (${select})`);
      }

      const perRollup = { ours: new Map<string, number[]>(), ceiling: new Map<string, number[]>() };
      const note = (side: 'ours' | 'ceiling', name: string, ms: number) => perRollup[side].set(name, [...(perRollup[side].get(name) ?? []), ms]);
      const ours = async (): Promise<Figures> => {
        let total = 0;
        for (const name of ROLLUP_NAMES) {
          const ms = await timed(() => opened.warehouse.runRollup(name, DAY));
          note('ours', name, ms);
          total += ms;
        }
        return { rollup_ms: total, sales_per_s: (sales * 1000) / total };
      };
      const ceiling = async (): Promise<Figures> => {
        let total = 0;
        for (const name of ROLLUP_NAMES) {
          await clickhouse.command({ query: `TRUNCATE TABLE bench_${name}` });
          const ms = await timed(() => clickhouse.command({ query: bareInserts.get(name)! }));
          note('ceiling', name, ms);
          total += ms;
        }
        return { rollup_ms: total, sales_per_s: (sales * 1000) / total };
      };

      const measured = await interleave(scale.rounds, ours, ceiling);
      const oursFigures = medianFigures(measured.ours);
      const ceilingFigures = medianFigures(measured.ceiling);
      const breakdown = ROLLUP_NAMES.map((name) => `${name} ${median(perRollup.ours.get(name)!).toFixed(0)} vs ${median(perRollup.ceiling.get(name)!).toFixed(0)} ms`).join('; ');
      const notes = [
        `${sales.toLocaleString('en-US')} sales = ${Number(lines).toLocaleString('en-US')} fact lines in the ${DAY} partition (ClickHouse ${await serverVersion(clickhouse)}), ${scale.rounds} interleaved rounds, medians; the ratio is ceiling time ÷ our time.`,
        `Per rollup, ours vs bare (median ms): ${breakdown}.`,
      ];
      return await explainMiss({ ours: oursFigures, ceiling: ceilingFigures, ...ratioTarget(ceilingFigures.rollup_ms! / oursFigures.rollup_ms!, TARGET), notes }, async () => {
        const profile = await profileInProcess(async () => void (await ours()));
        const overheadMs = oursFigures.rollup_ms! - ceilingFigures.rollup_ms!;
        return [
          ...summarizeProfile(profile),
          `The Node side is mostly idle: the time is in ClickHouse. runRollup spends ~${overheadMs.toFixed(0)} ms more than the bare inserts over the seven rollups, ~${(overheadMs / ROLLUP_NAMES.length).toFixed(0)} ms each, on four statements the bare insert does not make: CREATE of a staging table, a count() of it, ALTER … REPLACE PARTITION (which also drops the old partition) and DROP of the staging table; each is an HTTP round trip and the DDL ones write table metadata to disk. ` +
            'What closes it: keep one staging table per rollup and TRUNCATE it instead of CREATE + DROP, and take the row count from the INSERT\'s X-ClickHouse-Summary (written_rows) instead of a count() query. The swap itself is what makes a re-run replace rather than append, so it stays.',
        ];
      });
    } finally {
      await clickhouse.close();
      await opened.close();
      await isolation.drop();
    }
  },
};

async function serverVersion(clickhouse: ReturnType<typeof createClient>): Promise<string> {
  const [row] = (await (await clickhouse.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' })).json()) as [{ version: string }];
  return row.version;
}
