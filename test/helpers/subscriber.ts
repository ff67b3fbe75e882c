// An independent consumer for agent tests: it knows only schemas/flow-batch.avsc and the
// CloudEvents spec (through the cloudevents SDK), nothing of src/. Runs inside a namespace:
//   argv[2]: JSON { url, subject, stream? }  (stream: read the JetStream stream instead of subscribing)
//   parent -> { type: 'collect' }   subscriber -> { type: 'events', events } | { type: 'error', message }
import { readFileSync } from 'node:fs';
import { connect, type Msg } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import avro from 'avsc';
import { CloudEvent, HTTP } from 'cloudevents';

const schema = avro.Type.forSchema(JSON.parse(readFileSync(new URL('../../schemas/flow-batch.avsc', import.meta.url), 'utf8')));
const { url, subject, stream } = JSON.parse(process.argv[2]) as { url: string; subject: string; stream?: string };

export interface ReceivedEvent {
  attributes: Record<string, unknown>;
  mode: 'binary' | 'structured';
  natsMsgId?: string;
  batch: {
    agentName: string;
    sequence: number;
    part: number;
    parts: number;
    lostPackets: number;
    flows: { protocol: number; srcPort: number; dstPort: number; direction: string; interface: string; packets: number; bytes: number }[];
  };
}

function decode(message: Msg): ReceivedEvent {
  const headers: Record<string, string> = {};
  for (const [name, values] of message.headers ?? []) headers[name.toLowerCase()] = values[0];
  const structured = (headers['content-type'] ?? '').startsWith('application/cloudevents+json');
  // The SDK validates every attribute against the spec while it parses (a structured body as text).
  const body = structured ? Buffer.from(message.data).toString('utf8') : Buffer.from(message.data);
  const event = HTTP.toEvent({ headers, body }) as CloudEvent<unknown>;
  let data = structured ? Buffer.from(event.data_base64 as string, 'base64') : Buffer.from(message.data);
  // Avro single-object encoding: C3 01, an 8-byte schema fingerprint, then the body.
  if (data[0] === 0xc3 && data[1] === 0x01) data = data.subarray(10);
  const { data: _data, data_base64: _base64, ...attributes } = event.toJSON();
  const batch = JSON.parse(JSON.stringify(schema.fromBuffer(data)));
  return { attributes, mode: structured ? 'structured' : 'binary', natsMsgId: headers['nats-msg-id'], batch };
}

const events: ReceivedEvent[] = [];
const failures: string[] = [];
const send = (message: unknown) => new Promise<void>((resolve) => process.send!(message, () => resolve()));
const nc = await connect({ servers: url });
if (!stream) {
  // A callback runs as the client parses each message, so every message that arrived before a
  // flush's reply is in `events` once that flush resolves (an async iterator may lag behind).
  nc.subscribe(subject, {
    callback: (error, message) => {
      if (error) {
        failures.push(error.message);
        return;
      }
      try {
        events.push(decode(message));
      } catch (failure) {
        failures.push((failure as Error).message);
      }
    },
  });
  await nc.flush();
}
await send({ type: 'ready' });

process.on('message', async () => {
  try {
    if (stream) {
      // Everything the stream holds, in order, once.
      const manager = await jetstreamManager(nc);
      const name = `collect${Date.now()}`;
      await manager.consumers.add(stream, { name, ack_policy: 'none' as never, deliver_policy: 'all' as never });
      const consumer = await jetstream(nc).consumers.get(stream, name);
      const total = (await manager.streams.info(stream)).state.messages;
      while (events.length < total) {
        const batch = await consumer.fetch({ max_messages: Math.min(500, total - events.length), expires: 2000 });
        for await (const message of batch) events.push(decode(message as unknown as Msg));
      }
    } else {
      await nc.flush();
    }
    if (failures.length > 0) throw new Error(`undecodable events: ${failures.join('; ')}`);
    await send({ type: 'events', events });
  } catch (error) {
    await send({ type: 'error', message: (error as Error).stack });
  }
});
