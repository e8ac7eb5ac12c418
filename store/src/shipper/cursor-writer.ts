/**
 * Moves the buffer's ack cursor without making the shipper wait for each write (a cursor write is two
 * fsyncs and a rename): one `buffer.ack` runs at a time, and acks settled meanwhile are folded into the
 * next write. The cursor only ever goes to the highest seq of a contiguously acked prefix, so skipping
 * intermediate values loses nothing; what a crash can cost is the re-delivery of the folded acks, which
 * the shipper bounds by flushing once `unwritten` reaches its limit. A failed write is kept and thrown
 * by the next `advance` or `flush` (after a buffer fail-stop, every later ack fails the same way).
 */
export class CursorWriter {
  /** Advances not yet covered by a completed write. */
  unwritten = 0;
  private target: number;
  private running: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly write: (uptoSeq: number) => Promise<void>,
    private written: number,
  ) {
    this.target = written;
  }

  /** Asks for the cursor to reach `uptoSeq` (contiguously acked); returns at once. */
  advance(uptoSeq: number): void {
    if (this.failure !== undefined) throw this.failure;
    if (uptoSeq <= this.target) return; // already asked for
    this.target = uptoSeq;
    this.unwritten += 1;
    this.running ??= this.drain(); // drain awaits a write before it ends, so `running` is set first
  }

  /** Resolves once every advance so far is durable; rejects with a failed write. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure !== undefined) throw this.failure;
  }

  private async drain(): Promise<void> {
    try {
      while (this.written < this.target) {
        const target = this.target;
        const covered = this.unwritten;
        await this.write(target);
        this.written = target;
        this.unwritten -= covered;
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.running = undefined;
    }
  }
}
