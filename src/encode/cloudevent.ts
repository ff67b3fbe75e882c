// A flow batch as a CloudEvent (spec 1.0), with its wire forms for binary and structured mode.
import { randomUUID } from 'node:crypto';

import type { AnyFlowBatch } from '../model/index.js';
import { FIRST_SCHEMA_FINGERPRINT, FLOW_BATCH_FINGERPRINT, encodeFlowBatch } from './avro.js';
import type { Scratch } from './scratch.js';

export const EVENT_TYPE = 'dev.flowcast.flow.batch.v1';
export const DATA_CONTENT_TYPE = 'application/avro';
/** The schema's name; events of the first revision carried it alone as their dataschema. */
export const DATA_SCHEMA_NAME = 'urn:flowcast:schema:dev.flowcast.v1.FlowBatch';
/**
 * Names the Avro schema and its revision (schemas/flow-batch.avsc): the name, then the schema's
 * CRC-64-AVRO fingerprint in hex (the 8 bytes of single-object encoding). A reader of plain Avro
 * needs the writer's schema to decode: with the fingerprint it can tell which revision wrote it,
 * and fetch it (docs/collector.md): key <fingerprint> of the KV bucket flowcast-schemas, or
 * /schemas/<fingerprint> on the agent's metrics port (src/encode/schema-store.ts).
 */
export const DATA_SCHEMA = `${DATA_SCHEMA_NAME}:${FLOW_BATCH_FINGERPRINT.toString('hex')}`;

/** The writer schema's fingerprint named by a dataschema; undefined when it is not ours. */
export function schemaFingerprintOf(dataschema: unknown): string | undefined {
  if (dataschema === DATA_SCHEMA_NAME) return FIRST_SCHEMA_FINGERPRINT;
  if (typeof dataschema !== 'string' || !dataschema.startsWith(`${DATA_SCHEMA_NAME}:`)) return undefined;
  return dataschema.slice(DATA_SCHEMA_NAME.length + 1);
}

export type ContentMode = 'binary' | 'structured';

/** What goes on the wire: header name -> value, and the body. */
export interface EventMessage {
  id: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface EventIdentity {
  /** /flowcast/<node>: with the id, unique per event. */
  source: string;
  /** Unique per agent start, so that ids never repeat across restarts. */
  runId: string;
  extensions?: Record<string, string>;
}

export function newIdentity(nodeName: string, extensions?: Record<string, string>): EventIdentity {
  return { source: `/flowcast/${nodeName}`, runId: randomUUID(), extensions };
}

/** The same batch always yields the same id: a retried publish is recognisably the same event. */
export function eventId(identity: EventIdentity, batch: AnyFlowBatch): string {
  return batch.parts > 1 ? `${identity.runId}-${batch.sequence}.${batch.part}` : `${identity.runId}-${batch.sequence}`;
}

/** The event's context attributes (every one a string, as the ce- headers carry them). */
export function eventAttributes(batch: AnyFlowBatch, identity: EventIdentity): Record<string, string> {
  return {
    ...identity.extensions,
    specversion: '1.0',
    id: eventId(identity, batch),
    source: identity.source,
    type: EVENT_TYPE,
    time: new Date(batch.intervalEnd / 1000).toISOString(),
    datacontenttype: DATA_CONTENT_TYPE,
    dataschema: DATA_SCHEMA,
  };
}

/**
 * A batch as an event. `into`: where a batch of columns in plain binary Avro is written, the body a
 * view of it (no copy), valid until it is written again; other batches get a body of their own.
 */
export type EventEncoder = (batch: AnyFlowBatch, into?: Scratch) => EventMessage;

/**
 * The batch as one CloudEvent on the wire. Binary mode: the attributes as ce- headers (the
 * content type as content-type) and the Avro data as the body, written here rather than through
 * the SDK's CloudEvent object, which base64-encodes the data on construction (0.2 µs per flow,
 * never used in binary mode); test/encode/cloudevent.test.ts checks the headers equal the SDK's
 * HTTP.binary output. Structured mode: the SDK's JSON envelope, data in data_base64 (the SDK is
 * loaded only then: it adds 11 MB to the process).
 */
export async function createEventEncoder(mode: ContentMode, identity: EventIdentity, singleObject: boolean): Promise<EventEncoder> {
  if (mode === 'binary') {
    return (batch, into) => {
      const attributes = eventAttributes(batch, identity);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(attributes)) {
        headers[name === 'datacontenttype' ? 'content-type' : `ce-${name}`] = value;
      }
      return { id: attributes.id, headers, body: encodeFlowBatch(batch, singleObject, into) };
    };
  }
  const { CloudEvent, HTTP } = await import('cloudevents');
  return (batch) => {
    const attributes = eventAttributes(batch, identity);
    const message = HTTP.structured(new CloudEvent<Buffer>({ ...attributes, data: encodeFlowBatch(batch, singleObject) }));
    return { id: attributes.id, headers: { 'content-type': String(message.headers['content-type']) }, body: Buffer.from(message.body as string, 'utf8') };
  };
}
