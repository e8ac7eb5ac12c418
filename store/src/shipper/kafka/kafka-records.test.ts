import { describe, expect, it } from 'vitest';
import { Partitioners, type Message, type PartitionerArgs } from 'kafkajs';
import { DEV_STORE_KEY_SECRET, storeKeyFor, type SaleEvent } from '@retail-sync/libs/domain';
import { kafkaSaleRecord } from '@retail-sync/libs/proto';
import type { BufferRecord } from '../../buffer/index.ts';
import { saleEvent } from '../../testing/sale-factory.ts';
import { cachedDefaultPartitioner, copyKafkaValue, KafkaRecordBuilder } from './kafka-records.ts';

const STORE = 'nyc-001';
const KEY = storeKeyFor(DEV_STORE_KEY_SECRET, STORE);

/** A buffered record as the buffer hands it out: `json` is JSON.stringify of what was appended. */
const recordOf = (event: unknown, seq: number): BufferRecord<SaleEvent> => ({ seq, payload: event as SaleEvent, json: Buffer.from(JSON.stringify(event), 'utf8'), bytes: 0 });

/** kafkaSaleRecord's record for a buffered event, with Buffer header values as a consumer reads them. */
function referenceRecord(event: SaleEvent, highWaterSeq: number, keyId?: string) {
  const { sale, ...envelope } = event;
  const record = kafkaSaleRecord({ ...envelope, sale_json: JSON.stringify(sale), high_water_seq: highWaterSeq }, KEY, keyId);
  return { key: Buffer.from(record.key), value: record.value, headers: Object.fromEntries(Object.entries(record.headers).map(([name, value]) => [name, Buffer.from(value)])) };
}

/** copyKafkaValue's answer for a record: the value's length, or -1 when the record takes the parse-and-rebuild path. */
function copiedLength(json: Buffer): number {
  const highWater = Buffer.from('","high_water_seq":1}');
  const out = Buffer.alloc(2 * json.length + 64);
  const end = copyKafkaValue(json, out, 0, highWater, Buffer.from(STORE));
  return end < 0 ? -1 : end;
}

const asBytes = (message: Message) => ({
  key: Buffer.from(message.key as Buffer),
  value: message.value as Buffer,
  headers: Object.fromEntries(Object.entries(message.headers!).map(([name, value]) => [name, Buffer.from(value as Buffer | string)])),
});

describe('KafkaRecordBuilder', () => {
  it('builds the records kafkaSaleRecord makes, byte for byte, signature included', () => {
    const events = [1, 2, 3].map((seq) => saleEvent(STORE, seq));
    const messages = new KafkaRecordBuilder(STORE, KEY).messages(events.map(recordOf), 9);
    expect(messages.map(asBytes)).toEqual(events.map((event) => referenceRecord(event, 9)));
  });

  it('keeps quotes, backslashes, control characters and non-ASCII text of the sale as JSON.stringify escapes them', () => {
    const event = saleEvent(STORE, 4);
    const sale = { ...event.sale, receipt_no: 'R-4 "}{" \\ \t\n é 中文 🍞 \u2028', lines: [{ ...event.sale.lines[0]!, sku: 'a"b\\c' }] } as SaleEvent['sale'];
    const tricky = { ...event, sale };
    const [message] = new KafkaRecordBuilder(STORE, KEY).messages([recordOf(tricky, 4)], 4);
    expect(asBytes(message!)).toEqual(referenceRecord(tricky, 4));
  });

  it('gives records the buffer wrote in another shape (parsed, then rebuilt) the same bytes', () => {
    const event = saleEvent(STORE, 5);
    const { sale, ...envelope } = event;
    const shapes = [{ sale, ...envelope }, { ...event, trace_id: 'tr\u00e9ce' }, { ...event, received_at: 'a "quoted" time' }, { ...event, note: 'a key after the sale' }];
    const messages = new KafkaRecordBuilder(STORE, KEY).messages(shapes.map(recordOf), 5);
    expect(messages.map(asBytes)).toEqual(shapes.map((shape) => referenceRecord(shape as SaleEvent, 5)));
    expect(shapes.map((shape) => copiedLength(recordOf(shape, 5).json))).toEqual([-1, -1, -1, -1]);
  });

  it('gives every sale the bytes JSON.stringify gives its text, whatever its strings hold', () => {
    const texts = ['', '"', '\\', '\\"', '"\\', 'a\u0000b\u001fc\u007fd', '\b\f\n\r\t', '}]{["', 'é中文🍞', '\u2028\u2029', '\ud800 lone', 'x'.repeat(300), '\\u0041'];
    const events = texts.map((text, index) => {
      const event = saleEvent(STORE, index + 1);
      return { ...event, sale: { ...event.sale, customer_id: text, lines: [{ ...event.sale.lines[0]!, sku: `${text}/${index}` }] } as SaleEvent['sale'] };
    });
    const messages = new KafkaRecordBuilder(STORE, KEY).messages(events.map(recordOf), 77);
    expect(messages.map(asBytes)).toEqual(events.map((event) => referenceRecord(event, 77)));
    expect(events.map((event) => copiedLength(recordOf(event, 1).json))).not.toContain(-1); // all copied, none rebuilt
  });

  it('rebuilds a record of another store or an unusual seq with the same bytes kafkaSaleRecord gives it', () => {
    const event = saleEvent(STORE, 8);
    const shapes = [{ ...event, store_id: 'nyc-002' }, { ...event, store_id: 'nyc-00' }, { ...event, seq: 0 }, { ...event, seq: 12345678901234 }];
    const messages = new KafkaRecordBuilder(STORE, KEY).messages(shapes.map(recordOf), 8);
    expect(messages.map(asBytes)).toEqual(shapes.map((shape) => referenceRecord(shape, 8)));
    expect(shapes.map((shape) => copiedLength(recordOf(shape, 8).json) < 0)).toEqual([true, true, false, false]);
  });

  it('never takes a truncated record for an event', () => {
    const json = recordOf(saleEvent(STORE, 3), 3).json;
    const builder = new KafkaRecordBuilder(STORE, KEY);
    for (let length = 0; length < json.length; length++) {
      expect(copiedLength(json.subarray(0, length))).toBe(-1);
      expect(() => builder.messages([{ seq: 3, payload: undefined as never, json: json.subarray(0, length), bytes: 0 }], 3)).toThrow();
    }
  });

  it('adds the key id header for an issued key', () => {
    const event = saleEvent(STORE, 6);
    const [message] = new KafkaRecordBuilder(STORE, KEY, 'key-2026-01').messages([recordOf(event, 6)], 6);
    expect(asBytes(message!)).toEqual(referenceRecord(event, 6, 'key-2026-01'));
  });
});

describe('cachedDefaultPartitioner', () => {
  const metadata = (count: number) => Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0 }));
  const args = (key: Buffer, partitions: number, topic = 't'): PartitionerArgs => ({ topic, partitionMetadata: metadata(partitions) as PartitionerArgs['partitionMetadata'], message: { key, value: null } });

  it("picks kafkajs's default partition for every key and partition count, also when they change", () => {
    const cached = cachedDefaultPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    const keys = ['nyc-001', 'nyc-002', 'sfo-017', 'a', 'lon-999'].map((key) => Buffer.from(key));
    const partitions = new Set<number>();
    for (const count of [6, 6, 1, 12, 6]) {
      for (const key of [...keys, ...keys]) {
        const partition = cached(args(key, count));
        expect(partition).toBe(reference(args(Buffer.from(key), count)));
        if (count === 12) partitions.add(partition);
      }
    }
    expect(partitions.size).toBeGreaterThan(1); // the keys do spread, so a stale cached answer would show
  });

  it('keeps an explicit partition', () => {
    expect(cachedDefaultPartitioner()({ ...args(Buffer.from('nyc-001'), 6), message: { key: Buffer.from('nyc-001'), value: null, partition: 4 } })).toBe(4);
  });
});
