import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { silentLog } from '../helpers/constants.js';
import { parseAllDocuments } from 'yaml';

import { Aggregator } from '../../src/aggregate/index.js';
import { startMetrics } from '../../src/agent/metrics.js';
import { FlowCapture, dropCauseName } from '../../src/capture/index.js';
import { CONFIG_SCHEMA } from '../../src/config/schema.js';
import { ExportQueue } from '../../src/export/queue.js';
import { StdoutExporter } from '../../src/export/stdout.js';
import { ADDON_PATH } from '../../src/native/index.js';
import { PROJECT_ROOT, exitOf, sh } from '../helpers/netns.js';
import { freePorts } from '../helpers/nats-server.js';

const KUBERNETES = `${PROJECT_ROOT}deploy/kubernetes/`;
type Manifest = Record<string, any>;

/** Every variable the agent knows: the schema's properties and their aliases. */
const KNOWN_VARIABLES = new Set(Object.entries(CONFIG_SCHEMA.properties).flatMap(([name, property]) => [name, ...(property['x-aliases'] ?? [])]));

const manifests: [file: string, manifest: Manifest][] = readdirSync(KUBERNETES)
  .sort()
  .flatMap((file) =>
    parseAllDocuments(readFileSync(KUBERNETES + file, 'utf8')).map((document) => {
      assert.deepEqual(document.errors, [], `${file} is valid YAML`);
      return [file, document.toJS() as Manifest] as [string, Manifest];
    }),
  );

function assertPodTemplate(where: string, template: Manifest, selector: Record<string, string>): void {
  for (const [key, value] of Object.entries(selector))
    assert.equal(template.metadata?.labels?.[key], value, `${where}: the template carries the selector's labels`);
  const containers = template.spec?.containers;
  assert.ok(Array.isArray(containers) && containers.length > 0, `${where}: containers`);
  for (const container of containers) {
    assert.equal(typeof container.name, 'string', `${where}: container name`);
    assert.equal(typeof container.image, 'string', `${where}: container image`);
    for (const variable of container.env ?? []) {
      assert.equal(typeof variable.name, 'string');
      assert.ok('value' in variable !== 'valueFrom' in variable, `${where}: ${variable.name} has value or valueFrom`);
    }
  }
}

/** The fields each kind requires, by apiVersion/kind. */
const SHAPES: Record<string, (where: string, manifest: Manifest) => void> = {
  'v1/Namespace': () => undefined,
  'v1/ConfigMap': (where, m) => assert.ok(m.metadata.namespace && typeof m.data === 'object', `${where}: namespace and data`),
  'networking.k8s.io/v1/NetworkPolicy': (where, m) => {
    assert.ok(m.metadata.namespace && m.spec?.podSelector, `${where}: namespace and podSelector`);
    assert.deepEqual(m.spec.policyTypes, ['Ingress'], `${where}: policyTypes`);
    for (const rule of m.spec.ingress)
      assert.ok(rule.from.length > 0 && rule.ports.every((port: Manifest) => port.protocol === 'TCP' && Number.isInteger(port.port)), `${where}: rules`);
  },
  'v1/ServiceAccount': (where, m) => assert.ok(m.metadata.namespace, `${where}: namespace`),
  'v1/Service': (where, m) => {
    assert.ok(m.spec?.selector, `${where}: selector`);
    assert.ok(
      m.spec?.ports?.every((port: Manifest) => Number.isInteger(port.port)),
      `${where}: ports`,
    );
  },
  'apps/v1/DaemonSet': (where, m) => assertPodTemplate(where, m.spec.template, m.spec.selector.matchLabels),
  'apps/v1/StatefulSet': (where, m) => {
    assert.equal(typeof m.spec.serviceName, 'string', `${where}: serviceName`);
    assertPodTemplate(where, m.spec.template, m.spec.selector.matchLabels);
  },
  'apps/v1/Deployment': (where, m) => assertPodTemplate(where, m.spec.template, m.spec.selector.matchLabels),
  'eventing.knative.dev/v1/Broker': () => undefined,
  'eventing.knative.dev/v1/Trigger': (where, m) => assert.ok(m.spec.broker && m.spec.subscriber?.ref?.name, `${where}: broker and subscriber`),
  'monitoring.coreos.com/v1/ServiceMonitor': (where, m) => {
    assert.ok(m.metadata.namespace && m.spec?.selector?.matchLabels, `${where}: namespace and selector`);
    assert.ok(
      m.spec.endpoints?.length > 0 && m.spec.endpoints.every((endpoint: Manifest) => typeof endpoint.port === 'string'),
      `${where}: endpoints by port name`,
    );
  },
  'sources.knative.dev/v1/SinkBinding': (where, m) => {
    assert.ok(m.spec.subject?.apiVersion && m.spec.subject?.kind && (m.spec.subject.name || m.spec.subject.selector), `${where}: subject`);
    assert.ok(m.spec.sink?.ref || m.spec.sink?.uri, `${where}: sink`);
  },
};

test('every manifest is a Kubernetes object of the shape its kind requires', () => {
  assert.ok(manifests.length >= 8);
  for (const [file, manifest] of manifests) {
    const type = `${manifest.apiVersion}/${manifest.kind}`;
    const where = `${file} ${type} ${manifest.metadata?.name}`;
    assert.ok(SHAPES[type], `${where}: a kind these manifests are checked for`);
    assert.match(manifest.metadata?.name ?? '', /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${where}: metadata.name`);
    SHAPES[type](where, manifest);
  }
});

test('every environment variable in the manifests and the systemd unit is one the agent knows', () => {
  const variables = manifests.flatMap(([file, manifest]) =>
    (manifest.spec?.template?.spec?.containers ?? [])
      .filter((c: Manifest) => c.image.startsWith('flowcast/'))
      .flatMap((container: Manifest) => (container.env ?? []).map((variable: Manifest) => [file, variable.name])),
  );
  const unit = readFileSync(`${PROJECT_ROOT}deploy/systemd/flowcast-agent.service`, 'utf8');
  for (const [, name] of unit.matchAll(/^Environment=([A-Z_]+)=/gm)) variables.push(['flowcast-agent.service', name]);
  assert.ok(variables.length >= 10);
  for (const [file, name] of variables) assert.ok(KNOWN_VARIABLES.has(name), `${file}: ${name} is not a flowcast variable`);
});

test('the agent runs unprivileged with the three capabilities the capture tests prove enough', () => {
  const agents = manifests.filter(([, m]) => m.kind === 'DaemonSet').map(([, m]) => m.spec.template.spec);
  assert.equal(agents.length, 2);
  for (const pod of agents) {
    assert.equal(pod.hostNetwork, true);
    const { securityContext } = pod.containers[0];
    assert.equal(securityContext.privileged, false);
    assert.deepEqual(securityContext.capabilities, { drop: ['ALL'], add: ['BPF', 'NET_ADMIN', 'PERFMON'] });
  }
  const unit = readFileSync(`${PROJECT_ROOT}deploy/systemd/flowcast-agent.service`, 'utf8');
  assert.match(unit, /^AmbientCapabilities=CAP_BPF CAP_NET_ADMIN CAP_PERFMON$/m);
  assert.match(readFileSync(`${PROJECT_ROOT}deploy/Containerfile`, 'utf8'), /ENTRYPOINT \["node", "\/opt\/flowcast\/bin\/flowcast-agent.js"\]/);
});

const find = (kind: string, name: string) => manifests.find(([, m]) => m.kind === kind && m.metadata.name === name)![1];

test("knative.yaml is complete: a namespace labelled for inclusion mode, the binding's DaemonSet waiting for K_SINK, a Trigger to a Service of the file", () => {
  const knative = manifests.filter(([file]) => file === 'knative.yaml').map(([, m]) => m);
  const of = (kind: string) => knative.filter((m) => m.kind === kind);
  const [namespace] = of('Namespace');
  assert.equal(namespace.metadata.labels['bindings.knative.dev/include'], 'true');
  assert.ok(
    knative.filter((m) => m.kind !== 'Namespace').every((m) => m.metadata.namespace === namespace.metadata.name),
    'everything in that namespace',
  );
  const [binding] = of('SinkBinding');
  const [agent] = of('DaemonSet');
  assert.deepEqual(binding.spec.subject, { apiVersion: 'apps/v1', kind: 'DaemonSet', name: agent.metadata.name });
  assert.ok(of('ServiceAccount').some((account) => account.metadata.name === agent.spec.template.spec.serviceAccountName));
  const variables = (container(agent).env as Manifest[]).map((variable) => variable.name);
  assert.ok(variables.includes('EXPORT') && !variables.includes('K_SINK') && !variables.includes('HTTP_TARGET_URL'), 'the binding injects the sink');
  assert.equal(container(agent).livenessProbe, undefined, 'nothing restarts the agent while it waits for K_SINK');
  const [trigger] = of('Trigger');
  assert.equal(binding.spec.sink.ref.kind, 'Broker');
  assert.equal(trigger.spec.broker, binding.spec.sink.ref.name);
  assert.ok(of('Broker').some((broker) => broker.metadata.name === trigger.spec.broker));
  assert.equal(trigger.spec.filter.attributes.type, 'dev.flowcast.flow.batch.v1');
  const service = of('Service').find((s) => s.metadata.name === trigger.spec.subscriber.ref.name);
  assert.ok(service, 'the subscriber is in the file');
  assert.ok(
    of('Deployment').some((d) => Object.entries(service.spec.selector).every(([key, value]) => d.spec.template.metadata.labels[key] === value)),
    'and has pods',
  );
});
const container = (workload: Manifest) => workload.spec.template.spec.containers[0];
const env = (workload: Manifest, name: string) => (container(workload).env as Manifest[]).find((variable) => variable.name === name);

test("metrics listen on the pod IP (the node's address with hostNetwork), where the probes connect; nothing on 0.0.0.0", () => {
  const agent = find('DaemonSet', 'flowcast-agent');
  const port = Number(env(agent, 'METRICS_PORT')!.value);
  assert.deepEqual(env(agent, 'METRICS_ADDRESS'), { name: 'METRICS_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
  for (const probe of [container(agent).livenessProbe, container(agent).readinessProbe]) {
    assert.equal(probe.httpGet.port, port);
    assert.equal(probe.httpGet.host, undefined, 'the kubelet connects to the pod IP');
  }
  assert.equal(agent.spec.template.metadata.annotations['prometheus.io/port'], String(port));
  for (const [file, manifest] of manifests) {
    for (const variable of manifest.spec?.template?.spec?.containers?.flatMap((c: Manifest) => c.env ?? []) ?? []) {
      assert.ok(!['0.0.0.0', '::'].includes(variable.value), `${file}: ${variable.name} listens on every address`);
    }
  }
});

test('NATS requires the password that only the Secret holds, and the agents send it', async () => {
  assert.ok(!manifests.some(([, m]) => m.kind === 'Secret'), 'no password is shipped');
  const nats = find('StatefulSet', 'nats');
  const agent = find('DaemonSet', 'flowcast-agent');
  const secret = env(nats, 'NATS_PASSWORD')!.valueFrom.secretKeyRef;
  assert.deepEqual(env(agent, 'NATS_PASSWORD')!.valueFrom.secretKeyRef, secret, 'the agents read the Secret the server reads');
  const docs = readFileSync(`${PROJECT_ROOT}docs/deploy.md`, 'utf8');
  assert.ok(docs.includes(`kubectl create secret generic ${secret.name} -n flowcast --from-literal=${secret.key}=`), 'docs/deploy.md creates the Secret');
  // The server runs the ConfigMap's file from its mount.
  const args = container(nats).args as string[];
  const mount = (container(nats).volumeMounts as Manifest[]).find((m) => m.name === nats.spec.template.spec.volumes.find((v: Manifest) => v.configMap)!.name)!;
  assert.deepEqual(args, ['-c', `${mount.mountPath}/nats.conf`]);
  const conf = find('ConfigMap', nats.spec.template.spec.volumes.find((v: Manifest) => v.configMap).configMap.name).data['nats.conf'] as string;
  assert.match(conf, /^\s*user: (\S+)$/m);
  assert.equal(env(agent, 'NATS_USER')!.value, /^\s*user: (\S+)$/m.exec(conf)![1]);

  // That file, as Debian's nats-server reads it (store and ports moved to this test's).
  const dir = mkdtempSync(`${tmpdir()}/flowcast-nats-conf-`);
  try {
    const [port, monitorPort] = await freePorts(2);
    writeFileSync(`${dir}/nats.conf`, conf.replace('"/data"', JSON.stringify(`${dir}/data`)).replace('127.0.0.1:8222', `127.0.0.1:${monitorPort}`));
    const start = (password: string | undefined) => {
      const child = spawn('nats-server', ['-c', `${dir}/nats.conf`, '-a', '127.0.0.1', '-p', String(port)], {
        env: { PATH: process.env.PATH, ...(password ? { NATS_PASSWORD: password } : {}) },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let log = '';
      const ready = new Promise<string>((resolve) => {
        child.stderr.on('data', (chunk) => {
          log += chunk;
          if (log.includes('Server is ready')) resolve('ready');
        });
        child.once('close', () => resolve(`exited: ${log}`)); // 'close': its last log lines read
      });
      return { child, ready };
    };
    const withoutSecret = start(undefined);
    assert.match(await withoutSecret.ready, /^exited: .*NATS_PASSWORD/s, 'no Secret: the server does not start');
    const server = start('a-password-from-the-secret');
    assert.equal(await server.ready, 'ready');
    try {
      const url = `nats://127.0.0.1:${port}`;
      await assert.rejects(connect({ servers: url, reconnect: false }), /Authorization Violation/);
      await assert.rejects(connect({ servers: url, reconnect: false, user: 'flowcast', pass: 'guess' }), /Authorization Violation/);
      const client = await connect({ servers: url, reconnect: false, user: env(agent, 'NATS_USER')!.value, pass: 'a-password-from-the-secret' });
      await client.flush();
      await client.close();
    } finally {
      server.child.kill('SIGTERM');
      await exitOf(server.child);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("NetworkPolicies open exactly the listeners that must be reachable: NATS's client port and the agents' metrics port", () => {
  const policies = manifests.filter(([, m]) => m.kind === 'NetworkPolicy').map(([, m]) => m);
  const selected = (policy: Manifest) =>
    manifests
      .map(([, m]) => m)
      .filter(
        (m) =>
          m.spec?.template &&
          m.metadata.namespace === policy.metadata.namespace &&
          Object.entries(policy.spec.podSelector.matchLabels).every(([key, value]) => m.spec.template.metadata.labels[key] === value),
      );
  const ports = (policy: Manifest) => policy.spec.ingress.flatMap((rule: Manifest) => rule.ports.map((port: Manifest) => port.port));
  assert.deepEqual(
    policies.map((policy) => selected(policy).map((m) => m.metadata.name)),
    [['nats'], ['flowcast-agent']],
  );
  assert.deepEqual(
    ports(policies[0]),
    find('Service', 'nats').spec.ports.map((port: Manifest) => port.targetPort),
  );
  assert.deepEqual(ports(policies[1]), [Number(env(find('DaemonSet', 'flowcast-agent'), 'METRICS_PORT')!.value)]);
  assert.match(find('ConfigMap', 'nats-config').data['nats.conf'], /^http: "127\.0\.0\.1:8222"$/m, 'NATS monitoring stays inside the pod');
});

const matches = (labels: Record<string, string> | undefined, selector: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

test("the ServiceMonitor scrapes the DaemonSet's metrics port, through a headless Service over its pods", () => {
  const agent = find('DaemonSet', 'flowcast-agent');
  const monitor = find('ServiceMonitor', 'flowcast-agent');
  const services = manifests
    .map(([, m]) => m)
    .filter(
      (m) =>
        m.kind === 'Service' &&
        m.metadata.namespace === monitor.metadata.namespace &&
        monitor.spec.namespaceSelector.matchNames.includes(m.metadata.namespace) &&
        matches(m.metadata.labels, monitor.spec.selector.matchLabels),
    );
  assert.deepEqual(
    services.map((service) => service.metadata.name),
    ['flowcast-agent-metrics'],
  );
  const [service] = services;
  assert.equal(service.spec.clusterIP, 'None');
  assert.ok(matches(agent.spec.template.metadata.labels, service.spec.selector), "the Service selects the agents' pods");
  const metricsPort = Number(env(agent, 'METRICS_PORT')!.value);
  for (const endpoint of monitor.spec.endpoints) {
    assert.equal(endpoint.path, '/metrics');
    const servicePort = service.spec.ports.find((port: Manifest) => port.name === endpoint.port);
    assert.ok(servicePort, `the Service has port ${endpoint.port}`);
    const containerPort = (container(agent).ports as Manifest[]).find(
      (port) => port.name === servicePort.targetPort || port.containerPort === servicePort.targetPort,
    );
    assert.equal(containerPort?.containerPort, metricsPort, 'the port the agent serves its metrics on');
  }
  // NetworkPolicy: the port is the one namespace monitoring may reach.
  const policy = manifests
    .map(([, m]) => m)
    .find((m) => m.kind === 'NetworkPolicy' && matches(agent.spec.template.metadata.labels, m.spec.podSelector.matchLabels))!;
  assert.deepEqual(
    policy.spec.ingress.flatMap((rule: Manifest) => rule.ports.map((port: Manifest) => port.port)),
    [metricsPort],
  );
});

/** Every sample name an agent's /metrics shows (its TYPE lines, with a histogram's series). */
async function agentMetricNames(): Promise<{ names: Set<string>; labels: Set<string> }> {
  // A real capture attached to nothing: the metrics module as the agent runs it.
  const capture = FlowCapture.open({ interfaces: ['/^no-such-interface$/'], listen: 'none' });
  const queue = new ExportQueue(new StdoutExporter(new PassThrough().resume(), 'json', 0, dropCauseName), 10, silentLog);
  const aggregator = new Aggregator(capture, {
    intervalMs: 60_000,
    agentName: 'test',
    agentIp: '127.0.0.1',
    onBatch: () => undefined,
    onError: () => undefined,
  });
  const metrics = await startMetrics(0, '127.0.0.1', {
    aggregator,
    capture,
    queue,
    exporter: 'stdout',
    intervalMs: 60_000,
    queueCapacity: 10,
    prefix: 'flowcast_',
  });
  try {
    const text = await (await fetch(`http://127.0.0.1:${metrics.port}/metrics`)).text();
    const names = new Set<string>();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      for (const suffix of type === 'histogram' ? ['_bucket', '_sum', '_count'] : type === 'summary' ? ['', '_sum', '_count'] : ['']) names.add(name + suffix);
    }
    // Label names: of the samples, and of the labelled counters that have none yet (src/agent/metrics.ts).
    const labels = new Set([...text.matchAll(/[{,]([a-z_]+)="/g)].map((match) => match[1]).concat('exporter', 'reason'));
    return { names, labels };
  } finally {
    await metrics.close();
    await queue.close(Date.now());
    await capture.close();
  }
}

test('the Grafana dashboard queries only metrics and labels the agent exports, by their standard names', async () => {
  const dashboard = JSON.parse(readFileSync(`${PROJECT_ROOT}deploy/grafana/flowcast-agent.json`, 'utf8'));
  const panels = (dashboard.panels as Manifest[]).filter((panel) => panel.type !== 'row');
  assert.ok(panels.length >= 10);
  const { names, labels } = await agentMetricNames();
  assert.ok(names.has('flowcast_build_info') && names.has('process_cpu_seconds_total'));
  // Prometheus adds instance and job to every scraped series; the ServiceMonitor adds node.
  const known = new Set([...labels, 'instance', 'job', 'node']);
  const queries = [
    ...panels.flatMap((panel) => panel.targets.map((target: Manifest) => [panel.title, target.expr])),
    ...dashboard.templating.list
      .filter((variable: Manifest) => variable.type === 'query')
      .map((variable: Manifest) => ['$' + variable.name, variable.query.query]),
  ];
  for (const [title, expr] of queries) {
    const used = [...expr.matchAll(/\b((?:flowcast|process|nodejs)_[a-z0-9_]+)/g)].map((match) => match[1]);
    assert.ok(used.length > 0, `${title}: ${expr} queries an agent metric`);
    for (const name of used) assert.ok(names.has(name), `${title}: ${name} is not a metric of the agent`);
    const grouped = [...expr.matchAll(/\bby \(([^)]*)\)|\{([^}]*)\}/g)].flatMap((match) =>
      match[1] ? match[1].split(',') : [...match[2].matchAll(/([a-z_]+)=/g)].map((label) => label[1]),
    );
    for (const label of grouped.map((label) => label.trim())) assert.ok(known.has(label), `${title}: label ${label} is not on the agent's series`);
  }
});

test("the image builds the BPF objects, the addon and the TypeScript itself, from a context without this checkout's builds", async () => {
  const containerfile = readFileSync(`${PROJECT_ROOT}deploy/Containerfile`, 'utf8');
  const ignored = readFileSync(`${PROJECT_ROOT}.dockerignore`, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const isIgnored = (path: string) =>
    ignored.some((pattern) => (pattern.startsWith('*.') ? path.endsWith(pattern.slice(1)) : path === pattern || path.startsWith(`${pattern}/`)));
  for (const built of ['node_modules', 'dist', 'build', 'native/build']) assert.ok(ignored.includes(built), `.dockerignore leaves out ${built}`);
  // Everything git tracks that the build stage uses is in the context.
  const tracked = (await sh('git', '-C', PROJECT_ROOT, 'ls-files')).split('\n').filter(Boolean);
  const needed = tracked.filter((path) => /^(src|bpf|native|schemas|proto|bin)\/|^(Makefile|package\.json|package-lock\.json|tsconfig\.json)$/.test(path));
  assert.ok(needed.length > 40);
  assert.deepEqual(needed.filter(isIgnored), []);
  // The build stage runs the Makefile's targets with its build packages installed...
  assert.match(containerfile, /^RUN npm ci /m);
  assert.match(containerfile, /^RUN make generate native ts && npm prune --omit=dev$/m);
  const makefile = readFileSync(`${PROJECT_ROOT}Makefile`, 'utf8');
  const aptBuild = /^APT_BUILD := (.*)$/m.exec(makefile)![1].split(/\s+/);
  const installed = /apt-get install[^\n]*\\\n([^\n]*)/.exec(containerfile)![1].trim().split(/\s+/);
  assert.deepEqual(
    aptBuild.filter((name) => !installed.includes(name)),
    [],
    'the build stage installs APT_BUILD',
  );
  assert.match(makefile, /^generate: build\/flowcast\.bpf\.o build\/flowcast-extras\.bpf\.o build\/flowcast\.skel\.h build\/flowcast-extras\.skel\.h$/m);
  // ...and the runtime stage gets every file the agent loads from where it looks for it.
  for (const path of [ADDON_PATH].map((absolute) => absolute.slice(PROJECT_ROOT.length))) {
    assert.ok(containerfile.includes(`COPY --from=build /src/${path} ./${path}\n`), `the image has ${path}`);
  }
});
