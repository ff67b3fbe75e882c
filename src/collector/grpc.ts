// A pbflow.Collector server: flowcast agents (EXPORT=grpc), NetObserv agents and flowcast-bridge
// send to it; each Records message reaches the handler as decoded records.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

import { COLLECTOR_SERVICE, decodeRecords, type PbflowRecord } from '../encode/pbflow.js';
import { CollectorError } from './errors.js';

export interface GrpcCollectorOptions {
  /** 0 picks a free port (see `port` on the result). */
  port: number;
  host?: string;
  /** PEM files. With `caFile`, clients must present a certificate signed by it (mutual TLS). */
  tls?: { certFile: string; keyFile: string; caFile?: string };
  /** Resolve to acknowledge; throw (or reject) to have the sender retry the message. */
  onRecords: (records: PbflowRecord[], peer: string) => void | Promise<void>;
  onError?: (error: CollectorError) => void;
}

export interface RunningCollector {
  port: number;
  close(): Promise<void>;
}

export async function startGrpcCollector(options: GrpcCollectorOptions): Promise<RunningCollector> {
  const server = new grpc.Server();
  const report = options.onError ?? (() => undefined);
  server.addService(COLLECTOR_SERVICE, {
    Send: async (call: grpc.ServerUnaryCall<Buffer, object>, callback: grpc.sendUnaryData<object>) => {
      let records: PbflowRecord[];
      try {
        records = decodeRecords(call.request);
      } catch (error) {
        report(new CollectorError('protobuf', (error as Error).message, { cause: error }));
        callback({ code: grpc.status.INVALID_ARGUMENT, details: (error as Error).message });
        return;
      }
      try {
        await options.onRecords(records, call.getPeer());
        callback(null, {});
      } catch (error) {
        report(new CollectorError('handler', `the records handler failed: ${(error as Error).message}`, { cause: error }));
        callback({ code: grpc.status.UNAVAILABLE, details: 'the collector could not take the records; retry' });
      }
    },
  });
  const credentials = options.tls
    ? grpc.ServerCredentials.createSsl(
        options.tls.caFile ? readFileSync(options.tls.caFile) : null,
        [{ private_key: readFileSync(options.tls.keyFile), cert_chain: readFileSync(options.tls.certFile) }],
        Boolean(options.tls.caFile),
      )
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host ?? '0.0.0.0'}:${options.port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    port,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
