/**
 * `retail-sync buffer inspect <data-dir>`: prints a store buffer's segments, record counts, cursor,
 * quarantined ranges and first corrupt offset. <data-dir> is one store's buffer directory
 * (data/store/<store_id>) or RS_DATA_DIR itself, in which case every store under store/ is inspected.
 * Read-only (no lock, no repair), so it runs next to a live store. Exit 1 when corruption is found
 * (damage in a segment, or entries in quarantine.log); 2 when the directory is not a buffer.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { formatInspection, inspectBuffer, isBufferDir } from '@retail-sync/store';
import { CliError, EXIT } from '../cli-error.ts';

export function registerBuffer(program: Command): void {
  const buffer = program.command('buffer').description('look at store disk buffers');
  buffer
    .command('inspect')
    .description('print segments, record counts, cursor, quarantined records and the first corrupt offset (read-only)')
    .argument('<data-dir>', 'a store buffer directory (data/store/<store_id>) or the data directory holding store/')
    .action(async (dataDir: string, _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<{ json: boolean }>();
      const dirs = await bufferDirs(dataDir);
      const inspections = [];
      for (const dir of dirs) inspections.push(await inspectBuffer(dir));
      if (globals.json) console.log(JSON.stringify(dirs.length === 1 ? inspections[0] : inspections, null, 2));
      else console.log(inspections.map((inspection) => formatInspection(inspection).join('\n')).join('\n\n'));
      if (inspections.some((inspection) => inspection.corrupt)) process.exitCode = EXIT.PROBLEM;
    });
}

async function bufferDirs(dataDir: string): Promise<string[]> {
  const isDir = await stat(dataDir).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
  if (!isDir) throw new CliError(`${dataDir} is not a directory`, EXIT.USAGE);
  if (await isBufferDir(dataDir)) return [dataDir];
  const storesDir = join(dataDir, 'store');
  const stores = await readdir(storesDir, { withFileTypes: true }).catch(() => []);
  const dirs: string[] = [];
  for (const entry of stores) if (entry.isDirectory() && (await isBufferDir(join(storesDir, entry.name)))) dirs.push(join(storesDir, entry.name));
  if (dirs.length === 0) throw new CliError(`no store buffer in ${dataDir} (expected segment-*.log or store/<store_id>/)`, EXIT.USAGE);
  return dirs.sort();
}
