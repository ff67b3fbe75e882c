// GRPC_RECONNECT_TIMER: a new connection every period (between batches), so that agents spread
// over the collector pods behind one Service, as NetObserv's agent does. The collector sees each
// connection as a peer with its own source port.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';

import { loadConfig } from '../../src/config/index.js';
import { COLLECTOR_SERVICE, decodeRecords } from '../../src/encode/pbflow.js';
import { GrpcExporter } from '../../src/export/grpc.js';
import { uniqueFlowsBatch } from '../helpers/batches.js';
import { waitUntil } from '../helpers/wait.js';

async function peersOf(reconnect: { periodMs: number; randomizationMs: number } | undefined, batches: number): Promise<{ peers: string[]; flows: number }> {
  const peers: string[] = [];
  let flows = 0;
  const server = new grpc.Server();
  server.addService(COLLECTOR_SERVICE, {
    Send: (call: grpc.ServerUnaryCall<Buffer, object>, callback: grpc.sendUnaryData<object>) => {
      peers.push(call.getPeer());
      flows += decodeRecords(call.request).length;
      callback(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const exporter = new GrpcExporter({ target: { host: '127.0.0.1', port }, grpc: { maxFlows: 1000, reconnect } }, '198.18.0.1');
  try {
    for (let sequence = 0; sequence < batches; sequence++) {
      const sent = Date.now();
      await exporter.send(uniqueFlowsBatch(5, sequence));
      // The period (1 ms here) has passed before the next batch.
      await waitUntil(() => Date.now() > sent + 1, 'a millisecond');
    }
  } finally {
    await exporter.close();
    server.forceShutdown();
  }
  return { peers, flows };
}

test('without GRPC_RECONNECT_TIMER every batch goes over one connection', async () => {
  const { peers, flows } = await peersOf(undefined, 3);
  assert.equal(flows, 15);
  assert.equal(new Set(peers).size, 1, peers.join(' '));
});

test('with GRPC_RECONNECT_TIMER a batch after the period goes over a new connection', async () => {
  const { peers, flows } = await peersOf({ periodMs: 1, randomizationMs: 0 }, 3);
  assert.equal(flows, 15);
  assert.equal(new Set(peers).size, 3, peers.join(' '));
});

test('GRPC_RECONNECT_TIMER and its randomization are read as NetObserv writes them; the randomization must be below the timer', () => {
  const config = loadConfig({
    EXPORT: 'grpc',
    TARGET_HOST: '127.0.0.1',
    TARGET_PORT: '9999',
    GRPC_RECONNECT_TIMER: '5m',
    GRPC_RECONNECT_TIMER_RANDOMIZATION: '30s',
  });
  assert.deepEqual(config.grpc.reconnect, { periodMs: 300_000, randomizationMs: 30_000 });
  assert.throws(
    () => loadConfig({ EXPORT: 'grpc', TARGET_HOST: '127.0.0.1', TARGET_PORT: '9999', GRPC_RECONNECT_TIMER: '30s', GRPC_RECONNECT_TIMER_RANDOMIZATION: '30s' }),
    /GRPC_RECONNECT_TIMER_RANDOMIZATION="30s": must be less than GRPC_RECONNECT_TIMER \(30s\)/,
  );
});
