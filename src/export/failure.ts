// Why an export attempt failed, and what the queue does about it. Exporters throw ExportError for
// answers they can classify; any other error means the target could not be reached.
//   unreachable: retried with backoff for as long as it lasts (the queue's capacity bounds it);
//   retry:       the target answered with a transient error: retried, at most EXPORT_MAX_ATTEMPTS times;
//   refused:     the target will never take this batch (invalid, unauthorised, too large even alone):
//                dropped at once, counted per reason and logged.
// "Too large" with room to split is handled inside the exporters (they split and send the halves).

export type FailureKind = 'unreachable' | 'retry' | 'refused';

/** Why batches were dropped: the label of flowcast_export_dropped_total. */
export type DropReason = 'queue_full' | 'refused' | 'too_large' | 'attempts' | 'shutdown';

export class ExportError extends Error {
  override name = 'ExportError';

  /** For refused batches: too_large when even a single flow does not fit. */
  readonly reason: 'refused' | 'too_large';
  /** The target asked to wait this long before the next attempt (Retry-After). */
  readonly retryAfterMs?: number;
  constructor(
    message: string,
    readonly kind: FailureKind,
    options: { reason?: 'refused' | 'too_large'; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.reason = options.reason ?? 'refused';
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Retry-After waits longer than this are cut short (the queue would hold everything behind). */
export const MAX_RETRY_AFTER_MS = 600_000;

/** A Retry-After header (delay-seconds or an HTTP date) in milliseconds, or undefined. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/**
 * An HTTP status per Knative's data-plane contract: 2xx success (undefined); 400, 401, 403 and
 * other 4xx refused; 404, 408, 409, 429 and 5xx retried; 413 is "too large" (the caller splits).
 * Unknown codes are retried, as the contract recommends.
 */
export function httpFailureKind(status: number): FailureKind | 'too_large' | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status === 413) return 'too_large';
  if ([404, 408, 409, 429].includes(status)) return 'retry';
  if (status >= 400 && status < 500) return 'refused';
  return 'retry';
}
