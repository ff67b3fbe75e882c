// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* NetObserv's optional per-flow measurements, in an object of their own so that the TC object
 * (flowcast.bpf.c) is the same whether they are on or off, and is loaded only when one is on:
 * - ENABLE_PKT_DROPS: tracepoint skb:kfree_skb (its reason argument: Linux 5.17+);
 * - ENABLE_RTT: fentry on tcp_rcv_established (BTF and BPF trampolines: Linux 5.5+), or the
 *   tcp_probe tracepoint that function fires where fentry is refused.
 * Programs of disabled features are not loaded (bpf_program__set_autoload).
 *
 * They read kernel structs, so they are built with CO-RE against build/vmlinux.h (generated from
 * the build machine's BTF); libbpf relocates the field offsets to the running kernel.
 *
 * Exactness: as for the flow maps, each program writes to the hash the single slot of its
 * active_* array-of-maps points at; userspace points the slot at the other hash before draining
 * one, and the kernel returns from that update only once no program can still hold the old hash
 * (synchronize_rcu), so nothing is written to a hash while it is read and deleted. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "flow.h"
#include "filter.h"
#include "tcp_flags.h"
#include "written.h"

#define ETH_P_IP_ 0x0800
#define ETH_P_IPV6_ 0x86DD
#define IPPROTO_ICMPV6_ 58
#define HEADER_UNSET 0xffff /* skb->*_header when not set */

/* An entry was created in the active drops or RTT hash since userspace last cleared the flag
 * (bpf/written.h): an idle drain switches and reads neither. */
__u32 drops_written = 0;
__u32 rtt_written = 0;

/* FLOW_FILTER_RULES: how many (0: off, and the verifier drops the filter's code); the maps of
 * bpf/filter.h are the TC object's (reused by userspace before load). */
const volatile __u32 filter_rule_count = 0;

/* The filter of bpf/filter.h for a packet these hooks see: its direction is unknown here, so a
 * rule's direction is not checked (NetObserv takes these packets as ingress, so that its Egress
 * rules never match a drop). Sampling is not applied in these hooks. */
static __always_inline int filter_keeps_tuple(const struct flow_tuple *t, __u8 tcp_flags,
					      __u8 dropped)
{
	struct filter_packet packet = {
		.src_ip = t->src_ip,
		.dst_ip = t->dst_ip,
		.src_port = t->src_port,
		.dst_port = t->dst_port,
		.tcp_flags = netobserv_tcp_flags(tcp_flags),
		.protocol = t->protocol,
		.icmp_type = t->icmp_type,
		.icmp_code = t->icmp_code,
		.direction = FLOWCAST_FILTER_ANY_DIRECTION,
		.dropped = dropped,
	};
	__u32 sample = 0;

	/* RTT samples are not packets: the rule's counters are left alone (0). */
	return filter_keep(&packet, dropped, &sample);
}

struct drop_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* CACHE_MAX_FLOWS when enabled, set by userspace before load */
	__type(key, struct flow_tuple);
	__type(value, struct drop_metrics);
} drops_a SEC(".maps"), drops_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct drop_map);
} active_drops SEC(".maps") = { .values = { &drops_a } };

struct rtt_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct flow_tuple);
	__type(value, __u64); /* smoothed RTT in ns, the max seen */
} rtt_a SEC(".maps"), rtt_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct rtt_map);
} active_rtt SEC(".maps") = { .values = { &rtt_a } };

static __always_inline void ipv4_mapped(__u8 *dst, __be32 addr)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &addr, 4);
}

/* The 5-tuple of the packet from its headers (skb->head + the header offsets the stack set).
 * Returns 0 when it is not TCP, UDP, SCTP, ICMP or ICMPv6 over IP (not recorded, as NetObserv). */
static __always_inline int read_tuple(struct sk_buff *skb, struct flow_tuple *t,
				      __u16 *eth_protocol, __u8 *tcp_flags)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 network = BPF_CORE_READ(skb, network_header);
	__u16 transport = BPF_CORE_READ(skb, transport_header);
	__u16 protocol = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	__u8 *l4;

	if (network == HEADER_UNSET)
		return 0;
	if (protocol == ETH_P_IP_) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + network))
			return 0;
		ipv4_mapped(t->src_ip, ip.saddr);
		ipv4_mapped(t->dst_ip, ip.daddr);
		t->protocol = ip.protocol;
		l4 = head + network + ip.ihl * 4;
	} else if (protocol == ETH_P_IPV6_) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + network))
			return 0;
		__builtin_memcpy(t->src_ip, &ip6.saddr, 16);
		__builtin_memcpy(t->dst_ip, &ip6.daddr, 16);
		t->protocol = ip6.nexthdr;
		l4 = head + network + sizeof(ip6);
	} else {
		return 0;
	}
	/* The stack sets the transport header past any IPv6 extension headers. */
	if (transport != HEADER_UNSET && transport > network)
		l4 = head + transport;
	*eth_protocol = protocol;

	__u8 bytes[14];

	switch (t->protocol) {
	case IPPROTO_TCP:
		if (bpf_probe_read_kernel(bytes, 14, l4))
			return 0;
		*tcp_flags = bytes[13];
		break;
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		if (bpf_probe_read_kernel(bytes, 4, l4))
			return 0;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6_:
		if (bpf_probe_read_kernel(bytes, 2, l4))
			return 0;
		t->icmp_type = bytes[0];
		t->icmp_code = bytes[1];
		return 1;
	default:
		return 0;
	}
	t->src_port = (bytes[0] << 8) | bytes[1];
	t->dst_port = (bytes[2] << 8) | bytes[3];
	return 1;
}

/* Packets on loopback (skb_iif 1) or not received at all (0) are skipped, as NetObserv does. */
static __always_inline int received_off_loopback(struct sk_buff *skb)
{
	return BPF_CORE_READ(skb, skb_iif) > 1;
}

/* The skb:kfree_skb tracepoint as a BTF raw tracepoint: its arguments as the kernel passes them
 * (skb, location, reason; reason since 5.17), attached without tracefs (often not mounted where
 * the agent runs) and without the perf-event layer of a classic tracepoint. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(flowcast_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	struct flow_tuple t;
	struct drop_metrics *cur, m;
	__u16 eth_protocol = 0, mac;
	__u8 flags = 0;
	__u32 zero = 0;
	void *drops;

	/* 0 NOT_DROPPED_YET, 1 CONSUMED (freed after use), 2 NOT_SPECIFIED: no reason given. */
	if (reason <= SKB_DROP_REASON_NOT_SPECIFIED || !received_off_loopback(skb))
		return 0;
	__builtin_memset(&t, 0, sizeof(t));
	if (!read_tuple(skb, &t, &eth_protocol, &flags))
		return 0;
	if (filter_rule_count && !filter_keeps_tuple(&t, flags, 1))
		return 0;

	__builtin_memset(&m, 0, sizeof(m));
	m.packets = 1;
	/* Frame bytes as the flows count them: from the MAC header, wherever skb->data is now. */
	m.bytes = BPF_CORE_READ(skb, len);
	mac = BPF_CORE_READ(skb, mac_header);
	if (mac != HEADER_UNSET) {
		unsigned char *head = BPF_CORE_READ(skb, head);
		unsigned char *data = BPF_CORE_READ(skb, data);

		if (data > head + mac)
			m.bytes += data - (head + mac);
	}
	m.first_seen = m.last_seen = bpf_ktime_get_boot_ns();
	m.latest_cause = reason;
	m.latest_flags = netobserv_tcp_flags(flags);
	m.eth_protocol = eth_protocol;
	struct sock *sk = BPF_CORE_READ(skb, sk);
	if (sk)
		m.latest_state = BPF_CORE_READ(sk, __sk_common.skc_state);

	drops = bpf_map_lookup_elem(&active_drops, &zero);
	if (!drops)
		return 0;
	cur = bpf_map_lookup_elem(drops, &t);
	if (!cur) {
		mark_written(&drops_written); /* before the insert (bpf/written.h) */
		if (bpf_map_update_elem(drops, &t, &m, BPF_NOEXIST) == 0)
			return 0;
		/* another CPU created it meanwhile, or the map is full */
		cur = bpf_map_lookup_elem(drops, &t);
		if (!cur)
			return 0;
	}
	__sync_fetch_and_add(&cur->packets, m.packets);
	__sync_fetch_and_add(&cur->bytes, m.bytes);
	/* Plain stores: of two racing drops either is "the latest". */
	cur->last_seen = m.last_seen;
	cur->latest_cause = m.latest_cause;
	cur->latest_flags = m.latest_flags;
	cur->latest_state = m.latest_state;
	return 0;
}

/* The RTT of the socket a segment of an established connection arrived on. */
static __always_inline int record_rtt(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	struct flow_tuple t;
	__u16 eth_protocol = 0;
	__u8 flags = 0;
	__u32 zero = 0;
	__u64 rtt, *cur;
	void *rtts;

	/* srtt_us holds 8 times the smoothed RTT in µs. */
	rtt = (__u64)(BPF_CORE_READ(tp, srtt_us) >> 3) * 1000;
	if (rtt == 0 || !received_off_loopback(skb))
		return 0;
	__builtin_memset(&t, 0, sizeof(t));
	if (!read_tuple(skb, &t, &eth_protocol, &flags))
		return 0;
	if (filter_rule_count && !filter_keeps_tuple(&t, flags, 0))
		return 0;
	rtts = bpf_map_lookup_elem(&active_rtt, &zero);
	if (!rtts)
		return 0;
	cur = bpf_map_lookup_elem(rtts, &t);
	if (!cur) {
		mark_written(&rtt_written); /* before the insert (bpf/written.h) */
		if (bpf_map_update_elem(rtts, &t, &rtt, BPF_NOEXIST) == 0)
			return 0;
		cur = bpf_map_lookup_elem(rtts, &t);
		if (!cur)
			return 0;
	}
	/* The max of the interval: retry while another CPU raised it under us (bounded). */
	for (int i = 0; i < 4; i++) {
		__u64 seen = *cur;

		if (rtt <= seen || __sync_val_compare_and_swap(cur, seen, rtt) == seen)
			break;
	}
	return 0;
}

/* As NetObserv: fentry on tcp_rcv_established (BTF, BPF trampolines: Linux 5.5+). */
SEC("fentry/tcp_rcv_established")
int BPF_PROG(flowcast_tcp_rcv_established, struct sock *sk, struct sk_buff *skb)
{
	return record_rtt(sk, skb);
}

/* Where fentry is refused (kernels built without trampolines for it; NetObserv falls back to a
 * kprobe, which such kernels may lack too): the tcp:tcp_probe tracepoint, which
 * tcp_rcv_established fires first thing with the same arguments (Linux 4.16+), as a BTF raw
 * tracepoint. */
SEC("tp_btf/tcp_probe")
int BPF_PROG(flowcast_tcp_probe, struct sock *sk, struct sk_buff *skb)
{
	return record_rtt(sk, skb);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
