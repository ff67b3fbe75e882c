// The agent's own metrics (prom-client), health endpoints and Avro schemas (/schemas/), on METRICS_PORT.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import type { Aggregator } from '../aggregate/index.js';
import { DEFAULT_HOOK_CHECK_PERIOD_MS, DEFAULT_PARKED_HOOK_CHECK_PERIOD_MS, type FlowCapture } from '../capture/index.js';
import { VERSION } from '../config/command-line.js';
import { FLOW_BATCH_FINGERPRINT } from '../encode/avro.js';
import { PUBLISHED_SCHEMAS, SCHEMA_LISTING } from '../encode/schema-store.js';
import type { ExportQueue } from '../export/queue.js';

export interface MetricsSources {
  aggregator: Aggregator;
  capture: FlowCapture;
  queue: ExportQueue;
  exporter: string;
  intervalMs: number;
  queueCapacity: number;
  /** Of every flowcast metric's name (METRICS_PREFIX); process_* and nodejs_* keep their standard names. */
  prefix: string;
  /** METRICS_TLS_*: serve HTTPS. */
  tls?: { certFile: string; keyFile: string };
}

export interface AgentMetrics {
  /** The port served (METRICS_PORT, or the one the system chose for 0). */
  port: number;
  observeDrain(seconds: number): void;
  close(): Promise<void>;
}

export async function startMetrics(port: number, address: string, sources: MetricsSources): Promise<AgentMetrics> {
  const registry = new Registry();
  const { prefix } = sources;
  // Unprefixed: dashboards and alerts written for any process_* / nodejs_* exporter work as they are.
  // The event loop's delay sampled once a second: prom-client's default, every 10 ms, woke the idle
  // agent about 190 times a second, 320 ms of CPU a minute (docs/benchmarks.md, "Idle CPU"); a
  // sample a second still catches a loop blocked across it (nodejs_eventloop_lag_*).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1000 });
  new Gauge({
    name: prefix + 'build_info',
    registers: [registry],
    labelNames: ['version', 'schema_fingerprint'],
    help: "Always 1: the agent's version, and the fingerprint of the Avro schema it writes (dataschema, /schemas/<fingerprint>).",
  }).set({ version: VERSION, schema_fingerprint: FLOW_BATCH_FINGERPRINT.toString('hex') }, 1);
  const { aggregator, capture, queue, exporter } = sources;
  // Totals live in the aggregator and the queue; each scrape reads them.
  const total = (name: string, help: string, read: () => number, labels: Record<string, string> = {}) =>
    new Counter({
      name,
      help,
      registers: [registry],
      labelNames: Object.keys(labels),
      collect() {
        this.reset();
        this.inc(labels, read());
      },
    });
  total(prefix + 'batches_total', 'Flow batches emitted (one per interval, more when a full map flushed early).', () => aggregator.totals.batches);
  total(prefix + 'flows_total', 'Flow records drained from the kernel (evicted from its maps).', () => aggregator.totals.flows);
  total(prefix + 'packets_total', 'Packets in the drained flows (as sampled).', () => aggregator.totals.packets);
  total(prefix + 'bytes_total', 'Frame bytes in the drained flows (as sampled).', () => aggregator.totals.bytes);
  total(
    prefix + 'ringbuffer_packets_total',
    'Packets that went through the ring buffer because a flow map was full.',
    () => aggregator.totals.ringBufferPackets,
  );
  total(
    prefix + 'lost_packets_total',
    "Packets that could not be recorded: flow map and ring buffer full, or the ring buffer's flows past CACHE_MAX_FLOWS.",
    () => aggregator.totals.lostPackets,
  );
  total(
    prefix + 'observed_interfaces_missed_total',
    "Interfaces a flow crossed that its dupList could not name: its six other-interface slots were taken (DEDUPER=firstCome; NetObserv's MaxObservedInterfacesReached).",
    () => aggregator.totals.observedInterfacesMissed,
  );
  total(prefix + 'drain_failures_total', 'Drains of the kernel maps that failed (three in a row make /healthz fail).', () => aggregator.totals.drainFailures);
  total(
    prefix + 'idle_drains_total',
    'Drains that found no flow created since the previous one: the kernel maps were neither switched nor read.',
    () => capture.counters().idleDrains,
  );
  total(
    prefix + 'hook_checks_total',
    `Times the hooks were checked for removal from outside: after each drain, when no drain checked them for over ${DEFAULT_HOOK_CHECK_PERIOD_MS / 1000} s, and while parked every ${DEFAULT_PARKED_HOOK_CHECK_PERIOD_MS / 1000} s and (tc mode) at each interface or tc event.`,
    () => capture.hookChecks,
  );
  new Gauge({
    name: prefix + 'parked',
    help: 'Whether the agent is parked: an interval found nothing, so no drain is due until the kernel rings at its next flow (empty intervals are not exported).',
    registers: [registry],
    collect() {
      this.set(aggregator.parked ? 1 : 0);
    },
  });
  total(prefix + 'hooks_lost_total', 'Hooks of ours found removed or replaced from outside (each is attached again).', () => capture.hooksLost);
  new Counter({
    name: prefix + 'filter_packets_total',
    registers: [registry],
    labelNames: ['rule', 'outcome'],
    help: "Packets FLOW_FILTER_RULES judged in the kernel, by rule (its index in the list; none: no rule's ip_cidr held either address) and outcome: accepted (a full match of an Accept rule: kept), rejected (a full match of a Reject rule: skipped), no_match (kept only when the last rule whose ip_cidr matched is a Reject rule). NetObserv's ebpf_agent_filtered_flows_total{reason=FilterAccept|FilterReject|FilterNoMatch}, per rule. Only with rules.",
    collect() {
      this.reset();
      const filtered = capture.counters().filtered ?? [];
      filtered.forEach((counts, index) => {
        const rule = index === filtered.length - 1 ? 'none' : String(index);
        if (rule !== 'none') {
          this.inc({ rule, outcome: 'accepted' }, counts.accepted);
          this.inc({ rule, outcome: 'rejected' }, counts.rejected);
        }
        this.inc({ rule, outcome: 'no_match' }, counts.noMatch);
      });
    },
  });
  total(prefix + 'export_sent_total', 'Batches the export target acknowledged.', () => queue.stats.sent, { exporter });
  total(prefix + 'export_failures_total', 'Failed export attempts (each retried).', () => queue.stats.failures, { exporter });
  new Counter({
    name: prefix + 'export_dropped_total',
    registers: [registry],
    labelNames: ['exporter', 'reason'],
    help: 'Batches not delivered, by reason: queue_full (BUFFERS_LENGTH), refused (the target refused them for good), too_large (even one flow was too large), attempts (EXPORT_MAX_ATTEMPTS transient failures), shutdown (the agent stopped before the target took them).',
    collect() {
      this.reset();
      for (const [reason, batches] of Object.entries(queue.stats.droppedBy)) this.inc({ exporter, reason }, batches);
    },
  });
  total(prefix + 'export_dropped_flows_total', 'Flows in the batches not delivered.', () => queue.stats.droppedFlows, { exporter });
  new Gauge({
    name: prefix + 'export_queue_length',
    help: 'Batches waiting for the exporter.',
    registers: [registry],
    collect() {
      this.set(queue.stats.queued);
    },
  });
  new Gauge({
    name: prefix + 'interfaces_attached',
    help: 'Interfaces the programs are attached to.',
    registers: [registry],
    collect() {
      this.set(new Set(capture.attachments.map((attachment) => attachment.name)).size);
    },
  });
  const drains = new Histogram({
    name: prefix + 'drain_duration_seconds',
    help: 'Time to switch the flow maps and drain the idle one.',
    registers: [registry],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  });

  new Gauge({
    name: prefix + 'hooks_missing',
    help: 'Hooks of selected interfaces that are lost and not attached again yet.',
    registers: [registry],
    collect() {
      this.set(capture.unhooked.length);
    },
  });
  // Healthy: a drain succeeded within three intervals, fewer than three failed in a row, and every
  // selected interface is hooked. Ready: healthy and the export queue has room.
  const healthy = () => aggregator.healthy() && capture.unhooked.length === 0;
  const ready = () => healthy() && queue.stats.queued < sources.queueCapacity;
  const handler: http.RequestListener = async (request, response) => {
    if (request.url === '/metrics') {
      response.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
    } else if (request.url === '/schemas' || request.url === '/schemas/') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(SCHEMA_LISTING);
    } else if (request.url?.startsWith('/schemas/') && PUBLISHED_SCHEMAS.has(request.url.slice('/schemas/'.length))) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(PUBLISHED_SCHEMAS.get(request.url.slice('/schemas/'.length)));
    } else if (request.url === '/healthz' || request.url === '/readyz') {
      const ok = request.url === '/healthz' ? healthy() : ready();
      response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ok\n');
    } else {
      response.writeHead(404).end();
    }
  };
  const server = sources.tls
    ? https.createServer({ cert: readFileSync(sources.tls.certFile), key: readFileSync(sources.tls.keyFile) }, handler)
    : http.createServer(handler);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, address, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    observeDrain: (seconds) => drains.observe(seconds),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
