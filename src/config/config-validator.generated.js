// Generated from schemas/config.schema.json by src/config/validator-build.ts (make build): do not edit.
import * as schemaKeywords from './schema-keywords.js';
import ajvRuntime0 from 'ajv/dist/runtime/ucs2length.js';
"use strict";
export const validate = validate10;
export default validate10;
const schema11 = {"$schema":"http://json-schema.org/draft-07/schema#","$id":"flowcast-agent-config","title":"flowcast agent configuration","description":"Environment variables of flowcast-agent. Values arrive as strings; integers and booleans are coerced, durations are Go-style (500ms, 5s, 1m30s). An empty variable counts as unset.","type":"object","properties":{"EXPORT":{"type":"string","enum":["stdout","nats","http","grpc","ipfix+udp","ipfix+tcp"],"default":"stdout","description":"Where flow batches go: stdout (readable, the default), nats (CloudEvents on NATS), http (CloudEvents to a Knative sink), grpc (NetObserv pbflow.Collector/Send), ipfix+udp or ipfix+tcp (IPFIX as NetObserv exports it: templates 256 for IPv4 and 257 for IPv6, observation domain 1)."},"STDOUT_FORMAT":{"type":"string","enum":["table","json"],"default":"table","description":"With EXPORT=stdout: a table of the top flows by bytes and the interval's totals, or one JSON object per flow per line."},"STDOUT_TOP_FLOWS":{"type":"integer","minimum":1,"maximum":10000,"default":10,"description":"With STDOUT_FORMAT=table: how many flows, largest first, each interval shows."},"TARGET_HOST":{"type":"string","minLength":1,"x-aliases":["FLOWS_TARGET_HOST"],"description":"Host name or IP of the collector for EXPORT=grpc, ipfix+udp or ipfix+tcp."},"TARGET_PORT":{"type":"integer","minimum":1,"maximum":65535,"x-aliases":["FLOWS_TARGET_PORT","PCA_SERVER_PORT"],"description":"Port of the collector for EXPORT=grpc, ipfix+udp or ipfix+tcp."},"HTTP_TARGET_URL":{"type":"string","x-format":"http-url","x-aliases":["K_SINK"],"description":"With EXPORT=http: where each batch is POSTed as a CloudEvent. Knative's SinkBinding and ContainerSource inject it as K_SINK."},"K_CE_OVERRIDES":{"type":"string","x-format":"ce-overrides","description":"With EXPORT=http or nats: a JSON object {\"extensions\": {\"name\": \"value\"}} whose extensions are set on every event (Knative injects it)."},"K_CA_CERTS":{"type":"string","pattern":"-----BEGIN CERTIFICATE-----","description":"With EXPORT=http: PEM certificates (the text, as Knative injects it) trusted for an https target, besides the system's and those in K_CA_CERTS_DIR."},"K_CA_CERTS_DIR":{"type":"string","minLength":1,"default":"/knative-custom-certs","description":"With EXPORT=http: a directory whose *.pem and *.crt files are trusted for an https target, besides the system's roots and K_CA_CERTS (Knative mounts its trust bundles there). Read at start; a missing directory is skipped."},"K_OIDC_TOKEN_FILE":{"type":"string","minLength":1,"default":"/oidc/token","description":"With EXPORT=http: a file holding a JWT sent as Authorization: Bearer with each request, read again for every request (Knative's SinkBinding mounts one there and rotates it hourly). No such file: no Authorization header."},"EXPORT_EMPTY_BATCHES":{"type":"boolean","default":false,"description":"Export intervals without flows and without lost packets too (every exporter). By default they are skipped, and an agent whose interval found nothing parks: no drain until the kernel signals its next flow, drop, RTT or DNS record (the metric flowcast_parked); meanwhile it wakes only to check its hooks every 30 s. The batch sequence (the number in the event id) counts exported batches, so a skipped interval leaves no gap in it and a gap still means a lost batch."},"GRPC_MESSAGE_MAX_FLOWS":{"type":"integer","minimum":1,"maximum":1000000,"default":10000,"x-aliases":["MESSAGE_MAX_FLOW_ENTRIES"],"description":"With EXPORT=grpc: records per pbflow Send, at most; larger batches are split. Messages are also cut by encoded size (GRPC_MESSAGE_MAX_BYTES)."},"GRPC_MESSAGE_MAX_BYTES":{"type":"integer","minimum":1024,"maximum":2147483647,"default":4128768,"description":"With EXPORT=grpc (and flowcast-bridge): encoded bytes per pbflow Send, at most. The default stays 64 KiB under gRPC's default 4 MiB receive limit; a collector answering RESOURCE_EXHAUSTED gets smaller messages from then on."},"GRPC_RECONNECT_TIMER":{"type":"string","format":"duration","x-max-ms":86400000,"default":"0s","description":"With EXPORT=grpc: open a new connection to the collector this often (between batches), so that agents spread over the pods behind one Service (NetObserv's meaning). 0: keep the connection."},"GRPC_RECONNECT_TIMER_RANDOMIZATION":{"type":"string","format":"duration","x-max-ms":86400000,"default":"0s","description":"With GRPC_RECONNECT_TIMER: each period is drawn from the timer plus or minus up to this much, so that agents do not reconnect at once; must be less than GRPC_RECONNECT_TIMER."},"GRPC_TLS_CA":{"type":"string","minLength":1,"x-file":true,"x-aliases":["TARGET_TLS_CA_CERT_PATH"],"description":"With EXPORT=grpc: PEM file of the CA that signed the collector's certificate; enables TLS."},"GRPC_TLS_CERT":{"type":"string","minLength":1,"x-file":true,"x-aliases":["TARGET_TLS_USER_CERT_PATH"],"description":"With EXPORT=grpc: PEM client certificate for mutual TLS (with GRPC_TLS_KEY and GRPC_TLS_CA)."},"GRPC_TLS_KEY":{"type":"string","minLength":1,"x-file":true,"x-secret":true,"x-aliases":["TARGET_TLS_USER_KEY_PATH"],"description":"With EXPORT=grpc: PEM private key of GRPC_TLS_CERT."},"GRPC_TLS_SERVER_NAME":{"type":"string","minLength":1,"description":"With EXPORT=grpc: the name to expect in the collector's certificate, when it differs from TARGET_HOST."},"INTERFACES":{"type":"string","default":"","x-format":"interface-list","description":"Comma-separated interface names to capture on; an entry between slashes (/^veth/) is a regular expression. Empty: every interface not excluded. A named interface that does not exist yet is a warning at start; it is attached when it appears."},"EXCLUDE_INTERFACES":{"type":"string","default":"lo","x-format":"interface-list","description":"Comma-separated names or /regex/ entries never captured on; takes priority over INTERFACES."},"INTERFACE_IPS":{"type":"string","default":"","x-format":"cidr-list","description":"Comma-separated address ranges (10.0.0.0/8, fd00::/64): capture on the interfaces holding an address in one of them, instead of INTERFACES. EXCLUDE_INTERFACES still applies."},"LISTEN_INTERFACES":{"type":"string","enum":["watch","poll"],"default":"watch","description":"How interfaces created or removed after start are noticed: watch follows the kernel's link events (at once), poll rescans every LISTEN_POLL_PERIOD."},"LISTEN_POLL_PERIOD":{"type":"string","format":"duration","x-min-ms":100,"x-max-ms":86400000,"default":"10s","description":"With LISTEN_INTERFACES=poll: how often the interfaces are rescanned."},"DIRECTION":{"type":"string","enum":["ingress","egress","both"],"default":"both","description":"Which TC hooks to attach; an unselected direction costs nothing in the kernel."},"SAMPLING":{"type":"integer","minimum":0,"maximum":1000000,"default":0,"description":"Count 1 packet in N, decided in the kernel at random; 0 and 1 count every packet. The rate travels with each flow."},"DEDUPER":{"type":"string","enum":["firstCome","none"],"default":"firstCome","description":"firstCome (as NetObserv's agent, which deduplicates in the kernel): a packet that crosses several interfaces of the host (a veth, then a bridge port) is one flow, counted on the interface its flow was first seen on in the interval; the flow's dupList names that interface and direction first, then up to 6 others the flow crossed (direction both when seen each way; a 7th is counted in flowcast_observed_interfaces_missed_total). none: one flow per interface and direction, each counting what it saw (a packet crossing two interfaces is counted twice)."},"ENABLE_PKT_DROPS":{"type":"boolean","default":false,"description":"Packets the kernel drops (the skb:kfree_skb tracepoint, with a reason other than NOT_SPECIFIED; not on loopback), as NetObserv: per flow the dropped packets and frame bytes, the latest drop cause (the kernel's enum skb_drop_reason, named in stdout), TCP flags and TCP state. Keyed by 5-tuple and added to one flow of it (an ingress one if any), or a flow of its own with no packets on interface 0. Needs Linux 5.17+ with BTF; on an older kernel the agent says so at start and runs without."},"ENABLE_RTT":{"type":"boolean","default":false,"description":"The smoothed TCP round-trip time the kernel measured (tcp_sock srtt), in ns, the max over the interval, on the flows of the 5-tuple of the received segment, as NetObserv. fentry on tcp_rcv_established (Linux 5.5+ with BTF), or where the kernel refuses fentry its tcp:tcp_probe tracepoint; on a kernel with neither the agent says so at start and runs without."},"ENABLE_DNS_TRACKING":{"type":"boolean","default":false,"description":"DNS over UDP and TCP seen by the TC programs (after sampling), as NetObserv: a query's time is kept (in an LRU hash of CACHE_MAX_FLOWS entries) until its response, whose flow then carries the DNS id, the header's flags (rcode named in stdout), the latency from query to response and the queried name (its first 31 bytes in label format, dotted); a response without its query (or to one older than 5 s) carries errno 2 (ENOENT), a query that could not be recorded its errno on the query's flow. Keyed by 5-tuple and added to every flow of it. Packets from or to DNS_TRACKING_PORT or 53; UDP payloads over 512 bytes are not parsed. Any Linux the agent runs on (no BTF needed)."},"DNS_TRACKING_PORT":{"type":"integer","minimum":1,"maximum":65535,"default":53,"description":"With ENABLE_DNS_TRACKING: the DNS server port tracked besides 53 (which always is, as NetObserv)."},"FLOW_FILTER_RULES":{"type":"string","description":"NetObserv's flow filters, evaluated in the kernel: a JSON array of at most 16 rules such as [{\"ip_cidr\": \"10.0.0.0/8\", \"action\": \"Accept\"}]. Fields: ip_cidr (empty or 0.0.0.0/0: every address), action (Accept, the default, or Reject), direction (Ingress, Egress), protocol (TCP, UDP, SCTP, ICMP, ICMPv6), source_port / destination_port / port (either), each also as a range (source_port_range \"8000-8080\") or two ports (source_ports \"80,443\"), icmp_type, icmp_code, peer_ip or peer_cidr (the other address), tcp_flags (SYN, SYN-ACK, ACK, FIN, RST, PUSH, URG, ECE, CWR, FIN-ACK, RST-ACK), drops (match only dropped packets, with ENABLE_PKT_DROPS), sample (this rule's sampling, instead of SAMPLING). The rule of the longest ip_cidr holding the source address is tried, then the one holding the destination address; a packet a rule matches is kept (Accept) or skipped (Reject); any other packet is skipped, unless the last rule whose ip_cidr held an address was a Reject rule. Skipped packets take no map entry and are not exported; packets per rule and outcome: the metric filter_packets_total. A bad rule stops the agent, one line per bad value naming the rule and the field. Unset or []: no filtering, at no cost."},"CACHE_MAX_FLOWS":{"type":"integer","minimum":1,"maximum":10000000,"default":100000,"description":"Flows each of the two kernel flow maps holds (about 230 bytes of kernel memory each, whatever the number of CPUs: 22 MiB per map by default; logged at start, with a warning above 256 MiB for the maps and ring buffer together). Packets of further flows go through the ring buffer, and the interval is flushed early; the agent keeps as many flows again from the ring buffer between two drains, and counts packets of further flows as lost."},"CACHE_ACTIVE_TIMEOUT":{"type":"string","format":"duration","x-min-ms":10,"x-max-ms":86400000,"default":"5s","description":"How often the kernel maps are drained and a flow batch is emitted."},"RING_BUFFER_SIZE":{"type":"integer","minimum":4096,"maximum":1073741824,"x-power-of-two":true,"default":4194304,"description":"Bytes of the ring buffer that carries packets of flows that did not fit in the map (a power of two). What it cannot hold is counted as lost."},"TC_ATTACH_MODE":{"type":"string","enum":["any","tcx","tc"],"default":"any","description":"tcx: TCX links (Linux 6.6+), detached by the kernel if the agent dies; tc: clsact qdisc filters, one agent per network namespace (a second one refuses to start); any: tcx, falling back to tc before 6.6."},"BUFFERS_LENGTH":{"type":"integer","minimum":1,"maximum":100000,"default":50,"x-aliases":["EXPORTER_BUFFER_LENGTH"],"description":"Flow batches the export queue holds while the exporter is slow or its target down. When full, the oldest batch is dropped and counted."},"EXPORT_MAX_ATTEMPTS":{"type":"integer","minimum":0,"maximum":1000000,"default":10,"description":"Attempts per batch when the target answers with a transient error (HTTP 404, 408, 409, 429, 5xx; gRPC RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNKNOWN); then the batch is dropped and counted. An unreachable target is retried without bound (the queue drops its oldest batch when full); a refusal for good (HTTP 400, 401, 403, other 4xx; gRPC INVALID_ARGUMENT, PERMISSION_DENIED, UNAUTHENTICATED, ...) drops the batch at once. 0: no bound."},"NODE_NAME":{"type":"string","minLength":1,"description":"The agent's identity in events (CloudEvents source /flowcast/NODE_NAME). Default: the host name. In Kubernetes, set it from spec.nodeName."},"AGENT_IP":{"type":"string","format":"ip","description":"The node IP reported with every batch. Default: chosen by AGENT_IP_IFACE and AGENT_IP_TYPE."},"AGENT_IP_IFACE":{"type":"string","pattern":"^(external|local|name:.+)$","default":"external","description":"Without AGENT_IP, where the reported IP comes from: external (an address of the interface of the default route; without one, as local), local (the first non-loopback address of any interface) or name:IFACE (the first address of that interface), as NetObserv."},"AGENT_IP_TYPE":{"type":"string","enum":["any","ipv4","ipv6"],"default":"any","description":"Without AGENT_IP, which address family AGENT_IP_IFACE picks: any (IPv4 first), ipv4 or ipv6."},"METRICS_ENABLE":{"type":"boolean","description":"Turns the metrics server on (true: on METRICS_PORT, 9090 when unset, as NetObserv) or off (false, even with METRICS_PORT). Unset: on exactly when METRICS_PORT is set."},"METRICS_PORT":{"type":"integer","minimum":1,"maximum":65535,"x-aliases":["METRICS_SERVER_PORT"],"description":"Serve Prometheus metrics on /metrics, and /healthz and /readyz, on this port. Unset: no server (unless METRICS_ENABLE=true)."},"METRICS_ADDRESS":{"type":"string","format":"ip","default":"127.0.0.1","x-aliases":["METRICS_SERVER_ADDRESS"],"description":"The address the metrics server listens on. The default serves only this host; set the address others scrape (in Kubernetes, the pod IP: see docs/deploy.md), or 0.0.0.0 for every address (NetObserv's default)."},"METRICS_PREFIX":{"type":"string","pattern":"^[a-zA-Z_:][a-zA-Z0-9_:]*$","default":"flowcast_","description":"Prefix of the name of every flowcast metric (NetObserv's is ebpf_agent_); the standard process_* and nodejs_* metrics keep their names."},"METRICS_TLS_CERT":{"type":"string","minLength":1,"x-file":true,"x-aliases":["METRICS_TLS_CERT_PATH"],"description":"PEM server certificate: serve the metrics over HTTPS (with METRICS_TLS_KEY). Probes then need scheme: HTTPS."},"METRICS_TLS_KEY":{"type":"string","minLength":1,"x-file":true,"x-secret":true,"x-aliases":["METRICS_TLS_KEY_PATH"],"description":"PEM private key of METRICS_TLS_CERT."},"LOG_LEVEL":{"type":"string","enum":["trace","debug","info","warn","warning","error","fatal","panic"],"default":"info","description":"Least severe log level written (pino JSON on stderr). warning and panic, as NetObserv (logrus) spells them, mean warn and fatal."},"LOG_PRETTY":{"type":"boolean","default":false,"description":"Human-readable colored logs instead of JSON lines."},"CE_MODE":{"type":"string","enum":["binary","structured"],"default":"binary","description":"CloudEvents content mode: binary (ce- headers, Avro body) or structured (a JSON envelope with data_base64, as the released NATS binding defines)."},"AVRO_SINGLE_OBJECT":{"type":"boolean","default":false,"description":"Prefix each event's Avro data with the single-object header (C3 01 and the schema's CRC-64-AVRO fingerprint)."},"NATS_URL":{"type":"string","x-format":"nats-urls","default":"nats://127.0.0.1:4222","description":"NATS server URL(s), comma-separated (nats://, tls://, ws:// or wss://)."},"NATS_SUBJECT":{"type":"string","pattern":"^[^\\s*>]+$","default":"flowcast.flows","description":"Subject events are published on (no wildcards)."},"NATS_JETSTREAM":{"type":"boolean","default":false,"description":"Publish to JetStream and wait for each acknowledgement; Nats-Msg-Id is the event id, so a retried batch is stored once."},"NATS_STREAM":{"type":"string","pattern":"^[^\\s.*>]+$","default":"FLOWCAST","description":"With NATS_JETSTREAM: the stream; created if missing (file storage, subject NATS_SUBJECT, max age NATS_STREAM_MAX_AGE, NATS_STREAM_REPLICAS replicas, 2-minute duplicate window)."},"NATS_STREAM_MAX_AGE":{"type":"string","format":"duration","x-min-ms":1000,"x-max-ms":31536000000,"default":"24h","description":"With NATS_JETSTREAM: how long a stream this agent creates keeps messages."},"NATS_STREAM_REPLICAS":{"type":"integer","minimum":1,"maximum":5,"default":1,"description":"With NATS_JETSTREAM: copies of each message a stream this agent creates keeps, on that many servers of a NATS cluster (an existing stream is left as it is)."},"BRIDGE_MODE":{"type":"string","enum":["nats-to-grpc","grpc-to-nats"],"default":"nats-to-grpc","description":"flowcast-bridge: nats-to-grpc reads the JetStream stream NATS_STREAM and sends to TARGET_HOST:TARGET_PORT; grpc-to-nats serves pbflow.Collector on BRIDGE_LISTEN_PORT and publishes what NetObserv agents send as flowcast CloudEvents (the NATS_* and CE_* settings apply)."},"BRIDGE_LISTEN_PORT":{"type":"integer","minimum":1,"maximum":65535,"default":9999,"description":"flowcast-bridge with BRIDGE_MODE=grpc-to-nats: the port of its pbflow.Collector server."},"BRIDGE_DURABLE":{"type":"string","pattern":"^[A-Za-z0-9_-]+$","default":"flowcast-bridge","description":"flowcast-bridge: the JetStream durable consumer it reads NATS_STREAM through; it resumes there after a restart. Bridges given the same durable share the stream, each event forwarded by one of them. How much of an event the target already took is kept in the KV bucket BRIDGE_DURABLE-progress, so a restarted bridge, or another one taking the event over, resends none of it."},"BRIDGE_LISTEN_ADDRESS":{"type":"string","format":"ip","default":"127.0.0.1","description":"flowcast-bridge with BRIDGE_MODE=grpc-to-nats: the address its pbflow.Collector server listens on. A bridge that agents on other hosts reach (a Deployment behind a Service) must set 0.0.0.0 (or ::), preferably with BRIDGE_TLS_*."},"BRIDGE_TLS_CERT":{"type":"string","minLength":1,"x-file":true,"description":"flowcast-bridge with BRIDGE_MODE=grpc-to-nats: PEM server certificate (with BRIDGE_TLS_KEY); enables TLS."},"BRIDGE_TLS_KEY":{"type":"string","minLength":1,"x-file":true,"x-secret":true,"description":"flowcast-bridge with BRIDGE_MODE=grpc-to-nats: PEM private key of BRIDGE_TLS_CERT."},"BRIDGE_TLS_CLIENT_CA":{"type":"string","minLength":1,"x-file":true,"description":"flowcast-bridge with BRIDGE_TLS_CERT: PEM file of the CA that signs the agents' client certificates; agents must present one (mutual TLS)."},"BRIDGE_MAX_MESSAGE_BYTES":{"type":"integer","minimum":1024,"maximum":67108864,"default":4194304,"description":"flowcast-bridge with BRIDGE_MODE=grpc-to-nats: the largest Send accepted (bytes); a larger one is answered RESOURCE_EXHAUSTED."},"BRIDGE_MAX_RECORDS":{"type":"integer","minimum":1,"maximum":1000000,"default":50000,"description":"flowcast-bridge with BRIDGE_MODE=grpc-to-nats: most records in one Send, counted before decoding (a decoded record takes about 1.4 KB); more is answered RESOURCE_EXHAUSTED."},"BRIDGE_BUFFER_BYTES":{"type":"integer","minimum":65536,"maximum":17179869184,"default":67108864,"description":"flowcast-bridge with BRIDGE_MODE=grpc-to-nats: bytes of received Sends held in memory until NATS takes them. When full, a Send is refused (UNAVAILABLE) and its records counted as dropped; with BRIDGE_SPOOL_DIR it is held on disk instead."},"BRIDGE_SPOOL_DIR":{"type":"string","minLength":1,"description":"flowcast-bridge with BRIDGE_MODE=grpc-to-nats: a directory for an append-only spool of received Sends, replayed at start; what it holds survives a restart of the bridge."},"BRIDGE_SPOOL_MAX_BYTES":{"type":"integer","minimum":65536,"maximum":1099511627776,"default":1073741824,"description":"flowcast-bridge with BRIDGE_SPOOL_DIR: bytes the spool holds at most; when full, a Send is refused (UNAVAILABLE) and its records counted as dropped."},"NATS_CREDS":{"type":"string","minLength":1,"x-file":true,"x-secret":true,"description":"Path of a NATS credentials file (JWT and NKey seed)."},"NATS_USER":{"type":"string","minLength":1,"description":"NATS user name (with NATS_PASSWORD)."},"NATS_PASSWORD":{"type":"string","minLength":1,"description":"NATS password (with NATS_USER)."},"NATS_TOKEN":{"type":"string","minLength":1,"description":"NATS authentication token."},"NATS_TLS_CA":{"type":"string","minLength":1,"x-file":true,"description":"PEM file of the CA that signed the NATS server's certificate."},"NATS_TLS_CERT":{"type":"string","minLength":1,"x-file":true,"description":"PEM client certificate for mutual TLS (with NATS_TLS_KEY)."},"NATS_TLS_KEY":{"type":"string","minLength":1,"x-file":true,"x-secret":true,"description":"PEM private key of NATS_TLS_CERT."}},"allOf":[{"if":{"required":["EXPORT"],"properties":{"EXPORT":{"const":"grpc"}}},"then":{"required":["TARGET_HOST","TARGET_PORT"]}},{"if":{"required":["EXPORT"],"properties":{"EXPORT":{"const":"ipfix+udp"}}},"then":{"required":["TARGET_HOST","TARGET_PORT"]}},{"if":{"required":["EXPORT"],"properties":{"EXPORT":{"const":"ipfix+tcp"}}},"then":{"required":["TARGET_HOST","TARGET_PORT"]}},{"if":{"required":["EXPORT"],"properties":{"EXPORT":{"const":"http"}}},"then":{"required":["HTTP_TARGET_URL"]}},{"dependencies":{"NATS_USER":["NATS_PASSWORD"],"NATS_PASSWORD":["NATS_USER"],"NATS_TLS_CERT":["NATS_TLS_KEY"],"NATS_TLS_KEY":["NATS_TLS_CERT"],"GRPC_TLS_CERT":["GRPC_TLS_KEY","GRPC_TLS_CA"],"GRPC_TLS_KEY":["GRPC_TLS_CERT"],"METRICS_TLS_CERT":["METRICS_TLS_KEY"],"METRICS_TLS_KEY":["METRICS_TLS_CERT"],"BRIDGE_TLS_CERT":["BRIDGE_TLS_KEY"],"BRIDGE_TLS_KEY":["BRIDGE_TLS_CERT"],"BRIDGE_TLS_CLIENT_CA":["BRIDGE_TLS_CERT"]}}]};
const func2 = ajvRuntime0.default;
const keyword0 = schemaKeywords.KEYWORD_CHECKS["x-format"];
const keyword2 = schemaKeywords.KEYWORD_CHECKS["x-max-ms"];
const keyword4 = schemaKeywords.KEYWORD_CHECKS["x-file"];
const keyword10 = schemaKeywords.KEYWORD_CHECKS["x-min-ms"];
const keyword14 = schemaKeywords.KEYWORD_CHECKS["x-power-of-two"];
const pattern0 = new RegExp("-----BEGIN CERTIFICATE-----", "u");
const pattern1 = new RegExp("^(external|local|name:.+)$", "u");
const pattern2 = new RegExp("^[a-zA-Z_:][a-zA-Z0-9_:]*$", "u");
const pattern3 = new RegExp("^[^\\s*>]+$", "u");
const pattern4 = new RegExp("^[^\\s.*>]+$", "u");
const pattern5 = new RegExp("^[A-Za-z0-9_-]+$", "u");
const formats0 = schemaKeywords.FORMATS.duration;
const formats8 = schemaKeywords.FORMATS.ip;

function validate10(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
/*# sourceURL="flowcast-agent-config" */;
let vErrors = null;
let errors = 0;
const _errs2 = errors;
let valid1 = true;
const _errs3 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if((data.EXPORT === undefined) && (missing0 = "EXPORT")){
const err0 = {};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
else {
if(data.EXPORT !== undefined){
if("grpc" !== data.EXPORT){
const err1 = {};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
}
}
var _valid0 = _errs3 === errors;
errors = _errs2;
if(vErrors !== null){
if(_errs2){
vErrors.length = _errs2;
}
else {
vErrors = null;
}
}
if(_valid0){
const _errs5 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.TARGET_HOST === undefined){
const err2 = {instancePath,schemaPath:"#/allOf/0/then/required",keyword:"required",params:{missingProperty: "TARGET_HOST"},message:"must have required property '"+"TARGET_HOST"+"'"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
if(data.TARGET_PORT === undefined){
const err3 = {instancePath,schemaPath:"#/allOf/0/then/required",keyword:"required",params:{missingProperty: "TARGET_PORT"},message:"must have required property '"+"TARGET_PORT"+"'"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
var _valid0 = _errs5 === errors;
valid1 = _valid0;
}
if(!valid1){
const err4 = {instancePath,schemaPath:"#/allOf/0/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
const _errs7 = errors;
let valid3 = true;
const _errs8 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing1;
if((data.EXPORT === undefined) && (missing1 = "EXPORT")){
const err5 = {};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
else {
if(data.EXPORT !== undefined){
if("ipfix+udp" !== data.EXPORT){
const err6 = {};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
}
}
var _valid1 = _errs8 === errors;
errors = _errs7;
if(vErrors !== null){
if(_errs7){
vErrors.length = _errs7;
}
else {
vErrors = null;
}
}
if(_valid1){
const _errs10 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.TARGET_HOST === undefined){
const err7 = {instancePath,schemaPath:"#/allOf/1/then/required",keyword:"required",params:{missingProperty: "TARGET_HOST"},message:"must have required property '"+"TARGET_HOST"+"'"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
if(data.TARGET_PORT === undefined){
const err8 = {instancePath,schemaPath:"#/allOf/1/then/required",keyword:"required",params:{missingProperty: "TARGET_PORT"},message:"must have required property '"+"TARGET_PORT"+"'"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
var _valid1 = _errs10 === errors;
valid3 = _valid1;
}
if(!valid3){
const err9 = {instancePath,schemaPath:"#/allOf/1/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
const _errs12 = errors;
let valid5 = true;
const _errs13 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing2;
if((data.EXPORT === undefined) && (missing2 = "EXPORT")){
const err10 = {};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
else {
if(data.EXPORT !== undefined){
if("ipfix+tcp" !== data.EXPORT){
const err11 = {};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
}
}
var _valid2 = _errs13 === errors;
errors = _errs12;
if(vErrors !== null){
if(_errs12){
vErrors.length = _errs12;
}
else {
vErrors = null;
}
}
if(_valid2){
const _errs15 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.TARGET_HOST === undefined){
const err12 = {instancePath,schemaPath:"#/allOf/2/then/required",keyword:"required",params:{missingProperty: "TARGET_HOST"},message:"must have required property '"+"TARGET_HOST"+"'"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
if(data.TARGET_PORT === undefined){
const err13 = {instancePath,schemaPath:"#/allOf/2/then/required",keyword:"required",params:{missingProperty: "TARGET_PORT"},message:"must have required property '"+"TARGET_PORT"+"'"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
var _valid2 = _errs15 === errors;
valid5 = _valid2;
}
if(!valid5){
const err14 = {instancePath,schemaPath:"#/allOf/2/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
const _errs17 = errors;
let valid7 = true;
const _errs18 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing3;
if((data.EXPORT === undefined) && (missing3 = "EXPORT")){
const err15 = {};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
else {
if(data.EXPORT !== undefined){
if("http" !== data.EXPORT){
const err16 = {};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
}
}
var _valid3 = _errs18 === errors;
errors = _errs17;
if(vErrors !== null){
if(_errs17){
vErrors.length = _errs17;
}
else {
vErrors = null;
}
}
if(_valid3){
const _errs20 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.HTTP_TARGET_URL === undefined){
const err17 = {instancePath,schemaPath:"#/allOf/3/then/required",keyword:"required",params:{missingProperty: "HTTP_TARGET_URL"},message:"must have required property '"+"HTTP_TARGET_URL"+"'"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
var _valid3 = _errs20 === errors;
valid7 = _valid3;
}
if(!valid7){
const err18 = {instancePath,schemaPath:"#/allOf/3/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.NATS_USER !== undefined){
if(data.NATS_PASSWORD === undefined){
const err19 = {instancePath,schemaPath:"#/allOf/4/dependencies",keyword:"dependencies",params:{property: "NATS_USER",
    missingProperty: "NATS_PASSWORD",
    depsCount: 1,
    deps: "NATS_PASSWORD"},message:"must have property NATS_PASSWORD when property NATS_USER is present"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
if(data.NATS_PASSWORD !== undefined){
if(data.NATS_USER === undefined){
const err20 = {instancePath,schemaPath:"#/allOf/4/dependencies",keyword:"dependencies",params:{property: "NATS_PASSWORD",
    missingProperty: "NATS_USER",
    depsCount: 1,
    deps: "NATS_USER"},message:"must have property NATS_USER when property NATS_PASSWORD is present"};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
if(data.NATS_TLS_CERT !== undefined){
if(data.NATS_TLS_KEY === undefined){
const err21 = {instancePath,schemaPath:"#/allOf/4/dependencies",keyword:"dependencies",params:{property: "NATS_TLS_CERT",
    missingProperty: "NATS_TLS_KEY",
    depsCount: 1,
    deps: "NATS_TLS_KEY"},message:"must have property NATS_TLS_KEY when property NATS_TLS_CERT is present"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
if(data.NATS_TLS_KEY !== undefined){
if(data.NATS_TLS_CERT === undefined){
const err22 = {instancePath,schemaPath:"#/allOf/4/dependencies",keyword:"dependencies",params:{property: "NATS_TLS_KEY",
    missingProperty: "NATS_TLS_CERT",
    depsCount: 1,
    deps: "NATS_TLS_CERT"},message:"must have property NATS_TLS_CERT when property NATS_TLS_KEY is present"};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
if(data.GRPC_TLS_CERT !== undefined){
if(data.GRPC_TLS_KEY === undefined){
const err23 = {instancePath,schemaPath:"#/allOf/4/dependencies",keyword:"dependencies",params:{property: "GRPC_TLS_CERT",
    missingProperty: "GRPC_TLS_KEY",
    depsCount: 2,
    deps: "GRPC_TLS_KEY, GRPC_TLS_CA"},message:"must have properties GRPC_TLS_KEY, GRPC_TLS_CA when property GRPC_TLS_CERT is present"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
if(data.GRPC_TLS_CA === undefined){
const err24 = {instancePath,schemaPath:"#/allOf/4/dependencies",keyword:"dependencies",params:{property: "GRPC_TLS_CERT",
    missingProperty: "GRPC_TLS_CA",
    depsCount: 2,
    deps: "GRPC_TLS_KEY, GRPC_TLS_CA"},message:"must have properties GRPC_TLS_KEY, GRPC_TLS_CA when property GRPC_TLS_CERT is present"};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
}
if(data.GRPC_TLS_KEY !== undefined){
if(data.GRPC_TLS_CERT === undefined){
const err25 = {instancePath,schemaPath:"#/allOf/4/dependencies",keyword:"dependencies",params:{property: "GRPC_TLS_KEY",
    missingProperty: "GRPC_TLS_CERT",
    depsCount: 1,
    deps: "GRPC_TLS_CERT"},message:"must have property GRPC_TLS_CERT when property GRPC_TLS_KEY is present"};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
}
if(data.METRICS_TLS_CERT !== undefined){
if(data.METRICS_TLS_KEY === undefined){
const err26 = {instancePath,schemaPath:"#/allOf/4/dependencies",keyword:"dependencies",params:{property: "METRICS_TLS_CERT",
    missingProperty: "METRICS_TLS_KEY",
    depsCount: 1,
    deps: "METRICS_TLS_KEY"},message:"must have property METRICS_TLS_KEY when property METRICS_TLS_CERT is present"};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
}
if(data.METRICS_TLS_KEY !== undefined){
if(data.METRICS_TLS_CERT === undefined){
const err27 = {instancePath,schemaPath:"#/allOf/4/dependencies",keyword:"dependencies",params:{property: "METRICS_TLS_KEY",
    missingProperty: "METRICS_TLS_CERT",
    depsCount: 1,
    deps: "METRICS_TLS_CERT"},message:"must have property METRICS_TLS_CERT when property METRICS_TLS_KEY is present"};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
if(data.BRIDGE_TLS_CERT !== undefined){
if(data.BRIDGE_TLS_KEY === undefined){
const err28 = {instancePath,schemaPath:"#/allOf/4/dependencies",keyword:"dependencies",params:{property: "BRIDGE_TLS_CERT",
    missingProperty: "BRIDGE_TLS_KEY",
    depsCount: 1,
    deps: "BRIDGE_TLS_KEY"},message:"must have property BRIDGE_TLS_KEY when property BRIDGE_TLS_CERT is present"};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
if(data.BRIDGE_TLS_KEY !== undefined){
if(data.BRIDGE_TLS_CERT === undefined){
const err29 = {instancePath,schemaPath:"#/allOf/4/dependencies",keyword:"dependencies",params:{property: "BRIDGE_TLS_KEY",
    missingProperty: "BRIDGE_TLS_CERT",
    depsCount: 1,
    deps: "BRIDGE_TLS_CERT"},message:"must have property BRIDGE_TLS_CERT when property BRIDGE_TLS_KEY is present"};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
}
if(data.BRIDGE_TLS_CLIENT_CA !== undefined){
if(data.BRIDGE_TLS_CERT === undefined){
const err30 = {instancePath,schemaPath:"#/allOf/4/dependencies",keyword:"dependencies",params:{property: "BRIDGE_TLS_CLIENT_CA",
    missingProperty: "BRIDGE_TLS_CERT",
    depsCount: 1,
    deps: "BRIDGE_TLS_CERT"},message:"must have property BRIDGE_TLS_CERT when property BRIDGE_TLS_CLIENT_CA is present"};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
}
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.EXPORT === undefined){
data.EXPORT = "stdout";
}
if(data.STDOUT_FORMAT === undefined){
data.STDOUT_FORMAT = "table";
}
if(data.STDOUT_TOP_FLOWS === undefined){
data.STDOUT_TOP_FLOWS = 10;
}
if(data.K_CA_CERTS_DIR === undefined){
data.K_CA_CERTS_DIR = "/knative-custom-certs";
}
if(data.K_OIDC_TOKEN_FILE === undefined){
data.K_OIDC_TOKEN_FILE = "/oidc/token";
}
if(data.EXPORT_EMPTY_BATCHES === undefined){
data.EXPORT_EMPTY_BATCHES = false;
}
if(data.GRPC_MESSAGE_MAX_FLOWS === undefined){
data.GRPC_MESSAGE_MAX_FLOWS = 10000;
}
if(data.GRPC_MESSAGE_MAX_BYTES === undefined){
data.GRPC_MESSAGE_MAX_BYTES = 4128768;
}
if(data.GRPC_RECONNECT_TIMER === undefined){
data.GRPC_RECONNECT_TIMER = "0s";
}
if(data.GRPC_RECONNECT_TIMER_RANDOMIZATION === undefined){
data.GRPC_RECONNECT_TIMER_RANDOMIZATION = "0s";
}
if(data.INTERFACES === undefined){
data.INTERFACES = "";
}
if(data.EXCLUDE_INTERFACES === undefined){
data.EXCLUDE_INTERFACES = "lo";
}
if(data.INTERFACE_IPS === undefined){
data.INTERFACE_IPS = "";
}
if(data.LISTEN_INTERFACES === undefined){
data.LISTEN_INTERFACES = "watch";
}
if(data.LISTEN_POLL_PERIOD === undefined){
data.LISTEN_POLL_PERIOD = "10s";
}
if(data.DIRECTION === undefined){
data.DIRECTION = "both";
}
if(data.SAMPLING === undefined){
data.SAMPLING = 0;
}
if(data.DEDUPER === undefined){
data.DEDUPER = "firstCome";
}
if(data.ENABLE_PKT_DROPS === undefined){
data.ENABLE_PKT_DROPS = false;
}
if(data.ENABLE_RTT === undefined){
data.ENABLE_RTT = false;
}
if(data.ENABLE_DNS_TRACKING === undefined){
data.ENABLE_DNS_TRACKING = false;
}
if(data.DNS_TRACKING_PORT === undefined){
data.DNS_TRACKING_PORT = 53;
}
if(data.CACHE_MAX_FLOWS === undefined){
data.CACHE_MAX_FLOWS = 100000;
}
if(data.CACHE_ACTIVE_TIMEOUT === undefined){
data.CACHE_ACTIVE_TIMEOUT = "5s";
}
if(data.RING_BUFFER_SIZE === undefined){
data.RING_BUFFER_SIZE = 4194304;
}
if(data.TC_ATTACH_MODE === undefined){
data.TC_ATTACH_MODE = "any";
}
if(data.BUFFERS_LENGTH === undefined){
data.BUFFERS_LENGTH = 50;
}
if(data.EXPORT_MAX_ATTEMPTS === undefined){
data.EXPORT_MAX_ATTEMPTS = 10;
}
if(data.AGENT_IP_IFACE === undefined){
data.AGENT_IP_IFACE = "external";
}
if(data.AGENT_IP_TYPE === undefined){
data.AGENT_IP_TYPE = "any";
}
if(data.METRICS_ADDRESS === undefined){
data.METRICS_ADDRESS = "127.0.0.1";
}
if(data.METRICS_PREFIX === undefined){
data.METRICS_PREFIX = "flowcast_";
}
if(data.LOG_LEVEL === undefined){
data.LOG_LEVEL = "info";
}
if(data.LOG_PRETTY === undefined){
data.LOG_PRETTY = false;
}
if(data.CE_MODE === undefined){
data.CE_MODE = "binary";
}
if(data.AVRO_SINGLE_OBJECT === undefined){
data.AVRO_SINGLE_OBJECT = false;
}
if(data.NATS_URL === undefined){
data.NATS_URL = "nats://127.0.0.1:4222";
}
if(data.NATS_SUBJECT === undefined){
data.NATS_SUBJECT = "flowcast.flows";
}
if(data.NATS_JETSTREAM === undefined){
data.NATS_JETSTREAM = false;
}
if(data.NATS_STREAM === undefined){
data.NATS_STREAM = "FLOWCAST";
}
if(data.NATS_STREAM_MAX_AGE === undefined){
data.NATS_STREAM_MAX_AGE = "24h";
}
if(data.NATS_STREAM_REPLICAS === undefined){
data.NATS_STREAM_REPLICAS = 1;
}
if(data.BRIDGE_MODE === undefined){
data.BRIDGE_MODE = "nats-to-grpc";
}
if(data.BRIDGE_LISTEN_PORT === undefined){
data.BRIDGE_LISTEN_PORT = 9999;
}
if(data.BRIDGE_DURABLE === undefined){
data.BRIDGE_DURABLE = "flowcast-bridge";
}
if(data.BRIDGE_LISTEN_ADDRESS === undefined){
data.BRIDGE_LISTEN_ADDRESS = "127.0.0.1";
}
if(data.BRIDGE_MAX_MESSAGE_BYTES === undefined){
data.BRIDGE_MAX_MESSAGE_BYTES = 4194304;
}
if(data.BRIDGE_MAX_RECORDS === undefined){
data.BRIDGE_MAX_RECORDS = 50000;
}
if(data.BRIDGE_BUFFER_BYTES === undefined){
data.BRIDGE_BUFFER_BYTES = 67108864;
}
if(data.BRIDGE_SPOOL_MAX_BYTES === undefined){
data.BRIDGE_SPOOL_MAX_BYTES = 1073741824;
}
let data4 = data.EXPORT;
if(typeof data4 !== "string"){
let dataType0 = typeof data4;
let coerced0 = undefined;
if(!(coerced0 !== undefined)){
if(dataType0 == "number" || dataType0 == "boolean"){
coerced0 = "" + data4;
}
else if(data4 === null){
coerced0 = "";
}
else {
const err31 = {instancePath:instancePath+"/EXPORT",schemaPath:"#/properties/EXPORT/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
}
if(coerced0 !== undefined){
data4 = coerced0;
if(data !== undefined){
data["EXPORT"] = coerced0;
}
}
}
if(!((((((data4 === "stdout") || (data4 === "nats")) || (data4 === "http")) || (data4 === "grpc")) || (data4 === "ipfix+udp")) || (data4 === "ipfix+tcp"))){
const err32 = {instancePath:instancePath+"/EXPORT",schemaPath:"#/properties/EXPORT/enum",keyword:"enum",params:{allowedValues: schema11.properties.EXPORT.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
let data5 = data.STDOUT_FORMAT;
if(typeof data5 !== "string"){
let dataType1 = typeof data5;
let coerced1 = undefined;
if(!(coerced1 !== undefined)){
if(dataType1 == "number" || dataType1 == "boolean"){
coerced1 = "" + data5;
}
else if(data5 === null){
coerced1 = "";
}
else {
const err33 = {instancePath:instancePath+"/STDOUT_FORMAT",schemaPath:"#/properties/STDOUT_FORMAT/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
}
if(coerced1 !== undefined){
data5 = coerced1;
if(data !== undefined){
data["STDOUT_FORMAT"] = coerced1;
}
}
}
if(!((data5 === "table") || (data5 === "json"))){
const err34 = {instancePath:instancePath+"/STDOUT_FORMAT",schemaPath:"#/properties/STDOUT_FORMAT/enum",keyword:"enum",params:{allowedValues: schema11.properties.STDOUT_FORMAT.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
let data6 = data.STDOUT_TOP_FLOWS;
if(!(((typeof data6 == "number") && (!(data6 % 1) && !isNaN(data6))) && (isFinite(data6)))){
let dataType2 = typeof data6;
let coerced2 = undefined;
if(!(coerced2 !== undefined)){
if(dataType2 === "boolean" || data6 === null
              || (dataType2 === "string" && data6 && data6 == +data6 && !(data6 % 1))){
coerced2 = +data6;
}
else {
const err35 = {instancePath:instancePath+"/STDOUT_TOP_FLOWS",schemaPath:"#/properties/STDOUT_TOP_FLOWS/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
}
if(coerced2 !== undefined){
data6 = coerced2;
if(data !== undefined){
data["STDOUT_TOP_FLOWS"] = coerced2;
}
}
}
if((typeof data6 == "number") && (isFinite(data6))){
if(data6 > 10000 || isNaN(data6)){
const err36 = {instancePath:instancePath+"/STDOUT_TOP_FLOWS",schemaPath:"#/properties/STDOUT_TOP_FLOWS/maximum",keyword:"maximum",params:{comparison: "<=", limit: 10000},message:"must be <= 10000"};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
if(data6 < 1 || isNaN(data6)){
const err37 = {instancePath:instancePath+"/STDOUT_TOP_FLOWS",schemaPath:"#/properties/STDOUT_TOP_FLOWS/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
}
if(data.TARGET_HOST !== undefined){
let data7 = data.TARGET_HOST;
if(typeof data7 !== "string"){
let dataType3 = typeof data7;
let coerced3 = undefined;
if(!(coerced3 !== undefined)){
if(dataType3 == "number" || dataType3 == "boolean"){
coerced3 = "" + data7;
}
else if(data7 === null){
coerced3 = "";
}
else {
const err38 = {instancePath:instancePath+"/TARGET_HOST",schemaPath:"#/properties/TARGET_HOST/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
}
if(coerced3 !== undefined){
data7 = coerced3;
if(data !== undefined){
data["TARGET_HOST"] = coerced3;
}
}
}
if(typeof data7 === "string"){
if(func2(data7) < 1){
const err39 = {instancePath:instancePath+"/TARGET_HOST",schemaPath:"#/properties/TARGET_HOST/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
}
}
if(data.TARGET_PORT !== undefined){
let data8 = data.TARGET_PORT;
if(!(((typeof data8 == "number") && (!(data8 % 1) && !isNaN(data8))) && (isFinite(data8)))){
let dataType4 = typeof data8;
let coerced4 = undefined;
if(!(coerced4 !== undefined)){
if(dataType4 === "boolean" || data8 === null
              || (dataType4 === "string" && data8 && data8 == +data8 && !(data8 % 1))){
coerced4 = +data8;
}
else {
const err40 = {instancePath:instancePath+"/TARGET_PORT",schemaPath:"#/properties/TARGET_PORT/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
}
if(coerced4 !== undefined){
data8 = coerced4;
if(data !== undefined){
data["TARGET_PORT"] = coerced4;
}
}
}
if((typeof data8 == "number") && (isFinite(data8))){
if(data8 > 65535 || isNaN(data8)){
const err41 = {instancePath:instancePath+"/TARGET_PORT",schemaPath:"#/properties/TARGET_PORT/maximum",keyword:"maximum",params:{comparison: "<=", limit: 65535},message:"must be <= 65535"};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
}
if(data8 < 1 || isNaN(data8)){
const err42 = {instancePath:instancePath+"/TARGET_PORT",schemaPath:"#/properties/TARGET_PORT/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err42];
}
else {
vErrors.push(err42);
}
errors++;
}
}
}
if(data.HTTP_TARGET_URL !== undefined){
let data9 = data.HTTP_TARGET_URL;
if(typeof data9 !== "string"){
let dataType5 = typeof data9;
let coerced5 = undefined;
if(!(coerced5 !== undefined)){
if(dataType5 == "number" || dataType5 == "boolean"){
coerced5 = "" + data9;
}
else if(data9 === null){
coerced5 = "";
}
else {
const err43 = {instancePath:instancePath+"/HTTP_TARGET_URL",schemaPath:"#/properties/HTTP_TARGET_URL/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err43];
}
else {
vErrors.push(err43);
}
errors++;
}
}
if(coerced5 !== undefined){
data9 = coerced5;
if(data !== undefined){
data["HTTP_TARGET_URL"] = coerced5;
}
}
}
if(typeof data9 === "string"){
if(!keyword0("http-url", data9)){
const err44 = {instancePath:instancePath+"/HTTP_TARGET_URL",schemaPath:"#/properties/HTTP_TARGET_URL/x-format",keyword:"x-format",params:{},message:"must pass \"x-format\" keyword validation"};
if(vErrors === null){
vErrors = [err44];
}
else {
vErrors.push(err44);
}
errors++;
}
}
}
if(data.K_CE_OVERRIDES !== undefined){
let data10 = data.K_CE_OVERRIDES;
if(typeof data10 !== "string"){
let dataType6 = typeof data10;
let coerced6 = undefined;
if(!(coerced6 !== undefined)){
if(dataType6 == "number" || dataType6 == "boolean"){
coerced6 = "" + data10;
}
else if(data10 === null){
coerced6 = "";
}
else {
const err45 = {instancePath:instancePath+"/K_CE_OVERRIDES",schemaPath:"#/properties/K_CE_OVERRIDES/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err45];
}
else {
vErrors.push(err45);
}
errors++;
}
}
if(coerced6 !== undefined){
data10 = coerced6;
if(data !== undefined){
data["K_CE_OVERRIDES"] = coerced6;
}
}
}
if(typeof data10 === "string"){
if(!keyword0("ce-overrides", data10)){
const err46 = {instancePath:instancePath+"/K_CE_OVERRIDES",schemaPath:"#/properties/K_CE_OVERRIDES/x-format",keyword:"x-format",params:{},message:"must pass \"x-format\" keyword validation"};
if(vErrors === null){
vErrors = [err46];
}
else {
vErrors.push(err46);
}
errors++;
}
}
}
if(data.K_CA_CERTS !== undefined){
let data11 = data.K_CA_CERTS;
if(typeof data11 !== "string"){
let dataType7 = typeof data11;
let coerced7 = undefined;
if(!(coerced7 !== undefined)){
if(dataType7 == "number" || dataType7 == "boolean"){
coerced7 = "" + data11;
}
else if(data11 === null){
coerced7 = "";
}
else {
const err47 = {instancePath:instancePath+"/K_CA_CERTS",schemaPath:"#/properties/K_CA_CERTS/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err47];
}
else {
vErrors.push(err47);
}
errors++;
}
}
if(coerced7 !== undefined){
data11 = coerced7;
if(data !== undefined){
data["K_CA_CERTS"] = coerced7;
}
}
}
if(typeof data11 === "string"){
if(!pattern0.test(data11)){
const err48 = {instancePath:instancePath+"/K_CA_CERTS",schemaPath:"#/properties/K_CA_CERTS/pattern",keyword:"pattern",params:{pattern: "-----BEGIN CERTIFICATE-----"},message:"must match pattern \""+"-----BEGIN CERTIFICATE-----"+"\""};
if(vErrors === null){
vErrors = [err48];
}
else {
vErrors.push(err48);
}
errors++;
}
}
}
let data12 = data.K_CA_CERTS_DIR;
if(typeof data12 !== "string"){
let dataType8 = typeof data12;
let coerced8 = undefined;
if(!(coerced8 !== undefined)){
if(dataType8 == "number" || dataType8 == "boolean"){
coerced8 = "" + data12;
}
else if(data12 === null){
coerced8 = "";
}
else {
const err49 = {instancePath:instancePath+"/K_CA_CERTS_DIR",schemaPath:"#/properties/K_CA_CERTS_DIR/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err49];
}
else {
vErrors.push(err49);
}
errors++;
}
}
if(coerced8 !== undefined){
data12 = coerced8;
if(data !== undefined){
data["K_CA_CERTS_DIR"] = coerced8;
}
}
}
if(typeof data12 === "string"){
if(func2(data12) < 1){
const err50 = {instancePath:instancePath+"/K_CA_CERTS_DIR",schemaPath:"#/properties/K_CA_CERTS_DIR/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err50];
}
else {
vErrors.push(err50);
}
errors++;
}
}
let data13 = data.K_OIDC_TOKEN_FILE;
if(typeof data13 !== "string"){
let dataType9 = typeof data13;
let coerced9 = undefined;
if(!(coerced9 !== undefined)){
if(dataType9 == "number" || dataType9 == "boolean"){
coerced9 = "" + data13;
}
else if(data13 === null){
coerced9 = "";
}
else {
const err51 = {instancePath:instancePath+"/K_OIDC_TOKEN_FILE",schemaPath:"#/properties/K_OIDC_TOKEN_FILE/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err51];
}
else {
vErrors.push(err51);
}
errors++;
}
}
if(coerced9 !== undefined){
data13 = coerced9;
if(data !== undefined){
data["K_OIDC_TOKEN_FILE"] = coerced9;
}
}
}
if(typeof data13 === "string"){
if(func2(data13) < 1){
const err52 = {instancePath:instancePath+"/K_OIDC_TOKEN_FILE",schemaPath:"#/properties/K_OIDC_TOKEN_FILE/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err52];
}
else {
vErrors.push(err52);
}
errors++;
}
}
let data14 = data.EXPORT_EMPTY_BATCHES;
if(typeof data14 !== "boolean"){
let coerced10 = undefined;
if(!(coerced10 !== undefined)){
if(data14 === "false" || data14 === 0 || data14 === null){
coerced10 = false;
}
else if(data14 === "true" || data14 === 1){
coerced10 = true;
}
else {
const err53 = {instancePath:instancePath+"/EXPORT_EMPTY_BATCHES",schemaPath:"#/properties/EXPORT_EMPTY_BATCHES/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err53];
}
else {
vErrors.push(err53);
}
errors++;
}
}
if(coerced10 !== undefined){
data14 = coerced10;
if(data !== undefined){
data["EXPORT_EMPTY_BATCHES"] = coerced10;
}
}
}
let data15 = data.GRPC_MESSAGE_MAX_FLOWS;
if(!(((typeof data15 == "number") && (!(data15 % 1) && !isNaN(data15))) && (isFinite(data15)))){
let dataType11 = typeof data15;
let coerced11 = undefined;
if(!(coerced11 !== undefined)){
if(dataType11 === "boolean" || data15 === null
              || (dataType11 === "string" && data15 && data15 == +data15 && !(data15 % 1))){
coerced11 = +data15;
}
else {
const err54 = {instancePath:instancePath+"/GRPC_MESSAGE_MAX_FLOWS",schemaPath:"#/properties/GRPC_MESSAGE_MAX_FLOWS/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err54];
}
else {
vErrors.push(err54);
}
errors++;
}
}
if(coerced11 !== undefined){
data15 = coerced11;
if(data !== undefined){
data["GRPC_MESSAGE_MAX_FLOWS"] = coerced11;
}
}
}
if((typeof data15 == "number") && (isFinite(data15))){
if(data15 > 1000000 || isNaN(data15)){
const err55 = {instancePath:instancePath+"/GRPC_MESSAGE_MAX_FLOWS",schemaPath:"#/properties/GRPC_MESSAGE_MAX_FLOWS/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err55];
}
else {
vErrors.push(err55);
}
errors++;
}
if(data15 < 1 || isNaN(data15)){
const err56 = {instancePath:instancePath+"/GRPC_MESSAGE_MAX_FLOWS",schemaPath:"#/properties/GRPC_MESSAGE_MAX_FLOWS/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err56];
}
else {
vErrors.push(err56);
}
errors++;
}
}
let data16 = data.GRPC_MESSAGE_MAX_BYTES;
if(!(((typeof data16 == "number") && (!(data16 % 1) && !isNaN(data16))) && (isFinite(data16)))){
let dataType12 = typeof data16;
let coerced12 = undefined;
if(!(coerced12 !== undefined)){
if(dataType12 === "boolean" || data16 === null
              || (dataType12 === "string" && data16 && data16 == +data16 && !(data16 % 1))){
coerced12 = +data16;
}
else {
const err57 = {instancePath:instancePath+"/GRPC_MESSAGE_MAX_BYTES",schemaPath:"#/properties/GRPC_MESSAGE_MAX_BYTES/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err57];
}
else {
vErrors.push(err57);
}
errors++;
}
}
if(coerced12 !== undefined){
data16 = coerced12;
if(data !== undefined){
data["GRPC_MESSAGE_MAX_BYTES"] = coerced12;
}
}
}
if((typeof data16 == "number") && (isFinite(data16))){
if(data16 > 2147483647 || isNaN(data16)){
const err58 = {instancePath:instancePath+"/GRPC_MESSAGE_MAX_BYTES",schemaPath:"#/properties/GRPC_MESSAGE_MAX_BYTES/maximum",keyword:"maximum",params:{comparison: "<=", limit: 2147483647},message:"must be <= 2147483647"};
if(vErrors === null){
vErrors = [err58];
}
else {
vErrors.push(err58);
}
errors++;
}
if(data16 < 1024 || isNaN(data16)){
const err59 = {instancePath:instancePath+"/GRPC_MESSAGE_MAX_BYTES",schemaPath:"#/properties/GRPC_MESSAGE_MAX_BYTES/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1024},message:"must be >= 1024"};
if(vErrors === null){
vErrors = [err59];
}
else {
vErrors.push(err59);
}
errors++;
}
}
let data17 = data.GRPC_RECONNECT_TIMER;
if(typeof data17 !== "string"){
let dataType13 = typeof data17;
let coerced13 = undefined;
if(!(coerced13 !== undefined)){
if(dataType13 == "number" || dataType13 == "boolean"){
coerced13 = "" + data17;
}
else if(data17 === null){
coerced13 = "";
}
else {
const err60 = {instancePath:instancePath+"/GRPC_RECONNECT_TIMER",schemaPath:"#/properties/GRPC_RECONNECT_TIMER/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err60];
}
else {
vErrors.push(err60);
}
errors++;
}
}
if(coerced13 !== undefined){
data17 = coerced13;
if(data !== undefined){
data["GRPC_RECONNECT_TIMER"] = coerced13;
}
}
}
if(typeof data17 === "string"){
if(!(formats0.validate(data17))){
const err61 = {instancePath:instancePath+"/GRPC_RECONNECT_TIMER",schemaPath:"#/properties/GRPC_RECONNECT_TIMER/format",keyword:"format",params:{format: "duration"},message:"must match format \""+"duration"+"\""};
if(vErrors === null){
vErrors = [err61];
}
else {
vErrors.push(err61);
}
errors++;
}
if(!keyword2(86400000, data17)){
const err62 = {instancePath:instancePath+"/GRPC_RECONNECT_TIMER",schemaPath:"#/properties/GRPC_RECONNECT_TIMER/x-max-ms",keyword:"x-max-ms",params:{},message:"must pass \"x-max-ms\" keyword validation"};
if(vErrors === null){
vErrors = [err62];
}
else {
vErrors.push(err62);
}
errors++;
}
}
let data18 = data.GRPC_RECONNECT_TIMER_RANDOMIZATION;
if(typeof data18 !== "string"){
let dataType14 = typeof data18;
let coerced14 = undefined;
if(!(coerced14 !== undefined)){
if(dataType14 == "number" || dataType14 == "boolean"){
coerced14 = "" + data18;
}
else if(data18 === null){
coerced14 = "";
}
else {
const err63 = {instancePath:instancePath+"/GRPC_RECONNECT_TIMER_RANDOMIZATION",schemaPath:"#/properties/GRPC_RECONNECT_TIMER_RANDOMIZATION/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err63];
}
else {
vErrors.push(err63);
}
errors++;
}
}
if(coerced14 !== undefined){
data18 = coerced14;
if(data !== undefined){
data["GRPC_RECONNECT_TIMER_RANDOMIZATION"] = coerced14;
}
}
}
if(typeof data18 === "string"){
if(!(formats0.validate(data18))){
const err64 = {instancePath:instancePath+"/GRPC_RECONNECT_TIMER_RANDOMIZATION",schemaPath:"#/properties/GRPC_RECONNECT_TIMER_RANDOMIZATION/format",keyword:"format",params:{format: "duration"},message:"must match format \""+"duration"+"\""};
if(vErrors === null){
vErrors = [err64];
}
else {
vErrors.push(err64);
}
errors++;
}
if(!keyword2(86400000, data18)){
const err65 = {instancePath:instancePath+"/GRPC_RECONNECT_TIMER_RANDOMIZATION",schemaPath:"#/properties/GRPC_RECONNECT_TIMER_RANDOMIZATION/x-max-ms",keyword:"x-max-ms",params:{},message:"must pass \"x-max-ms\" keyword validation"};
if(vErrors === null){
vErrors = [err65];
}
else {
vErrors.push(err65);
}
errors++;
}
}
if(data.GRPC_TLS_CA !== undefined){
let data19 = data.GRPC_TLS_CA;
if(typeof data19 !== "string"){
let dataType15 = typeof data19;
let coerced15 = undefined;
if(!(coerced15 !== undefined)){
if(dataType15 == "number" || dataType15 == "boolean"){
coerced15 = "" + data19;
}
else if(data19 === null){
coerced15 = "";
}
else {
const err66 = {instancePath:instancePath+"/GRPC_TLS_CA",schemaPath:"#/properties/GRPC_TLS_CA/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err66];
}
else {
vErrors.push(err66);
}
errors++;
}
}
if(coerced15 !== undefined){
data19 = coerced15;
if(data !== undefined){
data["GRPC_TLS_CA"] = coerced15;
}
}
}
if(typeof data19 === "string"){
if(func2(data19) < 1){
const err67 = {instancePath:instancePath+"/GRPC_TLS_CA",schemaPath:"#/properties/GRPC_TLS_CA/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err67];
}
else {
vErrors.push(err67);
}
errors++;
}
if(!keyword4(true, data19)){
const err68 = {instancePath:instancePath+"/GRPC_TLS_CA",schemaPath:"#/properties/GRPC_TLS_CA/x-file",keyword:"x-file",params:{},message:"must pass \"x-file\" keyword validation"};
if(vErrors === null){
vErrors = [err68];
}
else {
vErrors.push(err68);
}
errors++;
}
}
}
if(data.GRPC_TLS_CERT !== undefined){
let data20 = data.GRPC_TLS_CERT;
if(typeof data20 !== "string"){
let dataType16 = typeof data20;
let coerced16 = undefined;
if(!(coerced16 !== undefined)){
if(dataType16 == "number" || dataType16 == "boolean"){
coerced16 = "" + data20;
}
else if(data20 === null){
coerced16 = "";
}
else {
const err69 = {instancePath:instancePath+"/GRPC_TLS_CERT",schemaPath:"#/properties/GRPC_TLS_CERT/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err69];
}
else {
vErrors.push(err69);
}
errors++;
}
}
if(coerced16 !== undefined){
data20 = coerced16;
if(data !== undefined){
data["GRPC_TLS_CERT"] = coerced16;
}
}
}
if(typeof data20 === "string"){
if(func2(data20) < 1){
const err70 = {instancePath:instancePath+"/GRPC_TLS_CERT",schemaPath:"#/properties/GRPC_TLS_CERT/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err70];
}
else {
vErrors.push(err70);
}
errors++;
}
if(!keyword4(true, data20)){
const err71 = {instancePath:instancePath+"/GRPC_TLS_CERT",schemaPath:"#/properties/GRPC_TLS_CERT/x-file",keyword:"x-file",params:{},message:"must pass \"x-file\" keyword validation"};
if(vErrors === null){
vErrors = [err71];
}
else {
vErrors.push(err71);
}
errors++;
}
}
}
if(data.GRPC_TLS_KEY !== undefined){
let data21 = data.GRPC_TLS_KEY;
if(typeof data21 !== "string"){
let dataType17 = typeof data21;
let coerced17 = undefined;
if(!(coerced17 !== undefined)){
if(dataType17 == "number" || dataType17 == "boolean"){
coerced17 = "" + data21;
}
else if(data21 === null){
coerced17 = "";
}
else {
const err72 = {instancePath:instancePath+"/GRPC_TLS_KEY",schemaPath:"#/properties/GRPC_TLS_KEY/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err72];
}
else {
vErrors.push(err72);
}
errors++;
}
}
if(coerced17 !== undefined){
data21 = coerced17;
if(data !== undefined){
data["GRPC_TLS_KEY"] = coerced17;
}
}
}
if(typeof data21 === "string"){
if(func2(data21) < 1){
const err73 = {instancePath:instancePath+"/GRPC_TLS_KEY",schemaPath:"#/properties/GRPC_TLS_KEY/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err73];
}
else {
vErrors.push(err73);
}
errors++;
}
if(!keyword4(true, data21)){
const err74 = {instancePath:instancePath+"/GRPC_TLS_KEY",schemaPath:"#/properties/GRPC_TLS_KEY/x-file",keyword:"x-file",params:{},message:"must pass \"x-file\" keyword validation"};
if(vErrors === null){
vErrors = [err74];
}
else {
vErrors.push(err74);
}
errors++;
}
}
}
if(data.GRPC_TLS_SERVER_NAME !== undefined){
let data22 = data.GRPC_TLS_SERVER_NAME;
if(typeof data22 !== "string"){
let dataType18 = typeof data22;
let coerced18 = undefined;
if(!(coerced18 !== undefined)){
if(dataType18 == "number" || dataType18 == "boolean"){
coerced18 = "" + data22;
}
else if(data22 === null){
coerced18 = "";
}
else {
const err75 = {instancePath:instancePath+"/GRPC_TLS_SERVER_NAME",schemaPath:"#/properties/GRPC_TLS_SERVER_NAME/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err75];
}
else {
vErrors.push(err75);
}
errors++;
}
}
if(coerced18 !== undefined){
data22 = coerced18;
if(data !== undefined){
data["GRPC_TLS_SERVER_NAME"] = coerced18;
}
}
}
if(typeof data22 === "string"){
if(func2(data22) < 1){
const err76 = {instancePath:instancePath+"/GRPC_TLS_SERVER_NAME",schemaPath:"#/properties/GRPC_TLS_SERVER_NAME/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err76];
}
else {
vErrors.push(err76);
}
errors++;
}
}
}
let data23 = data.INTERFACES;
if(typeof data23 !== "string"){
let dataType19 = typeof data23;
let coerced19 = undefined;
if(!(coerced19 !== undefined)){
if(dataType19 == "number" || dataType19 == "boolean"){
coerced19 = "" + data23;
}
else if(data23 === null){
coerced19 = "";
}
else {
const err77 = {instancePath:instancePath+"/INTERFACES",schemaPath:"#/properties/INTERFACES/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err77];
}
else {
vErrors.push(err77);
}
errors++;
}
}
if(coerced19 !== undefined){
data23 = coerced19;
if(data !== undefined){
data["INTERFACES"] = coerced19;
}
}
}
if(typeof data23 === "string"){
if(!keyword0("interface-list", data23)){
const err78 = {instancePath:instancePath+"/INTERFACES",schemaPath:"#/properties/INTERFACES/x-format",keyword:"x-format",params:{},message:"must pass \"x-format\" keyword validation"};
if(vErrors === null){
vErrors = [err78];
}
else {
vErrors.push(err78);
}
errors++;
}
}
let data24 = data.EXCLUDE_INTERFACES;
if(typeof data24 !== "string"){
let dataType20 = typeof data24;
let coerced20 = undefined;
if(!(coerced20 !== undefined)){
if(dataType20 == "number" || dataType20 == "boolean"){
coerced20 = "" + data24;
}
else if(data24 === null){
coerced20 = "";
}
else {
const err79 = {instancePath:instancePath+"/EXCLUDE_INTERFACES",schemaPath:"#/properties/EXCLUDE_INTERFACES/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err79];
}
else {
vErrors.push(err79);
}
errors++;
}
}
if(coerced20 !== undefined){
data24 = coerced20;
if(data !== undefined){
data["EXCLUDE_INTERFACES"] = coerced20;
}
}
}
if(typeof data24 === "string"){
if(!keyword0("interface-list", data24)){
const err80 = {instancePath:instancePath+"/EXCLUDE_INTERFACES",schemaPath:"#/properties/EXCLUDE_INTERFACES/x-format",keyword:"x-format",params:{},message:"must pass \"x-format\" keyword validation"};
if(vErrors === null){
vErrors = [err80];
}
else {
vErrors.push(err80);
}
errors++;
}
}
let data25 = data.INTERFACE_IPS;
if(typeof data25 !== "string"){
let dataType21 = typeof data25;
let coerced21 = undefined;
if(!(coerced21 !== undefined)){
if(dataType21 == "number" || dataType21 == "boolean"){
coerced21 = "" + data25;
}
else if(data25 === null){
coerced21 = "";
}
else {
const err81 = {instancePath:instancePath+"/INTERFACE_IPS",schemaPath:"#/properties/INTERFACE_IPS/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err81];
}
else {
vErrors.push(err81);
}
errors++;
}
}
if(coerced21 !== undefined){
data25 = coerced21;
if(data !== undefined){
data["INTERFACE_IPS"] = coerced21;
}
}
}
if(typeof data25 === "string"){
if(!keyword0("cidr-list", data25)){
const err82 = {instancePath:instancePath+"/INTERFACE_IPS",schemaPath:"#/properties/INTERFACE_IPS/x-format",keyword:"x-format",params:{},message:"must pass \"x-format\" keyword validation"};
if(vErrors === null){
vErrors = [err82];
}
else {
vErrors.push(err82);
}
errors++;
}
}
let data26 = data.LISTEN_INTERFACES;
if(typeof data26 !== "string"){
let dataType22 = typeof data26;
let coerced22 = undefined;
if(!(coerced22 !== undefined)){
if(dataType22 == "number" || dataType22 == "boolean"){
coerced22 = "" + data26;
}
else if(data26 === null){
coerced22 = "";
}
else {
const err83 = {instancePath:instancePath+"/LISTEN_INTERFACES",schemaPath:"#/properties/LISTEN_INTERFACES/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err83];
}
else {
vErrors.push(err83);
}
errors++;
}
}
if(coerced22 !== undefined){
data26 = coerced22;
if(data !== undefined){
data["LISTEN_INTERFACES"] = coerced22;
}
}
}
if(!((data26 === "watch") || (data26 === "poll"))){
const err84 = {instancePath:instancePath+"/LISTEN_INTERFACES",schemaPath:"#/properties/LISTEN_INTERFACES/enum",keyword:"enum",params:{allowedValues: schema11.properties.LISTEN_INTERFACES.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err84];
}
else {
vErrors.push(err84);
}
errors++;
}
let data27 = data.LISTEN_POLL_PERIOD;
if(typeof data27 !== "string"){
let dataType23 = typeof data27;
let coerced23 = undefined;
if(!(coerced23 !== undefined)){
if(dataType23 == "number" || dataType23 == "boolean"){
coerced23 = "" + data27;
}
else if(data27 === null){
coerced23 = "";
}
else {
const err85 = {instancePath:instancePath+"/LISTEN_POLL_PERIOD",schemaPath:"#/properties/LISTEN_POLL_PERIOD/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err85];
}
else {
vErrors.push(err85);
}
errors++;
}
}
if(coerced23 !== undefined){
data27 = coerced23;
if(data !== undefined){
data["LISTEN_POLL_PERIOD"] = coerced23;
}
}
}
if(typeof data27 === "string"){
if(!(formats0.validate(data27))){
const err86 = {instancePath:instancePath+"/LISTEN_POLL_PERIOD",schemaPath:"#/properties/LISTEN_POLL_PERIOD/format",keyword:"format",params:{format: "duration"},message:"must match format \""+"duration"+"\""};
if(vErrors === null){
vErrors = [err86];
}
else {
vErrors.push(err86);
}
errors++;
}
if(!keyword10(100, data27)){
const err87 = {instancePath:instancePath+"/LISTEN_POLL_PERIOD",schemaPath:"#/properties/LISTEN_POLL_PERIOD/x-min-ms",keyword:"x-min-ms",params:{},message:"must pass \"x-min-ms\" keyword validation"};
if(vErrors === null){
vErrors = [err87];
}
else {
vErrors.push(err87);
}
errors++;
}
if(!keyword2(86400000, data27)){
const err88 = {instancePath:instancePath+"/LISTEN_POLL_PERIOD",schemaPath:"#/properties/LISTEN_POLL_PERIOD/x-max-ms",keyword:"x-max-ms",params:{},message:"must pass \"x-max-ms\" keyword validation"};
if(vErrors === null){
vErrors = [err88];
}
else {
vErrors.push(err88);
}
errors++;
}
}
let data28 = data.DIRECTION;
if(typeof data28 !== "string"){
let dataType24 = typeof data28;
let coerced24 = undefined;
if(!(coerced24 !== undefined)){
if(dataType24 == "number" || dataType24 == "boolean"){
coerced24 = "" + data28;
}
else if(data28 === null){
coerced24 = "";
}
else {
const err89 = {instancePath:instancePath+"/DIRECTION",schemaPath:"#/properties/DIRECTION/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err89];
}
else {
vErrors.push(err89);
}
errors++;
}
}
if(coerced24 !== undefined){
data28 = coerced24;
if(data !== undefined){
data["DIRECTION"] = coerced24;
}
}
}
if(!(((data28 === "ingress") || (data28 === "egress")) || (data28 === "both"))){
const err90 = {instancePath:instancePath+"/DIRECTION",schemaPath:"#/properties/DIRECTION/enum",keyword:"enum",params:{allowedValues: schema11.properties.DIRECTION.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err90];
}
else {
vErrors.push(err90);
}
errors++;
}
let data29 = data.SAMPLING;
if(!(((typeof data29 == "number") && (!(data29 % 1) && !isNaN(data29))) && (isFinite(data29)))){
let dataType25 = typeof data29;
let coerced25 = undefined;
if(!(coerced25 !== undefined)){
if(dataType25 === "boolean" || data29 === null
              || (dataType25 === "string" && data29 && data29 == +data29 && !(data29 % 1))){
coerced25 = +data29;
}
else {
const err91 = {instancePath:instancePath+"/SAMPLING",schemaPath:"#/properties/SAMPLING/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err91];
}
else {
vErrors.push(err91);
}
errors++;
}
}
if(coerced25 !== undefined){
data29 = coerced25;
if(data !== undefined){
data["SAMPLING"] = coerced25;
}
}
}
if((typeof data29 == "number") && (isFinite(data29))){
if(data29 > 1000000 || isNaN(data29)){
const err92 = {instancePath:instancePath+"/SAMPLING",schemaPath:"#/properties/SAMPLING/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err92];
}
else {
vErrors.push(err92);
}
errors++;
}
if(data29 < 0 || isNaN(data29)){
const err93 = {instancePath:instancePath+"/SAMPLING",schemaPath:"#/properties/SAMPLING/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err93];
}
else {
vErrors.push(err93);
}
errors++;
}
}
let data30 = data.DEDUPER;
if(typeof data30 !== "string"){
let dataType26 = typeof data30;
let coerced26 = undefined;
if(!(coerced26 !== undefined)){
if(dataType26 == "number" || dataType26 == "boolean"){
coerced26 = "" + data30;
}
else if(data30 === null){
coerced26 = "";
}
else {
const err94 = {instancePath:instancePath+"/DEDUPER",schemaPath:"#/properties/DEDUPER/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err94];
}
else {
vErrors.push(err94);
}
errors++;
}
}
if(coerced26 !== undefined){
data30 = coerced26;
if(data !== undefined){
data["DEDUPER"] = coerced26;
}
}
}
if(!((data30 === "firstCome") || (data30 === "none"))){
const err95 = {instancePath:instancePath+"/DEDUPER",schemaPath:"#/properties/DEDUPER/enum",keyword:"enum",params:{allowedValues: schema11.properties.DEDUPER.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err95];
}
else {
vErrors.push(err95);
}
errors++;
}
let data31 = data.ENABLE_PKT_DROPS;
if(typeof data31 !== "boolean"){
let coerced27 = undefined;
if(!(coerced27 !== undefined)){
if(data31 === "false" || data31 === 0 || data31 === null){
coerced27 = false;
}
else if(data31 === "true" || data31 === 1){
coerced27 = true;
}
else {
const err96 = {instancePath:instancePath+"/ENABLE_PKT_DROPS",schemaPath:"#/properties/ENABLE_PKT_DROPS/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err96];
}
else {
vErrors.push(err96);
}
errors++;
}
}
if(coerced27 !== undefined){
data31 = coerced27;
if(data !== undefined){
data["ENABLE_PKT_DROPS"] = coerced27;
}
}
}
let data32 = data.ENABLE_RTT;
if(typeof data32 !== "boolean"){
let coerced28 = undefined;
if(!(coerced28 !== undefined)){
if(data32 === "false" || data32 === 0 || data32 === null){
coerced28 = false;
}
else if(data32 === "true" || data32 === 1){
coerced28 = true;
}
else {
const err97 = {instancePath:instancePath+"/ENABLE_RTT",schemaPath:"#/properties/ENABLE_RTT/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err97];
}
else {
vErrors.push(err97);
}
errors++;
}
}
if(coerced28 !== undefined){
data32 = coerced28;
if(data !== undefined){
data["ENABLE_RTT"] = coerced28;
}
}
}
let data33 = data.ENABLE_DNS_TRACKING;
if(typeof data33 !== "boolean"){
let coerced29 = undefined;
if(!(coerced29 !== undefined)){
if(data33 === "false" || data33 === 0 || data33 === null){
coerced29 = false;
}
else if(data33 === "true" || data33 === 1){
coerced29 = true;
}
else {
const err98 = {instancePath:instancePath+"/ENABLE_DNS_TRACKING",schemaPath:"#/properties/ENABLE_DNS_TRACKING/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err98];
}
else {
vErrors.push(err98);
}
errors++;
}
}
if(coerced29 !== undefined){
data33 = coerced29;
if(data !== undefined){
data["ENABLE_DNS_TRACKING"] = coerced29;
}
}
}
let data34 = data.DNS_TRACKING_PORT;
if(!(((typeof data34 == "number") && (!(data34 % 1) && !isNaN(data34))) && (isFinite(data34)))){
let dataType30 = typeof data34;
let coerced30 = undefined;
if(!(coerced30 !== undefined)){
if(dataType30 === "boolean" || data34 === null
              || (dataType30 === "string" && data34 && data34 == +data34 && !(data34 % 1))){
coerced30 = +data34;
}
else {
const err99 = {instancePath:instancePath+"/DNS_TRACKING_PORT",schemaPath:"#/properties/DNS_TRACKING_PORT/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err99];
}
else {
vErrors.push(err99);
}
errors++;
}
}
if(coerced30 !== undefined){
data34 = coerced30;
if(data !== undefined){
data["DNS_TRACKING_PORT"] = coerced30;
}
}
}
if((typeof data34 == "number") && (isFinite(data34))){
if(data34 > 65535 || isNaN(data34)){
const err100 = {instancePath:instancePath+"/DNS_TRACKING_PORT",schemaPath:"#/properties/DNS_TRACKING_PORT/maximum",keyword:"maximum",params:{comparison: "<=", limit: 65535},message:"must be <= 65535"};
if(vErrors === null){
vErrors = [err100];
}
else {
vErrors.push(err100);
}
errors++;
}
if(data34 < 1 || isNaN(data34)){
const err101 = {instancePath:instancePath+"/DNS_TRACKING_PORT",schemaPath:"#/properties/DNS_TRACKING_PORT/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err101];
}
else {
vErrors.push(err101);
}
errors++;
}
}
if(data.FLOW_FILTER_RULES !== undefined){
let data35 = data.FLOW_FILTER_RULES;
if(typeof data35 !== "string"){
let dataType31 = typeof data35;
let coerced31 = undefined;
if(!(coerced31 !== undefined)){
if(dataType31 == "number" || dataType31 == "boolean"){
coerced31 = "" + data35;
}
else if(data35 === null){
coerced31 = "";
}
else {
const err102 = {instancePath:instancePath+"/FLOW_FILTER_RULES",schemaPath:"#/properties/FLOW_FILTER_RULES/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err102];
}
else {
vErrors.push(err102);
}
errors++;
}
}
if(coerced31 !== undefined){
data35 = coerced31;
if(data !== undefined){
data["FLOW_FILTER_RULES"] = coerced31;
}
}
}
}
let data36 = data.CACHE_MAX_FLOWS;
if(!(((typeof data36 == "number") && (!(data36 % 1) && !isNaN(data36))) && (isFinite(data36)))){
let dataType32 = typeof data36;
let coerced32 = undefined;
if(!(coerced32 !== undefined)){
if(dataType32 === "boolean" || data36 === null
              || (dataType32 === "string" && data36 && data36 == +data36 && !(data36 % 1))){
coerced32 = +data36;
}
else {
const err103 = {instancePath:instancePath+"/CACHE_MAX_FLOWS",schemaPath:"#/properties/CACHE_MAX_FLOWS/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err103];
}
else {
vErrors.push(err103);
}
errors++;
}
}
if(coerced32 !== undefined){
data36 = coerced32;
if(data !== undefined){
data["CACHE_MAX_FLOWS"] = coerced32;
}
}
}
if((typeof data36 == "number") && (isFinite(data36))){
if(data36 > 10000000 || isNaN(data36)){
const err104 = {instancePath:instancePath+"/CACHE_MAX_FLOWS",schemaPath:"#/properties/CACHE_MAX_FLOWS/maximum",keyword:"maximum",params:{comparison: "<=", limit: 10000000},message:"must be <= 10000000"};
if(vErrors === null){
vErrors = [err104];
}
else {
vErrors.push(err104);
}
errors++;
}
if(data36 < 1 || isNaN(data36)){
const err105 = {instancePath:instancePath+"/CACHE_MAX_FLOWS",schemaPath:"#/properties/CACHE_MAX_FLOWS/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err105];
}
else {
vErrors.push(err105);
}
errors++;
}
}
let data37 = data.CACHE_ACTIVE_TIMEOUT;
if(typeof data37 !== "string"){
let dataType33 = typeof data37;
let coerced33 = undefined;
if(!(coerced33 !== undefined)){
if(dataType33 == "number" || dataType33 == "boolean"){
coerced33 = "" + data37;
}
else if(data37 === null){
coerced33 = "";
}
else {
const err106 = {instancePath:instancePath+"/CACHE_ACTIVE_TIMEOUT",schemaPath:"#/properties/CACHE_ACTIVE_TIMEOUT/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err106];
}
else {
vErrors.push(err106);
}
errors++;
}
}
if(coerced33 !== undefined){
data37 = coerced33;
if(data !== undefined){
data["CACHE_ACTIVE_TIMEOUT"] = coerced33;
}
}
}
if(typeof data37 === "string"){
if(!(formats0.validate(data37))){
const err107 = {instancePath:instancePath+"/CACHE_ACTIVE_TIMEOUT",schemaPath:"#/properties/CACHE_ACTIVE_TIMEOUT/format",keyword:"format",params:{format: "duration"},message:"must match format \""+"duration"+"\""};
if(vErrors === null){
vErrors = [err107];
}
else {
vErrors.push(err107);
}
errors++;
}
if(!keyword10(10, data37)){
const err108 = {instancePath:instancePath+"/CACHE_ACTIVE_TIMEOUT",schemaPath:"#/properties/CACHE_ACTIVE_TIMEOUT/x-min-ms",keyword:"x-min-ms",params:{},message:"must pass \"x-min-ms\" keyword validation"};
if(vErrors === null){
vErrors = [err108];
}
else {
vErrors.push(err108);
}
errors++;
}
if(!keyword2(86400000, data37)){
const err109 = {instancePath:instancePath+"/CACHE_ACTIVE_TIMEOUT",schemaPath:"#/properties/CACHE_ACTIVE_TIMEOUT/x-max-ms",keyword:"x-max-ms",params:{},message:"must pass \"x-max-ms\" keyword validation"};
if(vErrors === null){
vErrors = [err109];
}
else {
vErrors.push(err109);
}
errors++;
}
}
let data38 = data.RING_BUFFER_SIZE;
if(!(((typeof data38 == "number") && (!(data38 % 1) && !isNaN(data38))) && (isFinite(data38)))){
let dataType34 = typeof data38;
let coerced34 = undefined;
if(!(coerced34 !== undefined)){
if(dataType34 === "boolean" || data38 === null
              || (dataType34 === "string" && data38 && data38 == +data38 && !(data38 % 1))){
coerced34 = +data38;
}
else {
const err110 = {instancePath:instancePath+"/RING_BUFFER_SIZE",schemaPath:"#/properties/RING_BUFFER_SIZE/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err110];
}
else {
vErrors.push(err110);
}
errors++;
}
}
if(coerced34 !== undefined){
data38 = coerced34;
if(data !== undefined){
data["RING_BUFFER_SIZE"] = coerced34;
}
}
}
if((typeof data38 == "number") && (isFinite(data38))){
if(data38 > 1073741824 || isNaN(data38)){
const err111 = {instancePath:instancePath+"/RING_BUFFER_SIZE",schemaPath:"#/properties/RING_BUFFER_SIZE/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1073741824},message:"must be <= 1073741824"};
if(vErrors === null){
vErrors = [err111];
}
else {
vErrors.push(err111);
}
errors++;
}
if(data38 < 4096 || isNaN(data38)){
const err112 = {instancePath:instancePath+"/RING_BUFFER_SIZE",schemaPath:"#/properties/RING_BUFFER_SIZE/minimum",keyword:"minimum",params:{comparison: ">=", limit: 4096},message:"must be >= 4096"};
if(vErrors === null){
vErrors = [err112];
}
else {
vErrors.push(err112);
}
errors++;
}
}
if(((typeof data38 == "number") && (!(data38 % 1) && !isNaN(data38))) && (isFinite(data38))){
if(!keyword14(true, data38)){
const err113 = {instancePath:instancePath+"/RING_BUFFER_SIZE",schemaPath:"#/properties/RING_BUFFER_SIZE/x-power-of-two",keyword:"x-power-of-two",params:{},message:"must pass \"x-power-of-two\" keyword validation"};
if(vErrors === null){
vErrors = [err113];
}
else {
vErrors.push(err113);
}
errors++;
}
}
let data39 = data.TC_ATTACH_MODE;
if(typeof data39 !== "string"){
let dataType35 = typeof data39;
let coerced35 = undefined;
if(!(coerced35 !== undefined)){
if(dataType35 == "number" || dataType35 == "boolean"){
coerced35 = "" + data39;
}
else if(data39 === null){
coerced35 = "";
}
else {
const err114 = {instancePath:instancePath+"/TC_ATTACH_MODE",schemaPath:"#/properties/TC_ATTACH_MODE/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err114];
}
else {
vErrors.push(err114);
}
errors++;
}
}
if(coerced35 !== undefined){
data39 = coerced35;
if(data !== undefined){
data["TC_ATTACH_MODE"] = coerced35;
}
}
}
if(!(((data39 === "any") || (data39 === "tcx")) || (data39 === "tc"))){
const err115 = {instancePath:instancePath+"/TC_ATTACH_MODE",schemaPath:"#/properties/TC_ATTACH_MODE/enum",keyword:"enum",params:{allowedValues: schema11.properties.TC_ATTACH_MODE.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err115];
}
else {
vErrors.push(err115);
}
errors++;
}
let data40 = data.BUFFERS_LENGTH;
if(!(((typeof data40 == "number") && (!(data40 % 1) && !isNaN(data40))) && (isFinite(data40)))){
let dataType36 = typeof data40;
let coerced36 = undefined;
if(!(coerced36 !== undefined)){
if(dataType36 === "boolean" || data40 === null
              || (dataType36 === "string" && data40 && data40 == +data40 && !(data40 % 1))){
coerced36 = +data40;
}
else {
const err116 = {instancePath:instancePath+"/BUFFERS_LENGTH",schemaPath:"#/properties/BUFFERS_LENGTH/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err116];
}
else {
vErrors.push(err116);
}
errors++;
}
}
if(coerced36 !== undefined){
data40 = coerced36;
if(data !== undefined){
data["BUFFERS_LENGTH"] = coerced36;
}
}
}
if((typeof data40 == "number") && (isFinite(data40))){
if(data40 > 100000 || isNaN(data40)){
const err117 = {instancePath:instancePath+"/BUFFERS_LENGTH",schemaPath:"#/properties/BUFFERS_LENGTH/maximum",keyword:"maximum",params:{comparison: "<=", limit: 100000},message:"must be <= 100000"};
if(vErrors === null){
vErrors = [err117];
}
else {
vErrors.push(err117);
}
errors++;
}
if(data40 < 1 || isNaN(data40)){
const err118 = {instancePath:instancePath+"/BUFFERS_LENGTH",schemaPath:"#/properties/BUFFERS_LENGTH/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err118];
}
else {
vErrors.push(err118);
}
errors++;
}
}
let data41 = data.EXPORT_MAX_ATTEMPTS;
if(!(((typeof data41 == "number") && (!(data41 % 1) && !isNaN(data41))) && (isFinite(data41)))){
let dataType37 = typeof data41;
let coerced37 = undefined;
if(!(coerced37 !== undefined)){
if(dataType37 === "boolean" || data41 === null
              || (dataType37 === "string" && data41 && data41 == +data41 && !(data41 % 1))){
coerced37 = +data41;
}
else {
const err119 = {instancePath:instancePath+"/EXPORT_MAX_ATTEMPTS",schemaPath:"#/properties/EXPORT_MAX_ATTEMPTS/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err119];
}
else {
vErrors.push(err119);
}
errors++;
}
}
if(coerced37 !== undefined){
data41 = coerced37;
if(data !== undefined){
data["EXPORT_MAX_ATTEMPTS"] = coerced37;
}
}
}
if((typeof data41 == "number") && (isFinite(data41))){
if(data41 > 1000000 || isNaN(data41)){
const err120 = {instancePath:instancePath+"/EXPORT_MAX_ATTEMPTS",schemaPath:"#/properties/EXPORT_MAX_ATTEMPTS/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err120];
}
else {
vErrors.push(err120);
}
errors++;
}
if(data41 < 0 || isNaN(data41)){
const err121 = {instancePath:instancePath+"/EXPORT_MAX_ATTEMPTS",schemaPath:"#/properties/EXPORT_MAX_ATTEMPTS/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err121];
}
else {
vErrors.push(err121);
}
errors++;
}
}
if(data.NODE_NAME !== undefined){
let data42 = data.NODE_NAME;
if(typeof data42 !== "string"){
let dataType38 = typeof data42;
let coerced38 = undefined;
if(!(coerced38 !== undefined)){
if(dataType38 == "number" || dataType38 == "boolean"){
coerced38 = "" + data42;
}
else if(data42 === null){
coerced38 = "";
}
else {
const err122 = {instancePath:instancePath+"/NODE_NAME",schemaPath:"#/properties/NODE_NAME/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err122];
}
else {
vErrors.push(err122);
}
errors++;
}
}
if(coerced38 !== undefined){
data42 = coerced38;
if(data !== undefined){
data["NODE_NAME"] = coerced38;
}
}
}
if(typeof data42 === "string"){
if(func2(data42) < 1){
const err123 = {instancePath:instancePath+"/NODE_NAME",schemaPath:"#/properties/NODE_NAME/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err123];
}
else {
vErrors.push(err123);
}
errors++;
}
}
}
if(data.AGENT_IP !== undefined){
let data43 = data.AGENT_IP;
if(typeof data43 !== "string"){
let dataType39 = typeof data43;
let coerced39 = undefined;
if(!(coerced39 !== undefined)){
if(dataType39 == "number" || dataType39 == "boolean"){
coerced39 = "" + data43;
}
else if(data43 === null){
coerced39 = "";
}
else {
const err124 = {instancePath:instancePath+"/AGENT_IP",schemaPath:"#/properties/AGENT_IP/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err124];
}
else {
vErrors.push(err124);
}
errors++;
}
}
if(coerced39 !== undefined){
data43 = coerced39;
if(data !== undefined){
data["AGENT_IP"] = coerced39;
}
}
}
if(typeof data43 === "string"){
if(!(formats8.validate(data43))){
const err125 = {instancePath:instancePath+"/AGENT_IP",schemaPath:"#/properties/AGENT_IP/format",keyword:"format",params:{format: "ip"},message:"must match format \""+"ip"+"\""};
if(vErrors === null){
vErrors = [err125];
}
else {
vErrors.push(err125);
}
errors++;
}
}
}
let data44 = data.AGENT_IP_IFACE;
if(typeof data44 !== "string"){
let dataType40 = typeof data44;
let coerced40 = undefined;
if(!(coerced40 !== undefined)){
if(dataType40 == "number" || dataType40 == "boolean"){
coerced40 = "" + data44;
}
else if(data44 === null){
coerced40 = "";
}
else {
const err126 = {instancePath:instancePath+"/AGENT_IP_IFACE",schemaPath:"#/properties/AGENT_IP_IFACE/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err126];
}
else {
vErrors.push(err126);
}
errors++;
}
}
if(coerced40 !== undefined){
data44 = coerced40;
if(data !== undefined){
data["AGENT_IP_IFACE"] = coerced40;
}
}
}
if(typeof data44 === "string"){
if(!pattern1.test(data44)){
const err127 = {instancePath:instancePath+"/AGENT_IP_IFACE",schemaPath:"#/properties/AGENT_IP_IFACE/pattern",keyword:"pattern",params:{pattern: "^(external|local|name:.+)$"},message:"must match pattern \""+"^(external|local|name:.+)$"+"\""};
if(vErrors === null){
vErrors = [err127];
}
else {
vErrors.push(err127);
}
errors++;
}
}
let data45 = data.AGENT_IP_TYPE;
if(typeof data45 !== "string"){
let dataType41 = typeof data45;
let coerced41 = undefined;
if(!(coerced41 !== undefined)){
if(dataType41 == "number" || dataType41 == "boolean"){
coerced41 = "" + data45;
}
else if(data45 === null){
coerced41 = "";
}
else {
const err128 = {instancePath:instancePath+"/AGENT_IP_TYPE",schemaPath:"#/properties/AGENT_IP_TYPE/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err128];
}
else {
vErrors.push(err128);
}
errors++;
}
}
if(coerced41 !== undefined){
data45 = coerced41;
if(data !== undefined){
data["AGENT_IP_TYPE"] = coerced41;
}
}
}
if(!(((data45 === "any") || (data45 === "ipv4")) || (data45 === "ipv6"))){
const err129 = {instancePath:instancePath+"/AGENT_IP_TYPE",schemaPath:"#/properties/AGENT_IP_TYPE/enum",keyword:"enum",params:{allowedValues: schema11.properties.AGENT_IP_TYPE.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err129];
}
else {
vErrors.push(err129);
}
errors++;
}
if(data.METRICS_ENABLE !== undefined){
let data46 = data.METRICS_ENABLE;
if(typeof data46 !== "boolean"){
let coerced42 = undefined;
if(!(coerced42 !== undefined)){
if(data46 === "false" || data46 === 0 || data46 === null){
coerced42 = false;
}
else if(data46 === "true" || data46 === 1){
coerced42 = true;
}
else {
const err130 = {instancePath:instancePath+"/METRICS_ENABLE",schemaPath:"#/properties/METRICS_ENABLE/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err130];
}
else {
vErrors.push(err130);
}
errors++;
}
}
if(coerced42 !== undefined){
data46 = coerced42;
if(data !== undefined){
data["METRICS_ENABLE"] = coerced42;
}
}
}
}
if(data.METRICS_PORT !== undefined){
let data47 = data.METRICS_PORT;
if(!(((typeof data47 == "number") && (!(data47 % 1) && !isNaN(data47))) && (isFinite(data47)))){
let dataType43 = typeof data47;
let coerced43 = undefined;
if(!(coerced43 !== undefined)){
if(dataType43 === "boolean" || data47 === null
              || (dataType43 === "string" && data47 && data47 == +data47 && !(data47 % 1))){
coerced43 = +data47;
}
else {
const err131 = {instancePath:instancePath+"/METRICS_PORT",schemaPath:"#/properties/METRICS_PORT/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err131];
}
else {
vErrors.push(err131);
}
errors++;
}
}
if(coerced43 !== undefined){
data47 = coerced43;
if(data !== undefined){
data["METRICS_PORT"] = coerced43;
}
}
}
if((typeof data47 == "number") && (isFinite(data47))){
if(data47 > 65535 || isNaN(data47)){
const err132 = {instancePath:instancePath+"/METRICS_PORT",schemaPath:"#/properties/METRICS_PORT/maximum",keyword:"maximum",params:{comparison: "<=", limit: 65535},message:"must be <= 65535"};
if(vErrors === null){
vErrors = [err132];
}
else {
vErrors.push(err132);
}
errors++;
}
if(data47 < 1 || isNaN(data47)){
const err133 = {instancePath:instancePath+"/METRICS_PORT",schemaPath:"#/properties/METRICS_PORT/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err133];
}
else {
vErrors.push(err133);
}
errors++;
}
}
}
let data48 = data.METRICS_ADDRESS;
if(typeof data48 !== "string"){
let dataType44 = typeof data48;
let coerced44 = undefined;
if(!(coerced44 !== undefined)){
if(dataType44 == "number" || dataType44 == "boolean"){
coerced44 = "" + data48;
}
else if(data48 === null){
coerced44 = "";
}
else {
const err134 = {instancePath:instancePath+"/METRICS_ADDRESS",schemaPath:"#/properties/METRICS_ADDRESS/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err134];
}
else {
vErrors.push(err134);
}
errors++;
}
}
if(coerced44 !== undefined){
data48 = coerced44;
if(data !== undefined){
data["METRICS_ADDRESS"] = coerced44;
}
}
}
if(typeof data48 === "string"){
if(!(formats8.validate(data48))){
const err135 = {instancePath:instancePath+"/METRICS_ADDRESS",schemaPath:"#/properties/METRICS_ADDRESS/format",keyword:"format",params:{format: "ip"},message:"must match format \""+"ip"+"\""};
if(vErrors === null){
vErrors = [err135];
}
else {
vErrors.push(err135);
}
errors++;
}
}
let data49 = data.METRICS_PREFIX;
if(typeof data49 !== "string"){
let dataType45 = typeof data49;
let coerced45 = undefined;
if(!(coerced45 !== undefined)){
if(dataType45 == "number" || dataType45 == "boolean"){
coerced45 = "" + data49;
}
else if(data49 === null){
coerced45 = "";
}
else {
const err136 = {instancePath:instancePath+"/METRICS_PREFIX",schemaPath:"#/properties/METRICS_PREFIX/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err136];
}
else {
vErrors.push(err136);
}
errors++;
}
}
if(coerced45 !== undefined){
data49 = coerced45;
if(data !== undefined){
data["METRICS_PREFIX"] = coerced45;
}
}
}
if(typeof data49 === "string"){
if(!pattern2.test(data49)){
const err137 = {instancePath:instancePath+"/METRICS_PREFIX",schemaPath:"#/properties/METRICS_PREFIX/pattern",keyword:"pattern",params:{pattern: "^[a-zA-Z_:][a-zA-Z0-9_:]*$"},message:"must match pattern \""+"^[a-zA-Z_:][a-zA-Z0-9_:]*$"+"\""};
if(vErrors === null){
vErrors = [err137];
}
else {
vErrors.push(err137);
}
errors++;
}
}
if(data.METRICS_TLS_CERT !== undefined){
let data50 = data.METRICS_TLS_CERT;
if(typeof data50 !== "string"){
let dataType46 = typeof data50;
let coerced46 = undefined;
if(!(coerced46 !== undefined)){
if(dataType46 == "number" || dataType46 == "boolean"){
coerced46 = "" + data50;
}
else if(data50 === null){
coerced46 = "";
}
else {
const err138 = {instancePath:instancePath+"/METRICS_TLS_CERT",schemaPath:"#/properties/METRICS_TLS_CERT/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err138];
}
else {
vErrors.push(err138);
}
errors++;
}
}
if(coerced46 !== undefined){
data50 = coerced46;
if(data !== undefined){
data["METRICS_TLS_CERT"] = coerced46;
}
}
}
if(typeof data50 === "string"){
if(func2(data50) < 1){
const err139 = {instancePath:instancePath+"/METRICS_TLS_CERT",schemaPath:"#/properties/METRICS_TLS_CERT/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err139];
}
else {
vErrors.push(err139);
}
errors++;
}
if(!keyword4(true, data50)){
const err140 = {instancePath:instancePath+"/METRICS_TLS_CERT",schemaPath:"#/properties/METRICS_TLS_CERT/x-file",keyword:"x-file",params:{},message:"must pass \"x-file\" keyword validation"};
if(vErrors === null){
vErrors = [err140];
}
else {
vErrors.push(err140);
}
errors++;
}
}
}
if(data.METRICS_TLS_KEY !== undefined){
let data51 = data.METRICS_TLS_KEY;
if(typeof data51 !== "string"){
let dataType47 = typeof data51;
let coerced47 = undefined;
if(!(coerced47 !== undefined)){
if(dataType47 == "number" || dataType47 == "boolean"){
coerced47 = "" + data51;
}
else if(data51 === null){
coerced47 = "";
}
else {
const err141 = {instancePath:instancePath+"/METRICS_TLS_KEY",schemaPath:"#/properties/METRICS_TLS_KEY/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err141];
}
else {
vErrors.push(err141);
}
errors++;
}
}
if(coerced47 !== undefined){
data51 = coerced47;
if(data !== undefined){
data["METRICS_TLS_KEY"] = coerced47;
}
}
}
if(typeof data51 === "string"){
if(func2(data51) < 1){
const err142 = {instancePath:instancePath+"/METRICS_TLS_KEY",schemaPath:"#/properties/METRICS_TLS_KEY/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err142];
}
else {
vErrors.push(err142);
}
errors++;
}
if(!keyword4(true, data51)){
const err143 = {instancePath:instancePath+"/METRICS_TLS_KEY",schemaPath:"#/properties/METRICS_TLS_KEY/x-file",keyword:"x-file",params:{},message:"must pass \"x-file\" keyword validation"};
if(vErrors === null){
vErrors = [err143];
}
else {
vErrors.push(err143);
}
errors++;
}
}
}
let data52 = data.LOG_LEVEL;
if(typeof data52 !== "string"){
let dataType48 = typeof data52;
let coerced48 = undefined;
if(!(coerced48 !== undefined)){
if(dataType48 == "number" || dataType48 == "boolean"){
coerced48 = "" + data52;
}
else if(data52 === null){
coerced48 = "";
}
else {
const err144 = {instancePath:instancePath+"/LOG_LEVEL",schemaPath:"#/properties/LOG_LEVEL/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err144];
}
else {
vErrors.push(err144);
}
errors++;
}
}
if(coerced48 !== undefined){
data52 = coerced48;
if(data !== undefined){
data["LOG_LEVEL"] = coerced48;
}
}
}
if(!((((((((data52 === "trace") || (data52 === "debug")) || (data52 === "info")) || (data52 === "warn")) || (data52 === "warning")) || (data52 === "error")) || (data52 === "fatal")) || (data52 === "panic"))){
const err145 = {instancePath:instancePath+"/LOG_LEVEL",schemaPath:"#/properties/LOG_LEVEL/enum",keyword:"enum",params:{allowedValues: schema11.properties.LOG_LEVEL.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err145];
}
else {
vErrors.push(err145);
}
errors++;
}
let data53 = data.LOG_PRETTY;
if(typeof data53 !== "boolean"){
let coerced49 = undefined;
if(!(coerced49 !== undefined)){
if(data53 === "false" || data53 === 0 || data53 === null){
coerced49 = false;
}
else if(data53 === "true" || data53 === 1){
coerced49 = true;
}
else {
const err146 = {instancePath:instancePath+"/LOG_PRETTY",schemaPath:"#/properties/LOG_PRETTY/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err146];
}
else {
vErrors.push(err146);
}
errors++;
}
}
if(coerced49 !== undefined){
data53 = coerced49;
if(data !== undefined){
data["LOG_PRETTY"] = coerced49;
}
}
}
let data54 = data.CE_MODE;
if(typeof data54 !== "string"){
let dataType50 = typeof data54;
let coerced50 = undefined;
if(!(coerced50 !== undefined)){
if(dataType50 == "number" || dataType50 == "boolean"){
coerced50 = "" + data54;
}
else if(data54 === null){
coerced50 = "";
}
else {
const err147 = {instancePath:instancePath+"/CE_MODE",schemaPath:"#/properties/CE_MODE/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err147];
}
else {
vErrors.push(err147);
}
errors++;
}
}
if(coerced50 !== undefined){
data54 = coerced50;
if(data !== undefined){
data["CE_MODE"] = coerced50;
}
}
}
if(!((data54 === "binary") || (data54 === "structured"))){
const err148 = {instancePath:instancePath+"/CE_MODE",schemaPath:"#/properties/CE_MODE/enum",keyword:"enum",params:{allowedValues: schema11.properties.CE_MODE.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err148];
}
else {
vErrors.push(err148);
}
errors++;
}
let data55 = data.AVRO_SINGLE_OBJECT;
if(typeof data55 !== "boolean"){
let coerced51 = undefined;
if(!(coerced51 !== undefined)){
if(data55 === "false" || data55 === 0 || data55 === null){
coerced51 = false;
}
else if(data55 === "true" || data55 === 1){
coerced51 = true;
}
else {
const err149 = {instancePath:instancePath+"/AVRO_SINGLE_OBJECT",schemaPath:"#/properties/AVRO_SINGLE_OBJECT/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err149];
}
else {
vErrors.push(err149);
}
errors++;
}
}
if(coerced51 !== undefined){
data55 = coerced51;
if(data !== undefined){
data["AVRO_SINGLE_OBJECT"] = coerced51;
}
}
}
let data56 = data.NATS_URL;
if(typeof data56 !== "string"){
let dataType52 = typeof data56;
let coerced52 = undefined;
if(!(coerced52 !== undefined)){
if(dataType52 == "number" || dataType52 == "boolean"){
coerced52 = "" + data56;
}
else if(data56 === null){
coerced52 = "";
}
else {
const err150 = {instancePath:instancePath+"/NATS_URL",schemaPath:"#/properties/NATS_URL/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err150];
}
else {
vErrors.push(err150);
}
errors++;
}
}
if(coerced52 !== undefined){
data56 = coerced52;
if(data !== undefined){
data["NATS_URL"] = coerced52;
}
}
}
if(typeof data56 === "string"){
if(!keyword0("nats-urls", data56)){
const err151 = {instancePath:instancePath+"/NATS_URL",schemaPath:"#/properties/NATS_URL/x-format",keyword:"x-format",params:{},message:"must pass \"x-format\" keyword validation"};
if(vErrors === null){
vErrors = [err151];
}
else {
vErrors.push(err151);
}
errors++;
}
}
let data57 = data.NATS_SUBJECT;
if(typeof data57 !== "string"){
let dataType53 = typeof data57;
let coerced53 = undefined;
if(!(coerced53 !== undefined)){
if(dataType53 == "number" || dataType53 == "boolean"){
coerced53 = "" + data57;
}
else if(data57 === null){
coerced53 = "";
}
else {
const err152 = {instancePath:instancePath+"/NATS_SUBJECT",schemaPath:"#/properties/NATS_SUBJECT/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err152];
}
else {
vErrors.push(err152);
}
errors++;
}
}
if(coerced53 !== undefined){
data57 = coerced53;
if(data !== undefined){
data["NATS_SUBJECT"] = coerced53;
}
}
}
if(typeof data57 === "string"){
if(!pattern3.test(data57)){
const err153 = {instancePath:instancePath+"/NATS_SUBJECT",schemaPath:"#/properties/NATS_SUBJECT/pattern",keyword:"pattern",params:{pattern: "^[^\\s*>]+$"},message:"must match pattern \""+"^[^\\s*>]+$"+"\""};
if(vErrors === null){
vErrors = [err153];
}
else {
vErrors.push(err153);
}
errors++;
}
}
let data58 = data.NATS_JETSTREAM;
if(typeof data58 !== "boolean"){
let coerced54 = undefined;
if(!(coerced54 !== undefined)){
if(data58 === "false" || data58 === 0 || data58 === null){
coerced54 = false;
}
else if(data58 === "true" || data58 === 1){
coerced54 = true;
}
else {
const err154 = {instancePath:instancePath+"/NATS_JETSTREAM",schemaPath:"#/properties/NATS_JETSTREAM/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err154];
}
else {
vErrors.push(err154);
}
errors++;
}
}
if(coerced54 !== undefined){
data58 = coerced54;
if(data !== undefined){
data["NATS_JETSTREAM"] = coerced54;
}
}
}
let data59 = data.NATS_STREAM;
if(typeof data59 !== "string"){
let dataType55 = typeof data59;
let coerced55 = undefined;
if(!(coerced55 !== undefined)){
if(dataType55 == "number" || dataType55 == "boolean"){
coerced55 = "" + data59;
}
else if(data59 === null){
coerced55 = "";
}
else {
const err155 = {instancePath:instancePath+"/NATS_STREAM",schemaPath:"#/properties/NATS_STREAM/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err155];
}
else {
vErrors.push(err155);
}
errors++;
}
}
if(coerced55 !== undefined){
data59 = coerced55;
if(data !== undefined){
data["NATS_STREAM"] = coerced55;
}
}
}
if(typeof data59 === "string"){
if(!pattern4.test(data59)){
const err156 = {instancePath:instancePath+"/NATS_STREAM",schemaPath:"#/properties/NATS_STREAM/pattern",keyword:"pattern",params:{pattern: "^[^\\s.*>]+$"},message:"must match pattern \""+"^[^\\s.*>]+$"+"\""};
if(vErrors === null){
vErrors = [err156];
}
else {
vErrors.push(err156);
}
errors++;
}
}
let data60 = data.NATS_STREAM_MAX_AGE;
if(typeof data60 !== "string"){
let dataType56 = typeof data60;
let coerced56 = undefined;
if(!(coerced56 !== undefined)){
if(dataType56 == "number" || dataType56 == "boolean"){
coerced56 = "" + data60;
}
else if(data60 === null){
coerced56 = "";
}
else {
const err157 = {instancePath:instancePath+"/NATS_STREAM_MAX_AGE",schemaPath:"#/properties/NATS_STREAM_MAX_AGE/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err157];
}
else {
vErrors.push(err157);
}
errors++;
}
}
if(coerced56 !== undefined){
data60 = coerced56;
if(data !== undefined){
data["NATS_STREAM_MAX_AGE"] = coerced56;
}
}
}
if(typeof data60 === "string"){
if(!(formats0.validate(data60))){
const err158 = {instancePath:instancePath+"/NATS_STREAM_MAX_AGE",schemaPath:"#/properties/NATS_STREAM_MAX_AGE/format",keyword:"format",params:{format: "duration"},message:"must match format \""+"duration"+"\""};
if(vErrors === null){
vErrors = [err158];
}
else {
vErrors.push(err158);
}
errors++;
}
if(!keyword10(1000, data60)){
const err159 = {instancePath:instancePath+"/NATS_STREAM_MAX_AGE",schemaPath:"#/properties/NATS_STREAM_MAX_AGE/x-min-ms",keyword:"x-min-ms",params:{},message:"must pass \"x-min-ms\" keyword validation"};
if(vErrors === null){
vErrors = [err159];
}
else {
vErrors.push(err159);
}
errors++;
}
if(!keyword2(31536000000, data60)){
const err160 = {instancePath:instancePath+"/NATS_STREAM_MAX_AGE",schemaPath:"#/properties/NATS_STREAM_MAX_AGE/x-max-ms",keyword:"x-max-ms",params:{},message:"must pass \"x-max-ms\" keyword validation"};
if(vErrors === null){
vErrors = [err160];
}
else {
vErrors.push(err160);
}
errors++;
}
}
let data61 = data.NATS_STREAM_REPLICAS;
if(!(((typeof data61 == "number") && (!(data61 % 1) && !isNaN(data61))) && (isFinite(data61)))){
let dataType57 = typeof data61;
let coerced57 = undefined;
if(!(coerced57 !== undefined)){
if(dataType57 === "boolean" || data61 === null
              || (dataType57 === "string" && data61 && data61 == +data61 && !(data61 % 1))){
coerced57 = +data61;
}
else {
const err161 = {instancePath:instancePath+"/NATS_STREAM_REPLICAS",schemaPath:"#/properties/NATS_STREAM_REPLICAS/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err161];
}
else {
vErrors.push(err161);
}
errors++;
}
}
if(coerced57 !== undefined){
data61 = coerced57;
if(data !== undefined){
data["NATS_STREAM_REPLICAS"] = coerced57;
}
}
}
if((typeof data61 == "number") && (isFinite(data61))){
if(data61 > 5 || isNaN(data61)){
const err162 = {instancePath:instancePath+"/NATS_STREAM_REPLICAS",schemaPath:"#/properties/NATS_STREAM_REPLICAS/maximum",keyword:"maximum",params:{comparison: "<=", limit: 5},message:"must be <= 5"};
if(vErrors === null){
vErrors = [err162];
}
else {
vErrors.push(err162);
}
errors++;
}
if(data61 < 1 || isNaN(data61)){
const err163 = {instancePath:instancePath+"/NATS_STREAM_REPLICAS",schemaPath:"#/properties/NATS_STREAM_REPLICAS/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err163];
}
else {
vErrors.push(err163);
}
errors++;
}
}
let data62 = data.BRIDGE_MODE;
if(typeof data62 !== "string"){
let dataType58 = typeof data62;
let coerced58 = undefined;
if(!(coerced58 !== undefined)){
if(dataType58 == "number" || dataType58 == "boolean"){
coerced58 = "" + data62;
}
else if(data62 === null){
coerced58 = "";
}
else {
const err164 = {instancePath:instancePath+"/BRIDGE_MODE",schemaPath:"#/properties/BRIDGE_MODE/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err164];
}
else {
vErrors.push(err164);
}
errors++;
}
}
if(coerced58 !== undefined){
data62 = coerced58;
if(data !== undefined){
data["BRIDGE_MODE"] = coerced58;
}
}
}
if(!((data62 === "nats-to-grpc") || (data62 === "grpc-to-nats"))){
const err165 = {instancePath:instancePath+"/BRIDGE_MODE",schemaPath:"#/properties/BRIDGE_MODE/enum",keyword:"enum",params:{allowedValues: schema11.properties.BRIDGE_MODE.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err165];
}
else {
vErrors.push(err165);
}
errors++;
}
let data63 = data.BRIDGE_LISTEN_PORT;
if(!(((typeof data63 == "number") && (!(data63 % 1) && !isNaN(data63))) && (isFinite(data63)))){
let dataType59 = typeof data63;
let coerced59 = undefined;
if(!(coerced59 !== undefined)){
if(dataType59 === "boolean" || data63 === null
              || (dataType59 === "string" && data63 && data63 == +data63 && !(data63 % 1))){
coerced59 = +data63;
}
else {
const err166 = {instancePath:instancePath+"/BRIDGE_LISTEN_PORT",schemaPath:"#/properties/BRIDGE_LISTEN_PORT/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err166];
}
else {
vErrors.push(err166);
}
errors++;
}
}
if(coerced59 !== undefined){
data63 = coerced59;
if(data !== undefined){
data["BRIDGE_LISTEN_PORT"] = coerced59;
}
}
}
if((typeof data63 == "number") && (isFinite(data63))){
if(data63 > 65535 || isNaN(data63)){
const err167 = {instancePath:instancePath+"/BRIDGE_LISTEN_PORT",schemaPath:"#/properties/BRIDGE_LISTEN_PORT/maximum",keyword:"maximum",params:{comparison: "<=", limit: 65535},message:"must be <= 65535"};
if(vErrors === null){
vErrors = [err167];
}
else {
vErrors.push(err167);
}
errors++;
}
if(data63 < 1 || isNaN(data63)){
const err168 = {instancePath:instancePath+"/BRIDGE_LISTEN_PORT",schemaPath:"#/properties/BRIDGE_LISTEN_PORT/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err168];
}
else {
vErrors.push(err168);
}
errors++;
}
}
let data64 = data.BRIDGE_DURABLE;
if(typeof data64 !== "string"){
let dataType60 = typeof data64;
let coerced60 = undefined;
if(!(coerced60 !== undefined)){
if(dataType60 == "number" || dataType60 == "boolean"){
coerced60 = "" + data64;
}
else if(data64 === null){
coerced60 = "";
}
else {
const err169 = {instancePath:instancePath+"/BRIDGE_DURABLE",schemaPath:"#/properties/BRIDGE_DURABLE/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err169];
}
else {
vErrors.push(err169);
}
errors++;
}
}
if(coerced60 !== undefined){
data64 = coerced60;
if(data !== undefined){
data["BRIDGE_DURABLE"] = coerced60;
}
}
}
if(typeof data64 === "string"){
if(!pattern5.test(data64)){
const err170 = {instancePath:instancePath+"/BRIDGE_DURABLE",schemaPath:"#/properties/BRIDGE_DURABLE/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9_-]+$"},message:"must match pattern \""+"^[A-Za-z0-9_-]+$"+"\""};
if(vErrors === null){
vErrors = [err170];
}
else {
vErrors.push(err170);
}
errors++;
}
}
let data65 = data.BRIDGE_LISTEN_ADDRESS;
if(typeof data65 !== "string"){
let dataType61 = typeof data65;
let coerced61 = undefined;
if(!(coerced61 !== undefined)){
if(dataType61 == "number" || dataType61 == "boolean"){
coerced61 = "" + data65;
}
else if(data65 === null){
coerced61 = "";
}
else {
const err171 = {instancePath:instancePath+"/BRIDGE_LISTEN_ADDRESS",schemaPath:"#/properties/BRIDGE_LISTEN_ADDRESS/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err171];
}
else {
vErrors.push(err171);
}
errors++;
}
}
if(coerced61 !== undefined){
data65 = coerced61;
if(data !== undefined){
data["BRIDGE_LISTEN_ADDRESS"] = coerced61;
}
}
}
if(typeof data65 === "string"){
if(!(formats8.validate(data65))){
const err172 = {instancePath:instancePath+"/BRIDGE_LISTEN_ADDRESS",schemaPath:"#/properties/BRIDGE_LISTEN_ADDRESS/format",keyword:"format",params:{format: "ip"},message:"must match format \""+"ip"+"\""};
if(vErrors === null){
vErrors = [err172];
}
else {
vErrors.push(err172);
}
errors++;
}
}
if(data.BRIDGE_TLS_CERT !== undefined){
let data66 = data.BRIDGE_TLS_CERT;
if(typeof data66 !== "string"){
let dataType62 = typeof data66;
let coerced62 = undefined;
if(!(coerced62 !== undefined)){
if(dataType62 == "number" || dataType62 == "boolean"){
coerced62 = "" + data66;
}
else if(data66 === null){
coerced62 = "";
}
else {
const err173 = {instancePath:instancePath+"/BRIDGE_TLS_CERT",schemaPath:"#/properties/BRIDGE_TLS_CERT/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err173];
}
else {
vErrors.push(err173);
}
errors++;
}
}
if(coerced62 !== undefined){
data66 = coerced62;
if(data !== undefined){
data["BRIDGE_TLS_CERT"] = coerced62;
}
}
}
if(typeof data66 === "string"){
if(func2(data66) < 1){
const err174 = {instancePath:instancePath+"/BRIDGE_TLS_CERT",schemaPath:"#/properties/BRIDGE_TLS_CERT/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err174];
}
else {
vErrors.push(err174);
}
errors++;
}
if(!keyword4(true, data66)){
const err175 = {instancePath:instancePath+"/BRIDGE_TLS_CERT",schemaPath:"#/properties/BRIDGE_TLS_CERT/x-file",keyword:"x-file",params:{},message:"must pass \"x-file\" keyword validation"};
if(vErrors === null){
vErrors = [err175];
}
else {
vErrors.push(err175);
}
errors++;
}
}
}
if(data.BRIDGE_TLS_KEY !== undefined){
let data67 = data.BRIDGE_TLS_KEY;
if(typeof data67 !== "string"){
let dataType63 = typeof data67;
let coerced63 = undefined;
if(!(coerced63 !== undefined)){
if(dataType63 == "number" || dataType63 == "boolean"){
coerced63 = "" + data67;
}
else if(data67 === null){
coerced63 = "";
}
else {
const err176 = {instancePath:instancePath+"/BRIDGE_TLS_KEY",schemaPath:"#/properties/BRIDGE_TLS_KEY/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err176];
}
else {
vErrors.push(err176);
}
errors++;
}
}
if(coerced63 !== undefined){
data67 = coerced63;
if(data !== undefined){
data["BRIDGE_TLS_KEY"] = coerced63;
}
}
}
if(typeof data67 === "string"){
if(func2(data67) < 1){
const err177 = {instancePath:instancePath+"/BRIDGE_TLS_KEY",schemaPath:"#/properties/BRIDGE_TLS_KEY/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err177];
}
else {
vErrors.push(err177);
}
errors++;
}
if(!keyword4(true, data67)){
const err178 = {instancePath:instancePath+"/BRIDGE_TLS_KEY",schemaPath:"#/properties/BRIDGE_TLS_KEY/x-file",keyword:"x-file",params:{},message:"must pass \"x-file\" keyword validation"};
if(vErrors === null){
vErrors = [err178];
}
else {
vErrors.push(err178);
}
errors++;
}
}
}
if(data.BRIDGE_TLS_CLIENT_CA !== undefined){
let data68 = data.BRIDGE_TLS_CLIENT_CA;
if(typeof data68 !== "string"){
let dataType64 = typeof data68;
let coerced64 = undefined;
if(!(coerced64 !== undefined)){
if(dataType64 == "number" || dataType64 == "boolean"){
coerced64 = "" + data68;
}
else if(data68 === null){
coerced64 = "";
}
else {
const err179 = {instancePath:instancePath+"/BRIDGE_TLS_CLIENT_CA",schemaPath:"#/properties/BRIDGE_TLS_CLIENT_CA/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err179];
}
else {
vErrors.push(err179);
}
errors++;
}
}
if(coerced64 !== undefined){
data68 = coerced64;
if(data !== undefined){
data["BRIDGE_TLS_CLIENT_CA"] = coerced64;
}
}
}
if(typeof data68 === "string"){
if(func2(data68) < 1){
const err180 = {instancePath:instancePath+"/BRIDGE_TLS_CLIENT_CA",schemaPath:"#/properties/BRIDGE_TLS_CLIENT_CA/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err180];
}
else {
vErrors.push(err180);
}
errors++;
}
if(!keyword4(true, data68)){
const err181 = {instancePath:instancePath+"/BRIDGE_TLS_CLIENT_CA",schemaPath:"#/properties/BRIDGE_TLS_CLIENT_CA/x-file",keyword:"x-file",params:{},message:"must pass \"x-file\" keyword validation"};
if(vErrors === null){
vErrors = [err181];
}
else {
vErrors.push(err181);
}
errors++;
}
}
}
let data69 = data.BRIDGE_MAX_MESSAGE_BYTES;
if(!(((typeof data69 == "number") && (!(data69 % 1) && !isNaN(data69))) && (isFinite(data69)))){
let dataType65 = typeof data69;
let coerced65 = undefined;
if(!(coerced65 !== undefined)){
if(dataType65 === "boolean" || data69 === null
              || (dataType65 === "string" && data69 && data69 == +data69 && !(data69 % 1))){
coerced65 = +data69;
}
else {
const err182 = {instancePath:instancePath+"/BRIDGE_MAX_MESSAGE_BYTES",schemaPath:"#/properties/BRIDGE_MAX_MESSAGE_BYTES/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err182];
}
else {
vErrors.push(err182);
}
errors++;
}
}
if(coerced65 !== undefined){
data69 = coerced65;
if(data !== undefined){
data["BRIDGE_MAX_MESSAGE_BYTES"] = coerced65;
}
}
}
if((typeof data69 == "number") && (isFinite(data69))){
if(data69 > 67108864 || isNaN(data69)){
const err183 = {instancePath:instancePath+"/BRIDGE_MAX_MESSAGE_BYTES",schemaPath:"#/properties/BRIDGE_MAX_MESSAGE_BYTES/maximum",keyword:"maximum",params:{comparison: "<=", limit: 67108864},message:"must be <= 67108864"};
if(vErrors === null){
vErrors = [err183];
}
else {
vErrors.push(err183);
}
errors++;
}
if(data69 < 1024 || isNaN(data69)){
const err184 = {instancePath:instancePath+"/BRIDGE_MAX_MESSAGE_BYTES",schemaPath:"#/properties/BRIDGE_MAX_MESSAGE_BYTES/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1024},message:"must be >= 1024"};
if(vErrors === null){
vErrors = [err184];
}
else {
vErrors.push(err184);
}
errors++;
}
}
let data70 = data.BRIDGE_MAX_RECORDS;
if(!(((typeof data70 == "number") && (!(data70 % 1) && !isNaN(data70))) && (isFinite(data70)))){
let dataType66 = typeof data70;
let coerced66 = undefined;
if(!(coerced66 !== undefined)){
if(dataType66 === "boolean" || data70 === null
              || (dataType66 === "string" && data70 && data70 == +data70 && !(data70 % 1))){
coerced66 = +data70;
}
else {
const err185 = {instancePath:instancePath+"/BRIDGE_MAX_RECORDS",schemaPath:"#/properties/BRIDGE_MAX_RECORDS/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err185];
}
else {
vErrors.push(err185);
}
errors++;
}
}
if(coerced66 !== undefined){
data70 = coerced66;
if(data !== undefined){
data["BRIDGE_MAX_RECORDS"] = coerced66;
}
}
}
if((typeof data70 == "number") && (isFinite(data70))){
if(data70 > 1000000 || isNaN(data70)){
const err186 = {instancePath:instancePath+"/BRIDGE_MAX_RECORDS",schemaPath:"#/properties/BRIDGE_MAX_RECORDS/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err186];
}
else {
vErrors.push(err186);
}
errors++;
}
if(data70 < 1 || isNaN(data70)){
const err187 = {instancePath:instancePath+"/BRIDGE_MAX_RECORDS",schemaPath:"#/properties/BRIDGE_MAX_RECORDS/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err187];
}
else {
vErrors.push(err187);
}
errors++;
}
}
let data71 = data.BRIDGE_BUFFER_BYTES;
if(!(((typeof data71 == "number") && (!(data71 % 1) && !isNaN(data71))) && (isFinite(data71)))){
let dataType67 = typeof data71;
let coerced67 = undefined;
if(!(coerced67 !== undefined)){
if(dataType67 === "boolean" || data71 === null
              || (dataType67 === "string" && data71 && data71 == +data71 && !(data71 % 1))){
coerced67 = +data71;
}
else {
const err188 = {instancePath:instancePath+"/BRIDGE_BUFFER_BYTES",schemaPath:"#/properties/BRIDGE_BUFFER_BYTES/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err188];
}
else {
vErrors.push(err188);
}
errors++;
}
}
if(coerced67 !== undefined){
data71 = coerced67;
if(data !== undefined){
data["BRIDGE_BUFFER_BYTES"] = coerced67;
}
}
}
if((typeof data71 == "number") && (isFinite(data71))){
if(data71 > 17179869184 || isNaN(data71)){
const err189 = {instancePath:instancePath+"/BRIDGE_BUFFER_BYTES",schemaPath:"#/properties/BRIDGE_BUFFER_BYTES/maximum",keyword:"maximum",params:{comparison: "<=", limit: 17179869184},message:"must be <= 17179869184"};
if(vErrors === null){
vErrors = [err189];
}
else {
vErrors.push(err189);
}
errors++;
}
if(data71 < 65536 || isNaN(data71)){
const err190 = {instancePath:instancePath+"/BRIDGE_BUFFER_BYTES",schemaPath:"#/properties/BRIDGE_BUFFER_BYTES/minimum",keyword:"minimum",params:{comparison: ">=", limit: 65536},message:"must be >= 65536"};
if(vErrors === null){
vErrors = [err190];
}
else {
vErrors.push(err190);
}
errors++;
}
}
if(data.BRIDGE_SPOOL_DIR !== undefined){
let data72 = data.BRIDGE_SPOOL_DIR;
if(typeof data72 !== "string"){
let dataType68 = typeof data72;
let coerced68 = undefined;
if(!(coerced68 !== undefined)){
if(dataType68 == "number" || dataType68 == "boolean"){
coerced68 = "" + data72;
}
else if(data72 === null){
coerced68 = "";
}
else {
const err191 = {instancePath:instancePath+"/BRIDGE_SPOOL_DIR",schemaPath:"#/properties/BRIDGE_SPOOL_DIR/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err191];
}
else {
vErrors.push(err191);
}
errors++;
}
}
if(coerced68 !== undefined){
data72 = coerced68;
if(data !== undefined){
data["BRIDGE_SPOOL_DIR"] = coerced68;
}
}
}
if(typeof data72 === "string"){
if(func2(data72) < 1){
const err192 = {instancePath:instancePath+"/BRIDGE_SPOOL_DIR",schemaPath:"#/properties/BRIDGE_SPOOL_DIR/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err192];
}
else {
vErrors.push(err192);
}
errors++;
}
}
}
let data73 = data.BRIDGE_SPOOL_MAX_BYTES;
if(!(((typeof data73 == "number") && (!(data73 % 1) && !isNaN(data73))) && (isFinite(data73)))){
let dataType69 = typeof data73;
let coerced69 = undefined;
if(!(coerced69 !== undefined)){
if(dataType69 === "boolean" || data73 === null
              || (dataType69 === "string" && data73 && data73 == +data73 && !(data73 % 1))){
coerced69 = +data73;
}
else {
const err193 = {instancePath:instancePath+"/BRIDGE_SPOOL_MAX_BYTES",schemaPath:"#/properties/BRIDGE_SPOOL_MAX_BYTES/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err193];
}
else {
vErrors.push(err193);
}
errors++;
}
}
if(coerced69 !== undefined){
data73 = coerced69;
if(data !== undefined){
data["BRIDGE_SPOOL_MAX_BYTES"] = coerced69;
}
}
}
if((typeof data73 == "number") && (isFinite(data73))){
if(data73 > 1099511627776 || isNaN(data73)){
const err194 = {instancePath:instancePath+"/BRIDGE_SPOOL_MAX_BYTES",schemaPath:"#/properties/BRIDGE_SPOOL_MAX_BYTES/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1099511627776},message:"must be <= 1099511627776"};
if(vErrors === null){
vErrors = [err194];
}
else {
vErrors.push(err194);
}
errors++;
}
if(data73 < 65536 || isNaN(data73)){
const err195 = {instancePath:instancePath+"/BRIDGE_SPOOL_MAX_BYTES",schemaPath:"#/properties/BRIDGE_SPOOL_MAX_BYTES/minimum",keyword:"minimum",params:{comparison: ">=", limit: 65536},message:"must be >= 65536"};
if(vErrors === null){
vErrors = [err195];
}
else {
vErrors.push(err195);
}
errors++;
}
}
if(data.NATS_CREDS !== undefined){
let data74 = data.NATS_CREDS;
if(typeof data74 !== "string"){
let dataType70 = typeof data74;
let coerced70 = undefined;
if(!(coerced70 !== undefined)){
if(dataType70 == "number" || dataType70 == "boolean"){
coerced70 = "" + data74;
}
else if(data74 === null){
coerced70 = "";
}
else {
const err196 = {instancePath:instancePath+"/NATS_CREDS",schemaPath:"#/properties/NATS_CREDS/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err196];
}
else {
vErrors.push(err196);
}
errors++;
}
}
if(coerced70 !== undefined){
data74 = coerced70;
if(data !== undefined){
data["NATS_CREDS"] = coerced70;
}
}
}
if(typeof data74 === "string"){
if(func2(data74) < 1){
const err197 = {instancePath:instancePath+"/NATS_CREDS",schemaPath:"#/properties/NATS_CREDS/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err197];
}
else {
vErrors.push(err197);
}
errors++;
}
if(!keyword4(true, data74)){
const err198 = {instancePath:instancePath+"/NATS_CREDS",schemaPath:"#/properties/NATS_CREDS/x-file",keyword:"x-file",params:{},message:"must pass \"x-file\" keyword validation"};
if(vErrors === null){
vErrors = [err198];
}
else {
vErrors.push(err198);
}
errors++;
}
}
}
if(data.NATS_USER !== undefined){
let data75 = data.NATS_USER;
if(typeof data75 !== "string"){
let dataType71 = typeof data75;
let coerced71 = undefined;
if(!(coerced71 !== undefined)){
if(dataType71 == "number" || dataType71 == "boolean"){
coerced71 = "" + data75;
}
else if(data75 === null){
coerced71 = "";
}
else {
const err199 = {instancePath:instancePath+"/NATS_USER",schemaPath:"#/properties/NATS_USER/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err199];
}
else {
vErrors.push(err199);
}
errors++;
}
}
if(coerced71 !== undefined){
data75 = coerced71;
if(data !== undefined){
data["NATS_USER"] = coerced71;
}
}
}
if(typeof data75 === "string"){
if(func2(data75) < 1){
const err200 = {instancePath:instancePath+"/NATS_USER",schemaPath:"#/properties/NATS_USER/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err200];
}
else {
vErrors.push(err200);
}
errors++;
}
}
}
if(data.NATS_PASSWORD !== undefined){
let data76 = data.NATS_PASSWORD;
if(typeof data76 !== "string"){
let dataType72 = typeof data76;
let coerced72 = undefined;
if(!(coerced72 !== undefined)){
if(dataType72 == "number" || dataType72 == "boolean"){
coerced72 = "" + data76;
}
else if(data76 === null){
coerced72 = "";
}
else {
const err201 = {instancePath:instancePath+"/NATS_PASSWORD",schemaPath:"#/properties/NATS_PASSWORD/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err201];
}
else {
vErrors.push(err201);
}
errors++;
}
}
if(coerced72 !== undefined){
data76 = coerced72;
if(data !== undefined){
data["NATS_PASSWORD"] = coerced72;
}
}
}
if(typeof data76 === "string"){
if(func2(data76) < 1){
const err202 = {instancePath:instancePath+"/NATS_PASSWORD",schemaPath:"#/properties/NATS_PASSWORD/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err202];
}
else {
vErrors.push(err202);
}
errors++;
}
}
}
if(data.NATS_TOKEN !== undefined){
let data77 = data.NATS_TOKEN;
if(typeof data77 !== "string"){
let dataType73 = typeof data77;
let coerced73 = undefined;
if(!(coerced73 !== undefined)){
if(dataType73 == "number" || dataType73 == "boolean"){
coerced73 = "" + data77;
}
else if(data77 === null){
coerced73 = "";
}
else {
const err203 = {instancePath:instancePath+"/NATS_TOKEN",schemaPath:"#/properties/NATS_TOKEN/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err203];
}
else {
vErrors.push(err203);
}
errors++;
}
}
if(coerced73 !== undefined){
data77 = coerced73;
if(data !== undefined){
data["NATS_TOKEN"] = coerced73;
}
}
}
if(typeof data77 === "string"){
if(func2(data77) < 1){
const err204 = {instancePath:instancePath+"/NATS_TOKEN",schemaPath:"#/properties/NATS_TOKEN/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err204];
}
else {
vErrors.push(err204);
}
errors++;
}
}
}
if(data.NATS_TLS_CA !== undefined){
let data78 = data.NATS_TLS_CA;
if(typeof data78 !== "string"){
let dataType74 = typeof data78;
let coerced74 = undefined;
if(!(coerced74 !== undefined)){
if(dataType74 == "number" || dataType74 == "boolean"){
coerced74 = "" + data78;
}
else if(data78 === null){
coerced74 = "";
}
else {
const err205 = {instancePath:instancePath+"/NATS_TLS_CA",schemaPath:"#/properties/NATS_TLS_CA/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err205];
}
else {
vErrors.push(err205);
}
errors++;
}
}
if(coerced74 !== undefined){
data78 = coerced74;
if(data !== undefined){
data["NATS_TLS_CA"] = coerced74;
}
}
}
if(typeof data78 === "string"){
if(func2(data78) < 1){
const err206 = {instancePath:instancePath+"/NATS_TLS_CA",schemaPath:"#/properties/NATS_TLS_CA/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err206];
}
else {
vErrors.push(err206);
}
errors++;
}
if(!keyword4(true, data78)){
const err207 = {instancePath:instancePath+"/NATS_TLS_CA",schemaPath:"#/properties/NATS_TLS_CA/x-file",keyword:"x-file",params:{},message:"must pass \"x-file\" keyword validation"};
if(vErrors === null){
vErrors = [err207];
}
else {
vErrors.push(err207);
}
errors++;
}
}
}
if(data.NATS_TLS_CERT !== undefined){
let data79 = data.NATS_TLS_CERT;
if(typeof data79 !== "string"){
let dataType75 = typeof data79;
let coerced75 = undefined;
if(!(coerced75 !== undefined)){
if(dataType75 == "number" || dataType75 == "boolean"){
coerced75 = "" + data79;
}
else if(data79 === null){
coerced75 = "";
}
else {
const err208 = {instancePath:instancePath+"/NATS_TLS_CERT",schemaPath:"#/properties/NATS_TLS_CERT/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err208];
}
else {
vErrors.push(err208);
}
errors++;
}
}
if(coerced75 !== undefined){
data79 = coerced75;
if(data !== undefined){
data["NATS_TLS_CERT"] = coerced75;
}
}
}
if(typeof data79 === "string"){
if(func2(data79) < 1){
const err209 = {instancePath:instancePath+"/NATS_TLS_CERT",schemaPath:"#/properties/NATS_TLS_CERT/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err209];
}
else {
vErrors.push(err209);
}
errors++;
}
if(!keyword4(true, data79)){
const err210 = {instancePath:instancePath+"/NATS_TLS_CERT",schemaPath:"#/properties/NATS_TLS_CERT/x-file",keyword:"x-file",params:{},message:"must pass \"x-file\" keyword validation"};
if(vErrors === null){
vErrors = [err210];
}
else {
vErrors.push(err210);
}
errors++;
}
}
}
if(data.NATS_TLS_KEY !== undefined){
let data80 = data.NATS_TLS_KEY;
if(typeof data80 !== "string"){
let dataType76 = typeof data80;
let coerced76 = undefined;
if(!(coerced76 !== undefined)){
if(dataType76 == "number" || dataType76 == "boolean"){
coerced76 = "" + data80;
}
else if(data80 === null){
coerced76 = "";
}
else {
const err211 = {instancePath:instancePath+"/NATS_TLS_KEY",schemaPath:"#/properties/NATS_TLS_KEY/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err211];
}
else {
vErrors.push(err211);
}
errors++;
}
}
if(coerced76 !== undefined){
data80 = coerced76;
if(data !== undefined){
data["NATS_TLS_KEY"] = coerced76;
}
}
}
if(typeof data80 === "string"){
if(func2(data80) < 1){
const err212 = {instancePath:instancePath+"/NATS_TLS_KEY",schemaPath:"#/properties/NATS_TLS_KEY/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err212];
}
else {
vErrors.push(err212);
}
errors++;
}
if(!keyword4(true, data80)){
const err213 = {instancePath:instancePath+"/NATS_TLS_KEY",schemaPath:"#/properties/NATS_TLS_KEY/x-file",keyword:"x-file",params:{},message:"must pass \"x-file\" keyword validation"};
if(vErrors === null){
vErrors = [err213];
}
else {
vErrors.push(err213);
}
errors++;
}
}
}
}
else {
const err214 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err214];
}
else {
vErrors.push(err214);
}
errors++;
}
validate10.errors = vErrors;
return errors === 0;
}
