// A flowcast/collector NATS collector (src/collector) as its own process, for tests whose NATS
// runs inside a namespace. Every delivery reaches the handler (dedupe off), so a message handled
// twice shows. Runs inside the namespace:
//   argv[2]: JSON { servers, subject, stream, durable }
//   collector -> { type: 'ready' } once consuming, then { type: 'handled', event } per event
//   parent -> { type: 'consumer' }   collector -> { type: 'consumer', pending, ackPending }
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

import { startNatsCollector } from '../../src/collector/index.js';
import type { HandledEvent } from './agent.js';

const { servers, subject, stream, durable } = JSON.parse(process.argv[2]) as { servers: string[]; subject: string; stream: string; durable: string };
const send = (message: unknown) => new Promise<void>((resolve) => process.send!(message, () => resolve()));

await startNatsCollector({
  nats: { servers, subject },
  durable: { stream, name: durable },
  dedupe: false,
  onBatch: async (batch, event) => {
    const flows = batch.flows.map(({ protocol, srcPort, dstPort, direction, interface: name, packets, bytes }) => ({
      protocol,
      srcPort,
      dstPort,
      direction,
      interface: name,
      packets,
      bytes,
    }));
    const handled: HandledEvent = { id: event.id, batch: { sequence: batch.sequence, flows } };
    await send({ type: 'handled', event: handled });
  },
  onError: (error) => void send({ type: 'error', message: `${error.kind}: ${error.message}` }),
});
const nc = await connect({ servers });
const manager = await jetstreamManager(nc);
process.on('message', async (message: { type: string }) => {
  if (message.type === 'consumer') {
    const info = await manager.consumers.info(stream, durable);
    await send({ type: 'consumer', pending: info.num_pending, ackPending: info.num_ack_pending });
  }
});
await send({ type: 'ready' });
