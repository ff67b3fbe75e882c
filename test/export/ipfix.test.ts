// EXPORT=ipfix+udp|tcp. UDP against a real third-party collector: nfcapd from Debian's nfdump
// (1.7.1), read back with `nfdump -o json`. Debian's nfcapd listens on UDP only, so TCP (and the
// message-level details: templates, sequence numbers, sizes, interfaceName) are checked with an
// IPFIX decoder written here from RFC 7011, independent of src/encode/ipfix.ts: it learns the
// templates from the wire.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import ipaddr from 'ipaddr.js';

import { ConfigError, loadConfig } from '../../src/config/index.js';
import { IpfixExporter } from '../../src/export/ipfix.js';
import { ExportQueue } from '../../src/export/queue.js';
import { DrainedFlows, RECORD_SIZE, offsetOf, type FlowBatch } from '../../src/model/index.js';
import { silentLog } from '../helpers/constants.js';
import { sh } from '../helpers/netns.js';

// ---- Known flows, as the kernel's drain returns them ----

interface Spec {
  v6: boolean;
  /** Default: IPv4 or IPv6 by `v6`. */
  etherType?: number;
  src: string;
  dst: string;
  protocol: number;
  srcPort: number;
  dstPort: number;
  icmpType: number;
  icmpCode: number;
  packets: number;
  bytes: number;
  egress: boolean;
  ifIndex: number;
  /** The TCP header's flags, and NetObserv's per-packet value (SYN+ACK 0x100, FIN+ACK 0x200, ...): both OR'ed. */
  tcpFlags: number;
  netobservFlags: number;
  firstNs: bigint;
  lastNs: bigint;
}

const NAMES = new Map([
  [2, 'eth0'],
  [3, 'veth-long-name1'],
  [7, 'br0'],
]);
const SRC_MAC = '0a1b2c3d4e5f';
const DST_MAC = 'f0e1d2c3b4a5';
const T0 = 1_790_000_000_123_456_789n;

function spec(partial: Partial<Spec> & Pick<Spec, 'protocol'>): Spec {
  const v6 = partial.v6 ?? false;
  return {
    v6,
    src: v6 ? 'fd00:fc::1' : '198.18.0.1',
    dst: v6 ? 'fd00:fc::2' : '198.18.0.2',
    srcPort: 0,
    dstPort: 0,
    icmpType: 0,
    icmpCode: 0,
    packets: 1,
    bytes: 100,
    egress: true,
    ifIndex: 2,
    tcpFlags: 0,
    netobservFlags: 0,
    firstNs: T0,
    lastNs: T0 + 2_500_000_000n,
    ...partial,
  };
}

/** Every kind: IPv4 and IPv6, TCP, UDP, ICMP; a byte count past 2^32; interface names of several lengths. */
const KNOWN: Spec[] = [
  spec({ protocol: 6, srcPort: 43210, dstPort: 80, packets: 12, bytes: 3456, tcpFlags: 0x1b, netobservFlags: 0x212 }),
  spec({ protocol: 17, srcPort: 5353, dstPort: 53, packets: 3_500_000, bytes: 5_000_000_123, egress: false, ifIndex: 3 }),
  spec({ protocol: 1, dst: '198.18.0.3', icmpType: 8, icmpCode: 0, packets: 4, bytes: 392 }),
  spec({ protocol: 1, dst: '198.18.0.4', icmpType: 3, icmpCode: 3, packets: 1, bytes: 590, egress: false, ifIndex: 7 }),
  spec({ v6: true, protocol: 6, srcPort: 44000, dstPort: 443, packets: 7, bytes: 1234, tcpFlags: 0x12, netobservFlags: 0x310, ifIndex: 3 }),
  spec({ v6: true, protocol: 17, srcPort: 40001, dstPort: 4789, packets: 100_001, bytes: 123_456_789_012, egress: false }),
  spec({ v6: true, protocol: 58, dst: 'fd00:fc::3', icmpType: 128, icmpCode: 0, packets: 3, bytes: 354, ifIndex: 7 }),
  spec({ v6: true, protocol: 58, dst: 'fd00:fc::4', icmpType: 1, icmpCode: 4, packets: 2, bytes: 1180 }),
  // ARP: no addresses or ports; on the IPv4 template as NetObserv sends it.
  spec({ etherType: 0x0806, protocol: 0, src: '0.0.0.0', dst: '0.0.0.0', packets: 2, bytes: 84, egress: false }),
];

/** `count` flows alternating IPv4/IPv6 and UDP/TCP, each with its own ports and counts. */
function many(count: number, base: number): Spec[] {
  return Array.from({ length: count }, (_, i) =>
    spec({
      v6: i % 2 === 1,
      protocol: i % 4 < 2 ? 17 : 6,
      srcPort: 10000 + ((base + i) % 50000),
      dstPort: 20000 + (i % 40000),
      packets: base + i + 1,
      bytes: (base + i + 1) * 100 + i,
      egress: i % 3 === 0,
      ifIndex: [2, 3, 7][i % 3],
      tcpFlags: i % 4 < 2 ? 0 : 0x18,
      netobservFlags: i % 4 < 2 ? 0 : 0x18,
      firstNs: T0 + BigInt(i) * 1_000_000n,
      lastNs: T0 + BigInt(i) * 1_000_000n + 999_999_999n,
    }),
  );
}

function addressBytes(text: string): number[] {
  const parsed = ipaddr.parse(text);
  return parsed.kind() === 'ipv4' ? (parsed as ipaddr.IPv4).toIPv4MappedAddress().toByteArray() : parsed.toByteArray();
}

function batchOf(specs: Spec[], sequence: number): FlowBatch {
  const buffer = Buffer.alloc(specs.length * RECORD_SIZE);
  specs.forEach((flow, i) => {
    const base = i * RECORD_SIZE;
    buffer.write(SRC_MAC, base + offsetOf('metrics.src_mac'), 'hex');
    buffer.write(DST_MAC, base + offsetOf('metrics.dst_mac'), 'hex');
    Buffer.from(addressBytes(flow.src)).copy(buffer, base + offsetOf('key.src_ip'));
    Buffer.from(addressBytes(flow.dst)).copy(buffer, base + offsetOf('key.dst_ip'));
    buffer.writeUInt32LE(flow.ifIndex, base + offsetOf('metrics.if_index'));
    buffer.writeUInt16LE(flow.etherType ?? (flow.v6 ? 0x86dd : 0x0800), base + offsetOf('key.eth_protocol'));
    buffer.writeUInt16LE(flow.srcPort, base + offsetOf('key.src_port'));
    buffer.writeUInt16LE(flow.dstPort, base + offsetOf('key.dst_port'));
    buffer[base + offsetOf('metrics.direction')] = flow.egress ? 1 : 0;
    buffer[base + offsetOf('key.protocol')] = flow.protocol;
    buffer[base + offsetOf('key.icmp_type')] = flow.icmpType;
    buffer[base + offsetOf('key.icmp_code')] = flow.icmpCode;
    buffer.writeBigUInt64LE(BigInt(flow.packets), base + offsetOf('metrics.packets'));
    buffer.writeBigUInt64LE(BigInt(flow.bytes), base + offsetOf('metrics.bytes'));
    buffer.writeBigUInt64LE(flow.firstNs, base + offsetOf('metrics.first_seen'));
    buffer.writeBigUInt64LE(flow.lastNs, base + offsetOf('metrics.last_seen'));
    buffer.writeUInt32LE(flow.tcpFlags | (flow.netobservFlags << 16), base + offsetOf('metrics.tcp_flags')); // bpf/flow.h FLOWCAST_TCP_*
    buffer.writeUInt32LE(1, base + offsetOf('metrics.sampling'));
  });
  return {
    agentName: 'node-a',
    agentIp: '198.18.0.1',
    sequence,
    part: 0,
    parts: 1,
    intervalStart: Number(T0 / 1000n),
    intervalEnd: Number(T0 / 1000n) + 5_000_000,
    ringBufferPackets: 0,
    lostPackets: 0,
    flows: new DrainedFlows(buffer, NAMES),
  };
}

// ---- An independent IPFIX decoder (RFC 7011) ----

interface Message {
  exportTime: number;
  sequence: number;
  domain: number;
  /** Template ids announced in this message, in order. */
  templates: number[];
  records: Map<number, Buffer>[];
}

type Templates = Map<number, [element: number, length: number][]>;

function decodeMessage(bytes: Buffer, templates: Templates): Message {
  assert.equal(bytes.readUInt16BE(0), 10, 'IPFIX version');
  assert.equal(bytes.readUInt16BE(2), bytes.length, 'message length');
  const message: Message = { exportTime: bytes.readUInt32BE(4), sequence: bytes.readUInt32BE(8), domain: bytes.readUInt32BE(12), templates: [], records: [] };
  let pos = 16;
  while (pos < bytes.length) {
    const setId = bytes.readUInt16BE(pos);
    const setEnd = pos + bytes.readUInt16BE(pos + 2);
    assert.ok(setEnd <= bytes.length && setEnd > pos + 4, 'set length');
    pos += 4;
    if (setId === 2) {
      while (pos + 4 <= setEnd) {
        const id = bytes.readUInt16BE(pos);
        const count = bytes.readUInt16BE(pos + 2);
        pos += 4;
        const fields: [number, number][] = [];
        for (let i = 0; i < count; i++, pos += 4) {
          assert.equal(bytes[pos] & 0x80, 0, 'no enterprise-specific elements');
          fields.push([bytes.readUInt16BE(pos), bytes.readUInt16BE(pos + 2)]);
        }
        templates.set(id, fields);
        message.templates.push(id);
      }
    } else {
      const fields = templates.get(setId);
      assert.ok(fields, `data set ${setId} before its template`);
      while (pos < setEnd) {
        const record = new Map<number, Buffer>();
        for (const [element, length] of fields) {
          let size = length;
          if (length === 0xffff) {
            size = bytes[pos++];
            if (size === 255) {
              size = bytes.readUInt16BE(pos);
              pos += 2;
            }
          }
          record.set(element, bytes.subarray(pos, pos + size));
          pos += size;
        }
        assert.ok(pos <= setEnd, 'record inside its set');
        message.records.push(record);
      }
    }
    pos = setEnd;
  }
  return message;
}

const uint = (value: Buffer | undefined) => Number(value!.length === 8 ? value!.readBigUInt64BE() : value!.readUIntBE(0, value!.length));

/** A data record as comparable values, whichever template it came in. */
function flowOf(record: Map<number, Buffer>) {
  const v6 = record.has(27);
  return {
    etherType: uint(record.get(256)),
    direction: uint(record.get(61)),
    srcMac: record.get(56)!.toString('hex'),
    dstMac: record.get(80)!.toString('hex'),
    src: ipaddr.fromByteArray([...record.get(v6 ? 27 : 8)!]).toString(),
    dst: ipaddr.fromByteArray([...record.get(v6 ? 28 : 12)!]).toString(),
    protocol: uint(record.get(v6 ? 193 : 4)),
    srcPort: uint(record.get(7)),
    dstPort: uint(record.get(11)),
    icmpType: uint(record.get(v6 ? 178 : 176)),
    icmpCode: uint(record.get(v6 ? 179 : 177)),
    bytes: uint(record.get(1)),
    tcpFlags: uint(record.get(6)),
    startSeconds: uint(record.get(150)),
    startMs: uint(record.get(152)),
    endSeconds: uint(record.get(151)),
    endMs: uint(record.get(153)),
    packets: uint(record.get(2)),
    interface: record.get(82)!.toString('utf8'),
  };
}

function expectedFlow(flow: Spec): ReturnType<typeof flowOf> {
  return {
    etherType: flow.etherType ?? (flow.v6 ? 0x86dd : 0x0800),
    direction: flow.egress ? 1 : 0,
    srcMac: SRC_MAC,
    dstMac: DST_MAC,
    src: ipaddr.parse(flow.src).toString(),
    dst: ipaddr.parse(flow.dst).toString(),
    protocol: flow.protocol,
    srcPort: flow.srcPort,
    dstPort: flow.dstPort,
    icmpType: flow.icmpType,
    icmpCode: flow.icmpCode,
    bytes: flow.bytes,
    tcpFlags: flow.netobservFlags,
    startSeconds: Number(flow.firstNs / 1_000_000_000n),
    startMs: Number(flow.firstNs / 1_000_000n),
    endSeconds: Number(flow.lastNs / 1_000_000_000n),
    endMs: Number(flow.lastNs / 1_000_000n),
    packets: flow.packets,
    interface: NAMES.get(flow.ifIndex)!,
  };
}

const byKey = (flow: { src: string; dst: string; srcPort?: number; dstPort?: number; protocol: number }) =>
  `${flow.src}|${flow.dst}|${flow.srcPort}|${flow.dstPort}|${flow.protocol}`;
/** Flows in a canonical order, to compare as multisets. */
const sorted = <T extends Parameters<typeof byKey>[0] & { packets: number }>(flows: T[]) =>
  flows
    .map((flow) => [`${byKey(flow)}|${flow.packets}`, flow] as const)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([, flow]) => flow);

const IPV4_TEMPLATE = [256, 61, 56, 80, 8, 12, 4, 7, 11, 176, 177, 1, 6, 150, 152, 151, 153, 2, 82];
const IPV6_TEMPLATE = [256, 61, 56, 80, 27, 28, 193, 7, 11, 178, 179, 1, 6, 150, 152, 151, 153, 2, 82];

/** Waits, a bounded time, until `done()` holds. */
async function until(what: string, done: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// ---- nfcapd ----

interface NfdumpFlow {
  in_packets: number;
  in_bytes: number;
  proto: number;
  src_port?: number;
  dst_port?: number;
  src4_addr?: string;
  dst4_addr?: string;
  src6_addr?: string;
  dst6_addr?: string;
  first: string;
  last: string;
  direction: number;
  tcp_flags?: string;
  in_src_mac: string;
  in_dst_mac: string;
  export_sysid: number;
}

class Nfcapd {
  private output = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (chunk) => (this.output += chunk));
    child.stderr!.on('data', (chunk) => (this.output += chunk));
  }

  static async start(): Promise<Nfcapd> {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const { port } = probe.address();
    probe.close(); // nfcapd takes the port at once; nothing else on this machine asks for a random one in between
    const dir = mkdtempSync(join(tmpdir(), 'flowcast-nfcapd-'));
    // A socket buffer for every datagram of a test (the default 208 KiB overflows when nfcapd is
    // slow to read on a loaded machine, and UDP has no flow control): -B asks for 2 MiB.
    const child = spawn('nfcapd', ['-b', '127.0.0.1', '-p', String(port), '-w', dir, '-t', '3600', '-B', String(2 << 20)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collector = new Nfcapd(dir, port, child);
    await Promise.race([
      until('nfcapd to start', () => collector.output.includes('Startup nfcapd.')),
      once(child, 'exit').then(() => {
        throw new Error(`nfcapd exited: ${collector.output}`);
      }),
    ]);
    return collector;
  }

  /** nfcapd's socket in /proc/net/udp: bytes waiting (rx_queue) and datagrams the kernel dropped. */
  private socket(): { waiting: number; drops: number } {
    const local = `0100007F:${this.port.toString(16).toUpperCase().padStart(4, '0')}`;
    const line = readFileSync('/proc/net/udp', 'utf8')
      .split('\n')
      .find((row) => row.trim().split(/\s+/)[1] === local);
    assert.ok(line, 'nfcapd socket in /proc/net/udp');
    const columns = line.trim().split(/\s+/);
    return { waiting: Number.parseInt(columns[4].split(':')[1], 16), drops: Number(columns[12]) };
  }

  private waiting(): number {
    return this.socket().waiting;
  }

  /** Lets nfcapd read everything sent, stops it (it writes its file) and returns what nfdump reads. */
  async stop(): Promise<{ flows: NfdumpFlow[]; stats: string }> {
    await until('nfcapd to read its socket', () => this.waiting() === 0);
    assert.equal(this.socket().drops, 0, "datagrams dropped at nfcapd's socket (its buffer overflowed): the test, not the exporter");
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, this.output);
    const json = await sh('env', 'TZ=UTC', 'nfdump', '-R', this.dir, '-o', 'json');
    const flows = json.includes('"type"') ? (JSON.parse(json) as NfdumpFlow[]) : [];
    const stats = await sh('nfdump', '-R', this.dir, '-I');
    rmSync(this.dir, { recursive: true, force: true });
    return { flows, stats };
  }

  kill(): void {
    this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** nfdump's 8-character TCP flags ("...A..S."), from the low 8 bits. */
function nfdumpFlags(bits: number): string {
  return [...'CEUAPRSF'].map((letter, i) => (bits & (0x80 >> i) ? letter : '.')).join('');
}

/**
 * What Debian's nfdump 1.7.1 shows for a flow. It maps protocolIdentifier (4) but not nextHeaderIPv6
 * (193), and ICMP only from icmpTypeCode (32/139), not the type and code elements 176-179 that
 * NetObserv's templates carry: so IPv6 flows read as protocol 0 there, and an IPv4 ICMP flow has no
 * ports (the decoder above checks those elements). Everything else is exact.
 */
function expectedNfdump(flow: Spec) {
  const iso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString().replace('Z', '');
  const icmpV4 = flow.protocol === 1;
  return {
    src: ipaddr.parse(flow.src).toString(),
    dst: ipaddr.parse(flow.dst).toString(),
    protocol: flow.v6 ? 0 : flow.protocol,
    srcPort: icmpV4 ? undefined : flow.srcPort,
    dstPort: icmpV4 ? undefined : flow.dstPort,
    packets: flow.packets,
    bytes: flow.bytes,
    first: iso(flow.firstNs),
    last: iso(flow.lastNs),
    direction: flow.egress ? 1 : 0,
    tcpFlags: icmpV4 ? undefined : nfdumpFlags(flow.netobservFlags),
    srcMac: '0a:1b:2c:3d:4e:5f',
    dstMac: 'f0:e1:d2:c3:b4:a5',
  };
}

function fromNfdump(flow: NfdumpFlow): ReturnType<typeof expectedNfdump> {
  return {
    src: ipaddr.parse(flow.src4_addr ?? flow.src6_addr!).toString(),
    dst: ipaddr.parse(flow.dst4_addr ?? flow.dst6_addr!).toString(),
    protocol: flow.proto,
    srcPort: flow.src_port,
    dstPort: flow.dst_port,
    packets: flow.in_packets,
    bytes: flow.in_bytes,
    first: flow.first,
    last: flow.last,
    direction: flow.direction,
    tcpFlags: flow.tcp_flags,
    srcMac: flow.in_src_mac,
    dstMac: flow.in_dst_mac,
  };
}

test('EXPORT=ipfix+udp and ipfix+tcp need TARGET_HOST and TARGET_PORT', () => {
  for (const kind of ['ipfix+udp', 'ipfix+tcp']) {
    assert.throws(
      () => loadConfig({ EXPORT: kind }),
      (error: Error) =>
        error instanceof ConfigError && error.message === `TARGET_HOST: required when EXPORT=${kind}\nTARGET_PORT: required when EXPORT=${kind}`,
    );
  }
});

test('ipfix+udp to nfcapd: nfdump reads every flow with exact packets, bytes, addresses, ports, protocol, times, MACs', async () => {
  const nfcapd = await Nfcapd.start();
  try {
    const config = loadConfig({ EXPORT: 'ipfix+udp', TARGET_HOST: '127.0.0.1', TARGET_PORT: String(nfcapd.port) });
    assert.equal(config.export, 'ipfix+udp');
    const exporter = new IpfixExporter({ host: config.target.host!, port: config.target.port!, transport: 'udp' });
    const queue = new ExportQueue(exporter, 10, silentLog);
    // 1,500 flows in one batch: about a hundred datagrams, IPv4 and IPv6 sets side by side.
    const batches = [KNOWN, many(1500, 0), many(37, 5000)];
    batches.forEach((specs, sequence) => queue.push(batchOf(specs, sequence)));
    await queue.close(Date.now() + 20_000);
    assert.equal(queue.stats.sent, 3);
    assert.equal(queue.stats.dropped, 0);

    const { flows, stats } = await nfcapd.stop();
    const expected = batches.flat().map(expectedNfdump);
    assert.equal(flows.length, expected.length, 'one nfdump record per flow');
    assert.deepEqual(sorted(flows.map(fromNfdump)), sorted(expected));
    assert.ok(
      flows.every((flow) => flow.export_sysid === flows[0].export_sysid),
      'one exporter (observation domain)',
    );
    // nfcapd checks each message's sequence number against the data records before it.
    assert.match(stats, /^Sequence failures: 0$/m);
    assert.match(stats, new RegExp(`^Flows: ${expected.length}$`, 'm'));
  } finally {
    nfcapd.kill();
  }
});

test('ipfix+udp messages: under the datagram size, templates 256/257 first and refreshed, sequence numbers count data records', async () => {
  const server = dgram.createSocket('udp4');
  const datagrams: Buffer[] = [];
  server.on('message', (message) => datagrams.push(message));
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const sent = [KNOWN, many(300, 0), many(5, 1000)];
  const exporter = new IpfixExporter({ host: '127.0.0.1', port, transport: 'udp', maxMessageBytes: 1000, templateRefreshMs: 3_600_000 });
  const refreshing = new IpfixExporter({ host: '127.0.0.1', port, transport: 'udp', maxMessageBytes: 1000, templateRefreshMs: 0 });
  try {
    for (const [sequence, specs] of sent.entries()) await exporter.send(batchOf(specs, sequence));
    const total = sent.flat().length;
    const templates: Templates = new Map();
    let messages: Message[] = [];
    await until('every record', () => {
      messages = datagrams.map((datagram) => decodeMessage(datagram, templates));
      templates.clear();
      return messages.reduce((sum, message) => sum + message.records.length, 0) >= total;
    });
    messages = datagrams.map((datagram) => decodeMessage(datagram, templates));
    assert.ok(datagrams.length > 20, `${datagrams.length} datagrams`);
    assert.ok(
      datagrams.every((datagram) => datagram.length <= 1000),
      'each datagram within maxMessageBytes',
    );
    assert.deepEqual(
      messages.map((message) => message.templates),
      messages.map((_, i) => (i === 0 ? [256, 257] : [])),
      'templates only first (no refresh due)',
    );
    assert.deepEqual(
      templates.get(256)!.map(([element]) => element),
      IPV4_TEMPLATE,
    );
    assert.deepEqual(
      templates.get(257)!.map(([element]) => element),
      IPV6_TEMPLATE,
    );
    let before = 0;
    for (const message of messages) {
      assert.equal(message.sequence, before, 'sequence number: data records sent before this message');
      assert.equal(message.domain, 1);
      assert.ok(Math.abs(message.exportTime - Date.now() / 1000) < 3600, 'export time is now');
      before += message.records.length;
    }
    assert.equal(before, total, 'each record once');
    const decoded = messages.flatMap((message) => message.records.map(flowOf));
    assert.deepEqual(sorted(decoded), sorted(sent.flat().map(expectedFlow)));

    datagrams.length = 0;
    await refreshing.send(batchOf(many(100, 0), 0));
    await until("the refreshing exporter's records", () => {
      const fresh: Templates = new Map();
      return datagrams.reduce((sum, datagram) => sum + decodeMessage(datagram, fresh).records.length, 0) >= 100;
    });
    const refreshed = datagrams.map((datagram) => decodeMessage(datagram, new Map()));
    assert.ok(refreshed.length > 1 && refreshed.every((message) => message.templates.join() === '256,257'), 'templates in every message when due');
  } finally {
    await exporter.close();
    await refreshing.close();
    server.close();
  }
});

test('ipfix+udp to an IPv6 collector address', async () => {
  const server = dgram.createSocket('udp6');
  const datagrams: Buffer[] = [];
  server.on('message', (message) => datagrams.push(message));
  await new Promise<void>((resolve) => server.bind(0, '::1', resolve));
  const exporter = new IpfixExporter({ host: '::1', port: server.address().port, transport: 'udp' });
  try {
    await exporter.send(batchOf(KNOWN, 0));
    await until('the datagram', () => datagrams.length > 0);
    const [message] = datagrams.map((datagram) => decodeMessage(datagram, new Map()));
    assert.deepEqual(sorted(message.records.map(flowOf)), sorted(KNOWN.map(expectedFlow)));
  } finally {
    await exporter.close();
    server.close();
  }
});

test('ipfix+udp with nothing listening: the refused batch is retried until a collector is there, templates first, sequence numbers going on', async () => {
  const server = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  const { port } = server.address();
  server.close(); // the port answers "unreachable" until the collector binds it again
  const exporter = new IpfixExporter({ host: '127.0.0.1', port, transport: 'udp' });
  const queue = new ExportQueue(exporter, 10, silentLog);
  const refused = many(200, 0);
  const collector = dgram.createSocket('udp4');
  const datagrams: Buffer[] = [];
  collector.on('message', (message) => datagrams.push(message));
  try {
    queue.push(batchOf(refused, 0));
    await until('refused attempts', () => queue.stats.failures >= 2);
    await new Promise<void>((resolve) => collector.bind(port, '127.0.0.1', resolve));
    await queue.close(Date.now() + 20_000);
    assert.equal(queue.stats.sent, 1);
    assert.equal(queue.stats.dropped, 0);

    await until('the whole batch', () => {
      const templates: Templates = new Map();
      return datagrams.reduce((sum, datagram) => sum + decodeMessage(datagram, templates).records.length, 0) >= refused.length;
    });
    const templates: Templates = new Map();
    const messages = datagrams.map((datagram) => decodeMessage(datagram, templates));
    assert.deepEqual(messages[0].templates, [256, 257], 'templates first to the collector that came back');
    for (let i = 1; i < messages.length; i++) {
      assert.equal(messages[i].sequence, messages[i - 1].sequence + messages[i - 1].records.length, 'sequence numbers count on');
    }
    assert.ok(messages[0].sequence > 0, 'the records lost to the refused attempts were counted: the collector sees the gap');
    assert.deepEqual(sorted(messages.flatMap((message) => message.records.map(flowOf))), sorted(refused.map(expectedFlow)));
  } finally {
    await exporter.close();
    collector.close();
  }
});

/**
 * An IPFIX-over-TCP collector: keeps each connection's bytes as they come (so that it reads as fast
 * as the kernel delivers), and splits them into messages and decodes them when asked.
 */
class TcpCollector {
  readonly connections: { chunks: Buffer[]; pending: Buffer; messages: Message[]; templates: Templates; closed: boolean; socket: net.Socket }[] = [];
  readonly server = net.createServer((socket) => {
    const connection = {
      chunks: [] as Buffer[],
      pending: Buffer.alloc(0),
      messages: [] as Message[],
      templates: new Map() as Templates,
      closed: false,
      socket,
    };
    this.connections.push(connection);
    socket.on('close', () => (connection.closed = true));
    if (this.connections.length <= this.stalled) {
      socket.pause(); // a collector that stopped reading
      return;
    }
    socket.on('data', (chunk) => connection.chunks.push(chunk));
  });

  port = 0;

  /** The first `stalled` connections are never read. */
  constructor(private readonly stalled = 0) {}

  async listen(port = 0): Promise<void> {
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** The messages of a connection received so far (a message is complete once its length has arrived). */
  messages(index: number): Message[] {
    const connection = this.connections[index];
    if (!connection) return [];
    let pending = Buffer.concat([connection.pending, ...connection.chunks.splice(0)]);
    while (pending.length >= 4 && pending.length >= pending.readUInt16BE(2)) {
      const length = pending.readUInt16BE(2);
      connection.messages.push(decodeMessage(pending.subarray(0, length), connection.templates));
      pending = pending.subarray(length);
    }
    connection.pending = pending;
    return connection.messages;
  }

  records(index: number): number {
    return this.messages(index).reduce((sum, message) => sum + message.records.length, 0);
  }
}

test('ipfix+tcp: templates once per connection, sequence from 0 on each, large messages; a lost collector is reconnected and the batch retried', async () => {
  const collector = new TcpCollector();
  await collector.listen();
  const config = loadConfig({ EXPORT: 'ipfix+tcp', TARGET_HOST: 'localhost', TARGET_PORT: String(collector.port) });
  const exporter = new IpfixExporter({ host: config.target.host!, port: config.target.port!, transport: 'tcp' });
  const queue = new ExportQueue(exporter, 10, silentLog);
  const first = [KNOWN, many(2000, 0)];
  const second = many(700, 3000);
  try {
    for (const [sequence, specs] of first.entries()) queue.push(batchOf(specs, sequence));
    await until('the first batches', () => collector.records(0) === first.flat().length);

    // The collector goes away: the connection is closed and nothing listens.
    collector.connections[0].socket.destroy();
    collector.server.close();
    await until('the connection to close', () => collector.connections[0].closed);
    queue.push(batchOf(second, 2));
    await until('a refused attempt', () => queue.stats.failures > 0);
    await collector.listen(collector.port);
    await queue.close(Date.now() + 20_000);
    assert.equal(queue.stats.sent, 3);
    assert.equal(queue.stats.dropped, 0);
    assert.equal(collector.connections.length, 2, 'one reconnection');
    await until("the second connection's records", () => collector.records(1) === second.length);

    for (const [index, expected] of [first.flat(), second].entries()) {
      const messages = collector.messages(index);
      assert.deepEqual(
        messages.map((message) => message.templates),
        messages.map((_, i) => (i === 0 ? [256, 257] : [])),
        'templates once, first',
      );
      let before = 0;
      for (const message of messages) {
        assert.equal(message.sequence, before, "sequence numbers count this connection's data records");
        assert.equal(message.domain, 1);
        before += message.records.length;
      }
      assert.deepEqual(sorted(messages.flatMap((message) => message.records.map(flowOf))), sorted(expected.map(expectedFlow)));
    }
    const sizes = collector.messages(0).map((message) => message.records.length);
    assert.ok(sizes.length >= 3 && sizes.length <= 5, `2008 records of 80-110 bytes in messages up to 65535 bytes: ${sizes}`);
  } finally {
    await exporter.close();
    collector.server.close();
    for (const { socket } of collector.connections) socket.destroy();
  }
});

test('ipfix+tcp: a collector that stops reading is given up after the write deadline; the retry goes on a new connection', async () => {
  const collector = new TcpCollector(1);
  await collector.listen();
  const exporter = new IpfixExporter({ host: '127.0.0.1', port: collector.port, transport: 'tcp', writeDeadlineMs: 1000 });
  const queue = new ExportQueue(exporter, 10, silentLog);
  const flows = many(100_000, 0); // about 9 MB: more than the socket buffers of a connection nobody reads
  try {
    queue.push(batchOf(flows, 0));
    await queue.close(Date.now() + 60_000);
    assert.deepEqual({ sent: queue.stats.sent, failures: queue.stats.failures, dropped: queue.stats.dropped }, { sent: 1, failures: 1, dropped: 0 });
    assert.equal(collector.connections.length, 2, 'the stalled connection given up, one new connection');
    await until("the second connection's records", () => collector.records(1) >= flows.length);
    const messages = collector.messages(1);
    assert.deepEqual(messages[0].templates, [256, 257]);
    assert.equal(messages[0].sequence, 0);
    assert.deepEqual(sorted(messages.flatMap((message) => message.records.map(flowOf))), sorted(flows.map(expectedFlow)));
  } finally {
    await exporter.close();
    collector.server.close();
    for (const { socket } of collector.connections) socket.destroy();
  }
});
