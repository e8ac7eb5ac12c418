/**
 * The buffer's only door to the disk. Everything the buffer persists goes through this seam so a test
 * can count fsyncs, fail them, or simulate a crash (and, later, drop unsynced writes like SQLite's
 * crash VFS). The production implementation is a thin layer over node:fs/promises.
 */
import { open, readdir, rename, unlink, mkdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** `create`: new file, fails if it exists. `append`: existing file, writes go to the end.
 * `read`: read only. `readwrite`: existing file, for truncation. `replace`: create or truncate (temp files). */
export type OpenMode = 'create' | 'append' | 'read' | 'readwrite' | 'replace';

export interface BufferFile {
  /** Writes `data` at the end of the file. Not durable until `datasync` resolves. The caller reuses `data` once this resolves: keep a copy, never the reference. */
  append(data: Uint8Array): Promise<void>;
  /** Reads up to `length` bytes at `position`; fewer at end of file. */
  read(position: number, length: number): Promise<Buffer>;
  size(): Promise<number>;
  truncate(length: number): Promise<void>;
  /** fdatasync: the data and the size needed to read it back are on stable storage. */
  datasync(): Promise<void>;
  close(): Promise<void>;
}

export interface BufferFileSystem {
  open(path: string, mode: OpenMode): Promise<BufferFile>;
  /** File names (not paths) in `dir`. */
  readdir(dir: string): Promise<string[]>;
  /** Atomic replace of `to` on POSIX file systems; durable only after `fsyncDir`. */
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(dir: string): Promise<void>;
  /** fsync of the directory: makes creates, renames and unlinks in it durable. */
  fsyncDir(dir: string): Promise<void>;
}

const FLAGS: Record<OpenMode, string> = { create: 'wx', append: 'a', read: 'r', readwrite: 'r+', replace: 'w' };

class NodeBufferFile implements BufferFile {
  constructor(private readonly handle: FileHandle) {}

  async append(data: Uint8Array): Promise<void> {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.handle.write(data, written, data.length - written);
      written += bytesWritten;
    }
  }

  async read(position: number, length: number): Promise<Buffer> {
    const target = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.handle.read(target, filled, length - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return target.subarray(0, filled);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export const nodeFileSystem: BufferFileSystem = {
  async open(path, mode) {
    return new NodeBufferFile(await open(path, FLAGS[mode]));
  },
  readdir: (dir) => readdir(dir),
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  mkdir: async (dir) => {
    await mkdir(dir, { recursive: true });
  },
  async fsyncDir(dir) {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/** Reads a whole (small) file, or undefined when it does not exist. */
export async function readWholeFile(fs: BufferFileSystem, path: string): Promise<Buffer | undefined> {
  let file: BufferFile;
  try {
    file = await fs.open(path, 'read');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return await file.read(0, await file.size());
  } finally {
    await file.close();
  }
}

/** Replaces `path` atomically: write a temp file, fsync it, rename over, fsync the directory. */
export async function writeFileAtomically(fs: BufferFileSystem, dir: string, path: string, data: Uint8Array): Promise<void> {
  const temp = `${path}.tmp`;
  const file = await fs.open(temp, 'replace');
  try {
    await file.append(data);
    await file.datasync();
  } finally {
    await file.close();
  }
  await fs.rename(temp, path);
  await fs.fsyncDir(dir);
}
