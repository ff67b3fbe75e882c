/* ENABLE_DNS_TRACKING: DNS queries and responses seen by the TC programs, as NetObserv's
 * bpf/dns_tracker.h. Included by flowcast.bpf.c only; track_dns runs only when
 * flowcast_config.dns_port is set (a .rodata constant: with tracking off the verifier removes the
 * call, and the maps below stay at one entry).
 *
 * A query (QR 0) records its time under (addresses, ports, protocol, id) in dns_queries; its
 * response (QR 1) looks that up reversed, and stores id, flags, latency and the first 31 bytes of
 * the queried name (label format, made dotted in userspace) under the response's 5-tuple in the
 * active dns_results hash, double-buffered as the flow maps so that a drain loses nothing.
 *
 * Pending queries: NetObserv walks its whole query hash from userspace at every eviction and
 * deletes entries older than 5 s. Here the hash is an LRU one (bounded: when full, the least
 * recently used query makes room) and a response to a query older than 5 s counts as unmatched:
 * the same answers with no userspace walk, whose cost would grow with the pending queries. */
#ifndef FLOWCAST_DNS_H
#define FLOWCAST_DNS_H

#define DNS_PORT 53
#define DNS_HEADER_LEN 12
#define DNS_QR 0x8000
#define DNS_UDP_MAX_PAYLOAD 512 /* as NetObserv: larger UDP payloads are not parsed */
#define DNS_STALE_NS (5ULL * 1000000000ULL)
#define DNS_ENOENT 2
#define DNS_EINVAL 22

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1); /* CACHE_MAX_FLOWS when tracking, set by userspace before load */
	__type(key, struct dns_query_key);
	__type(value, __u64); /* bpf_ktime_get_ns of the query */
} dns_queries SEC(".maps");

struct dns_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* CACHE_MAX_FLOWS when tracking, set by userspace before load */
	__type(key, struct flow_tuple);
	__type(value, struct dns_metrics);
} dns_a SEC(".maps"), dns_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct dns_map);
} active_dns SEC(".maps") = { .values = { &dns_a } };

static __always_inline void dns_store(const struct flow_key *key, const struct dns_metrics *dns)
{
	struct flow_tuple tuple;
	__u32 zero = 0;
	void *results = bpf_map_lookup_elem(&active_dns, &zero);

	if (!results)
		return;
	__builtin_memset(&tuple, 0, sizeof(tuple));
	__builtin_memcpy(tuple.src_ip, key->src_ip, 16);
	__builtin_memcpy(tuple.dst_ip, key->dst_ip, 16);
	tuple.src_port = key->src_port;
	tuple.dst_port = key->dst_port;
	tuple.protocol = key->protocol;
	/* The last message of the tuple wins, as on one CPU in NetObserv; a full hash keeps the
	 * tuples it has. DNS messages are few: flagged on every store, new tuple or not. */
	mark_written(&dns_written);
	bpf_map_update_elem(results, &tuple, dns, BPF_ANY);
}

/* `payload`: offset of the L4 payload in the packet (0 when the headers could not be read). */
static __always_inline void track_dns(struct __sk_buff *skb, const struct flow_key *key,
				      __u32 payload)
{
	__u16 port = flowcast_config.dns_port;
	struct dns_query_key query;
	struct dns_metrics dns;
	__u8 header[DNS_HEADER_LEN];
	__u64 now, *sent;
	__u32 name_len;
	long err;

	if (key->protocol != IPPROTO_UDP && key->protocol != IPPROTO_TCP)
		return;
	if (key->src_port != port && key->dst_port != port && key->src_port != DNS_PORT &&
	    key->dst_port != DNS_PORT)
		return;
	__builtin_memset(&dns, 0, sizeof(dns));
	if (!payload) {
		dns.error = DNS_EINVAL;
		dns_store(key, &dns);
		return;
	}
	if (key->protocol == IPPROTO_TCP)
		payload += 2; /* DNS over TCP: a 2-byte length, then the message */
	else if (skb->len - payload > DNS_UDP_MAX_PAYLOAD)
		return;
	/* Too short for a DNS header (TCP handshake and ACKs): nothing to track. NetObserv records
	 * the failed read as the flow's dns_errno instead, on every such segment. */
	if (skb->len < payload + DNS_HEADER_LEN ||
	    bpf_skb_load_bytes(skb, payload, header, DNS_HEADER_LEN))
		return;

	__builtin_memset(&query, 0, sizeof(query));
	query.id = (header[0] << 8) | header[1];
	query.protocol = key->protocol;
	now = bpf_ktime_get_ns();
	if (!(header[2] & (DNS_QR >> 8))) {
		__builtin_memcpy(query.src_ip, key->src_ip, 16);
		__builtin_memcpy(query.dst_ip, key->dst_ip, 16);
		query.src_port = key->src_port;
		query.dst_port = key->dst_port;
		err = bpf_map_update_elem(&dns_queries, &query, &now, BPF_NOEXIST);
		if (err) { /* a retransmitted query (EEXIST): the first one's time stands */
			dns.error = -err;
			dns_store(key, &dns);
		}
		return;
	}

	__builtin_memcpy(query.src_ip, key->dst_ip, 16);
	__builtin_memcpy(query.dst_ip, key->src_ip, 16);
	query.src_port = key->dst_port;
	query.dst_port = key->src_port;
	sent = bpf_map_lookup_elem(&dns_queries, &query);
	if (sent && now - *sent <= DNS_STALE_NS)
		dns.latency_ns = now - *sent;
	else
		dns.error = DNS_ENOENT;
	if (sent)
		bpf_map_delete_elem(&dns_queries, &query);
	dns.id = query.id;
	dns.flags = (header[2] << 8) | header[3];
	/* Up to 31 bytes of the name; the last byte of the buffer stays NUL. */
	name_len = skb->len - payload - DNS_HEADER_LEN;
	if (name_len > FLOWCAST_DNS_NAME_RAW - 1)
		name_len = FLOWCAST_DNS_NAME_RAW - 1;
	if (name_len > 0)
		bpf_skb_load_bytes(skb, payload + DNS_HEADER_LEN, dns.name, name_len);
	dns_store(key, &dns);
}

#endif
