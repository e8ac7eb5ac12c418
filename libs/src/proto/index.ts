/** The store → central gRPC contract, loaded from retail_sync.proto at run time (no codegen step). */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_PATH = fileURLToPath(new URL('./retail_sync.proto', import.meta.url));

export interface WireSaleEvent {
  event_id: string;
  store_id: string;
  seq: number;
  received_at: string;
  trace_id: string;
  sale_json: Buffer;
}

export interface ShipBatch {
  batch_id: string;
  events: WireSaleEvent[];
  high_water_seq: number;
}

export type Outcome = 'ACCEPTED' | 'DUPLICATE' | 'REJECTED';

export interface EventAck {
  event_id: string;
  seq: number;
  outcome: Outcome;
  reason_code: string;
  reason: string;
}

export interface ShipAck {
  batch_id: string;
  acks: EventAck[];
}

/** Metadata keys of the store credential. */
export const METADATA_STORE_ID = 'x-store-id';
export const METADATA_AUTHORIZATION = 'authorization';
/** Id of an issued store key (`rsk_…`); absent when the store uses the derived dev key. */
export const METADATA_STORE_KEY_ID = 'x-store-key-id';

let cached: grpc.GrpcObject | undefined;

function loadPackage(): grpc.GrpcObject {
  if (!cached) {
    const definition = protoLoader.loadSync(PROTO_PATH, {
      keepCase: true,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    cached = grpc.loadPackageDefinition(definition);
  }
  return cached;
}

/** The Ingest service definition (for server.addService) and client constructor. */
export function ingestService(): { service: grpc.ServiceDefinition; Client: grpc.ServiceClientConstructor } {
  const v1 = (loadPackage().retailsync as grpc.GrpcObject).v1 as grpc.GrpcObject;
  const Client = v1.Ingest as grpc.ServiceClientConstructor;
  return { service: Client.service, Client };
}

export {
  KAFKA_HEADER_CONTENT_TYPE,
  KAFKA_HEADER_KEY_ID,
  KAFKA_HEADER_SIGNATURE,
  KAFKA_HEADER_STORE_ID,
  KAFKA_SALE_EVENT_CONTENT_TYPE,
  decodeKafkaSaleEvent,
  encodeKafkaSaleEvent,
  isKafkaSignatureValid,
  kafkaHeaderText,
  kafkaSaleRecord,
  signKafkaValue,
  type KafkaDecodeResult,
  type KafkaSaleEvent,
  type KafkaSaleRecord,
} from './kafka-message.ts';
