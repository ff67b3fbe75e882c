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
import { startNatsCollector, type EventAttributes } from '../collector/nats.js';
import type { Config } from '../config/index.js';
import { createEventEncoder, type EventEncoder } from '../encode/cloudevent.js';
import type { ColumnarRecords } from '../encode/pbflow-reader.js';
import { scratchPool, type Scratch } from '../encode/scratch.js';
import { PbflowClient } from '../export/grpc.js';
import { NatsExporter } from '../export/nats.js';
import { FlowColumnsPool, type ColumnarFlowBatch, type ReusePool } from '../model/index.js';
import { invalidConfiguration, startCommand } from '../runtime/cli.js';
import type { Logger } from '../runtime/log.js';
import { connectionOptions } from '../runtime/nats.js';
import { stopSignal } from '../runtime/signals.js';
import { HeldSends, type HeldSend } from './hold.js';
import { startBridgeMetrics } from './metrics.js';
import { ProgressStore } from './progress.js';

/**
 * nats-to-grpc: events forwarded at once. One event's round trips (its Send, the progress put, the
 * acknowledgement) left the bridge idle 43% of the time, one event after the other (docs/benchmarks.md).
 */
const EVENTS_IN_FLIGHT = 8;
/**
 * grpc-to-nats: held Sends published at once (their NATS answers awaited together). While a
 * publish fails, no other starts: one Send at a time finds out when NATS is back.
 */
const PUBLISHES_IN_FLIGHT = 8;
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
  // Each event is read into pooled columns (given back once its handler settled, by the collector)
  // and written into a pooled buffer that grpc-js gets as it is (given back once the Send was
  // answered, by the client): no megabytes allocated per event. The pools keep at most what the
  // events in flight used, within BRIDGE_BUFFER_BYTES.
  const columnsPool: FlowColumnsPool = new FlowColumnsPool(() => config.bridge.bufferBytes - buffers.bytes);
  const buffers: ReusePool<Scratch> = scratchPool(() => config.bridge.bufferBytes - columnsPool.bytes);
  const client = new PbflowClient(config.target.host!, config.target.port!, config.grpc, buffers);
  const nc = await connect(connectionOptions(config.nats, 'flowcast-bridge-progress'));
  const progress = await ProgressStore.open(nc, `${config.nats.bridgeDurable}-progress`, config.nats.streamMaxAgeMs);
  const keyOf = (event: EventAttributes) => `${event.source} ${event.id}`;
  // Events with an entry in the bucket: it goes once the server confirmed the event's
  // acknowledgement (before, a crash would resend the event whole), else with the TTL.
  const recorded = new Set<string>();
  const deletions = new Set<Promise<void>>();
  const forget = (key: string) => {
    const deletion = progress
      .delete(key)
      .catch((error) => log.warn({ err: error }, "cannot delete an event's progress; it expires"))
      .finally(() => deletions.delete(deletion));
    deletions.add(deletion);
  };
  const collector = await startNatsCollector({
    nats: config.nats,
    durable: { stream: config.nats.stream, name: config.nats.bridgeDurable },
    concurrency: EVENTS_IN_FLIGHT,
    columnsPool,
    // Avro to pbflow from Buffer to Buffer: the batch is read into columns, which the Records writer reads.
    onColumns: async (batch, event, delivery) => {
      const key = keyOf(event);
      // A first delivery was never handled, so nothing of it was taken. A redelivery reads the
      // bucket, never a copy in memory: bridges sharing the durable take turns on a redelivered
      // event, and only the bucket knows how far the other one got.
      const from = delivery.count > 1 ? await progress.get(key) : 0;
      if (from > 0) {
        recorded.add(key);
        log.info({ id: event.id, from, flows: batch.flows.length }, 'resuming an event the target took in part');
      }
      try {
        await client.sendFlows(batch.flows, batch.agentIp, config.grpc.maxFlows, from, (flows) => {
          recorded.add(key);
          return progress.put(key, flows);
        });
      } catch (error) {
        recorded.delete(key); // kept for the redelivery, whichever bridge gets it
        throw error;
      }
      log.debug({ id: event.id, flows: batch.flows.length }, 'forwarded');
    },
    onAcknowledged: (event) => {
      const key = keyOf(event);
      if (recorded.delete(key)) forget(key);
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
  await Promise.all(deletions);
  await nc.drain();
  client.close();
  log.info('stopped');
  return 0;
}

/**
 * A held Send's batch, with the run whose event ids it gets, and the buffers its events were
 * encoded into while it is being published (its parts share the list).
 */
type RunBatch = ColumnarFlowBatch & { runId: string; buffers: Scratch[] };

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
  const encoders = new Map<string, EventEncoder>();
  const encoderFor = async (run: string) => {
    const encoder =
      encoders.get(run) ??
      (await createEventEncoder(
        config.cloudEvents.mode,
        { source: `/flowcast/${config.agent.nodeName}`, runId: run, extensions: config.cloudEvents.extensions },
        config.cloudEvents.avroSingleObject,
      ));
    encoders.set(run, encoder);
    return encoder;
  };
  await encoderFor(runId);
  // A Send is read into pooled columns, held in them and given back once published; its events
  // are written into pooled buffers that the NATS client gets as they are. What the pools keep
  // counts against BRIDGE_BUFFER_BYTES with what is held.
  let constructed: HeldSends | undefined; // while it replays the spool, the pools keep nothing
  const room = (): number => (constructed ? bridge.bufferBytes - constructed.stats.memoryBytes : 0);
  const columnsPool: FlowColumnsPool = new FlowColumnsPool(() => room() - buffers.bytes);
  const buffers: ReusePool<Scratch> = scratchPool(() => room() - columnsPool.bytes);
  // Batches carry the run that received them (the parts of a split keep it): several are published
  // at once, from this run and from spooled earlier ones.
  const exporter = new NatsExporter(
    {
      nats: config.nats,
      encode: (batch) => {
        const { runId, buffers: used } = batch as RunBatch;
        const into = buffers.take();
        used.push(into);
        return encoders.get(runId)!(batch, into);
      },
    },
    log.child({ component: 'export' }),
  );
  const hold = new HeldSends({ memoryBytes: bridge.bufferBytes, spoolDir: bridge.spoolDir, spoolBytes: bridge.spoolMaxBytes, columnsPool });
  constructed = hold;
  if (hold.stats.held > 0) log.info({ sends: hold.stats.held, bytes: hold.stats.spoolBytes }, 'replaying the spool');
  const totals = { receivedRecords: 0, publishedRecords: 0, refusedSends: 0 };
  exporter.start();

  let stopping = false;
  /** What the publisher waits on (a free place in flight, a backoff): woken at stop. */
  const waits = new Set<() => void>();
  const wait = (ms?: number) =>
    new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(wake, ms);
      function wake() {
        clearTimeout(timer);
        waits.delete(wake);
        resolve();
      }
      waits.add(wake);
    });
  const wakeAll = () => [...waits].forEach((wake) => wake());
  let failing = 0;
  /** Publishes a held Send, trying again until NATS takes it; false when it cannot be an event or the bridge stops. */
  const publish = async (send: HeldSend): Promise<boolean> => {
    let batch: RunBatch;
    try {
      const records = hold.columnsOf(send);
      if (records.unrepresentable) throw new Error(records.unrepresentable);
      await encoderFor(send.runId);
      batch = { ...toBatch(records, send.peer, send.sequence), runId: send.runId, buffers: [] };
    } catch (error) {
      // Checked when received: only a spool written by another version could get here.
      log.error({ err: error, run: send.runId, sequence: send.sequence }, 'dropped a held Send that cannot be converted');
      return false;
    }
    let failed = false;
    try {
      // The same batch object on every attempt: the exporter resumes at its first part not taken.
      for (let backoff = 100; ; backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)) {
        try {
          await exporter.send(batch);
          // Every event of it was answered (JetStream's ack, or core NATS's flush): the client
          // copied each into its outbound buffer when it wrote it out, so its buffers are free.
          for (const used of batch.buffers) buffers.give(used);
          batch.buffers.length = 0;
          totals.publishedRecords += batch.flows.length;
          return true;
        } catch (error) {
          // Left to the GC: while disconnected, the client keeps a publish in its outbound buffer
          // as it is, to write it out after reconnecting.
          batch.buffers.length = 0;
          if (stopping) return false;
          if (!failed) failing++;
          failed = true;
          log.warn({ err: error, held: hold.stats.held }, 'NATS did not take a held Send; holding it and trying again');
          await wait(backoff);
          if (stopping) return false;
        }
      }
    } finally {
      if (failed) failing--;
    }
  };
  const publisher = (async () => {
    // Published in parallel, released in order (the spool's done offset moves only forward):
    // each release waits for the one before it.
    let released = Promise.resolve();
    let inFlight = 0;
    // Cleared at the first Send not published because the bridge stops: it, and every one after
    // it, stays held (in the spool, replayed and deduplicated by JetStream).
    let releasing = true;
    for (;;) {
      while (inFlight >= (failing > 0 ? 1 : PUBLISHES_IN_FLIGHT) && !stopping) await wait();
      const send = stopping ? undefined : await hold.next();
      if (!send) break;
      inFlight++;
      const published = publish(send);
      released = Promise.all([released, published]).then(([, done]) => {
        releasing &&= done || !stopping;
        if (releasing) hold.release();
        inFlight--;
        wakeAll();
      });
    }
    await released;
  })();

  let sequence = 0;
  const server = await startGrpcCollector({
    columnsPool,
    port: bridge.listenPort,
    host: bridge.listenAddress,
    tls: bridge.tls,
    maxMessageBytes: bridge.maxMessageBytes,
    maxRecords: bridge.maxRecords,
    // pbflow to Avro from Buffer to Buffer: the Send is read into columns once, here (to check it),
    // held as columns, and the Avro writer reads them.
    onFlows: (records, peer, message) => {
      if (records.flows.length === 0) return columnsPool.give(records.flows); // nothing to publish
      // What cannot be an event now never will be: refuse it, hold nothing.
      if (records.unrepresentable) throw new CollectorError('invalid', `the records cannot be a flowcast event: ${records.unrepresentable}`);
      if (!hold.hold({ runId, sequence, peer }, message, records)) {
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
  wakeAll();
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
