// Flow values shared by the encoding tests: what Avro adds to a drained flow, and a set of
// NetObserv feature fields with every one set.
import type { FlowRecord } from '../../src/model/index.js';

/** A drained flow as Avro decodes it: the NetObserv features not tracked, at their defaults. */
export const withDefaults = (flow: object) => ({ ...flow, drops: null, dns: null, rtt: 0, networkEvents: [], xlat: null, ipsec: null, tls: null, quic: null });

export const NETOBSERV_FEATURES = {
  netobservTcpFlags: 0x310,
  dupList: [
    { interface: 'eth0', direction: 'ingress', udn: '' },
    { interface: 'br-ex', direction: 'both', udn: 'tenant-blue' },
  ],
  drops: { bytes: 1500, packets: 2, latestFlags: 0x10, latestState: 1, latestDropCause: (3 << 16) + 2 },
  dns: { id: 4242, flags: 0x8183, latency: 1_234_567, errno: 0, name: 'www.example.com' },
  rtt: 850_000,
  networkEvents: [{ Action: 'drop', Type: 'NetworkPolicy', Name: 'deny-all' }],
  xlat: {
    srcAddr: Buffer.from('00000000000000000000ffff0a800001', 'hex'),
    dstAddr: Buffer.from('00000000000000000000ffff0a800002', 'hex'),
    srcPort: 1234,
    dstPort: 80,
    zoneId: 7,
  },
  ipsec: { encrypted: true, encryptedRet: -22 },
  tls: { sslVersion: 0x0304, sslMismatch: false, types: 0x16, cipherSuite: 0x1301, keyShare: 0x001d },
  quic: { version: 0xff00001d, seenLongHeader: 1, seenShortHeader: 1 },
} satisfies Partial<FlowRecord>;
