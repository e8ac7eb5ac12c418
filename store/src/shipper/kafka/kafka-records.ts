/**
 * The Kafka messages of one shipped batch, built from the buffered bytes. They are the records
 * kafkaSaleRecord (libs/src/proto/kafka-message.ts) makes, byte for byte (same key, value, signature
 * and headers; kafka-records.test.ts holds them side by side), only cheaper per event:
 *
 * - The value is copied out of the buffered record, not re-serialised. The buffer holds
 *   JSON.stringify(event), `{"event_id":"…","store_id":"…","seq":N,"received_at":"…","trace_id":"…","sale":{…}}`,
 *   and the value is `{"event_id":"…",…,"trace_id":"…","sale_json":"<the sale's text as a JSON string>","high_water_seq":N}`:
 *   the same envelope bytes, then the sale's bytes with `"` and `\` escaped, which is all JSON.stringify
 *   escapes in them (JSON.stringify text holds no raw control character, and its UTF-8 is copied as is).
 *   A record of any other layout (wire-event.ts describes the one it knows) is parsed and rebuilt.
 * - All values of a batch share one Buffer; key and constant header values are one Buffer each
 *   (kafkajs only reads them; a string would be encoded to UTF-8 again per record).
 * One HMAC per record stays: central checks each record on its own.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { ICustomPartitioner, Message } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import type { SaleEvent } from '@retail-sync/libs/domain';
import { encodeKafkaSaleEvent, KAFKA_HEADER_CONTENT_TYPE, KAFKA_HEADER_KEY_ID, KAFKA_HEADER_SIGNATURE, KAFKA_HEADER_STORE_ID, KAFKA_SALE_EVENT_CONTENT_TYPE } from '@retail-sync/libs/proto';
import type { BufferRecord } from '../../buffer/index.ts';
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, EVENT_ID, literalAt, NINE, OPEN_BRACE, OPEN_BRACKET, QUOTE, RECEIVED_AT, SALE, SEQ, STORE_ID, TRACE_ID, ZERO } from '../sale-record-layout.ts';
import { wireEventFromJson } from '../wire-event.ts';

export class KafkaRecordBuilder {
  private readonly key: Buffer;
  private readonly contentType = Buffer.from(KAFKA_SALE_EVENT_CONTENT_TYPE, 'utf8');
  private readonly keyId: Buffer | undefined;
  /** The key as a KeyObject: createHmac with a string key imports it again per call. */
  private readonly signingKey: KeyObject;

  constructor(
    private readonly storeId: string,
    signingKey: string,
    keyId?: string,
  ) {
    this.signingKey = createSecretKey(Buffer.from(signingKey, 'utf8'));
    this.key = Buffer.from(storeId, 'utf8');
    this.keyId = keyId ? Buffer.from(keyId, 'utf8') : undefined;
  }

  /** One message per record, in order; `highWaterSeq` is the store's last seq at send time. */
  messages(records: readonly BufferRecord<SaleEvent>[], highWaterSeq: number): Message[] {
    const highWater = Buffer.from(`","high_water_seq":${highWaterSeq}}`, 'latin1');
    let bound = 0;
    for (const record of records) bound += copiedValueBound(record.json, highWater);
    const values = Buffer.allocUnsafe(bound);
    let at = 0;
    const messages = new Array<Message>(records.length);
    for (let i = 0; i < records.length; i++) {
      const json = records[i]!.json;
      const end = copyKafkaValue(json, values, at, highWater, this.key);
      if (end < 0) {
        messages[i] = this.rebuilt(json, highWaterSeq);
        continue;
      }
      messages[i] = this.message(values.subarray(at, end), this.key);
      at = end;
    }
    return messages;
  }

  private message(value: Buffer, storeId: Buffer): Message {
    const signature = createHmac('sha256', this.signingKey).update(value).digest('hex');
    const headers: Message['headers'] = { [KAFKA_HEADER_STORE_ID]: storeId, [KAFKA_HEADER_SIGNATURE]: signature, [KAFKA_HEADER_CONTENT_TYPE]: this.contentType };
    if (this.keyId) headers[KAFKA_HEADER_KEY_ID] = this.keyId;
    return { key: storeId, value, headers };
  }

  /** A record of another layout: parsed, and its value encoded by the contract's own encoder. */
  private rebuilt(json: Buffer, highWaterSeq: number): Message {
    const { sale_json: saleJson, ...envelope } = wireEventFromJson(json);
    const value = encodeKafkaSaleEvent({ ...envelope, sale_json: saleJson.toString('utf8'), high_water_seq: highWaterSeq });
    return this.message(value, envelope.store_id === this.storeId ? this.key : Buffer.from(envelope.store_id, 'utf8'));
  }
}

/** The envelope keys before each value, in record order; `string` marks a string value, else the seq. */
const ENVELOPE = [
  { literal: EVENT_ID, string: true },
  { literal: STORE_ID, string: true },
  { literal: SEQ, string: false },
  { literal: RECEIVED_AT, string: true },
  { literal: TRACE_ID, string: true },
];
const SALE_JSON = Buffer.from('","sale_json":"', 'latin1');

/** Bytes copyKafkaValue may write for `json` at most: the sale at most doubles (every byte escaped). */
function copiedValueBound(json: Buffer, highWater: Buffer): number {
  return 2 * json.length + SALE_JSON.length + highWater.length;
}

/**
 * Writes the Kafka value of the buffered record `json` into `out` at `at` and returns where it ends,
 * or -1 (nothing usable written) when the record is not in the layout above: envelope strings of
 * printable ASCII without escapes, store_id = `storeId`, a plain decimal seq, the sale an object
 * closing right before the record does, no raw control character.
 */
export function copyKafkaValue(json: Buffer, out: Buffer, at: number, highWater: Buffer, storeId: Buffer): number {
  let read = 0;
  for (const { literal, string } of ENVELOPE) {
    read = literalAt(json, read, literal);
    if (read < 0) return -1;
    if (string) {
      const start = read;
      while (read < json.length && json[read] !== QUOTE) {
        const byte = json[read]!;
        if (byte === BACKSLASH || byte < 0x20 || byte > 0x7e) return -1;
        read++;
      }
      // The key and x-store-id header are the shipper's store id: a record of another store is rebuilt.
      if (literal === ENVELOPE[1]!.literal && storeId.compare(json, start, read) !== 0) return -1;
    } else {
      const start = read;
      while (read < json.length && json[read]! >= ZERO && json[read]! <= NINE) read++;
      // JSON.stringify of a safe integer: no leading zero, at most 16 digits.
      if (read === start || read - start > 16 || (json[start] === ZERO && read - start > 1)) return -1;
    }
  }
  const envelopeEnd = read; // the quote closing trace_id: the value goes on from here
  const saleStart = literalAt(json, read, SALE);
  if (saleStart < 0 || json[saleStart] !== OPEN_BRACE || json[json.length - 1] !== CLOSE_BRACE) return -1;
  let write = at + json.copy(out, at, 0, envelopeEnd);
  write += SALE_JSON.copy(out, write);
  let depth = 0;
  let inString = false;
  const saleEnd = json.length - 1; // the record's closing brace
  for (read = saleStart; read < saleEnd; read++) {
    const byte = json[read]!;
    if (byte < 0x20) return -1;
    if (byte === QUOTE || byte === BACKSLASH) out[write++] = BACKSLASH;
    out[write++] = byte;
    if (inString) {
      if (byte === BACKSLASH) {
        read++; // the escaped character is copied as it is, a quote or backslash escaped once more
        const escaped = json[read]!;
        if (read >= saleEnd || escaped < 0x20) return -1;
        if (escaped === QUOTE || escaped === BACKSLASH) out[write++] = BACKSLASH;
        out[write++] = escaped;
      } else if (byte === QUOTE) {
        inString = false;
      }
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth++;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
      // The sale must close at the record's last byte but one, and not before.
      if (depth === 0 && read !== saleEnd - 1) return -1;
    }
  }
  if (depth !== 0 || inString) return -1;
  write += highWater.copy(out, write);
  return write;
}

/**
 * kafkajs's DefaultPartitioner (murmur2 of the key, modulo the partition count) remembering its last
 * answer: every record of a store has the same key, and the default one hashes it with 64-bit Long
 * arithmetic and filters the partition list again per record. Same partition as the default, always.
 */
export const cachedDefaultPartitioner: ICustomPartitioner = () => {
  const partitioner = Partitioners.DefaultPartitioner();
  let last: { topic: string; key: Buffer; partitions: number; partition: number } | undefined;
  return (args) => {
    const { topic, partitionMetadata, message } = args;
    const key = message.key;
    if (!Buffer.isBuffer(key) || (message.partition !== undefined && message.partition !== null)) return partitioner(args);
    if (last && last.key === key && last.topic === topic && last.partitions === partitionMetadata.length) return last.partition;
    const partition = partitioner(args);
    last = { topic, key, partitions: partitionMetadata.length, partition };
    return partition;
  };
};
