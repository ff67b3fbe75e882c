// Every environment variable of NetObserv's eBPF agent (its pkg/config/config.go, and the removed
// ones a NetObserv configuration may still carry), and what flowcast does with it. The one source of
// docs/config.md's "Coming from NetObserv" table and of the checks loadConfig makes at start.

export interface NetobservVariable {
  name: string;
  /**
   * supported: a flowcast variable of the same name and meaning; alias: read as `of`; warning: a
   * line at start, nothing else changes; refused: exit 2 (its absence would mislead).
   */
  status: 'supported' | 'alias' | 'warning' | 'refused';
  of?: string;
  /** supported/alias: what differs, if anything; warning/refused: why. */
  note: string;
  /** Values that change nothing in NetObserv either (its "off"): accepted without a word. */
  silent?: { text: string; test: (value: string) => boolean };
  /** supported: values refused with their reason (the schema checks the others). */
  refusedValues?: Record<string, string>;
  /** A value that shows the status (tests set it). */
  example: string;
}

// Go's strconv.ParseBool, which NetObserv's envconfig uses.
const GO_FALSE = ['0', 'f', 'F', 'false', 'FALSE', 'False'];
const GO_TRUE = ['1', 't', 'T', 'true', 'TRUE', 'True'];
const isFalse = { text: 'false', test: (value: string) => GO_FALSE.includes(value) };
const isTrue = { text: 'true', test: (value: string) => GO_TRUE.includes(value) };
const only = (text: string) => ({ text, test: (value: string) => value === text });

const supported = (name: string, note = '', example = ''): NetobservVariable => ({ name, status: 'supported', note, example });
const alias = (name: string, of: string, example: string, note = ''): NetobservVariable => ({ name, status: 'alias', of, note, example });
const warning = (name: string, note: string, example: string, silent?: NetobservVariable['silent']): NetobservVariable => ({
  name,
  status: 'warning',
  note,
  example,
  silent,
});
/** A feature switch: off (false) changes nothing, on is refused. */
const feature = (name: string, note: string): NetobservVariable => ({ name, status: 'refused', note, example: 'true', silent: isFalse });

const KAFKA = 'read by NetObserv only with EXPORT=kafka, which flowcast refuses';
const OLD_FILTER = "NetObserv's single-rule filter, removed in December 2024 and read only with ENABLE_FLOW_FILTER=true, which flowcast refuses";

export const NETOBSERV_VARIABLES: NetobservVariable[] = [
  // Identity and export
  supported('AGENT_IP', '', '10.1.2.3'),
  supported('AGENT_IP_IFACE', '', 'local'),
  supported('AGENT_IP_TYPE', '', 'ipv4'),
  {
    name: 'EXPORT',
    status: 'supported',
    example: 'grpc',
    note: 'grpc, ipfix+udp and ipfix+tcp as NetObserv; flowcast adds stdout, nats and http. The default is stdout, not grpc: a warning at start when TARGET_HOST is set without EXPORT.',
    refusedValues: {
      kafka: 'flowcast has no Kafka export: use nats (JetStream keeps what consumers have not read yet) or grpc',
      'direct-flp': 'flowcast does not embed Flowlogs Pipeline: use grpc to a Flowlogs Pipeline',
    },
  },
  supported('TARGET_HOST', '', 'collector'),
  supported('TARGET_PORT', '', '2055'),
  alias('TARGET_TLS_CA_CERT_PATH', 'GRPC_TLS_CA', '/proc/self/status'),
  alias('TARGET_TLS_USER_CERT_PATH', 'GRPC_TLS_CERT', '/proc/self/status'),
  alias('TARGET_TLS_USER_KEY_PATH', 'GRPC_TLS_KEY', '/proc/self/status'),
  supported('GRPC_MESSAGE_MAX_FLOWS', '', '5000'),
  supported('GRPC_RECONNECT_TIMER', '', '10m'),
  supported('GRPC_RECONNECT_TIMER_RANDOMIZATION', '', '30s'),
  // Interfaces and attachment
  supported('INTERFACES', '', 'eth0,/^veth/'),
  supported('EXCLUDE_INTERFACES', '', 'lo,/^br-/'),
  supported('INTERFACE_IPS', '', '10.0.0.0/8'),
  supported('TC_ATTACH_MODE', "flowcast's default is any (TCX, falling back to tc), NetObserv's tcx", 'tcx'),
  warning('TC_ATTACH_RETRIES', 'flowcast does not retry an attach in a loop: a failure is logged and tried again at the next interface change', '8'),
  warning('TCX_ATTACH_ANCHOR_INGRESS', 'flowcast attaches its TCX programs at the default position (the end of the chain)', 'head', only('none')),
  warning('TCX_ATTACH_ANCHOR_EGRESS', 'flowcast attaches its TCX programs at the default position (the end of the chain)', 'head', only('none')),
  supported('LISTEN_INTERFACES', '', 'poll'),
  supported('LISTEN_POLL_PERIOD', 'at most 24h', '30s'),
  warning('PREFERRED_INTERFACE_FOR_MAC_PREFIX', 'flowcast names interfaces by their index in its own network namespace, not by MAC address', '0a:58=eth0'),
  // Buffers, cache and sampling
  supported('BUFFERS_LENGTH', 'in flowcast the export queue (batches held while the target is slow or down)', '100'),
  alias(
    'EXPORTER_BUFFER_LENGTH',
    'BUFFERS_LENGTH',
    '100',
    'flowcast has one queue; when both are set, BUFFERS_LENGTH is used and a warning names EXPORTER_BUFFER_LENGTH',
  ),
  supported('CACHE_MAX_FLOWS', "flowcast's default is 100000 (NetObserv's 5000), in each of two kernel maps", '5000'),
  supported('CACHE_ACTIVE_TIMEOUT', 'at most 24h', '10s'),
  supported('DIRECTION', '', 'ingress'),
  supported('LOG_LEVEL', "logrus' warning and panic mean warn and fatal", 'warning'),
  supported('SAMPLING', '', '50'),
  warning(
    'STALE_ENTRIES_EVICT_TIMEOUT',
    "flowcast empties its whole flow map every CACHE_ACTIVE_TIMEOUT: no entry stays behind to evict; a DNS query unanswered for 5 s (NetObserv's default) counts as stale",
    '10s',
  ),
  warning('FORCE_GARBAGE_COLLECTION', 'a Go runtime setting; Node.js manages its own heap', 'false'),
  // Kafka
  ...[
    'KAFKA_BROKERS',
    'KAFKA_TOPIC',
    'KAFKA_BATCH_MESSAGES',
    'KAFKA_BATCH_SIZE',
    'KAFKA_ASYNC',
    'KAFKA_COMPRESSION',
    'KAFKA_ENABLE_TLS',
    'KAFKA_TLS_INSECURE_SKIP_VERIFY',
    'KAFKA_TLS_CA_CERT_PATH',
    'KAFKA_TLS_USER_CERT_PATH',
    'KAFKA_TLS_USER_KEY_PATH',
    'KAFKA_ENABLE_SASL',
    'KAFKA_SASL_TYPE',
    'KAFKA_SASL_CLIENT_ID_PATH',
    'KAFKA_SASL_CLIENT_SECRET_PATH',
  ].map((name) => warning(name, KAFKA, 'x')),
  // Debugging and direct-flp
  warning('PPROF_ADDR', "Go's profiler; profile flowcast with node --cpu-prof or --inspect", 'localhost:6060'),
  warning('FLP_CONFIG', 'read by NetObserv only with EXPORT=direct-flp, which flowcast refuses', '{}'),
  // Feature switches
  supported('ENABLE_RTT', 'fentry on tcp_rcv_established, or its tcp:tcp_probe tracepoint where fentry is refused (NetObserv: a kprobe)', 'true'),
  supported('ENABLE_PKT_DROPS', "frame bytes (NetObserv: skb->len, saturating at 65535); causes named from the running kernel's enum", 'true'),
  supported(
    'ENABLE_DNS_TRACKING',
    'pending queries in an LRU hash, a response to a query older than 5 s unmatched (NetObserv: evicted from userspace after 5 s); errno 17 (EEXIST) for a retransmitted query (NetObserv: a negative value in a byte)',
    'true',
  ),
  supported('DNS_TRACKING_PORT', '', '5353'),
  feature('ENABLE_PCA', "flowcast does not capture packets for NetObserv's packet capture"),
  feature('ENABLE_NETWORK_EVENTS_MONITORING', 'flowcast does not report network events (OVN-Kubernetes policy decisions)'),
  warning('NETWORK_EVENTS_MONITORING_GROUP_ID', 'read only with ENABLE_NETWORK_EVENTS_MONITORING=true, which flowcast refuses', '11', only('10')),
  feature('ENABLE_PKT_TRANSLATION', 'flowcast does not report address translations (xlat): flows would carry the addresses before NAT only'),
  feature('ENABLE_UDN_MAPPING', 'flowcast does not map OVN-Kubernetes user-defined networks'),
  feature('ENABLE_IPSEC_TRACKING', 'flowcast does not track IPsec encryption'),
  feature('ENABLE_OPENSSL_TRACKING', 'flowcast does not trace OpenSSL'),
  warning('OPENSSL_PATH', 'read only with ENABLE_OPENSSL_TRACKING=true, which flowcast refuses', '/usr/lib/libssl.so.3', only('/usr/bin/openssl')),
  warning(
    'ENABLE_FLOWS_RINGBUF_FALLBACK',
    'flowcast always sends the packets of flows that do not fit in its map through the ring buffer; this cannot be turned off',
    'false',
    isTrue,
  ),
  feature('ENABLE_TLS_TRACKING', 'flowcast does not report TLS versions and cipher suites'),
  { name: 'QUIC_TRACKING_MODE', status: 'refused', note: 'flowcast does not track QUIC', example: '1', silent: only('0') },
  supported(
    'FLOW_FILTER_RULES',
    "evaluated in the kernel as NetObserv; what its parser ignores without a word (an unknown action, protocol or field, two rules with one ip_cidr) is an error; the action defaults to Accept and icmp_type/icmp_code apply, as its docs say (its code drops them); IPv4 ranges match IPv4 addresses only (0.0.0.0/0 and an empty ip_cidr: every address); a rule's peer_ip/peer_cidr is its own (NetObserv: any rule's); in the drop and RTT hooks a rule's direction is not checked (NetObserv takes those packets as Ingress, so its Egress rules never match a drop)",
    '[{"ip_cidr":"10.0.0.0/8","action":"Accept"}]',
  ),
  // eBPF manager
  {
    name: 'EBPF_PROGRAM_MANAGER_MODE',
    status: 'refused',
    example: 'true',
    silent: isFalse,
    note: 'flowcast loads and attaches its own programs (with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON), not through bpfman',
  },
  warning('BPFMAN_BPF_FS_PATH', 'read only with EBPF_PROGRAM_MANAGER_MODE=true, which flowcast refuses', '/run/maps', only('/run/netobserv/maps')),
  // Metrics server
  supported('METRICS_ENABLE', 'true serves on METRICS_SERVER_PORT (or METRICS_PORT), 9090 by default', 'true'),
  warning('METRICS_LEVEL', 'flowcast has one set of metrics', 'debug', only('info')),
  alias(
    'METRICS_SERVER_ADDRESS',
    'METRICS_ADDRESS',
    '127.0.0.2',
    "an IP address; flowcast's default is 127.0.0.1, NetObserv's every address (a warning at start when METRICS_ENABLE=true leaves it unset)",
  ),
  alias('METRICS_SERVER_PORT', 'METRICS_PORT', '9090'),
  alias('METRICS_TLS_CERT_PATH', 'METRICS_TLS_CERT', '/proc/self/status', 'serves HTTPS'),
  alias('METRICS_TLS_KEY_PATH', 'METRICS_TLS_KEY', '/proc/self/status'),
  supported('METRICS_PREFIX', "flowcast's default is flowcast_ (NetObserv's ebpf_agent_); the names after the prefix are flowcast's own", 'ebpf_agent_'),
  // Deprecated aliases NetObserv still reads
  alias('FLOWS_TARGET_HOST', 'TARGET_HOST', 'collector'),
  alias('FLOWS_TARGET_PORT', 'TARGET_PORT', '2055'),
  alias('PCA_SERVER_PORT', 'TARGET_PORT', '2055'),
  // Removed from NetObserv; a configuration may still carry them
  {
    name: 'ENABLE_FLOW_FILTER',
    status: 'refused',
    example: 'true',
    silent: isFalse,
    note: "NetObserv's removed switch of the FILTER_* rule, which flowcast does not read: write the rule in FLOW_FILTER_RULES",
  },
  ...[
    'FILTER_DIRECTION',
    'FILTER_IP_CIDR',
    'FILTER_PROTOCOL',
    'FILTER_SOURCE_PORT',
    'FILTER_DESTINATION_PORT',
    'FILTER_PORT',
    'FILTER_SOURCE_PORT_RANGE',
    'FILTER_SOURCE_PORTS',
    'FILTER_DESTINATION_PORT_RANGE',
    'FILTER_DESTINATION_PORTS',
    'FILTER_PORT_RANGE',
    'FILTER_PORTS',
    'FILTER_ICMP_TYPE',
    'FILTER_ICMP_CODE',
    'FILTER_PEER_IP',
    'FILTER_ACTION',
    'FILTER_TCP_FLAGS',
    'FILTER_DROPS',
  ].map((name) => warning(name, OLD_FILTER, '1')),
  warning('PCA_FILTER', "NetObserv's removed packet-capture filter, read only with ENABLE_PCA=true, which flowcast refuses", 'tcp,80'),
  supported(
    'DEDUPER',
    "NetObserv removed it in January 2025 and always deduplicates in the kernel, as flowcast's default firstCome; none (NetObserv's old default) keeps one flow per interface",
    'none',
  ),
  warning('DEDUPER_FC_EXPIRY', 'flowcast deduplicates in the kernel per interval, as NetObserv does since January 2025 (which removed it)', '10s'),
  warning(
    'DEDUPER_JUST_MARK',
    'flowcast deduplicates in the kernel and lists the interfaces in dupList, as NetObserv does since January 2025 (which removed it)',
    'true',
  ),
  warning('DEDUPER_MERGE', 'NetObserv removed it in January 2025', 'false'),
  warning('METRICS_ENABLED', "NetObserv's docs name it but its code reads METRICS_ENABLE, as flowcast does", 'true'),
];

export interface NetobservFinding {
  variable: string;
  value: string;
  problem: string;
}

/** What the NetObserv variables set in `env` call for: warnings, and refusals (exit 2). */
export function checkNetobservVariables(env: NodeJS.ProcessEnv): { warnings: NetobservFinding[]; refused: NetobservFinding[] } {
  const warnings: NetobservFinding[] = [];
  const refused: NetobservFinding[] = [];
  for (const variable of NETOBSERV_VARIABLES) {
    const value = env[variable.name];
    if (value === undefined || value === '' || variable.silent?.test(value)) continue;
    const unset = variable.silent ? `unset it or set ${variable.silent.text}` : 'unset it';
    if (variable.status === 'warning') warnings.push({ variable: variable.name, value, problem: `ignored: ${variable.note}` });
    if (variable.status === 'refused') refused.push({ variable: variable.name, value, problem: `refused: ${variable.note} (${unset})` });
    const reason = variable.refusedValues?.[value];
    if (reason) refused.push({ variable: variable.name, value, problem: `refused: ${reason}` });
  }
  return { warnings, refused };
}

/** docs/config.md's "Coming from NetObserv" section. */
export function netobservMarkdown(): string {
  const status = (variable: NetobservVariable): string => {
    const silent = variable.silent ? ` (${variable.silent.text}: accepted without a word)` : '';
    const refusedValues = Object.entries(variable.refusedValues ?? {})
      .map(([value, why]) => `; \`${value}\` refused, exit 2: ${why}`)
      .join('');
    switch (variable.status) {
      case 'supported':
        return `supported${variable.note ? `: ${variable.note}` : ''}${refusedValues}`;
      case 'alias':
        return `alias of \`${variable.of}\`${variable.note ? `: ${variable.note}` : ''}`;
      case 'warning':
        return `warning at start, ignored: ${variable.note}${silent}`;
      case 'refused':
        return `refused, exit 2: ${variable.note}${silent}`;
    }
  };
  return [
    '## Coming from NetObserv',
    '',
    "Every environment variable of NetObserv's eBPF agent, and the removed ones an older configuration may carry, as flowcast-agent treats them (flowcast-bridge reads only its own variables). A variable flowcast ignores gives one warning line at start naming it; one whose absence would mislead (a filter, an enrichment turned on) stops the agent with exit code 2 and one line naming it. Written from src/config/netobserv.ts; test/config/netobserv.test.ts sets each one and checks it behaves as written here.",
    '',
    '| NetObserv variable | Status in flowcast |',
    '| --- | --- |',
    ...NETOBSERV_VARIABLES.map((variable) => `| \`${variable.name}\` | ${status(variable).replace(/\|/g, '\\|')} |`),
    '',
  ].join('\n');
}
