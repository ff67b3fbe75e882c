// What a collector reports instead of crashing: every malformed message is one of these.
export type CollectorErrorKind =
  | 'content-type' // not an Avro CloudEvent
  | 'cloudevent' // attributes missing or invalid
  | 'avro' // data is not a FlowBatch (truncated, unknown schema fingerprint, ...)
  | 'protobuf' // not a pbflow Records message
  | 'invalid' // well-formed, but not flows (a time out of range); a handler may throw this kind too
  | 'limit' // over a configured bound (records per message)
  | 'handler' // the user's handler threw
  | 'pull'; // a JetStream pull failed (consumer deleted, no leader, ...); the collector pulls again

export class CollectorError extends Error {
  override name = 'CollectorError';

  constructor(
    readonly kind: CollectorErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
