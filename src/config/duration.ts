// Go's time.ParseDuration grammar (as NetObserv's CACHE_ACTIVE_TIMEOUT uses), minus signs.
// Hand-written: the npm duration parsers accept looser forms ("5 sec") that Go would reject,
// and a value valid for one agent should be valid for the other.
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };
const TERM = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/g;
export const DURATION_PATTERN = /^(?:(?:\d+(?:\.\d+)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/;

/** Milliseconds in a Go-style duration such as "1m30s" or "500ms"; NaN when it is not one. */
export function parseDuration(text: string): number {
  if (!DURATION_PATTERN.test(text)) return Number.NaN;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(TERM)) total += Number(amount) * UNIT_MS[unit];
  return total;
}
