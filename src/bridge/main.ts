// flowcast-bridge: reads flowcast's JetStream stream through a durable consumer and forwards each
// batch to a Flowlogs Pipeline (pbflow.Collector) endpoint. A message is acknowledged only after
// every Send of its batch succeeded, so a restart of either side loses nothing.
import { startNatsCollector } from '../collector/nats.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { encodeRecords } from '../encode/pbflow.js';
import { PbflowClient } from '../export/grpc.js';
import { createLogger } from '../agent/log.js';

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
  if (!config.target.host || !config.target.port) {
    process.stderr.write('flowcast-bridge: invalid configuration:\nTARGET_HOST and TARGET_PORT: required (the Flowlogs Pipeline gRPC endpoint)\n');
    return 2;
  }
  const log = createLogger(config.log.level, config.log.pretty);
  const client = new PbflowClient(config.target.host, config.target.port, config.grpc);
  const sent = new Map<string, number>();
  const collector = await startNatsCollector({
    nats: config.nats,
    durable: { stream: config.nats.stream, name: config.nats.bridgeDurable },
    onBatch: async (batch, event) => {
      const chunk = config.grpc.maxFlows;
      for (let message = sent.get(event.id) ?? 0; message * chunk < batch.flows.length; message++) {
        await client.send(encodeRecords(batch.flows.slice(message * chunk, (message + 1) * chunk), batch.agentIp));
        sent.set(event.id, message + 1);
      }
      sent.delete(event.id);
      if (sent.size > MAX_REMEMBERED_EVENTS) sent.delete(sent.keys().next().value!);
      log.debug({ id: event.id, flows: batch.flows.length }, 'forwarded');
    },
    onError: (error) => log.warn({ kind: error.kind, err: error }, error.kind === 'handler' ? 'forwarding failed; NATS will redeliver' : 'dropped a malformed message'),
  });
  log.info({ stream: config.nats.stream, durable: config.nats.bridgeDurable, target: `${config.target.host}:${config.target.port}` }, 'bridging');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await collector.close();
  client.close();
  log.info('stopped');
  return 0;
}
