// The agent's logger: pino JSON on stderr (stdout belongs to EXPORT=stdout), pretty when asked.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string, pretty: boolean): Logger {
  if (pretty) {
    return pino({ level, base: undefined }, pino.transport({ target: 'pino-pretty', options: { destination: 2 } }));
  }
  return pino({ level, base: undefined }, pino.destination({ dest: 2, sync: true }));
}
