/**
 * Server-sent events for the dashboard: every connected page gets a snapshot at once and then every
 * `intervalMs`. One snapshot is built per tick for all pages (plus one reconciliation read per distinct
 * business day the pages look at), and nothing runs while no page is open. A tick still running when
 * the next is due is not doubled: the slow one finishes first.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from '@retail-sync/libs/log';
import type { SnapshotSource } from './snapshot.ts';

interface Client {
  response: ServerResponse;
  /** The business day whose reconciliation this page shows. */
  date: string;
}

export class SnapshotStream {
  private readonly clients = new Set<Client>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    private readonly source: SnapshotSource,
    private readonly intervalMs: number,
    private readonly logger?: Logger,
  ) {}

  /** Takes over `response` as an event stream until the page goes away or `closeAll()`. */
  open(response: ServerResponse, date: string): void {
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive' });
    response.write(`retry: ${this.intervalMs}\n\n`);
    const client = { response, date };
    this.clients.add(client);
    response.on('close', () => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.stopTimer();
    });
    void this.send([client]);
    this.timer ??= setInterval(() => void this.tick(), this.intervalMs);
  }

  /** Ends every stream (the server is closing: an open stream would hold the close forever). */
  closeAll(): void {
    this.stopTimer();
    for (const client of this.clients) client.response.end();
    this.clients.clear();
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.send([...this.clients]);
    } finally {
      this.ticking = false;
    }
  }

  private async send(clients: Client[]): Promise<void> {
    if (clients.length === 0) return;
    try {
      const snapshot = await this.source.snapshot();
      const days = new Map(await Promise.all([...new Set(clients.map((c) => c.date))].map(async (date) => [date, await this.source.reconcile(date)] as const)));
      for (const client of clients) {
        if (client.response.writableEnded) continue;
        client.response.write(`event: snapshot\ndata: ${JSON.stringify({ ...snapshot, reconcile: days.get(client.date) })}\n\n`);
      }
    } catch (error) {
      this.logger?.warn({ err: error }, 'dashboard snapshot failed');
    }
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
