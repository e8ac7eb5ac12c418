/**
 * The receipt index's durable keys (receipt-index.ts), oldest first, in a ring of slots. Typed arrays
 * hold each slot's seq, time and event id (16 raw bytes); `keys` holds its key string; an
 * open-addressing table of [hash, slot + 1] pairs finds a key's slot. Invariant: a key is in the table
 * iff its slot in the ring is live, and at most `maxKeys` slots are live (the oldest go first).
 *
 * Why not a Map: a probe here reads one pair of int32s and touches a key string only on a hash match,
 * where a Map of 100,000 strings dereferences every key on its chain (cache misses), allocates an
 * entry object per key and, evicting its oldest key by iteration, skips every hole its deletions left
 * (~25 µs per add once full, measured). Hashes are seeded per process, so crafted receipt numbers
 * cannot pile up on one probe run.
 */
import { randomInt } from 'node:crypto';

export interface RingEntry {
  event_id: string;
  seq: number;
  at: number;
}

const FIRST_CAPACITY = 1024;
const HEX = '0123456789abcdef';
const SEED = randomInt(0, 2 ** 31);

export class ReceiptRing {
  private keys: Array<string | undefined> = [];
  private hashes = new Int32Array(0);
  private seqs = new Float64Array(0);
  private ats = new Float64Array(0);
  private ids = new Uint8Array(0);
  /** Event ids that are not lower-case UUIDs (never from intake; kept exact anyway). */
  private oddIds = new Map<number, string>();
  /** Open addressing, linear probing: [hash, slot + 1] per position, slot + 1 = 0 when empty. */
  private table = new Int32Array(0);
  private mask = 0;
  private head = 0;
  /** Slots from head on that are taken, holes (forgotten keys) included. */
  private used = 0;
  private live = 0;

  constructor(private readonly maxKeys: number) {}

  get size(): number {
    return this.live;
  }

  has(key: string): boolean {
    return this.find(key, hashOf(key)) >= 0;
  }

  get(key: string): RingEntry | undefined {
    const position = this.find(key, hashOf(key));
    return position < 0 ? undefined : this.entryAt(this.table[position * 2 + 1]! - 1);
  }

  /** Adds or moves `key` to the newest end, forgetting the oldest key when all maxKeys slots are live. */
  add(key: string, entry: RingEntry): void {
    const hash = hashOf(key);
    this.forgetAt(this.find(key, hash));
    if (this.maxKeys <= 0) return;
    if (this.used === this.keys.length) {
      if (this.keys.length < this.maxKeys) this.reshape(Math.min(this.maxKeys, Math.max(FIRST_CAPACITY, this.keys.length * 2)));
      else if (this.used > this.live) this.reshape(this.keys.length); // squeeze out the holes
      else this.forgetOldest();
    }
    const slot = (this.head + this.used) % this.keys.length;
    this.used += 1;
    this.live += 1;
    this.keys[slot] = key;
    this.hashes[slot] = hash;
    this.seqs[slot] = entry.seq;
    this.ats[slot] = entry.at;
    if (!writeUuid(entry.event_id, this.ids, slot * 16)) this.oddIds.set(slot, entry.event_id);
    this.insert(hash, slot);
  }

  forget(key: string): void {
    this.forgetAt(this.find(key, hashOf(key)));
  }

  /** Forgets keys received before `cutoff`, from the oldest end. */
  forgetBefore(cutoff: number): void {
    while (this.used > 0 && this.ats[this.head]! < cutoff) this.forgetOldest();
  }

  /** The head slot is always live (forgetAt moves the head past holes); its hash is kept, not recomputed. */
  private forgetOldest(): void {
    this.forgetAt(this.find(this.keys[this.head]!, this.hashes[this.head]!));
  }

  /** Live keys with their entries, oldest first. */
  *entries(): Generator<[string, RingEntry]> {
    for (let i = 0; i < this.used; i += 1) {
      const slot = (this.head + i) % this.keys.length;
      const key = this.keys[slot];
      if (key !== undefined) yield [key, this.entryAt(slot)];
    }
  }

  /**
   * Calls `visit` for the live entries whose seqs are exactly firstSeq..lastSeq, in seq order, with the
   * event id as its 16 bytes in `ids` at `idAt` (or `oddId`): nothing is allocated per entry. Returns
   * false, visiting nothing, when any seq of the range has no live entry (forgotten, evicted, never
   * added) or has two. One pass over the slots, then one over the range.
   */
  visitSeqs(firstSeq: number, lastSeq: number, visit: (key: string, ids: Uint8Array, idAt: number, oddId: string | undefined, seq: number, at: number) => void): boolean {
    const count = lastSeq - firstSeq + 1;
    if (count <= 0 || count > this.live) return false;
    const slotBySeq = new Int32Array(count); // slot + 1; 0 = not seen
    let found = 0;
    for (let i = 0; i < this.used; i += 1) {
      const slot = (this.head + i) % this.keys.length;
      const delta = this.seqs[slot]! - firstSeq;
      if (!(delta >= 0 && delta < count) || this.keys[slot] === undefined) continue; // NaN (a damaged log line's seq) too
      const offset = delta | 0; // < count: a small int, so the typed-array accesses stay on the fast path
      if (slotBySeq[offset] !== 0) return false;
      slotBySeq[offset] = slot + 1;
      found += 1;
    }
    if (found !== count) return false;
    for (let offset = 0; offset < count; offset += 1) {
      const slot = slotBySeq[offset]! - 1;
      visit(this.keys[slot]!, this.ids, slot * 16, this.oddIds.size === 0 ? undefined : this.oddIds.get(slot), this.seqs[slot]!, this.ats[slot]!);
    }
    return true;
  }

  private entryAt(slot: number): RingEntry {
    return { event_id: this.oddIds.get(slot) ?? readUuid(this.ids, slot * 16), seq: this.seqs[slot]!, at: this.ats[slot]! };
  }

  /** The table position holding `key`, or -1. */
  private find(key: string, hash: number): number {
    if (this.mask === 0) return -1;
    for (let position = hash & this.mask; ; position = (position + 1) & this.mask) {
      const slot = this.table[position * 2 + 1]! - 1;
      if (slot < 0) return -1;
      if (this.table[position * 2] === hash && this.keys[slot] === key) return position;
    }
  }

  private insert(hash: number, slot: number): void {
    let position = hash & this.mask;
    while (this.table[position * 2 + 1] !== 0) position = (position + 1) & this.mask;
    this.table[position * 2] = hash;
    this.table[position * 2 + 1] = slot + 1;
  }

  private forgetAt(position: number): void {
    if (position < 0) return;
    const slot = this.table[position * 2 + 1]! - 1;
    this.removeAt(position);
    this.keys[slot] = undefined;
    this.oddIds.delete(slot);
    this.live -= 1;
    while (this.used > 0 && this.keys[this.head] === undefined) {
      this.head = (this.head + 1) % this.keys.length;
      this.used -= 1;
    }
  }

  /** Backward-shift deletion: later members of the probe run move up, so no tombstones are needed. */
  private removeAt(position: number): void {
    let hole = position;
    for (let next = (hole + 1) & this.mask; this.table[next * 2 + 1] !== 0; next = (next + 1) & this.mask) {
      const home = this.table[next * 2]! & this.mask;
      // The entry at `next` may fill the hole unless its home lies cyclically in (hole, next].
      const stays = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (stays) continue;
      this.table[hole * 2] = this.table[next * 2]!;
      this.table[hole * 2 + 1] = this.table[next * 2 + 1]!;
      hole = next;
    }
    this.table[hole * 2] = 0;
    this.table[hole * 2 + 1] = 0;
  }

  /** Copies the live slots, oldest first, to the start of arrays of `capacity` slots; rebuilds the table. */
  private reshape(capacity: number): void {
    const keys = new Array<string | undefined>(capacity).fill(undefined);
    const hashes = new Int32Array(capacity);
    const seqs = new Float64Array(capacity);
    const ats = new Float64Array(capacity);
    const ids = new Uint8Array(capacity * 16);
    const oddIds = new Map<number, string>();
    let next = 0;
    for (let i = 0; i < this.used; i += 1) {
      const slot = (this.head + i) % this.keys.length;
      const key = this.keys[slot];
      if (key === undefined) continue;
      keys[next] = key;
      hashes[next] = this.hashes[slot]!;
      seqs[next] = this.seqs[slot]!;
      ats[next] = this.ats[slot]!;
      ids.set(this.ids.subarray(slot * 16, slot * 16 + 16), next * 16);
      const odd = this.oddIds.get(slot);
      if (odd !== undefined) oddIds.set(next, odd);
      next += 1;
    }
    [this.keys, this.hashes, this.seqs, this.ats, this.ids, this.oddIds] = [keys, hashes, seqs, ats, ids, oddIds];
    [this.head, this.used] = [0, next];
    let positions = 1;
    while (positions < capacity * 2) positions *= 2; // at most half full
    this.table = new Int32Array(positions * 2);
    this.mask = positions - 1;
    for (let slot = 0; slot < next; slot += 1) this.insert(hashes[slot]!, slot);
  }
}

/** FNV-1a over the UTF-16 units, seeded per process, then murmur3's finalizer to spread the low bits. */
function hashOf(key: string): number {
  let hash = 0x811c9dc5 ^ SEED;
  for (let i = 0; i < key.length; i += 1) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}

/** Writes a lower-case UUID's 16 bytes at `at`; false (nothing meaningful written) for any other string. */
function writeUuid(id: string, bytes: Uint8Array, at: number): boolean {
  if (id.length !== 36) return false;
  for (let i = 0; i < 36; i += 2, at += 1) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (id.charCodeAt(i) !== 0x2d /* - */) return false;
      i += 1;
    }
    const high = hexValue(id.charCodeAt(i));
    const low = hexValue(id.charCodeAt(i + 1));
    if (high < 0 || low < 0) return false;
    bytes[at] = (high << 4) | low;
  }
  return true;
}

function readUuid(bytes: Uint8Array, at: number): string {
  let id = '';
  for (let i = 0; i < 16; i += 1) {
    const byte = bytes[at + i]!;
    id += HEX[byte >> 4]! + HEX[byte & 15]!;
    if (i === 3 || i === 5 || i === 7 || i === 9) id += '-';
  }
  return id;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}
