import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';

import { CONFIG_SCHEMA } from '../../src/config/schema.js';
import { PROJECT_ROOT } from '../helpers/netns.js';

const KUBERNETES = `${PROJECT_ROOT}deploy/kubernetes/`;
type Manifest = Record<string, any>;

/** Every variable the agent knows: the schema's properties and their aliases. */
const KNOWN_VARIABLES = new Set(Object.entries(CONFIG_SCHEMA.properties).flatMap(([name, property]) => [name, ...(property['x-aliases'] ?? [])]));

const manifests: [file: string, manifest: Manifest][] = readdirSync(KUBERNETES).sort().flatMap((file) =>
  parseAllDocuments(readFileSync(KUBERNETES + file, 'utf8')).map((document) => {
    assert.deepEqual(document.errors, [], `${file} is valid YAML`);
    return [file, document.toJS() as Manifest] as [string, Manifest];
  }),
);

function assertPodTemplate(where: string, template: Manifest, selector: Record<string, string>): void {
  for (const [key, value] of Object.entries(selector)) assert.equal(template.metadata?.labels?.[key], value, `${where}: the template carries the selector's labels`);
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
  'v1/ServiceAccount': (where, m) => assert.ok(m.metadata.namespace, `${where}: namespace`),
  'v1/Service': (where, m) => {
    assert.ok(m.spec?.selector, `${where}: selector`);
    assert.ok(m.spec?.ports?.every((port: Manifest) => Number.isInteger(port.port)), `${where}: ports`);
  },
  'apps/v1/DaemonSet': (where, m) => assertPodTemplate(where, m.spec.template, m.spec.selector.matchLabels),
  'apps/v1/StatefulSet': (where, m) => {
    assert.equal(typeof m.spec.serviceName, 'string', `${where}: serviceName`);
    assertPodTemplate(where, m.spec.template, m.spec.selector.matchLabels);
  },
  'eventing.knative.dev/v1/Broker': () => undefined,
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
    (manifest.spec?.template?.spec?.containers ?? []).filter((c: Manifest) => c.image.startsWith('flowcast/'))
      .flatMap((container: Manifest) => (container.env ?? []).map((variable: Manifest) => [file, variable.name])));
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
