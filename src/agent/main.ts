// flowcast-agent: configuration -> capture -> aggregate -> export, until SIGTERM or SIGINT.
import { Aggregator } from '../aggregate/index.js';
import { DEFAULT_HOOK_CHECK_PERIOD_MS, FlowCapture, dropCauseName } from '../capture/index.js';
import type { Config } from '../config/index.js';
import { ExportQueue, type Exporter } from '../export/queue.js';
import { startCommand } from '../runtime/cli.js';
import type { Logger } from '../runtime/log.js';
import { stopSignal as listenForStop } from '../runtime/signals.js';
import type { AgentMetrics } from './metrics.js';

/** Kernel memory for the flow maps and ring buffer above which the agent warns at start. */
const KERNEL_MEMORY_WARN_BYTES = 256 * 2 ** 20;
/** How long the agent keeps trying to hand over queued batches after SIGTERM (docs/deploy.md). */
const SHUTDOWN_EXPORT_MS = 10_000;
/** The exit code when batches were not delivered (README.md, docs/deploy.md). */
export const EXIT_UNDELIVERED = 3;
/** After the last log line, how long lingering handles may keep the process before it exits anyway. */
const EXIT_GRACE_MS = 2000;

/** Loads only the chosen exporter's code: each brings its own libraries. `log`: the export component's. */
async function createExporter(config: Config, log: Logger): Promise<Exporter> {
  // CloudEvents and Avro (avsc, the schema, the compiled writer) only for the modes that send them.
  const eventEncoder = async () => {
    const { createEventEncoder, newIdentity } = await import('../encode/cloudevent.js');
    const identity = newIdentity(config.agent.nodeName, config.cloudEvents.extensions);
    return createEventEncoder(config.cloudEvents.mode, identity, config.cloudEvents.avroSingleObject);
  };
  switch (config.export) {
    case 'stdout': {
      const { StdoutExporter } = await import('../export/stdout.js');
      return new StdoutExporter(process.stdout, config.stdout.format, config.stdout.topFlows, dropCauseName);
    }
    case 'nats': {
      const { NatsExporter } = await import('../export/nats.js');
      const encode = await eventEncoder();
      const exporter = new NatsExporter({ nats: config.nats, encode }, log);
      exporter.start();
      return exporter;
    }
    case 'http': {
      const { HttpExporter } = await import('../export/http.js');
      const encode = await eventEncoder();
      return new HttpExporter(config.http.url!, encode, {
        caCerts: config.http.caCerts,
        caCertsDir: config.http.caCertsDir,
        oidcTokenFile: config.http.oidcTokenFile,
      });
    }
    case 'grpc': {
      const { GrpcExporter } = await import('../export/grpc.js');
      return new GrpcExporter(config, config.agent.ip);
    }
    case 'ipfix+udp':
    case 'ipfix+tcp': {
      const { IpfixExporter } = await import('../export/ipfix.js');
      return new IpfixExporter({ host: config.target.host!, port: config.target.port!, transport: config.export === 'ipfix+udp' ? 'udp' : 'tcp' });
    }
  }
}

/** Runs the agent; resolves to the process exit code. */
export async function run(env: NodeJS.ProcessEnv): Promise<number> {
  // EXPORT=http before Knative's SinkBinding injected K_SINK: the rest is checked as usual (the URL
  // stands in), then the agent waits; Kubernetes restarts the pod with K_SINK set.
  const awaitingSink = env.EXPORT === 'http' && !env.HTTP_TARGET_URL && !env.K_SINK;
  const started = startCommand('flowcast-agent', awaitingSink ? { ...env, HTTP_TARGET_URL: 'http://k-sink.invalid/' } : env);
  if (typeof started === 'number') return started;
  const { config, log } = started;
  // Listening from here on: a SIGTERM during the start is a stop after it, not a kill that skips detaching.
  const stopSignal = listenForStop();
  if (awaitingSink) {
    // Idle rather than exiting: an exit before the binding is there would be a CrashLoopBackOff.
    log.warn(
      { variable: 'K_SINK' },
      'EXPORT=http without HTTP_TARGET_URL or K_SINK: waiting for a SinkBinding to inject K_SINK (nothing is captured until then)',
    );
    const idle = setInterval(() => undefined, 2 ** 30); // signal listeners alone do not keep Node running
    const signal = await stopSignal;
    clearInterval(idle);
    log.info({ signal }, 'stopped while waiting for K_SINK');
    return 0;
  }
  const exportLog = log.child({ component: 'export' });
  let exporter: Exporter;
  try {
    exporter = await createExporter(config, exportLog);
  } catch (error) {
    process.stderr.write(`flowcast-agent: ${(error as Error).message}\n`);
    return 2;
  }
  const queue = new ExportQueue(exporter, config.buffersLength, exportLog, { maxAttempts: config.exportMaxAttempts });
  const captureLog = log.child({ component: 'capture' });

  let aggregator: Aggregator | undefined;
  let capture: FlowCapture;
  try {
    capture = FlowCapture.open({
      ...config.capture,
      // Drains at least that often check the hooks: a timer of its own would only wake the idle
      // agent once more per interval (a refreshed Node timer still fires at its first deadline).
      hookCheckPeriodMs: config.intervalMs <= DEFAULT_HOOK_CHECK_PERIOD_MS ? 0 : DEFAULT_HOOK_CHECK_PERIOD_MS,
      onOverflow: () => aggregator?.flushSoon(),
      onInterfaces: (change) => captureLog.info(change, 'interfaces changed'),
      onError: (error) => captureLog.warn({ err: error }, (error as Error).message),
      onHookLost: (hook) => captureLog.warn(hook, `our ${hook.direction} hook on ${hook.name} was removed or replaced from outside: attaching it again`),
    });
  } catch (error) {
    captureLog.fatal({ err: error }, (error as Error).message);
    await queue.close(Date.now());
    return 1;
  }
  for (const reason of capture.features().unavailable) captureLog.warn(`${reason}: running without it`);
  for (const name of capture.missing) captureLog.warn({ interface: name }, `interface "${name}" (INTERFACES) does not exist yet: attached when it appears`);
  const memory = capture.memory();
  log.info(
    {
      attachments: capture.attachments.map((a) => `${a.name}/${a.direction}/${a.mode}`),
      export: config.export,
      intervalMs: config.intervalMs,
      kernelMemory: memory,
      filterRules: config.capture.filterRules.length,
    },
    'capturing',
  );
  const kernelBytes = memory.flowMapsBytes + memory.ringBufferBytes;
  if (kernelBytes > KERNEL_MEMORY_WARN_BYTES) {
    captureLog.warn(
      { kernelMemory: memory },
      `the flow maps (two of CACHE_MAX_FLOWS=${config.capture.maxFlows}) and the ring buffer take ${Math.round(kernelBytes / 2 ** 20)} MiB of kernel memory`,
    );
  }
  let metrics: AgentMetrics | undefined;
  let exported = 0;
  const aggregateLog = log.child({ component: 'aggregate' });
  aggregator = new Aggregator(capture, {
    intervalMs: config.intervalMs,
    agentName: config.agent.nodeName,
    agentIp: config.agent.ip,
    // One place for every exporter. The sequence counts exported batches, so that a skipped empty
    // interval leaves no gap: a gap in a consumer's sequence still means a lost batch.
    onBatch: (batch) => {
      if (!config.exportEmptyBatches && batch.flows.length === 0 && batch.lostPackets === 0 && batch.ringBufferPackets === 0) return;
      batch.sequence = exported++;
      queue.push(batch);
    },
    onError: (error) => aggregateLog.error({ err: error }, 'drain failed'),
    onDrainTime: (seconds) => metrics?.observeDrain(seconds),
    // Nothing to export while nothing happens: no wakeup either, until the kernel has a flow.
    parkWhenIdle: !config.exportEmptyBatches,
  });
  aggregator.start();
  if (config.metrics) {
    const { startMetrics } = await import('./metrics.js');
    const metricsLog = log.child({ component: 'metrics' });
    try {
      metrics = await startMetrics(config.metrics.port, config.metrics.address, {
        aggregator,
        capture,
        queue,
        exporter: exporter.name,
        intervalMs: config.intervalMs,
        queueCapacity: config.buffersLength,
        prefix: config.metrics.prefix,
        tls: config.metrics.tls,
      });
    } catch (error) {
      metricsLog.fatal({ err: error, ...config.metrics }, `cannot serve metrics on ${config.metrics.address}:${config.metrics.port}`);
      await aggregator.stop(); // detaches
      await queue.close(Date.now() + SHUTDOWN_EXPORT_MS);
      return 1;
    }
    metricsLog.info(config.metrics, 'serving /metrics, /healthz, /readyz and /schemas/');
  }

  const signal = await stopSignal;
  log.info({ signal }, 'stopping: flushing the last interval');
  await aggregator.stop();
  await queue.close(Date.now() + SHUTDOWN_EXPORT_MS);
  await metrics?.close();
  // The last line: every batch of the run delivered (exit 0), or how many were not (exit 3).
  const undelivered = queue.undelivered;
  const code = undelivered.batches > 0 ? EXIT_UNDELIVERED : 0;
  log[code ? 'error' : 'info'](
    { totals: aggregator.totals, export: queue.stats, undelivered, exitCode: code },
    code ? 'stopped with batches not delivered' : 'stopped',
  );
  // Nothing should be left running; if a library still holds a handle, do not outlive the deadline.
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  return code;
}
