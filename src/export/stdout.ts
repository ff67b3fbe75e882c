// EXPORT=stdout: what a person running the agent reads. A table per interval, or JSON lines.
import type { Writable } from 'node:stream';

import {
  DIRECTION_EGRESS,
  EXTRAS_SIZE,
  RECORD_SIZE,
  decodeExtras,
  dnsResponseCodeName,
  forEachObserved,
  hasObserved,
  formatAddress,
  formatAddressAt,
  formatMac,
  formatMacAt,
  readNsAsUs,
  readUint64,
  tcpStateName,
  type FlowBatch,
  type FlowRecord,
} from '../model/index.js';
import {
  BYTES,
  DIRECTION,
  DSCP,
  DST_IP,
  DST_MAC,
  DST_PORT,
  ETH_PROTOCOL,
  FIRST_SEEN,
  ICMP_CODE,
  ICMP_TYPE,
  IF_INDEX,
  LAST_SEEN,
  NETOBSERV_TCP_FLAGS,
  PACKETS,
  PROTOCOL,
  SAMPLING,
  SRC_IP,
  SRC_MAC,
  SRC_PORT,
  TCP_HEADER_FLAGS,
} from '../model/record.js';
import type { Exporter } from './queue.js';

/**
 * The name of a drop cause (Drops.latestDropCause): the numbering is the running kernel's, so the
 * agent passes the capture's `dropCauseName`, which reads it from the kernel's BTF.
 */
export type DropCauseNamer = (cause: number) => string;

const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 132: 'SCTP' };
/** NetObserv's (and Flowlogs Pipeline's) names of its TCP flag bits, by bit (netobservTcpFlags). */
const TCP_FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'SYN_ACK', 'FIN_ACK', 'RST_ACK'];

function protocolName(flow: FlowRecord): string {
  if (flow.etherType === 0x0806) return 'ARP';
  if (flow.etherType !== 0x0800 && flow.etherType !== 0x86dd) return `eth:0x${flow.etherType.toString(16).padStart(4, '0')}`;
  return PROTOCOLS[flow.protocol] ?? `ip:${flow.protocol}`;
}

function endpoint(address: Buffer, port: number, flow: FlowRecord): string {
  const text = flow.etherType === 0x86dd ? `[${formatAddress(address)}]` : formatAddress(address);
  return flow.protocol === 6 || flow.protocol === 17 || flow.protocol === 132 ? `${text}:${port}` : text;
}

function tcpFlags(flags: number): string {
  return TCP_FLAG_NAMES.filter((_, bit) => flags & (1 << bit)).join(',');
}

function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) [value, unit] = [value / 1024, unit + 1];
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Drops, DNS and RTT, when tracked and set (ENABLE_PKT_DROPS, ENABLE_DNS_TRACKING, ENABLE_RTT). */
function extrasDetail(flow: FlowRecord, dropCauseName: DropCauseNamer): string {
  const parts: string[] = [];
  if (flow.drops) {
    parts.push(
      `dropped ${flow.drops.packets} (${humanBytes(flow.drops.bytes)}) ${dropCauseName(flow.drops.latestDropCause)}` +
        (flow.drops.latestState ? ` ${tcpStateName(flow.drops.latestState)}` : ''),
    );
  }
  if (flow.dns) {
    const { id, flags, latency, errno, name } = flow.dns;
    parts.push(
      (flags & DNS_QR ? `dns #${id} ${dnsResponseCodeName(flags)}` : 'dns') +
        (name ? ` ${name}` : '') +
        (latency ? ` ${(latency / 1e6).toFixed(3)} ms` : '') +
        (errno ? ` errno ${errno}` : ''),
    );
  }
  if (flow.rtt) parts.push(`rtt ${(flow.rtt / 1e6).toFixed(3)} ms`);
  return parts.join('  ');
}

/** The QR bit of a DNS header's flags: set on a response, whose rcode means something. */
const DNS_QR = 0x8000;
/** The other interfaces the flow's packets crossed (dupList after the counted one, DEDUPER=firstCome). */
function alsoSeen(flow: FlowRecord): string {
  if (flow.dupList.length < 2) return '';
  const short = { ingress: 'in', egress: 'out', both: 'both' };
  return (
    'also ' +
    flow.dupList
      .slice(1)
      .map((entry) => `${entry.interface}/${short[entry.direction]}`)
      .join(',')
  );
}

const time = (us: number) => new Date(us / 1000).toISOString().slice(11, 23);

export function formatTable(batch: FlowBatch, topFlows: number, dropCauseName: DropCauseNamer): string {
  const flows = batch.flows.decode();
  const packets = flows.reduce((sum, flow) => sum + flow.packets, 0);
  const bytes = flows.reduce((sum, flow) => sum + flow.bytes, 0);
  const lines = [
    `── ${batch.agentName} #${batch.sequence}  ${time(batch.intervalStart)} → ${time(batch.intervalEnd)} UTC  ` +
      `${flows.length} flows  ${packets} packets  ${humanBytes(bytes)}` +
      (batch.lostPackets ? `  LOST ${batch.lostPackets} packets` : '') +
      (batch.ringBufferPackets ? `  (${batch.ringBufferPackets} via ring buffer)` : ''),
  ];
  const top = flows.sort((x, y) => y.bytes - x.bytes).slice(0, topFlows);
  if (top.length === 0) return lines.join('\n') + '\n';
  const rows = [
    ['IFACE', 'DIR', 'PROTO', 'SOURCE', 'DESTINATION', 'PACKETS', 'BYTES', 'DETAIL'],
    ...top.map((flow) => [
      flow.interface,
      flow.direction === 'ingress' ? 'in' : 'out',
      protocolName(flow),
      flow.protocol ? endpoint(flow.srcAddr, flow.srcPort, flow) : formatMac(flow.srcMac),
      flow.protocol ? endpoint(flow.dstAddr, flow.dstPort, flow) : formatMac(flow.dstMac),
      String(flow.packets),
      humanBytes(flow.bytes),
      [
        flow.protocol === 1 || flow.protocol === 58 ? `type ${flow.icmpType} code ${flow.icmpCode}` : tcpFlags(flow.netobservTcpFlags),
        extrasDetail(flow, dropCauseName),
        alsoSeen(flow),
      ]
        .filter(Boolean)
        .join('  '),
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const numeric = new Set([5, 6]);
  for (const row of rows) {
    lines.push(
      row
        .map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
        .join('  ')
        .trimEnd(),
    );
  }
  if (flows.length > top.length) lines.push(`… ${flows.length - top.length} more flows`);
  return lines.join('\n') + '\n';
}

const MILLISECONDS = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z`);

/**
 * new Date(us / 1000).toISOString(), with the text up to the second made once per second (`seconds`
 * holds it): an interval's flows start and end within a few seconds, and a Date and its text per
 * time were about a fifth of a JSON line's cost (profiled).
 */
function isoTime(us: number, seconds: Map<number, string>): string {
  const ms = Math.floor(us / 1000);
  const second = Math.floor(ms / 1000);
  let upToSecond = seconds.get(second);
  if (upToSecond === undefined) seconds.set(second, (upToSecond = new Date(second * 1000).toISOString().slice(0, -4))); // without "000Z"
  return upToSecond + MILLISECONDS[ms - second * 1000];
}

/**
 * One JSON object per flow, readable values (addresses as text, times as ISO strings): the decoded
 * FlowRecord's fields in its order, with agentName and sequence first. Written from the drained
 * structs field by field rather than as JSON.stringify of a decoded flow object spread into another
 * (two objects and four Buffer views a flow: most of stdout json's CPU in a burst, and much more on
 * the first, before V8 optimised it); test/export/stdout.test.ts checks the text is that of the
 * objects, byte for byte.
 */
export function formatJsonLines(batch: FlowBatch, dropCauseName: DropCauseNamer): string {
  const { records, extras } = batch.flows;
  const names = new Map<number, string>(); // each interface's name as JSON, once
  const nameOf = (ifIndex: number) => {
    let name = names.get(ifIndex);
    if (name === undefined) names.set(ifIndex, (name = JSON.stringify(batch.flows.interfaceName(ifIndex))));
    return name;
  };
  const seconds = new Map<number, string>();
  const head = `{"agentName":${JSON.stringify(batch.agentName)},"sequence":${batch.sequence},"ifIndex":`;
  let text = '';
  for (let index = 0, base = 0; base < records.length; index++, base += RECORD_SIZE) {
    const ifIndex = records.readUInt32LE(base + IF_INDEX);
    const name = nameOf(ifIndex);
    const direction = records[base + DIRECTION] === DIRECTION_EGRESS ? '"egress"' : '"ingress"';
    let dupList = `[{"interface":${name},"direction":${direction},"udn":""}`;
    if (hasObserved(records, base))
      forEachObserved(records, base, (other, seen) => (dupList += `,{"interface":${nameOf(other)},"direction":"${seen}","udn":""}`));
    text +=
      `${head}${ifIndex},"interface":${name},"direction":${direction},"etherType":${records.readUInt16LE(base + ETH_PROTOCOL)}` +
      `,"srcMac":"${formatMacAt(records, base + SRC_MAC)}","dstMac":"${formatMacAt(records, base + DST_MAC)}"` +
      `,"srcAddr":"${formatAddressAt(records, base + SRC_IP)}","dstAddr":"${formatAddressAt(records, base + DST_IP)}"` +
      `,"protocol":${records[base + PROTOCOL]},"srcPort":${records.readUInt16LE(base + SRC_PORT)},"dstPort":${records.readUInt16LE(base + DST_PORT)}` +
      `,"icmpType":${records[base + ICMP_TYPE]},"icmpCode":${records[base + ICMP_CODE]}` +
      `,"packets":${readUint64(records, base + PACKETS)},"bytes":${readUint64(records, base + BYTES)}` +
      `,"firstSeen":"${isoTime(readNsAsUs(records, base + FIRST_SEEN), seconds)}","lastSeen":"${isoTime(readNsAsUs(records, base + LAST_SEEN), seconds)}"` +
      `,"tcpFlags":${records.readUInt16LE(base + TCP_HEADER_FLAGS)},"dscp":${records[base + DSCP]},"sampling":${records.readUInt32LE(base + SAMPLING)}` +
      `,"netobservTcpFlags":${records.readUInt16LE(base + NETOBSERV_TCP_FLAGS)},"dupList":${dupList}]` +
      (extras ? extrasJson(decodeExtras(extras, index * EXTRAS_SIZE), dropCauseName) : '') +
      '}\n';
  }
  return text;
}

/** The drops, DNS and RTT fields of a JSON line (ENABLE_PKT_DROPS, ENABLE_DNS_TRACKING, ENABLE_RTT), with their names. */
function extrasJson({ dns, drops, rtt }: Pick<FlowRecord, 'drops' | 'dns' | 'rtt'>, dropCauseName: DropCauseNamer): string {
  const dnsText = dns ? JSON.stringify({ ...dns, responseCode: dnsResponseCodeName(dns.flags) }) : 'null';
  const dropsText = drops
    ? JSON.stringify({ ...drops, latestDropCauseName: dropCauseName(drops.latestDropCause), latestStateName: tcpStateName(drops.latestState) })
    : 'null';
  return `,"dns":${dnsText},"drops":${dropsText},"rtt":${rtt}`;
}

/** Flows formatted and written at a time with STDOUT_FORMAT=json. */
const JSON_SLICE_FLOWS = 1000;

export class StdoutExporter implements Exporter {
  readonly name = 'stdout';

  constructor(
    private readonly out: Writable,
    private readonly format: 'table' | 'json',
    private readonly topFlows: number,
    private readonly dropCauseName: DropCauseNamer,
  ) {}

  async send(batch: FlowBatch): Promise<void> {
    if (this.format === 'table') return this.write(formatTable(batch, this.topFlows, this.dropCauseName));
    // JSON lines a slice at a time, each written before the next is made: a whole batch's objects
    // and text at once (about 500 bytes a flow) set the agent's peak memory.
    for (let from = 0; from < batch.flows.length; from += JSON_SLICE_FLOWS) {
      await this.write(formatJsonLines({ ...batch, flows: batch.flows.slice(from, from + JSON_SLICE_FLOWS) }, this.dropCauseName));
    }
  }

  private write(text: string): Promise<void> {
    return new Promise((resolve, reject) => this.out.write(text, (error) => (error ? reject(error) : resolve())));
  }

  async close(): Promise<void> {}
}
