// What a collector reports instead of crashing: every malformed message is one of these.
export type CollectorErrorKind =
  | 'content-type' // not an Avro CloudEvent
  | 'cloudevent' // attributes missing or invalid
  | 'avro' // data is not a FlowBatch (truncated, unknown schema fingerprint, ...)
  | 'protobuf' // not a pbflow Records message
  | 'handler'; // the user's handler threw

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
