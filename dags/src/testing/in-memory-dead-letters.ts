/** DeadLetterPort in memory, for reconciliation tests: upsert by id, replayed letters kept for audit. */
import type { DeadLetter, DeadLetterFilter, DeadLetterPort } from '@retail-sync/libs/ports';

export class InMemoryDeadLetters implements DeadLetterPort {
  private readonly letters = new Map<string, DeadLetter>();

  async migrate(): Promise<void> {}

  async put(letter: DeadLetter): Promise<void> {
    this.letters.set(letter.id, { ...letter });
  }

  async list(filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    return [...this.letters.values()]
      .filter((letter) => filter.reasonCode === undefined || letter.reason_code === filter.reasonCode)
      .filter((letter) => filter.storeId === undefined || letter.store_id === filter.storeId)
      .filter((letter) => filter.includeReplayed !== false || letter.replayed_at === null)
      .slice(0, filter.limit ?? Number.MAX_SAFE_INTEGER);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    return this.letters.get(id);
  }

  async markReplayed(id: string, at: string): Promise<void> {
    const letter = this.letters.get(id);
    if (letter) letter.replayed_at = at;
  }

  async seqsForStore(storeId: string): Promise<number[]> {
    return [...this.letters.values()]
      .filter((letter) => letter.store_id === storeId && letter.replayed_at === null && letter.seq !== null)
      .map((letter) => letter.seq!)
      .sort((a, b) => a - b);
  }

  async close(): Promise<void> {}
}
