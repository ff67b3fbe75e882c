// A pbflow.Collector server: flowcast agents (EXPORT=grpc), NetObserv agents and flowcast-bridge
// send to it; each Records message reaches the handler as decoded records.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

import { COLLECTOR_SERVICE, decodeRecords, type PbflowRecord } from '../encode/pbflow.js';
import { readRecords, type ColumnarRecords } from '../encode/pbflow-reader.js';
import type { FlowColumnsPool } from '../model/index.js';
import { CollectorError } from './errors.js';

/** gRPC's own default; a larger message is refused by grpc-js before it is buffered whole. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** A decoded record costs about 1.4 KB of heap: 50,000 bound a message to about 70 MB. */
export const DEFAULT_MAX_RECORDS = 50_000;
/** Flow times from 1970 up to what microseconds hold as safe integers (year 2255). */
const MAX_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1e6);

export interface GrpcCollectorOptions {
  /** 0 picks a free port (see `port` on the result). */
  port: number;
  /** The address to listen on; default 127.0.0.1 (set 0.0.0.0 or `::` for other hosts to reach it). */
  host?: string;
  /** PEM files. With `caFile`, clients must present a certificate signed by it (mutual TLS). */
  tls?: { certFile: string; keyFile: string; caFile?: string };
  /** Largest message accepted (bytes); a larger one is answered RESOURCE_EXHAUSTED. Default 4 MiB. */
  maxMessageBytes?: number;
  /** Most records in one message, counted before decoding; more is answered RESOURCE_EXHAUSTED. Default 50,000. */
  maxRecords?: number;
  /**
   * Resolve to acknowledge; throw (or reject) to have the sender retry the message, or throw a
   * CollectorError of kind 'invalid' to refuse it for good (INVALID_ARGUMENT). `message` is the
   * Records message as received.
   */
  onRecords?: (records: PbflowRecord[], peer: string, message: Buffer) => void | Promise<void>;
  /**
   * Instead of onRecords: the message's records as flowcast flows in columns, decoded without an
   * object per record (docs/collector.md, "Fast"); the same answers as onRecords.
   */
  onFlows?: (records: ColumnarRecords, peer: string, message: Buffer) => void | Promise<void>;
  /**
   * With onFlows: read each message into columns lent by this pool. Once onFlows resolved they are
   * the handler's, to give back when done with them; the collector gives them back when it refuses
   * the message or the handler throws.
   */
  columnsPool?: FlowColumnsPool;
  onError?: (error: CollectorError) => void;
}

export interface RunningCollector {
  port: number;
  close(): Promise<void>;
}

/** Records.entries (field 1) in a message, counted on the wire; stops early past `limit` or at a malformed field (the decoder reports those). */
function countRecords(data: Uint8Array, limit: number): number {
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 64 && pos < data.length; shift += 7) {
      const byte = data[pos++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    return -1;
  };
  let count = 0;
  while (pos < data.length && count <= limit) {
    const tag = varint();
    const wireType = tag % 8;
    if (tag < 0) break;
    if (wireType === 0) {
      if (varint() < 0) break;
    } else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else if (wireType === 2) {
      const length = varint();
      if (length < 0) break;
      pos += length;
      if (Math.floor(tag / 8) === 1) count++;
    } else break;
  }
  return count;
}

/** Why a decoded record is not a flow, or undefined. */
function invalidTime(record: PbflowRecord): string | undefined {
  for (const [name, time] of [
    ['time_flow_start', record.timeFlowStart],
    ['time_flow_end', record.timeFlowEnd],
  ] as const) {
    if (!time) continue;
    if (time.seconds < 0 || time.seconds > MAX_SECONDS || time.nanos < 0 || time.nanos > 999_999_999) {
      return `${name} {seconds: ${time.seconds}, nanos: ${time.nanos}} is out of range (1970 to 2255, nanos 0 to 999999999)`;
    }
  }
  return undefined;
}

export async function startGrpcCollector(options: GrpcCollectorOptions): Promise<RunningCollector> {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
  const server = new grpc.Server({ 'grpc.max_receive_message_length': maxMessageBytes });
  const report = options.onError ?? (() => undefined);
  const { onRecords, onFlows } = options;
  if (!onRecords === !onFlows) throw new TypeError('startGrpcCollector needs onRecords or onFlows (one of them)');
  const refuse = (callback: grpc.sendUnaryData<object>, code: grpc.status, error: CollectorError) => {
    report(error);
    callback({ code, details: error.message });
  };
  server.addService(COLLECTOR_SERVICE, {
    Send: async (call: grpc.ServerUnaryCall<Buffer, object>, callback: grpc.sendUnaryData<object>) => {
      // Counted before decoding: a 2 MB message of a million empty records decodes to 1.4 GB.
      const count = countRecords(call.request, maxRecords);
      if (count > maxRecords) {
        refuse(callback, grpc.status.RESOURCE_EXHAUSTED, new CollectorError('limit', `more than ${maxRecords} records in one message; send fewer per message`));
        return;
      }
      let records: PbflowRecord[] | ColumnarRecords;
      try {
        records = onFlows ? readRecords(call.request, options.columnsPool) : decodeRecords(call.request);
      } catch (error) {
        refuse(callback, grpc.status.INVALID_ARGUMENT, new CollectorError('protobuf', (error as Error).message, { cause: error }));
        return;
      }
      const giveBack = () => {
        if (!Array.isArray(records)) options.columnsPool?.give(records.flows);
      };
      const problem = Array.isArray(records) ? records.map(invalidTime).find(Boolean) : records.invalid;
      if (problem) {
        giveBack();
        refuse(callback, grpc.status.INVALID_ARGUMENT, new CollectorError('invalid', problem));
        return;
      }
      try {
        if (Array.isArray(records)) await onRecords!(records, call.getPeer(), call.request);
        else await onFlows!(records, call.getPeer(), call.request);
      } catch (error) {
        giveBack();
        if (error instanceof CollectorError && error.kind === 'invalid') {
          refuse(callback, grpc.status.INVALID_ARGUMENT, error);
          return;
        }
        report(new CollectorError('handler', `the records handler failed: ${(error as Error).message}`, { cause: error }));
        callback({ code: grpc.status.UNAVAILABLE, details: 'the collector could not take the records; retry' });
        return;
      }
      callback(null, {});
    },
  });
  const credentials = options.tls
    ? grpc.ServerCredentials.createSsl(
        options.tls.caFile ? readFileSync(options.tls.caFile) : null,
        [{ private_key: readFileSync(options.tls.keyFile), cert_chain: readFileSync(options.tls.certFile) }],
        Boolean(options.tls.caFile),
      )
    : grpc.ServerCredentials.createInsecure();
  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${options.port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { port, close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}
