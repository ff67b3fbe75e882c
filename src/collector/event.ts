// A flowcast CloudEvent from a NATS message: its attributes and its Avro data, checked as the
// NATS collector requires (binary or structured, application/avro), then decoded into flow
// objects (decodeEvent) or into columns (decodeEventColumns, the fast path).
import type { MsgHdrs } from '@nats-io/transport-node';
import { CloudEvent, HTTP } from 'cloudevents';

import type { ColumnarFlowBatch, DecodedFlowBatch, FlowColumnsPool } from '../model/index.js';
import { decodeFlowBatch } from '../encode/avro.js';
import { readFlowBatch } from '../encode/avro-reader.js';
import { DATA_CONTENT_TYPE, schemaFingerprintOf } from '../encode/cloudevent.js';
import { CollectorError } from './errors.js';

/** The event's context attributes (id, source, type, time, dataschema, extensions). */
export type EventAttributes = Record<string, unknown> & { id: string; source: string; type: string };

/** The event's attributes, its Avro data and the writer schema's fingerprint; throws CollectorError. */
function parseEvent(data: Uint8Array, natsHeaders: MsgHdrs | undefined): { event: EventAttributes; avro: Buffer; fingerprint?: string } {
  const headers: Record<string, string> = {};
  for (const [name, values] of natsHeaders ?? []) headers[name.toLowerCase()] = values[0];
  const structured = (headers['content-type'] ?? '').startsWith('application/cloudevents+json');
  // A binary Avro event's body is not handed to the SDK, which would base64-encode it (0.2 µs a
  // flow) and check nothing in it; the SDK still checks every attribute.
  const binaryAvro = !structured && headers['content-type'] === DATA_CONTENT_TYPE;
  let event: CloudEvent<unknown>;
  try {
    const body = structured ? Buffer.from(data).toString('utf8') : binaryAvro ? undefined : Buffer.from(data);
    event = HTTP.toEvent({ headers, body }) as CloudEvent<unknown>;
  } catch (error) {
    throw new CollectorError('cloudevent', `not a valid CloudEvent: ${(error as Error).message}`, { cause: error });
  }
  if (event.datacontenttype !== DATA_CONTENT_TYPE) {
    throw new CollectorError('content-type', `datacontenttype is ${JSON.stringify(event.datacontenttype)}, expected ${DATA_CONTENT_TYPE}`);
  }
  const avro = structured
    ? event.data_base64
      ? Buffer.from(event.data_base64, 'base64')
      : undefined
    : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (!avro) throw new CollectorError('cloudevent', 'a structured event without data_base64');
  const { data: _data, data_base64: _base64, ...attributes } = event.toJSON();
  return { event: attributes as EventAttributes, avro, fingerprint: schemaFingerprintOf(event.dataschema) };
}

/** Decodes one NATS message into the flow batch it carries (flow objects); throws CollectorError. */
export function decodeEvent(data: Uint8Array, natsHeaders: MsgHdrs | undefined): { batch: DecodedFlowBatch; event: EventAttributes } {
  const { event, avro, fingerprint } = parseEvent(data, natsHeaders);
  try {
    return { batch: decodeFlowBatch(avro, fingerprint), event };
  } catch (error) {
    throw new CollectorError('avro', (error as Error).message, { cause: error });
  }
}

/**
 * Decodes one NATS message into the flow batch it carries, the flows as columns (no object per
 * flow: `batch.flows.flow(i)` makes one); the same messages decode, and fail, as with decodeEvent.
 * With `pool`, the columns are taken from it: give them back once done with them.
 */
export function decodeEventColumns(
  data: Uint8Array,
  natsHeaders: MsgHdrs | undefined,
  pool?: FlowColumnsPool,
): { batch: ColumnarFlowBatch; event: EventAttributes } {
  const { event, avro, fingerprint } = parseEvent(data, natsHeaders);
  try {
    return { batch: readFlowBatch(avro, fingerprint, pool), event };
  } catch (error) {
    throw new CollectorError('avro', (error as Error).message, { cause: error });
  }
}
