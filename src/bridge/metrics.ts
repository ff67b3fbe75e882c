// The reverse bridge's Prometheus metrics and health, on METRICS_PORT (as the agent's): what it
// holds for NATS, its bounds, and what it had to drop or refuse.
import http from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

import type { HoldStats } from './hold.js';

export interface BridgeTotals {
  receivedRecords: number;
  publishedRecords: number;
  /** Sends refused for good (not flows, or over BRIDGE_MAX_RECORDS / BRIDGE_MAX_MESSAGE_BYTES). */
  refusedSends: number;
}

export interface BridgeMetricsSources {
  hold: () => HoldStats;
  totals: BridgeTotals;
  limits: { memoryBytes: number; spoolBytes?: number };
}

export async function startBridgeMetrics(port: number, address: string, sources: BridgeMetricsSources): Promise<{ close(): Promise<void> }> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'flowcast_bridge_' });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  const total = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  gauge('flowcast_bridge_held_sends', 'Received Sends NATS has not taken yet.', () => sources.hold().held);
  gauge('flowcast_bridge_buffer_bytes', 'Bytes of held Sends in memory.', () => sources.hold().memoryBytes);
  gauge('flowcast_bridge_buffer_limit_bytes', 'BRIDGE_BUFFER_BYTES: the most held in memory.', () => sources.limits.memoryBytes);
  gauge('flowcast_bridge_spool_bytes', 'Bytes of the spool file NATS has not taken yet (0 without BRIDGE_SPOOL_DIR).', () => sources.hold().spoolBytes);
  gauge('flowcast_bridge_spool_limit_bytes', 'BRIDGE_SPOOL_MAX_BYTES (0 without BRIDGE_SPOOL_DIR).', () => sources.limits.spoolBytes ?? 0);
  total('flowcast_bridge_received_records_total', 'Records received and held.', () => sources.totals.receivedRecords);
  total('flowcast_bridge_published_records_total', 'Records NATS took.', () => sources.totals.publishedRecords);
  total(
    'flowcast_bridge_dropped_records_total',
    'Records refused because the buffer (or the spool) was full: lost for a sender that does not retry.',
    () => sources.hold().droppedRecords,
  );
  total('flowcast_bridge_refused_sends_total', 'Sends refused for good (INVALID_ARGUMENT, RESOURCE_EXHAUSTED).', () => sources.totals.refusedSends);

  const server = http.createServer(async (request, response) => {
    if (request.url === '/metrics') {
      response.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
    } else if (request.url === '/healthz' || request.url === '/readyz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, address, resolve));
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
