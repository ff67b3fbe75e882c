/* FLOW_FILTER_RULES: NetObserv's flow filters, evaluated in the kernel before a packet is counted.
 * Included by the TC programs (flowcast.bpf.c) and the drop/RTT programs (extras.bpf.c); userspace
 * fills the maps of the first object and hands the same maps to the second (bpf_map__reuse_fd),
 * and writes the rules in from src/config/filter-rules.ts (parsed and checked there).
 *
 * Matching, as NetObserv (bpf/flows_filter.h): the rule of the longest ip_cidr containing the
 * source address is tried first; if it does not match fully, the rule of the longest ip_cidr
 * containing the destination address. Differences, on purpose (docs/architecture.md):
 * - IPv4 is stored IPv4-mapped (::ffff:a.b.c.d/96+n), so an IPv6 rule never matches an IPv4
 *   packet by its first bytes; 0.0.0.0/0 and an empty ip_cidr are ::/0 and match both families,
 *   as NetObserv's prefix-0 key does;
 * - a rule's peer is its own (one bit per rule in the peer trie), not any rule's peer;
 * - icmp_type 0 (echo reply) can be filtered, and icmp_type/icmp_code are applied at all
 *   (NetObserv's parser does not copy them into the kernel rule). */
#ifndef FLOWCAST_FILTER_H
#define FLOWCAST_FILTER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define FLOWCAST_MAX_FILTER_RULES 16 /* NetObserv's MAX_FILTER_ENTRIES */
/* Per-CPU packet counters: rule * 3 + outcome; the "rule" FLOWCAST_MAX_FILTER_RULES is no rule
 * at all (no ip_cidr contains either address). */
#define FLOWCAST_FILTER_ACCEPTED 0
#define FLOWCAST_FILTER_REJECTED 1
#define FLOWCAST_FILTER_NO_MATCH 2
#define FLOWCAST_FILTER_COUNTERS ((FLOWCAST_MAX_FILTER_RULES + 1) * 3)

#define FLOWCAST_FILTER_ACTION_ACCEPT 0
#define FLOWCAST_FILTER_ACTION_REJECT 1
#define FLOWCAST_FILTER_ANY_DIRECTION \
	2 /* a rule's direction: both; a hook's: unknown (drops, RTT) */

/* Key of both tries: an address as the flows store it (IPv4-mapped) and a prefix length. */
struct filter_key {
	__u32 prefix_len;
	__u8 ip[16];
};

/* One rule; a port range or pair with 0 as its first value is unset. */
struct filter_rule {
	__u32 index;  /* in FLOW_FILTER_RULES, for its counters and its peer bit */
	__u32 sample; /* 0: the global SAMPLING */
	__u16 src_port_start, src_port_end, src_port1, src_port2;
	__u16 dst_port_start, dst_port_end, dst_port1, dst_port2;
	__u16 port_start, port_end, port1, port2;
	__u16 tcp_flags; /* NetObserv's per-packet value (bpf/flow.h); 0: any */
	__u8 protocol;   /* 0: any */
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 has_icmp_type;
	__u8 has_icmp_code;
	__u8 direction; /* FLOWCAST_DIRECTION_*, or FLOWCAST_FILTER_ANY_DIRECTION */
	__u8 action;    /* FLOWCAST_FILTER_ACTION_* */
	__u8 drops;     /* match only in the packet-drop hook */
	__u8 has_peer;  /* the other address must be in this rule's peer_ip/peer_cidr */
	__u8 pad;
};

#ifdef __bpf__ /* the addon (native/src) includes the structs above only */

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FLOWCAST_MAX_FILTER_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct filter_key);
	__type(value, struct filter_rule);
} filter_rules SEC(".maps");

/* Peer ranges; the value has the bit of every rule whose peer range contains the key's (userspace
 * computes it), so the longest match answers for every rule at once. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FLOWCAST_MAX_FILTER_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct filter_key);
	__type(value, __u32);
} filter_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLOWCAST_FILTER_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} filter_counters SEC(".maps");

/* What a rule is checked against: one packet's fields. */
struct filter_packet {
	const __u8 *src_ip; /* 16 bytes, IPv4-mapped */
	const __u8 *dst_ip;
	__u16 src_port;
	__u16 dst_port;
	__u16 tcp_flags; /* NetObserv's per-packet value */
	__u8 protocol;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 direction; /* FLOWCAST_DIRECTION_*, or FLOWCAST_FILTER_ANY_DIRECTION where unknown */
	__u8 dropped;   /* seen in the packet-drop hook */
};

static __always_inline int filter_port_in(__u16 port, __u16 start, __u16 end, __u16 one, __u16 two)
{
	if (start)
		return port >= start && port <= end;
	if (one)
		return port == one || port == two;
	return -1; /* unset */
}

/* Whether every criterion of the rule holds (the CIDR matched already). */
static __always_inline int filter_rule_matches(const struct filter_rule *rule,
					       const struct filter_packet *p, const __u8 *other_ip)
{
	int in;

	if (rule->protocol && rule->protocol != p->protocol)
		return 0;
	if (p->protocol == 6 || p->protocol == 17 || p->protocol == 132) {
		in = filter_port_in(p->src_port, rule->src_port_start, rule->src_port_end,
				    rule->src_port1, rule->src_port2);
		if (in == 0)
			return 0;
		in = filter_port_in(p->dst_port, rule->dst_port_start, rule->dst_port_end,
				    rule->dst_port1, rule->dst_port2);
		if (in == 0)
			return 0;
		in = filter_port_in(p->src_port, rule->port_start, rule->port_end, rule->port1,
				    rule->port2);
		if (in == 0 && !filter_port_in(p->dst_port, rule->port_start, rule->port_end,
					       rule->port1, rule->port2))
			return 0;
	} else if (rule->src_port_start || rule->src_port1 || rule->dst_port_start ||
		   rule->dst_port1 || rule->port_start || rule->port1) {
		return 0; /* a port criterion: only protocols with ports match */
	}
	if (rule->tcp_flags && (p->protocol != 6 || rule->tcp_flags != p->tcp_flags))
		return 0;
	if (rule->has_icmp_type && (rule->icmp_type != p->icmp_type ||
				    (rule->has_icmp_code && rule->icmp_code != p->icmp_code)))
		return 0;
	if (rule->direction != FLOWCAST_FILTER_ANY_DIRECTION &&
	    p->direction != FLOWCAST_FILTER_ANY_DIRECTION && rule->direction != p->direction)
		return 0;
	if (rule->drops && !p->dropped)
		return 0;
	if (rule->has_peer) {
		struct filter_key peer = { .prefix_len = 128 };
		__u32 *rules;

		__builtin_memcpy(peer.ip, other_ip, 16);
		rules = bpf_map_lookup_elem(&filter_peers, &peer);
		if (!rules || !(*rules & (1u << (rule->index & 31))))
			return 0;
	}
	return 1;
}

static __always_inline void filter_count(__u32 rule, __u32 outcome, __u64 packets)
{
	__u32 index = rule * 3 + outcome;
	__u64 *value;

	if (packets == 0 || index >= FLOWCAST_FILTER_COUNTERS)
		return; /* the RTT hook filters segments it does not count */
	value = bpf_map_lookup_elem(&filter_counters, &index);
	if (value)
		*value += packets;
}

/* The rule of the longest range holding `ip` when all its criteria hold (its peer is `other`), or
 * 0; *last is the rule found, whether it matched or not. */
static __always_inline const struct filter_rule *filter_match(const __u8 *ip, const __u8 *other,
							      const struct filter_packet *p,
							      const struct filter_rule **last)
{
	struct filter_key key = { .prefix_len = 128 };
	const struct filter_rule *rule;

	__builtin_memcpy(key.ip, ip, 16);
	rule = bpf_map_lookup_elem(&filter_rules, &key);
	if (!rule)
		return 0;
	*last = rule;
	return filter_rule_matches(rule, p, other) ? rule : 0;
}

/* NetObserv's decision (check_and_do_flow_filtering): a full match keeps the packet when its rule
 * accepts and skips it when it rejects; otherwise the packet is skipped unless the last rule whose
 * CIDR matched was a Reject rule (so Accept rules make an allow-list). Returns 1 to keep the
 * packet, with *sample set to the matched rule's sampling (0: the global one). */
static __always_inline int filter_keep(const struct filter_packet *p, __u64 packets, __u32 *sample)
{
	const struct filter_rule *rule, *last = 0;

	rule = filter_match(p->src_ip, p->dst_ip, p, &last);
	if (!rule)
		rule = filter_match(p->dst_ip, p->src_ip, p, &last);
	if (rule) {
		if (rule->action == FLOWCAST_FILTER_ACTION_REJECT) {
			filter_count(rule->index, FLOWCAST_FILTER_REJECTED, packets);
			return 0;
		}
		filter_count(rule->index, FLOWCAST_FILTER_ACCEPTED, packets);
		*sample = rule->sample;
		return 1;
	}
	if (!last) {
		filter_count(FLOWCAST_MAX_FILTER_RULES, FLOWCAST_FILTER_NO_MATCH, packets);
		return 0;
	}
	filter_count(last->index, FLOWCAST_FILTER_NO_MATCH, packets);
	return last->action == FLOWCAST_FILTER_ACTION_REJECT;
}

#endif /* __bpf__ */
#endif
