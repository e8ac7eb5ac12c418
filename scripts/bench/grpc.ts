/**
 * gRPC shipping: a store process starts on a buffer of N unacked sales and its shipper streams them to
 * an Ingest/Ship endpoint that acks at once (grpc-sink.ts), so only the store → central hop is
 * measured. Ceiling: a bare grpc-js stream, in its own process, sending the very batches the store
 * sent (recorded by the sink in round 1) to the same endpoint. Both timed at the sink.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { explainMiss, interleave, withTimeout, medianFigures, perSecond, ratioTarget, type BenchStage, type Figures } from './harness.ts';
import { cpuSecondsOf, runScript, startStore, type BenchStore } from './processes.ts';
import { cpuProfileEnv, readChildProfile, startChildProfile, summarizeProfile } from './profile.ts';
import { ShipSink } from './grpc-sink.ts';
import { copyFilledStore, filledStore } from './store-fixture.ts';

const TARGET = 0.7;

export const grpcStage: BenchStage = {
  name: 'grpc',
  needs: [],
  title: 'gRPC shipping: the store shipper draining N buffered sales to an acking Ingest/Ship endpoint vs a bare grpc-js stream of the same encoded batches to the same endpoint',
  async run(scale, context) {
    const events = scale.pick(100_000, 5_000);
    const source = await filledStore(context, events);
    const sink = await ShipSink.start();
    const batchesFile = join(context.workDir, 'grpc-batches.jsonl');
    let batchCount = 0;

    const shipOnce = async (round: number, env: Record<string, string> = {}, beforeShip?: (store: BenchStore) => Promise<void>): Promise<Figures> => {
      const dataDir = join(context.workDir, `grpc-${round}`);
      const remove = copyFilledStore(source, dataDir);
      const window = sink.expect(events, round === 0);
      // The shipper starts with the process: the sink's clock starts at the first batch, not at start-up.
      const store = await startStore({ storeId: source.storeId, dataDir, endpoints: `127.0.0.1:${sink.port}`, logFile: join(context.workDir, 'grpc-store.log'), env });
      try {
        await beforeShip?.(store);
        const cpuBefore = cpuSecondsOf(store.pid);
        const { ms, batches } = await withTimeout(window, 300_000, 'the store shipping to the sink');
        const cpu = cpuSecondsOf(store.pid) - cpuBefore;
        if (round === 0) batchCount = sink.writeRecorded(batchesFile);
        return { events_per_s: perSecond(events, ms), events_per_batch: events / batches, store_cpu_us_per_event: (cpu * 1e6) / events };
      } finally {
        await store.stop();
        remove();
      }
    };

    const bare = async (mode: 'pipelined' | 'one-in-flight') => {
      const window = sink.expect(events);
      await runScript('scripts/bench/grpc-raw-client.ts', [String(sink.port), batchesFile, source.storeId, mode]);
      return perSecond(events, (await withTimeout(window, 300_000, 'the bare client shipping to the sink')).ms);
    };

    try {
      const measured = await interleave(scale.rounds, (round) => shipOnce(round), async () => ({
        events_per_s: await bare('pipelined'),
        one_in_flight_events_per_s: await bare('one-in-flight'),
        events_per_batch: events / batchCount,
      }));
      const ours = medianFigures(measured.ours);
      const ceiling = medianFigures(measured.ceiling);
      const notes = [
        `${events.toLocaleString('en-US')} sales (${(source.bufferedBytes / 2 ** 20).toFixed(0)} MiB buffered) per round, ${scale.rounds} interleaved rounds, medians; the endpoint acks every event ACCEPTED at once, so central's queue is not in this figure (see enqueue).`,
        'Ceiling events_per_s: the recorded batches written as fast as the stream takes them; one_in_flight_events_per_s: the same bare client waiting for each ack before the next batch, as the shipper does (one batch in flight keeps a store\'s events in order).',
      ];
      return await explainMiss({ ours, ceiling, ...ratioTarget(ours.events_per_s! / ceiling.events_per_s!, TARGET), notes }, async () => {
        const profileDir = join(context.workDir, 'grpc-profile');
        mkdirSync(profileDir, { recursive: true });
        // Profiling starts as soon as the process answers; the sink's window is still the same drain.
        await shipOnce(scale.rounds, cpuProfileEnv(profileDir), (store) => startChildProfile(store.pid));
        const oneInFlightShare = ceiling.one_in_flight_events_per_s! / ceiling.events_per_s!;
        const cpuCeiling = 1e6 / ours.store_cpu_us_per_event!;
        return [
          ...summarizeProfile(readChildProfile(profileDir)),
          `The bare client sending one batch at a time still reaches ${(oneInFlightShare * 100).toFixed(0)}% of its pipelined rate, so ${oneInFlightShare > 0.85 ? 'waiting for each ack is not where the time goes' : 'waiting for each ack costs part of the gap'}. ` +
            `The store spends ~${ours.store_cpu_us_per_event!.toFixed(0)} µs of CPU per shipped event, which caps one core near ${Math.round(cpuCeiling).toLocaleString('en-US')} events/s: reading each record back from the buffer and JSON.parse of it, rebuilding the wire event (sale_json re-stringified to bytes), protobuf encoding, the ack cursor write per batch, and for every fully acked segment the receipt index persisting its keys (fdatasync) before the segment is deleted. ` +
            `What closes it: hand the sale's buffered JSON bytes to the wire as they are (the record payload is already JSON; parse only the envelope fields), which removes a parse and a stringify per event${oneInFlightShare > 0.85 ? '' : ', and keep two or three batches in flight on the one stream (acks come back in order, so per-store order and the cursor rule hold)'}.`,
        ];
      });
    } finally {
      sink.stop();
    }
  },
};
