// flowcast-bridge, in one of two directions:
// - nats-to-grpc: reads flowcast's JetStream stream through a durable consumer and forwards each
//   batch to a Flowlogs Pipeline (pbflow.Collector) endpoint. A message is acknowledged only after
//   every Send of its batch succeeded, and how many flows of it the target took is kept in a
//   JetStream KV bucket, so a restart of either side loses nothing and resends nothing.
// - grpc-to-nats: serves pbflow.Collector and republishes what NetObserv agents send as flowcast
//   CloudEvents, so a mixed fleet feeds one stream. Agents never resend a refused Send, so a Send
//   is answered OK once it is held (in memory, or in the spool), and published from there as NATS
//   takes it.
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';

import { CollectorError } from '../collector/errors.js';
import { startGrpcCollector } from '../collector/grpc.js';
import { startNatsCollector } from '../collector/nats.js';
import type { Config } from '../config/index.js';
import { createEventEncoder, type EventEncoder } from '../encode/cloudevent.js';
import { readRecords, type ColumnarRecords } from '../encode/pbflow-reader.js';
import { PbflowClient } from '../export/grpc.js';
import { NatsExporter } from '../export/nats.js';
import type { ColumnarFlowBatch } from '../model/index.js';
import { invalidConfiguration, startCommand } from '../runtime/cli.js';
import type { Logger } from '../runtime/log.js';
import { connectionOptions } from '../runtime/nats.js';
import { stopSignal } from '../runtime/signals.js';
import { HeldSends } from './hold.js';
import { startBridgeMetrics } from './metrics.js';
import { ProgressStore } from './progress.js';

/** How long a stop waits for held Sends to reach NATS. */
const STOP_DEADLINE_MS = 10_000;
const BACKOFF_MAX_MS = 5000;

export async function run(env: NodeJS.ProcessEnv): Promise<number> {
  const started = startCommand('flowcast-bridge', env);
  if (typeof started === 'number') return started;
  const { config, log } = started;
  if (config.bridge.mode === 'grpc-to-nats') return grpcToNats(config, log);
  if (!config.target.host || !config.target.port) {
    return invalidConfiguration('flowcast-bridge', 'TARGET_HOST and TARGET_PORT: required (the Flowlogs Pipeline gRPC endpoint)');
  }
  return natsToGrpc(config, log);
}

async function natsToGrpc(config: Config, log: Logger): Promise<number> {
  const client = new PbflowClient(config.target.host!, config.target.port!, config.grpc);
  const nc = await connect(connectionOptions(config.nats, 'flowcast-bridge-progress'));
  const progress = await ProgressStore.open(nc, `${config.nats.bridgeDurable}-progress`, config.nats.streamMaxAgeMs);
  // Events whose handler succeeded; their entries go once the next event starts (the consumer
  // awaits each acknowledgement before it delivers the next), or at stop, or with the TTL.
  let finished: string[] = [];
  const forget = async () => {
    for (const key of finished) await progress.delete(key).catch((error) => log.warn({ err: error }, "cannot delete an event's progress; it expires"));
    finished = [];
  };
  const collector = await startNatsCollector({
    nats: config.nats,
    durable: { stream: config.nats.stream, name: config.nats.bridgeDurable },
    // Avro to pbflow from Buffer to Buffer: the batch is read into columns, which the Records writer reads.
    onColumns: async (batch, event) => {
      await forget();
      const key = `${event.source} ${event.id}`;
      // Always the bucket, never a copy in memory: bridges sharing the durable take turns on a
      // redelivered event, and only the bucket knows how far the other one got.
      const from = await progress.get(key);
      if (from > 0) log.info({ id: event.id, from, flows: batch.flows.length }, 'resuming an event the target took in part');
      await client.sendFlows(batch.flows, batch.agentIp, config.grpc.maxFlows, from, (flows) => progress.put(key, flows));
      finished.push(key);
      log.debug({ id: event.id, flows: batch.flows.length }, 'forwarded');
    },
    onError: (error) =>
      log.warn(
        { kind: error.kind, err: error },
        error.kind === 'handler'
          ? 'forwarding failed; NATS will redeliver'
          : error.kind === 'pull'
            ? 'pulling from the durable failed; trying again'
            : 'dropped a malformed message',
      ),
  });
  log.info({ stream: config.nats.stream, durable: config.nats.bridgeDurable, target: `${config.target.host}:${config.target.port}` }, 'bridging');
  await stopSignal();
  await collector.close();
  await forget();
  await nc.drain();
  client.close();
  log.info('stopped');
  return 0;
}

/** One Send as a flowcast batch; the agent's IP names it, else the peer. */
function toBatch({ flows, agentIp }: ColumnarRecords, peer: string, sequence: number): ColumnarFlowBatch {
  let intervalStart = flows.firstSeen[0];
  let intervalEnd = 0;
  for (let index = 0; index < flows.length; index++) {
    intervalStart = Math.min(intervalStart, flows.firstSeen[index]);
    intervalEnd = Math.max(intervalEnd, flows.lastSeen[index]);
  }
  return { agentName: agentIp || peer, agentIp, sequence, part: 0, parts: 1, intervalStart, intervalEnd, ringBufferPackets: 0, lostPackets: 0, flows };
}

async function grpcToNats(config: Config, log: Logger): Promise<number> {
  const { bridge } = config;
  // Event ids are <run id>-<sequence>: a Send replayed from the spool keeps the id of the run that
  // received it, so JetStream stores it once whichever run publishes it.
  const runId = randomUUID();
  const encoders = new Map<string, Promise<EventEncoder>>();
  const encoderFor = (run: string) => {
    let encoder = encoders.get(run);
    if (!encoder) {
      encoder = createEventEncoder(
        config.cloudEvents.mode,
        { source: `/flowcast/${config.agent.nodeName}`, runId: run, extensions: config.cloudEvents.extensions },
        config.cloudEvents.avroSingleObject,
      );
      encoders.set(run, encoder);
    }
    return encoder;
  };
  const encode = await encoderFor(runId);
  let publishing: EventEncoder = encode;
  const exporter = new NatsExporter({ nats: config.nats, encode: (batch) => publishing(batch) }, log.child({ component: 'export' }));
  const hold = new HeldSends({ memoryBytes: bridge.bufferBytes, spoolDir: bridge.spoolDir, spoolBytes: bridge.spoolMaxBytes });
  if (hold.stats.held > 0) log.info({ sends: hold.stats.held, bytes: hold.stats.spoolBytes }, 'replaying the spool');
  const totals = { receivedRecords: 0, publishedRecords: 0, refusedSends: 0 };
  exporter.start();

  let stopping = false;
  let wakeBackoff = () => undefined as void;
  const publisher = (async () => {
    for (;;) {
      const next = await hold.next();
      if (!next) return;
      let batch: ColumnarFlowBatch;
      try {
        const records = readRecords(next.body);
        if (records.unrepresentable) throw new Error(records.unrepresentable);
        batch = toBatch(records, next.send.peer, next.send.sequence);
        publishing = await encoderFor(next.send.runId);
      } catch (error) {
        // Checked when received: only a spool written by another version could get here.
        log.error({ err: error, run: next.send.runId, sequence: next.send.sequence }, 'dropped a held Send that cannot be converted');
        hold.release();
        continue;
      }
      // The same batch object on every attempt: the exporter resumes at its first part not taken.
      for (let backoff = 100; ; backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)) {
        try {
          await exporter.send(batch);
          break;
        } catch (error) {
          if (stopping) return;
          log.warn({ err: error, held: hold.stats.held }, 'NATS did not take a held Send; holding it and trying again');
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, backoff);
            wakeBackoff = () => (clearTimeout(timer), resolve());
          });
          if (stopping) return;
        }
      }
      totals.publishedRecords += batch.flows.length;
      if (stopping) return; // the spool is left as it is; its next replay is deduplicated by JetStream
      hold.release();
    }
  })();

  let sequence = 0;
  const server = await startGrpcCollector({
    port: bridge.listenPort,
    host: bridge.listenAddress,
    tls: bridge.tls,
    maxMessageBytes: bridge.maxMessageBytes,
    maxRecords: bridge.maxRecords,
    // pbflow to Avro from Buffer to Buffer: the Send is read into columns (here to check it, at
    // publish again from what is held), which the Avro writer reads.
    onFlows: (records, peer, message) => {
      if (records.flows.length === 0) return; // nothing to publish
      // What cannot be an event now never will be: refuse it, hold nothing.
      if (records.unrepresentable) throw new CollectorError('invalid', `the records cannot be a flowcast event: ${records.unrepresentable}`);
      if (!hold.hold({ runId, sequence, peer, records: records.flows.length }, message)) {
        throw new Error(
          `the bridge is full (BRIDGE_BUFFER_BYTES ${bridge.bufferBytes}${bridge.spoolDir ? `, BRIDGE_SPOOL_MAX_BYTES ${bridge.spoolMaxBytes}` : ''}): NATS has not taken what it holds`,
        );
      }
      sequence++;
      totals.receivedRecords += records.flows.length;
    },
    onError: (error) => {
      if (error.kind !== 'handler') totals.refusedSends++;
      log.warn({ kind: error.kind, err: error }, error.kind === 'handler' ? 'refused a Send: the bridge is full' : 'refused a Send for good');
    },
  });
  const metrics = config.metrics
    ? await startBridgeMetrics(config.metrics.port, config.metrics.address, {
        hold: () => hold.stats,
        totals,
        limits: { memoryBytes: bridge.bufferBytes, spoolBytes: bridge.spoolDir ? bridge.spoolMaxBytes : undefined },
      })
    : undefined;
  log.info(
    { address: bridge.listenAddress, port: server.port, tls: bridge.tls ? (bridge.tls.caFile ? 'mutual' : 'server') : 'none', subject: config.nats.subject },
    'bridging pbflow to NATS',
  );
  await stopSignal();
  await server.close();
  for (const deadline = Date.now() + STOP_DEADLINE_MS; hold.stats.held > 0 && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  stopping = true;
  hold.stop();
  wakeBackoff();
  await publisher;
  const { held } = hold.stats;
  hold.close();
  await exporter.close();
  await metrics?.close();
  if (held > 0)
    log.warn(
      { held, spooled: Boolean(bridge.spoolDir) },
      bridge.spoolDir ? 'stopped; held Sends stay in the spool' : 'stopped; held Sends were not published and are lost',
    );
  else log.info('stopped');
  return held > 0 && !bridge.spoolDir ? 3 : 0; // as the agent: 3 when something was not delivered
}
