// NATS connection settings shared by the agent's exporter, the collector and the bridge.
import { credsAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';

import type { Config } from '../config/index.js';

/** How long a NATS request (connect, publish acknowledgement, JetStream API call) may take. */
export const NATS_REQUEST_TIMEOUT_MS = 5000;

/** What a NATS connection needs of the settings. */
export type NatsConnectionSettings = Pick<Config['nats'], 'servers' | 'user' | 'password' | 'token' | 'credsFile' | 'tls'>;

export function connectionOptions(nats: NatsConnectionSettings, name: string): ConnectionOptions {
  return {
    servers: nats.servers,
    name,
    timeout: NATS_REQUEST_TIMEOUT_MS,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    user: nats.user,
    pass: nats.password,
    token: nats.token,
    authenticator: nats.credsFile ? credsAuthenticator(readFileSync(nats.credsFile)) : undefined,
    tls: nats.tls ? { caFile: nats.tls.caFile, certFile: nats.tls.certFile, keyFile: nats.tls.keyFile } : undefined,
  };
}
