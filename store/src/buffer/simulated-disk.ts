/**
 * An in-memory disk under the BufferFileSystem seam that can lose power, for the torture tests
 * (after SQLite's crash VFS, src/test6.c). It keeps, per file, the bytes on stable storage and the
 * writes since the last fdatasync, and per directory the entries as of the last directory fsync and
 * the creates/renames/unlinks since.
 *
 * Power loss (`powerLoss()`, or armed with `losePowerAtOp`) returns the disk a reboot would find:
 *   - each unsynced write is, at random, kept, dropped (a dropped append may still have grown the
 *     file, leaving zeros) or garbled sector by sector (each 512-byte sector it touches kept, zeroed
 *     or random). Bytes outside a write are never changed (SQLite's "powersafe overwrite");
 *   - each unsynced truncate is kept or dropped;
 *   - directory operations since the last directory fsync survive as a random prefix (journaled
 *     file systems commit metadata in order), so a rename or unlink may be undone, and a file whose
 *     create never reached the directory is gone with its data.
 * Faults (`failAtOp`) make one operation fail with EIO or ENOSPC. A failed fdatasync forgets the
 * writes it covered (fsyncgate): they stay readable until power loss, but no later sync saves them.
 * A process crash (`crashProcess`) only kills handles: the kernel keeps the disk state.
 */
import { basename, dirname } from 'node:path';
import type { Random } from '../simulator/prng.ts';
import type { BufferFile, BufferFileSystem, OpenMode } from './file-system.ts';

const SECTOR_BYTES = 512;

type PendingChange = { kind: 'write'; offset: number; data: Buffer } | { kind: 'truncate'; length: number };

interface Inode {
  /** Bytes on stable storage. */
  durable: Buffer;
  /** Bytes a reader sees now. */
  live: Buffer;
  pending: PendingChange[];
}

type DirOp = { kind: 'link'; path: string; inode: number } | { kind: 'rename'; from: string; to: string } | { kind: 'unlink'; path: string };

export type OpKind = 'create' | 'append' | 'truncate' | 'datasync' | 'rename' | 'unlink' | 'fsyncDir';
export type FaultCode = 'EIO' | 'ENOSPC';

export class PowerLossError extends Error {
  readonly code = 'EPOWERLOSS';
  constructor() {
    super('simulated power loss: the machine is off');
  }
}

export class SimulatedDisk {
  private readonly inodes = new Map<number, Inode>();
  private nextInode = 1;
  private durableNames = new Map<string, number>();
  private liveNames = new Map<string, number>();
  private pendingDirOps: DirOp[] = [];
  private powerLossAt: number | undefined;
  private faultAt: { op: number; code: FaultCode; kinds: OpKind[] | undefined } | undefined;
  private poweredOff = false;
  private session = 0;
  /** Mutating operations so far (creates, appends, truncates, syncs, renames, unlinks). */
  ops = 0;

  constructor(private readonly random: Random) {}

  /** Arms a power cut at the `n`-th mutating operation from now (1 = the next one). */
  losePowerAtOp(n: number): void {
    this.powerLossAt = this.ops + n;
  }

  /** The `n`-th mutating operation from now (of one of `kinds`, if given) fails with `code`. */
  failAtOp(n: number, code: FaultCode, kinds?: OpKind[]): void {
    this.faultAt = { op: n, code, kinds };
  }

  clearFault(): void {
    this.faultAt = undefined;
  }

  get isPoweredOff(): boolean {
    return this.poweredOff;
  }

  /** The file-system view of a new process; handles of earlier processes stop working. */
  fileSystem(): BufferFileSystem {
    this.session += 1;
    return new SimulatedFileSystem(this, this.session);
  }

  /** kill -9: the old process's handles die, the kernel (and its page cache) lives on. */
  crashProcess(): void {
    this.session += 1;
  }

  /** What a reboot finds after the power went off now (the disk keeps running from that state). */
  powerLoss(): SimulatedDisk {
    const after = new SimulatedDisk(this.random);
    const names = new Map(this.durableNames);
    const keptOps = this.random.int(0, this.pendingDirOps.length);
    for (const op of this.pendingDirOps.slice(0, keptOps)) applyDirOp(names, op);
    const used = new Set(names.values());
    for (const [id, inode] of this.inodes) {
      if (!used.has(id)) continue;
      const bytes = this.settle(inode);
      after.inodes.set(id, { durable: bytes, live: Buffer.from(bytes), pending: [] });
    }
    after.durableNames = names;
    after.liveNames = new Map(names);
    after.nextInode = this.nextInode;
    return after;
  }

  /** Live contents of the files in `dir` (what a reader sees now), by name. */
  files(dir: string): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    for (const [path, id] of this.liveNames) if (dirname(path) === dir) out.set(basename(path), Buffer.from(this.inodes.get(id)!.live));
    return out;
  }

  /** Overwrites a file's bytes as if they had always been on disk (bit rot, truncation). */
  setFile(path: string, bytes: Buffer): void {
    const id = this.liveNames.get(path);
    if (id === undefined) throw new Error(`no such file ${path}`);
    this.inodes.set(id, { durable: Buffer.from(bytes), live: Buffer.from(bytes), pending: [] });
  }

  // ── used by SimulatedFileSystem ───────────────────────────────────────────────────────────────

  checkSession(session: number): void {
    if (this.poweredOff) throw new PowerLossError();
    if (session !== this.session) throw new Error('simulated crash: this process is gone');
  }

  /** Counts a mutating op; throws if the power goes now or the op is to fail. `partial` runs first on a power cut. */
  beginOp(kind: OpKind, partial?: () => void): void {
    this.ops += 1;
    if (this.powerLossAt !== undefined && this.ops >= this.powerLossAt) {
      partial?.();
      this.poweredOff = true;
      throw new PowerLossError();
    }
    if (this.faultAt && (this.faultAt.kinds === undefined || this.faultAt.kinds.includes(kind))) {
      this.faultAt.op -= 1;
      if (this.faultAt.op <= 0) {
        const code = this.faultAt.code;
        this.faultAt = undefined;
        throw Object.assign(new Error(`${code}: simulated ${kind} failure`), { code, syscall: kind });
      }
    }
  }

  lookup(path: string): number | undefined {
    return this.liveNames.get(path);
  }

  inode(id: number): Inode {
    return this.inodes.get(id)!;
  }

  createFile(path: string): number {
    const id = this.nextInode++;
    this.inodes.set(id, { durable: Buffer.alloc(0), live: Buffer.alloc(0), pending: [] });
    this.liveNames.set(path, id);
    this.pendingDirOps.push({ kind: 'link', path, inode: id });
    return id;
  }

  rename(from: string, to: string): void {
    applyDirOp(this.liveNames, { kind: 'rename', from, to });
    this.pendingDirOps.push({ kind: 'rename', from, to });
  }

  unlink(path: string): void {
    this.liveNames.delete(path);
    this.pendingDirOps.push({ kind: 'unlink', path });
  }

  syncDir(dir: string): void {
    const rest: DirOp[] = [];
    for (const op of this.pendingDirOps) {
      const paths = op.kind === 'rename' ? [op.from, op.to] : [op.path];
      if (paths.every((path) => dirname(path) === dir)) applyDirOp(this.durableNames, op);
      else rest.push(op);
    }
    this.pendingDirOps = rest;
  }

  readdir(dir: string): string[] {
    return [...this.liveNames.keys()].filter((path) => dirname(path) === dir).map((path) => basename(path));
  }

  /** The bytes of `inode` after a power cut: durable plus each pending change at random. */
  private settle(inode: Inode): Buffer {
    let bytes = Buffer.from(inode.durable);
    for (const change of inode.pending) {
      if (change.kind === 'truncate') {
        if (this.random.chance(0.5)) bytes = bytes.subarray(0, Math.min(bytes.length, change.length));
        continue;
      }
      const end = change.offset + change.data.length;
      const fate = this.random.int(0, 2);
      if (fate === 1 && !this.random.chance(0.5)) continue; // dropped, size unchanged
      if (end > bytes.length) bytes = Buffer.concat([bytes, Buffer.alloc(end - bytes.length)]);
      if (fate === 0) change.data.copy(bytes, change.offset);
      if (fate === 2) {
        for (let sector = Math.floor(change.offset / SECTOR_BYTES) * SECTOR_BYTES; sector < end; sector += SECTOR_BYTES) {
          const from = Math.max(sector, change.offset);
          const to = Math.min(sector + SECTOR_BYTES, end);
          const sectorFate = this.random.int(0, 2);
          if (sectorFate === 0) change.data.copy(bytes, from, from - change.offset, to - change.offset);
          else if (sectorFate === 2) for (let i = from; i < to; i++) bytes[i] = this.random.int(0, 255);
          // sectorFate 1: the sector never made it, zeros (or what was there) remain
        }
      }
    }
    return bytes;
  }
}

function applyDirOp(names: Map<string, number>, op: DirOp): void {
  if (op.kind === 'link') names.set(op.path, op.inode);
  else if (op.kind === 'unlink') names.delete(op.path);
  else {
    const id = names.get(op.from);
    if (id === undefined) return;
    names.delete(op.from);
    names.set(op.to, id);
  }
}

function errno(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

class SimulatedFileSystem implements BufferFileSystem {
  constructor(
    private readonly disk: SimulatedDisk,
    private readonly session: number,
  ) {}

  async open(path: string, mode: OpenMode): Promise<BufferFile> {
    const disk = this.disk;
    disk.checkSession(this.session);
    let id = disk.lookup(path);
    if (mode === 'create' && id !== undefined) throw errno('EEXIST', `file already exists, open '${path}'`);
    if ((mode === 'read' || mode === 'readwrite') && id === undefined) throw errno('ENOENT', `no such file or directory, open '${path}'`);
    if (id === undefined) {
      disk.beginOp('create');
      id = disk.createFile(path);
    } else if (mode === 'replace') {
      const inode = disk.inode(id);
      disk.beginOp('truncate');
      inode.live = Buffer.alloc(0);
      inode.pending.push({ kind: 'truncate', length: 0 });
    }
    return new SimulatedFile(disk, this.session, id);
  }

  async readdir(dir: string): Promise<string[]> {
    this.disk.checkSession(this.session);
    return this.disk.readdir(dir);
  }

  async rename(from: string, to: string): Promise<void> {
    this.disk.checkSession(this.session);
    if (this.disk.lookup(from) === undefined) throw errno('ENOENT', `no such file or directory, rename '${from}'`);
    this.disk.beginOp('rename');
    this.disk.rename(from, to);
  }

  async unlink(path: string): Promise<void> {
    this.disk.checkSession(this.session);
    if (this.disk.lookup(path) === undefined) throw errno('ENOENT', `no such file or directory, unlink '${path}'`);
    this.disk.beginOp('unlink');
    this.disk.unlink(path);
  }

  async mkdir(): Promise<void> {
    this.disk.checkSession(this.session);
  }

  async fsyncDir(dir: string): Promise<void> {
    this.disk.checkSession(this.session);
    this.disk.beginOp('fsyncDir');
    this.disk.syncDir(dir);
  }
}

class SimulatedFile implements BufferFile {
  private closed = false;

  constructor(
    private readonly disk: SimulatedDisk,
    private readonly session: number,
    private readonly id: number,
  ) {}

  private check(): Inode {
    this.disk.checkSession(this.session);
    if (this.closed) throw errno('EBADF', 'file handle is closed');
    return this.disk.inode(this.id);
  }

  async append(data: Uint8Array): Promise<void> {
    const inode = this.check();
    const write = (bytes: Buffer) => {
      inode.pending.push({ kind: 'write', offset: inode.live.length, data: bytes });
      inode.live = Buffer.concat([inode.live, bytes]);
    };
    const copy = Buffer.from(data);
    try {
      this.disk.beginOp('append', () => write(copy));
    } catch (error) {
      // ENOSPC mid-write: part of it may have landed.
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') write(copy.subarray(0, Math.floor(copy.length / 2)));
      throw error;
    }
    write(copy);
  }

  async read(position: number, length: number): Promise<Buffer> {
    const inode = this.check();
    return Buffer.from(inode.live.subarray(position, position + length));
  }

  async size(): Promise<number> {
    return this.check().live.length;
  }

  async truncate(length: number): Promise<void> {
    const inode = this.check();
    this.disk.beginOp('truncate');
    inode.live = inode.live.subarray(0, Math.min(length, inode.live.length));
    inode.pending.push({ kind: 'truncate', length });
  }

  async datasync(): Promise<void> {
    const inode = this.check();
    try {
      this.disk.beginOp('datasync');
    } catch (error) {
      // fsyncgate: the kernel forgets the dirty pages it failed to write; no later fsync brings them back.
      if ((error as NodeJS.ErrnoException).code === 'EIO' || (error as NodeJS.ErrnoException).code === 'ENOSPC') inode.pending = [];
      throw error;
    }
    let bytes = inode.durable;
    for (const change of inode.pending) {
      if (change.kind === 'truncate') bytes = bytes.subarray(0, Math.min(bytes.length, change.length));
      else {
        const end = change.offset + change.data.length;
        if (end > bytes.length) bytes = Buffer.concat([bytes, Buffer.alloc(end - bytes.length)]);
        else bytes = Buffer.from(bytes);
        change.data.copy(bytes, change.offset);
      }
    }
    inode.durable = bytes;
    inode.pending = [];
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
