// flowcast-bridge, in one of two directions:
// - nats-to-grpc: reads flowcast's JetStream stream through a durable consumer and forwards each
//   batch to a Flowlogs Pipeline (pbflow.Collector) endpoint. A message is acknowledged only after
//   every Send of its batch succeeded, so a restart of either side loses nothing.
// - grpc-to-nats: serves pbflow.Collector and republishes what NetObserv agents send as flowcast
//   CloudEvents, so a mixed fleet feeds one stream. A Send is answered only after the publish
//   succeeded (acknowledged by JetStream, or flushed), else the agent sends again.
import type { DecodedFlowBatch } from '../aggregate/index.js';
import { startGrpcCollector } from '../collector/grpc.js';
import { startNatsCollector } from '../collector/nats.js';
import { ConfigError, describeIssue, loadConfig, type Config } from '../config/index.js';
import { createEventEncoder, newIdentity } from '../encode/cloudevent.js';
import { ipText, toFlowRecord } from '../encode/pbflow.js';
import { PbflowClient } from '../export/grpc.js';
import { NatsExporter } from '../export/nats.js';
import { createLogger, type Logger } from '../agent/log.js';

/** Sends already taken per event, for a redelivered event whose first Sends went through. */
const MAX_REMEMBERED_EVENTS = 1000;

export async function run(env: NodeJS.ProcessEnv): Promise<number> {
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`flowcast-bridge: invalid configuration:\n${error.message}\n`);
    return 2;
  }
  const log = createLogger(config.log.level, config.log.pretty);
  for (const warning of config.warnings) log.warn({ variable: warning.variable }, describeIssue(warning));
  if (config.bridge.mode === 'grpc-to-nats') return grpcToNats(config, log);
  if (!config.target.host || !config.target.port) {
    process.stderr.write('flowcast-bridge: invalid configuration:\nTARGET_HOST and TARGET_PORT: required (the Flowlogs Pipeline gRPC endpoint)\n');
    return 2;
  }
  const client = new PbflowClient(config.target.host, config.target.port, config.grpc);
  const sent = new Map<string, number>();
  const collector = await startNatsCollector({
    nats: config.nats,
    durable: { stream: config.nats.stream, name: config.nats.bridgeDurable },
    onBatch: async (batch, event) => {
      await client.sendFlows(batch.flows, batch.agentIp, config.grpc.maxFlows, sent.get(event.id) ?? 0,
        (messages) => sent.set(event.id, messages));
      sent.delete(event.id);
      if (sent.size > MAX_REMEMBERED_EVENTS) sent.delete(sent.keys().next().value!);
      log.debug({ id: event.id, flows: batch.flows.length }, 'forwarded');
    },
    onError: (error) => log.warn({ kind: error.kind, err: error }, error.kind === 'handler' ? 'forwarding failed; NATS will redeliver' : 'dropped a malformed message'),
  });
  log.info({ stream: config.nats.stream, durable: config.nats.bridgeDurable, target: `${config.target.host}:${config.target.port}` }, 'bridging');
  await stopSignal();
  await collector.close();
  client.close();
  log.info('stopped');
  return 0;
}

const stopSignal = () =>
  new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });

async function grpcToNats(config: Config, log: Logger): Promise<number> {
  const encode = await createEventEncoder(config.cloudEvents.mode, newIdentity(config.agent.nodeName), config.cloudEvents.avroSingleObject);
  const exporter = new NatsExporter({ nats: config.nats, encode }, log);
  exporter.start();
  let sequence = 0;
  const server = await startGrpcCollector({
    port: config.bridge.listenPort,
    onRecords: async (records, peer) => {
      const flows = records.map(toFlowRecord);
      const agentIp = ipText(records[0]?.agentIp);
      const batch: DecodedFlowBatch = {
        agentName: agentIp || peer,
        agentIp,
        sequence: sequence++,
        part: 0,
        parts: 1,
        intervalStart: flows.reduce((first, flow) => Math.min(first, flow.firstSeen), Number.MAX_SAFE_INTEGER),
        intervalEnd: flows.reduce((last, flow) => Math.max(last, flow.lastSeen), 0),
        ringBufferPackets: 0,
        lostPackets: 0,
        flows,
      };
      await exporter.send(batch);
    },
    onError: (error) => log.warn({ kind: error.kind, err: error }, error.kind === 'handler' ? 'publishing failed; the agent will send again' : 'refused a malformed message'),
  });
  log.info({ port: server.port, subject: config.nats.subject }, 'bridging pbflow to NATS');
  await stopSignal();
  await server.close();
  await exporter.close();
  log.info('stopped');
  return 0;
}
