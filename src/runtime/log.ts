// The logger of the agent and the bridge: pino JSON on stderr (stdout belongs to EXPORT=stdout),
// pretty when asked. Each component logs through a child (`log.child({ component: 'capture' })`).
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string, pretty: boolean): Logger {
  if (pretty) {
    return pino({ level, base: undefined }, pino.transport({ target: 'pino-pretty', options: { destination: 2 } }));
  }
  return pino({ level, base: undefined }, pino.destination({ dest: 2, sync: true }));
}
