/** Every stage of the bench, in the order of the flow (the order they run and are reported in). */
import { bufferStage } from './buffer.ts';
import { endToEndStage } from './end-to-end.ts';
import { enqueueStage } from './enqueue.ts';
import { grpcStage } from './grpc.ts';
import type { BenchStage } from './harness.ts';
import { intakeStage } from './intake.ts';
import { kafkaStage } from './kafka.ts';
import { memoryStage } from './memory.ts';
import { rollupStage } from './rollup.ts';
import { workerStage } from './worker.ts';

export const STAGES: readonly BenchStage[] = [intakeStage, bufferStage, grpcStage, kafkaStage, enqueueStage, workerStage, rollupStage, endToEndStage, memoryStage];
