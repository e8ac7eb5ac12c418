import { describe, expect, it } from 'vitest';
import { kafkaSigningKeyFor, storeKeyFor } from '@retail-sync/libs/domain';
import { EmbeddedStoreCredentials } from '@retail-sync/libs/embedded';
import { KAFKA_HEADER_CONTENT_TYPE, KAFKA_HEADER_SIGNATURE, kafkaSaleRecord, signKafkaValue, type KafkaSaleRecord } from '@retail-sync/libs/proto';
import { wireEventFixture } from '../../test-fixtures.ts';
import { CredentialCrypto, issueStoreKey, StoreKeyVerifier } from '../store-credentials.ts';
import { checkRecord, resolveSigningKeys, type KafkaRecordIn, type RecordCheckContext } from './record-check.ts';

const SECRET = 'test-secret';
const context: RecordCheckContext = { topic: 'rs-test', partition: 2, storeKeySecret: SECRET, now: '2026-03-08T12:00:00.000Z' };

function signedRecord(storeId = 'nyc-001', signingStore = storeId): KafkaSaleRecord {
  const wire = wireEventFixture({ store_id: storeId, seq: 3 });
  return kafkaSaleRecord({ ...wire, sale_json: Buffer.from(wire.sale_json).toString('utf8'), high_water_seq: 5 }, storeKeyFor(SECRET, signingStore));
}

/** As kafkajs delivers it: header values as Buffers. */
function delivered(record: KafkaSaleRecord, offset = '41'): KafkaRecordIn {
  return {
    offset,
    timestamp: String(Date.parse('2026-03-08T11:59:00.000Z')),
    value: record.value,
    headers: Object.fromEntries(Object.entries(record.headers).map(([name, value]) => [name, Buffer.from(value)])),
  };
}

describe('Kafka record check', () => {
  it('passes a record signed by its store on to the core with its store and high-water seq', () => {
    const record = signedRecord();
    const checked = checkRecord(delivered(record), context);
    expect(checked).toMatchObject({ ok: true, storeId: 'nyc-001', highWaterSeq: 5, event: { store_id: 'nyc-001', seq: 3 } });
    expect(checked.ok && JSON.parse(String(checked.event.sale_json))).toMatchObject({ receipt_no: 'r-1001' });
  });

  it('dead-letters a record signed with another store key as unauthenticated, trusting none of its claims', () => {
    const checked = checkRecord(delivered(signedRecord('nyc-001', 'bos-001')), context);
    expect(checked).toEqual({
      ok: false,
      letter: expect.objectContaining({
        id: 'kafka:rs-test:2:41',
        stage: 'kafka',
        reason_code: 'RS_ERR_UNAUTHENTICATED',
        reason: "signature is not valid for store 'nyc-001'",
        store_id: null,
        event_id: null,
        seq: null,
        received_at: '2026-03-08T11:59:00.000Z',
      }),
    });
  });

  it('dead-letters a record without signature or store header as unauthenticated', () => {
    const record = signedRecord();
    const unsigned = delivered(record);
    delete unsigned.headers![KAFKA_HEADER_SIGNATURE];
    expect(checkRecord(unsigned, context)).toMatchObject({ ok: false, letter: { reason_code: 'RS_ERR_UNAUTHENTICATED', payload: record.value.toString('utf8') } });
    expect(checkRecord({ ...unsigned, headers: undefined }, context)).toMatchObject({ ok: false, letter: { reason_code: 'RS_ERR_UNAUTHENTICATED', reason: 'missing x-store-id header' } });
  });

  it('dead-letters a store the catalog does not know when a catalog is given', () => {
    const catalog = { store: (id: string) => (id === 'nyc-001' ? ({ store_id: id } as never) : undefined) };
    expect(checkRecord(delivered(signedRecord('ghost-001')), { ...context, catalog })).toMatchObject({ ok: false, letter: { reason_code: 'RS_ERR_UNAUTHENTICATED' } });
    expect(checkRecord(delivered(signedRecord('nyc-001')), { ...context, catalog })).toMatchObject({ ok: true });
  });

  it('dead-letters a signed but undecodable record with its reason, keeping binary payloads as base64', () => {
    const garbage = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]);
    const headers = { 'x-store-id': 'nyc-001', [KAFKA_HEADER_SIGNATURE]: signKafkaValue(storeKeyFor(SECRET, 'nyc-001'), garbage) };
    const checked = checkRecord({ offset: '7', timestamp: '0', value: garbage, headers }, context);
    expect(checked).toMatchObject({ ok: false, letter: { reason_code: 'RS_ERR_INVALID_EVENT', store_id: 'nyc-001', payload: garbage.toString('base64'), received_at: null } });
    expect(!checked.ok && checked.letter.reason).toMatch(/^undecodable record: value is not UTF-8 JSON.*payload kept as base64/);
  });

  it('dead-letters a content type of a version this central does not read', () => {
    const record = delivered(signedRecord());
    record.headers![KAFKA_HEADER_CONTENT_TYPE] = Buffer.from('application/vnd.retail-sync.sale-event.v2+json');
    expect(checkRecord(record, context)).toMatchObject({ ok: false, letter: { reason_code: 'RS_ERR_INVALID_EVENT', reason: expect.stringContaining('unsupported content-type') } });
  });
});

describe('Kafka record check with issued keys', () => {
  const crypto = new CredentialCrypto('test-pepper');

  async function setup(devSecret?: string) {
    const keys = await EmbeddedStoreCredentials.open(':memory:');
    await keys.migrate();
    const nyc = await issueStoreKey(keys, crypto, 'nyc-001', new Date());
    const bos = await issueStoreKey(keys, crypto, 'bos-001', new Date());
    const verifier = new StoreKeyVerifier({ port: keys, crypto, devSecret, cacheTtlMs: 0 });
    return { keys, nyc, bos, verifier };
  }

  function issuedRecord(storeId: string, signingKey: string, keyId: string | undefined): KafkaRecordIn {
    const wire = wireEventFixture({ store_id: storeId, seq: 3 });
    return delivered(kafkaSaleRecord({ ...wire, sale_json: Buffer.from(wire.sale_json).toString('utf8'), high_water_seq: 5 }, signingKey, keyId));
  }

  it('accepts a record signed with its store key and dead-letters wrong, foreign, revoked or derived signatures as RS_ERR_UNAUTHENTICATED', async () => {
    const { keys, nyc, bos, verifier } = await setup();
    const records = [
      issuedRecord('nyc-001', kafkaSigningKeyFor(nyc.secret), nyc.key_id),
      issuedRecord('nyc-001', kafkaSigningKeyFor(bos.secret), bos.key_id),
      issuedRecord('nyc-001', kafkaSigningKeyFor(bos.secret), nyc.key_id),
      issuedRecord('nyc-001', nyc.secret, nyc.key_id),
      issuedRecord('nyc-001', storeKeyFor(SECRET, 'nyc-001'), undefined),
    ];
    const signingKeyFor = await resolveSigningKeys(records, verifier);
    const outcomes = records.map((record) => checkRecord(record, { ...context, signingKeyFor }));
    expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.letter.reason_code))).toEqual(['ok', ...Array(4).fill('RS_ERR_UNAUTHENTICATED')]);
    expect(outcomes.slice(1).every((outcome) => !outcome.ok && outcome.letter.store_id === null)).toBe(true);

    await keys.revoke(nyc.key_id, new Date().toISOString());
    const afterRevoke = checkRecord(records[0]!, { ...context, signingKeyFor: await resolveSigningKeys(records, verifier) });
    expect(afterRevoke).toMatchObject({ ok: false, letter: { reason_code: 'RS_ERR_UNAUTHENTICATED', reason: expect.stringContaining('revoked') } });
    await keys.close();
  });

  it('accepts derived dev signatures only while derived dev keys are on', async () => {
    const { keys, verifier } = await setup(SECRET);
    const record = issuedRecord('nyc-001', storeKeyFor(SECRET, 'nyc-001'), undefined);
    expect(checkRecord(record, { ...context, signingKeyFor: await resolveSigningKeys([record], verifier) })).toMatchObject({ ok: true });
    await keys.close();
  });
});
