/**
 * The ack cursor: the highest seq central has confirmed, in `cursor.json`. Replaced atomically (temp
 * file, fsync, rename, fsync dir) so a crash leaves either the old or the new cursor, never a torn one.
 * It is made durable BEFORE any segment it covers is deleted (Vector learned that order the hard way).
 */
import { join } from 'node:path';
import { readWholeFile, writeFileAtomically, type BufferFileSystem } from './file-system.ts';

export const CURSOR_FILE = 'cursor.json';

export type CursorRead = { kind: 'present'; ackedSeq: number } | { kind: 'missing' } | { kind: 'unreadable'; reason: string };

export async function readAckCursor(fs: BufferFileSystem, dir: string): Promise<CursorRead> {
  const bytes = await readWholeFile(fs, join(dir, CURSOR_FILE));
  if (bytes === undefined) return { kind: 'missing' };
  try {
    const value = (JSON.parse(bytes.toString('utf8')) as { acked_seq?: unknown }).acked_seq;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return { kind: 'present', ackedSeq: value };
    return { kind: 'unreadable', reason: `acked_seq is ${JSON.stringify(value)}` };
  } catch (error) {
    return { kind: 'unreadable', reason: (error as Error).message };
  }
}

export async function writeAckCursor(fs: BufferFileSystem, dir: string, ackedSeq: number): Promise<void> {
  const body = JSON.stringify({ acked_seq: ackedSeq, written_at: new Date().toISOString() });
  await writeFileAtomically(fs, dir, join(dir, CURSOR_FILE), Buffer.from(body, 'utf8'));
}
