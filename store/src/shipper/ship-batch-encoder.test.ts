import { describe, expect, it } from 'vitest';
import type * as grpc from '@grpc/grpc-js';
import { newEventId, newTraceId } from '@retail-sync/libs/domain';
import { ingestService, type ShipBatch } from '@retail-sync/libs/proto';
import { encodeShipBatch } from './ship-batch-encoder.ts';

const ship = ingestService().service.Ship as grpc.MethodDefinition<ShipBatch, unknown>;

function event(seq: number, overrides: Partial<ShipBatch['events'][number]> = {}): ShipBatch['events'][number] {
  return {
    event_id: newEventId(),
    store_id: 'nyc-001',
    seq,
    received_at: new Date(1_700_000_000_000 + seq).toISOString(),
    trace_id: newTraceId(),
    sale_json: Buffer.from(JSON.stringify({ receipt_no: `R${seq}`, lines: [{ sku: 'milk-1l', qty: 2 }] }), 'utf8'),
    ...overrides,
  };
}

describe('encodeShipBatch', () => {
  it('writes the bytes protobufjs writes, so central decodes the same batch', () => {
    const batch: ShipBatch = { batch_id: newEventId(), events: Array.from({ length: 300 }, (_, i) => event(i + 1)), high_water_seq: 1_234_567 };
    const ours = encodeShipBatch(batch);
    expect(ours.equals(ship.requestSerialize(batch))).toBe(true);
    expect(ship.requestDeserialize(ours)).toEqual(ship.requestDeserialize(ship.requestSerialize(batch)));
  });

  it('round-trips non-ASCII text, seqs past 2^32, long sales and fields at their default value', () => {
    const batch: ShipBatch = {
      batch_id: 'b-é中',
      events: [
        event(2 ** 40 + 7, { store_id: 'störe-1', trace_id: '' }),
        event(1, { sale_json: Buffer.alloc(70_000, 0x61) }),
        event(0, { sale_json: Buffer.alloc(0), received_at: '' }),
      ],
      high_water_seq: 0,
    };
    const decoded = ship.requestDeserialize(encodeShipBatch(batch)) as ShipBatch;
    expect(decoded).toEqual(ship.requestDeserialize(ship.requestSerialize(batch)));
    expect(decoded.events[0]!.seq).toBe(2 ** 40 + 7);
    expect(decoded.events[0]!.store_id).toBe('störe-1');
    expect(Buffer.from(decoded.events[1]!.sale_json).length).toBe(70_000);
  });
});
