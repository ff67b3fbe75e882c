// The Avro schemas as the agent publishes them, for consumers that decode events without flowcast's
// code: a document per revision, keyed by fingerprint, in the JetStream KV bucket SCHEMA_BUCKET
// (src/export/nats.ts) and at /schemas/<fingerprint> on the metrics port (src/agent/metrics.ts).
import { SCHEMA_REVISIONS } from './avro.js';
import { DATA_SCHEMA_NAME } from './cloudevent.js';

/** The KV bucket; the key of a revision is its fingerprint in hex. */
export const SCHEMA_BUCKET = 'flowcast-schemas';

/** What a key of the bucket (and /schemas/<fingerprint>) holds, as JSON. */
export interface PublishedSchema {
  /** The dataschema of the events this revision wrote. */
  dataschema: string;
  /**
   * CRC-64-AVRO of `canonicalForm`, in hex: the 8 bytes single-object encoding puts after C3 01,
   * which are the 64-bit value in little-endian order.
   */
  fingerprint: string;
  /**
   * The schema's Parsing Canonical Form as the Avro specification defines it, from which the
   * fingerprint is computed. Published because Avro libraries disagree on it (python3-avro 1.11
   * keeps {"type":"long"} for a logical type where the specification has "long"), so a consumer in
   * any language can check the fingerprint against these bytes.
   */
  canonicalForm: string;
  /** The schema as written (schemas/flow-batch.avsc, or schemas/history), docs and defaults included: the writer schema to decode with. */
  schema: object;
}

const documents = SCHEMA_REVISIONS.map((revision): PublishedSchema => {
  const fingerprint = revision.fingerprint.toString('hex');
  return { dataschema: `${DATA_SCHEMA_NAME}:${fingerprint}`, fingerprint, canonicalForm: revision.canonicalForm, schema: revision.schema };
});

/** Fingerprint (hex) -> the JSON document: the revision this agent writes first, then the earlier ones it reads. */
export const PUBLISHED_SCHEMAS: ReadonlyMap<string, Buffer> = new Map(
  documents.map((document) => [document.fingerprint, Buffer.from(JSON.stringify(document))]),
);

/** The listing at /schemas/: every revision's fingerprint and dataschema; `current`: the one this agent writes. */
export const SCHEMA_LISTING = Buffer.from(
  JSON.stringify({
    bucket: SCHEMA_BUCKET,
    schemas: documents.map(({ dataschema, fingerprint }, index) => ({ fingerprint, dataschema, current: index === 0 })),
  }),
);
