// A flow batch as a CloudEvent (spec 1.0), with its wire forms for binary and structured mode.
import { randomUUID } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';

import type { FlowBatch } from '../aggregate/index.js';
import { encodeFlowBatch } from './avro.js';

export const EVENT_TYPE = 'dev.flowcast.flow.batch.v1';
export const DATA_CONTENT_TYPE = 'application/avro';
/** Names the Avro schema and its version (schemas/flow-batch.avsc, dev.flowcast.v1.FlowBatch). */
export const DATA_SCHEMA = 'urn:flowcast:schema:dev.flowcast.v1.FlowBatch';

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
export function eventId(identity: EventIdentity, batch: FlowBatch): string {
  return batch.parts > 1 ? `${identity.runId}-${batch.sequence}.${batch.part}` : `${identity.runId}-${batch.sequence}`;
}

export function toCloudEvent(batch: FlowBatch, identity: EventIdentity, singleObject: boolean): CloudEvent<Buffer> {
  return new CloudEvent<Buffer>({
    ...identity.extensions,
    id: eventId(identity, batch),
    source: identity.source,
    type: EVENT_TYPE,
    time: new Date(batch.intervalEnd / 1000).toISOString(),
    datacontenttype: DATA_CONTENT_TYPE,
    dataschema: DATA_SCHEMA,
    data: encodeFlowBatch(batch, singleObject),
  });
}

/** Binary mode: attributes as ce- headers, the Avro data as the body. Structured: a JSON envelope. */
export function toMessage(event: CloudEvent<Buffer>, mode: ContentMode): EventMessage {
  const message = mode === 'binary' ? HTTP.binary(event) : HTTP.structured(event);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) headers[name] = String(value);
  const body = typeof message.body === 'string' ? Buffer.from(message.body, 'utf8') : Buffer.from(message.body as Uint8Array);
  return { id: event.id, headers, body };
}
