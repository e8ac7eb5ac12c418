/** Options of the DuckDB warehouse adapter (embedded profile). */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const duckDbWarehouseOptionsSchema = z.object({
  /** Database file; ':memory:' for a private throwaway one (tests). Default data/warehouse/warehouse.duckdb. */
  path: z.string().min(1).default('data/warehouse/warehouse.duckdb'),
  /** Folder holding migrations/, rollups/ and queries/ in DuckDB's dialect. Default dags/sql/duckdb. */
  sqlDir: z.string().min(1).default(fileURLToPath(new URL('../../../sql/duckdb/', import.meta.url))),
  /** Fact rows per INSERT statement (each batch is one JSON parameter). Default 5000. */
  insertBatchRows: z.number().int().min(1).max(100_000).default(5_000),
});

export type DuckDbWarehouseOptions = z.input<typeof duckDbWarehouseOptionsSchema>;
export type ResolvedDuckDbWarehouseOptions = z.output<typeof duckDbWarehouseOptionsSchema>;
