// NATS_STREAM_REPLICAS: the stream (and the schema bucket) the agent creates is replicated over a three-node JetStream
// cluster (real nats-servers on loopback ports, each with its own store).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

import { ConfigError, loadConfig } from '../../src/config/index.js';
import { createEventEncoder, newIdentity } from '../../src/encode/cloudevent.js';
import { NatsExporter } from '../../src/export/nats.js';
import { sampleBatch } from '../helpers/batches.js';
import { silentLog } from '../helpers/constants.js';
import { NatsCluster } from '../helpers/nats-server.js';
import { waitUntil } from '../helpers/wait.js';

test('NATS_STREAM_REPLICAS: 1 by default, 1 to 5, one line naming it otherwise', () => {
  assert.equal(loadConfig({ EXPORT: 'nats', NATS_URL: 'nats://a:4222' }).nats.streamReplicas, 1);
  assert.equal(loadConfig({ EXPORT: 'nats', NATS_URL: 'nats://a:4222', NATS_STREAM_REPLICAS: '3' }).nats.streamReplicas, 3);
  for (const bad of ['0', '6', 'three']) {
    assert.throws(
      () => loadConfig({ EXPORT: 'nats', NATS_URL: 'nats://a:4222', NATS_STREAM_REPLICAS: bad }),
      (error: ConfigError) => error.message === `NATS_STREAM_REPLICAS="${bad}": must be an integer from 1 to 5`,
    );
  }
});

test('a three-node JetStream cluster: the agent creates its stream with three replicas and the batch is stored', { timeout: 90_000 }, async () => {
  const cluster = await NatsCluster.start();
  const config = loadConfig({ EXPORT: 'nats', NATS_URL: cluster.urls.join(','), NATS_JETSTREAM: 'true', NATS_STREAM: 'REPLICATED', NATS_STREAM_REPLICAS: '3' });
  const exporter = new NatsExporter({ nats: config.nats, encode: await createEventEncoder('binary', newIdentity('node-a'), false) }, silentLog);
  const nc = await connect({ servers: cluster.urls });
  try {
    // Until the cluster has elected its JetStream meta leader, creating a stream fails: retry.
    const batch = sampleBatch(5);
    let lastError = '';
    await waitUntil(
      async () =>
        exporter.send(batch).then(
          () => true,
          (error: Error) => {
            lastError = error.message;
            return false;
          },
        ),
      () => `the batch sent once the cluster formed (last error: ${lastError})`,
      60_000,
      500,
    );
    const manager = await jetstreamManager(nc);
    let info = await manager.streams.info('REPLICATED');
    assert.equal(info.config.num_replicas, 3);
    assert.deepEqual(info.config.subjects, [config.nats.subject]);
    // Every peer reports in: the leader and two replicas on the other servers.
    await waitUntil(async () => {
      info = await manager.streams.info('REPLICATED');
      return (info.cluster?.replicas?.length ?? 0) === 2;
    }, 'two replicas besides the leader');
    const servers = new Set([info.cluster!.leader, ...info.cluster!.replicas!.map((replica) => replica.name)]);
    assert.deepEqual([...servers].sort(), ['n0', 'n1', 'n2']);
    assert.equal(info.state.messages, 1);
    assert.equal((await manager.streams.info('KV_flowcast-schemas')).config.num_replicas, 3, 'the schema bucket is replicated as the stream is');
  } finally {
    await exporter.close();
    await nc.close();
    await cluster.stop();
  }
});
