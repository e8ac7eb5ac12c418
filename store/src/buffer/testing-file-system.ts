/**
 * A BufferFileSystem for tests, wrapped around the real one: counts fdatasyncs, fails chosen ones,
 * gates them, skips them for speed, and simulates a process crash (every open handle is closed and
 * every later call fails, so a dropped buffer object can no longer touch the directory) on a real
 * directory. Power loss (unsynced writes dropped or garbled) is simulated-disk.ts's job.
 */
import { nodeFileSystem, type BufferFile, type BufferFileSystem, type OpenMode } from './file-system.ts';

export interface TestingFileSystemOptions {
  /** Throw EIO from the datasync of files for which this returns true. */
  failDatasync?: (path: string) => boolean;
  /** Awaited before each datasync (to hold an fsync open in a test). */
  beforeDatasync?: (path: string) => Promise<void>;
  /** Make datasync a no-op (model tests crash the process, not the machine). */
  skipSync?: boolean;
}

export class TestingFileSystem implements BufferFileSystem {
  datasyncs = 0;
  dirSyncs = 0;
  private crashed = false;
  private readonly handles = new Set<BufferFile>();

  constructor(
    readonly options: TestingFileSystemOptions = {},
    private readonly inner: BufferFileSystem = nodeFileSystem,
  ) {}

  /** Simulates kill -9: open handles close, every later call rejects. */
  async crash(): Promise<void> {
    this.crashed = true;
    await Promise.all([...this.handles].map((handle) => handle.close().catch(() => undefined)));
    this.handles.clear();
  }

  private alive(): void {
    if (this.crashed) throw new Error('simulated crash: this process is gone');
  }

  async open(path: string, mode: OpenMode): Promise<BufferFile> {
    this.alive();
    const inner = await this.inner.open(path, mode);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const fs = this;
    const file: BufferFile = {
      async append(data) {
        fs.alive();
        await inner.append(data);
      },
      async read(position, length) {
        fs.alive();
        return inner.read(position, length);
      },
      async size() {
        fs.alive();
        return inner.size();
      },
      async truncate(length) {
        fs.alive();
        await inner.truncate(length);
      },
      async datasync() {
        fs.alive();
        await fs.options.beforeDatasync?.(path);
        fs.alive();
        if (fs.options.failDatasync?.(path)) throw Object.assign(new Error(`EIO: simulated fsync failure on ${path}`), { code: 'EIO' });
        fs.datasyncs += 1;
        if (!fs.options.skipSync) await inner.datasync();
      },
      async close() {
        fs.handles.delete(file);
        await inner.close();
      },
    };
    this.handles.add(file);
    return file;
  }

  async readdir(dir: string): Promise<string[]> {
    this.alive();
    return this.inner.readdir(dir);
  }

  async rename(from: string, to: string): Promise<void> {
    this.alive();
    await this.inner.rename(from, to);
  }

  async unlink(path: string): Promise<void> {
    this.alive();
    await this.inner.unlink(path);
  }

  async mkdir(dir: string): Promise<void> {
    this.alive();
    await this.inner.mkdir(dir);
  }

  async fsyncDir(dir: string): Promise<void> {
    this.alive();
    this.dirSyncs += 1;
    if (!this.options.skipSync) await this.inner.fsyncDir(dir);
  }
}
