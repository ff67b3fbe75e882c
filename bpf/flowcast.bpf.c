// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-flow accounting on TC ingress and egress.
 *
 * Exactness: packets are added to whichever hash the single slot of active_flows points at.
 * Userspace points the slot at the other hash before draining one; replacing a map-in-map element
 * makes the kernel wait (synchronize_rcu) until every program that could still hold the old hash
 * has returned, so the hash being drained has no writers and nothing is lost between reading and
 * deleting.
 *
 * Cost: one hash shared by all CPUs, counters updated with atomic adds. Per-CPU hashes avoid the
 * atomics but cost kernel memory and drain work times the number of CPUs (a 100,000-flow map on
 * 64 CPUs: ~256 MiB, all read at every drain); see docs/benchmarks.md for both measured.
 *
 * Only packet bytes and __sk_buff fields are read: no kernel struct layouts, so no CO-RE and no
 * vmlinux.h are needed and one object loads on every supported kernel. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "flow.h"
#include "filter.h"
#include "tcp_flags.h"
#include "written.h"

#ifndef E2BIG
#define E2BIG 7
#endif
#define EEXIST 17
#define IP_MF_OFFSET_MASK 0x1fff
#define IPPROTO_ICMPV6_ 58
#define IPV6_MAX_EXTENSIONS 4

const volatile struct flowcast_config flowcast_config = {
	.sampling = 1,
	.ring_wakeup_bytes = 1 << 19,
	.deduplicate = 1,
};

/* An entry was created in the active flow hash, or a DNS result stored, since userspace last
 * cleared the flag (bpf/written.h): an idle drain switches and reads nothing. */
__u32 flows_written = 0;
__u32 dns_written = 0;
/* Set, and the doorbell rung, by the first record written to the overflow ring: userspace maps the
 * ring then (bpf/written.h). Never cleared. */
__u32 overflow_used = 0;

#include "dns.h" /* reads flowcast_config and dns_written */

struct flow_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* CACHE_MAX_FLOWS, set by userspace before load */
	__type(key, struct flow_key);
	__type(value, struct flow_metrics);
} flows_a SEC(".maps"), flows_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct flow_map);
} active_flows SEC(".maps") = { .values = { &flows_a } };

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by userspace before load */
} overflow_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLOWCAST_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 index, __u64 packets)
{
	__u64 *value = bpf_map_lookup_elem(&counters, &index);

	if (value)
		*value += packets;
}

static __always_inline void ipv4_mapped(__u8 *dst, __be32 addr)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &addr, 4);
}

/* Fills key and the per-packet metrics; returns the offset where the L4 payload starts
 * (0 when unknown), used to count GSO segments as wire packets. Reads the headers in place
 * (direct packet access: no copies, no helper calls); at TC they are in the linear part of the
 * packet. If one is not, the packet is still counted, under the fields parsed so far. */
static __always_inline __u32 parse(struct __sk_buff *skb, struct flow_key *key,
				   struct flow_metrics *m)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u8 *l4;

	if ((void *)(eth + 1) > data_end)
		return 0;
	__builtin_memcpy(m->src_mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(m->dst_mac, eth->h_dest, ETH_ALEN);
	key->eth_protocol = bpf_ntohs(eth->h_proto);

	if (key->eth_protocol == ETH_P_IP) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return 0;
		ipv4_mapped(key->src_ip, ip->saddr);
		ipv4_mapped(key->dst_ip, ip->daddr);
		key->protocol = ip->protocol;
		m->dscp = ip->tos >> 2;
		if (bpf_ntohs(ip->frag_off) & IP_MF_OFFSET_MASK)
			return 0; /* a later fragment carries no L4 header */
		l4 = (__u8 *)ip + ip->ihl * 4;
	} else if (key->eth_protocol == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return 0;
		__u8 next = ip6->nexthdr;

		__builtin_memcpy(key->src_ip, &ip6->saddr, 16);
		__builtin_memcpy(key->dst_ip, &ip6->daddr, 16);
		m->dscp = ((ip6->priority << 4) | (ip6->flow_lbl[0] >> 4)) >> 2;
		l4 = (__u8 *)(ip6 + 1);
		/* Walk the extension headers (hop-by-hop, as MLD carries, routing, destination
		 * options, fragment) to the transport header; four is more than real traffic
		 * stacks. */
		for (int i = 0; i < IPV6_MAX_EXTENSIONS; i++) {
			if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
			    next == IPPROTO_DSTOPTS) {
				if ((void *)(l4 + 2) > data_end)
					break;
				next = l4[0];
				l4 += (l4[1] + 1) * 8;
			} else if (next == IPPROTO_FRAGMENT) {
				if ((void *)(l4 + 8) > data_end)
					break;
				next = l4[0];
				if (((l4[2] << 8) | l4[3]) & 0xfff8) {
					key->protocol = next;
					return 0; /* a later fragment carries no L4 header */
				}
				l4 += 8;
			} else {
				break;
			}
		}
		key->protocol = next;
	} else {
		return 0;
	}

	switch (key->protocol) {
	case IPPROTO_TCP:
		if ((void *)(l4 + 14) > data_end)
			return 0;
		m->tcp_flags = ((__u32)(l4[12] & 1) << 8) | l4[13] |
			       netobserv_tcp_flags(l4[13]) << FLOWCAST_TCP_NETOBSERV_SHIFT;
		key->src_port = (l4[0] << 8) | l4[1];
		key->dst_port = (l4[2] << 8) | l4[3];
		return (l4 - (__u8 *)data) + (l4[12] >> 4) * 4;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		if ((void *)(l4 + 4) > data_end)
			return 0;
		key->src_port = (l4[0] << 8) | l4[1];
		key->dst_port = (l4[2] << 8) | l4[3];
		return (l4 - (__u8 *)data) + 8;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6_:
		if ((void *)(l4 + 2) > data_end)
			return 0;
		key->icmp_type = l4[0];
		key->icmp_code = l4[1];
		return 0;
	}
	return 0;
}

/* Lists the interface and direction of a packet not counted (the flow was first seen on another
 * interface): a free slot is claimed with a compare-and-swap, a direction added with an atomic OR,
 * so that two CPUs seeing new interfaces of one flow at once each get a slot of their own. */
static __always_inline void observe(struct flow_metrics *cur, __u32 if_index, __u8 direction)
{
	__u64 seen = (__u64)1 << (FLOWCAST_OBSERVED_DIRECTIONS_SHIFT + direction);
	__u64 slot;

#pragma unroll
	for (int i = 0; i < FLOWCAST_MAX_OBSERVED; i++) {
		slot = cur->observed[i];
		if (slot == 0) {
			slot = __sync_val_compare_and_swap(&cur->observed[i], 0, if_index | seen);
			if (slot == 0)
				return;
		}
		if ((__u32)slot == if_index) {
			if (!(slot & seen))
				__sync_fetch_and_or(&cur->observed[i], seen);
			return;
		}
	}
	count(FLOWCAST_COUNTER_OBSERVED_MISSED, 1);
}

/* Adds one packet to a flow other CPUs may be updating at the same time. */
static __always_inline void add(struct flow_metrics *cur, const struct flow_metrics *m)
{
	__sync_fetch_and_add(&cur->packets, m->packets);
	__sync_fetch_and_add(&cur->bytes, m->bytes);
	/* Plain stores: of two racing packets either time is right to the nanosecond's noise. */
	if (m->last_seen > cur->last_seen)
		cur->last_seen = m->last_seen;
	cur->dscp = m->dscp;
	/* new flags (either half) are rare: skip the atomic otherwise */
	if (m->tcp_flags & ~cur->tcp_flags)
		__sync_fetch_and_or(&cur->tcp_flags, m->tcp_flags);
}

/* A packet of a flow already in the map: counted when on the flow's first interface (always, with
 * DEDUPER=none, where the interface is in the key: the verifier prunes the rest), otherwise only
 * its time, flags and interface noted, as NetObserv's update_existing_flow does. */
static __always_inline void update(struct flow_metrics *cur, const struct flow_metrics *m)
{
	if (!flowcast_config.deduplicate || cur->if_index == m->if_index) {
		add(cur, m);
		return;
	}
	if (m->last_seen > cur->last_seen)
		cur->last_seen = m->last_seen;
	if (m->tcp_flags & ~cur->tcp_flags)
		__sync_fetch_and_or(&cur->tcp_flags, m->tcp_flags);
	observe(cur, m->if_index, m->direction);
}

/* FLOW_FILTER_RULES (bpf/filter.h): returns 0 when the packet is skipped (no map entry, no ring
 * buffer record), else 1 with *sampling the rate to count it with. A BPF subprogram, not inlined:
 * inlined, clang laid out account() anew and the programs kept 148 more instructions with no
 * rules, the verifier's pruning notwithstanding; called, account() is as before but for the
 * loads of the two .rodata constants. */
static __noinline int filter_account(const struct flow_key *key, const struct flow_metrics *m,
				     __u8 direction, __u32 segments, __u32 *sampling)
{
	struct filter_packet packet = {
		.src_ip = key->src_ip,
		.dst_ip = key->dst_ip,
		.src_port = key->src_port,
		.dst_port = key->dst_port,
		.tcp_flags = m->tcp_flags >> FLOWCAST_TCP_NETOBSERV_SHIFT,
		.protocol = key->protocol,
		.icmp_type = key->icmp_type,
		.icmp_code = key->icmp_code,
		.direction = direction,
	};
	__u32 rule_sampling = 0;

	if (!filter_keep(&packet, segments, &rule_sampling))
		return 0;
	if (flowcast_config.filter_sampling) {
		if (rule_sampling)
			*sampling = rule_sampling;
		if (*sampling > 1 && bpf_get_prandom_u32() % *sampling != 0)
			return 0;
	}
	return 1;
}

static __always_inline int account(struct __sk_buff *skb, __u8 direction)
{
	__u32 sampling = flowcast_config.sampling;
	struct flow_key key;
	struct flow_metrics m;
	struct flow_metrics *cur;
	struct flow_record *event;
	__u32 zero = 0, header_len, segments;
	void *flows;
	long err;
	__u64 waiting, wakeup;

	/* When a filter rule has its own sampling, the draw waits for the filter's verdict. */
	if (!flowcast_config.filter_sampling && sampling > 1 &&
	    bpf_get_prandom_u32() % sampling != 0)
		return TC_ACT_UNSPEC;

	__builtin_memset(&key, 0, sizeof(key));
	__builtin_memset(&m, 0, sizeof(m));
	m.if_index = skb->ifindex;
	m.direction = direction;
	if (!flowcast_config.deduplicate) {
		key.if_index = skb->ifindex;
		key.direction = direction;
	}
	header_len = parse(skb, &key, &m);

	/* A GSO/GRO packet stands for several on the wire: count those, each with its headers. */
	segments = skb->gso_segs > 1 ? skb->gso_segs : 1;
	m.packets = segments;
	m.bytes = skb->len;
	if (segments > 1 && header_len)
		m.bytes += (__u64)(segments - 1) * header_len;
	if (flowcast_config.filter_rules &&
	    !filter_account(&key, &m, direction, segments, &sampling))
		return TC_ACT_UNSPEC;
	/* after sampling and filtering, as NetObserv */
	if (flowcast_config.dns_port) /* a .rodata constant: no cost with DNS tracking off */
		track_dns(skb, &key, header_len);
	m.first_seen = m.last_seen = bpf_ktime_get_boot_ns();
	m.sampling = sampling > 1 ? sampling : 1;

	flows = bpf_map_lookup_elem(&active_flows, &zero);
	if (!flows) {
		count(FLOWCAST_COUNTER_LOST_PACKETS, m.packets);
		return TC_ACT_UNSPEC;
	}
	cur = bpf_map_lookup_elem(flows, &key);
	if (cur) {
		update(cur, &m);
		return TC_ACT_UNSPEC;
	}
	mark_written(&flows_written); /* before the insert (bpf/written.h) */
	err = bpf_map_update_elem(flows, &key, &m, BPF_NOEXIST);
	if (err == 0)
		return TC_ACT_UNSPEC;
	if (err == -EEXIST) { /* another CPU created it since our lookup */
		cur = bpf_map_lookup_elem(flows, &key);
		if (cur) {
			update(cur, &m);
			return TC_ACT_UNSPEC;
		}
	}
	/* The map is full: record the packet itself; userspace aggregates these. */
	event = bpf_ringbuf_reserve(&overflow_events, sizeof(*event), 0);
	if (!event) {
		count(FLOWCAST_COUNTER_LOST_PACKETS, m.packets);
		return TC_ACT_UNSPEC;
	}
	event->key = key;
	event->metrics = m;
	/* Waking userspace per packet would cost more than the packet: wake it once enough waits
	 * (it also reads the ring at every drain). */
	waiting = bpf_ringbuf_query(&overflow_events, BPF_RB_AVAIL_DATA);
	wakeup = waiting >= flowcast_config.ring_wakeup_bytes ? BPF_RB_FORCE_WAKEUP :
								BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(event, wakeup);
	count(FLOWCAST_COUNTER_RINGBUF_PACKETS, m.packets);
	if (set_flag(&overflow_used))
		ring_doorbell(FLOWCAST_DOORBELL_OVERFLOW);
	return TC_ACT_UNSPEC; /* TCX_NEXT / continue: never decide a packet's fate */
}

SEC("tc")
int flowcast_ingress(struct __sk_buff *skb)
{
	return account(skb, FLOWCAST_DIRECTION_INGRESS);
}

SEC("tc")
int flowcast_egress(struct __sk_buff *skb)
{
	return account(skb, FLOWCAST_DIRECTION_EGRESS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
