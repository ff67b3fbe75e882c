/* The flow record layout: the one place it is defined.
 * Included by the BPF program (bpf/flowcast.bpf.c) and the native addon (native/src);
 * the TypeScript decoder (src/capture/layout.ts) is checked against the offsets the addon
 * reports from this file (test/capture/layout.test.ts).
 * Every struct is explicitly padded: keys are hashed byte for byte, so no hidden holes. */
#ifndef FLOWCAST_FLOW_H
#define FLOWCAST_FLOW_H

#ifndef __VMLINUX_H__ /* extras.bpf.c has the kernel's own types from vmlinux.h */
#include <linux/types.h>
#endif

#define FLOWCAST_DIRECTION_INGRESS 0
#define FLOWCAST_DIRECTION_EGRESS 1

/* What identifies a flow: NetObserv's flow_id plus the EtherType. IPv4 addresses are stored
 * IPv4-mapped (::ffff:a.b.c.d). The MACs are in the value (the first packet's), so 48 bytes are
 * hashed per packet rather than 64. With DEDUPER=firstCome (flowcast_config.deduplicate) if_index
 * and direction are 0: a packet crossing several interfaces of the host is one flow, its
 * interfaces listed in the value; with DEDUPER=none they are set, one flow per interface and
 * direction. */
struct flow_key {
	__u8 src_ip[16];
	__u8 dst_ip[16];
	__u32 if_index;     /* DEDUPER=none only */
	__u16 eth_protocol; /* host byte order, e.g. 0x0800 */
	__u16 src_port;     /* host byte order; 0 when the protocol has no ports */
	__u16 dst_port;
	__u8 direction; /* DEDUPER=none only: FLOWCAST_DIRECTION_* */
	__u8 protocol;  /* IP protocol number; 0 for non-IP */
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 pad[2];
};

/* NetObserv's MAX_OBSERVED_INTERFACES: the other (interface, direction) pairs a flow keeps. */
#define FLOWCAST_MAX_OBSERVED 6
/* metrics.observed[i]: the interface index in the low 32 bits, and from bit 32 one bit per
 * direction seen there (1 << FLOWCAST_DIRECTION_*); 0: a free slot. One 64-bit word, so a slot is
 * claimed with one compare-and-swap and a direction added with one atomic OR (no spin lock). */
#define FLOWCAST_OBSERVED_DIRECTIONS_SHIFT 32

/* metrics.tcp_flags packs, per flow, the OR over its packets of:
 * - bits 0-15: the TCP header's flag bits as they are (FIN 0x01 ... CWR 0x80, NS 0x100);
 * - bits 16-31: NetObserv's per-packet value, one bit per packet chosen by priority: SYN+ACK
 *   0x100, FIN+ACK 0x200, RST+ACK 0x400, else FIN 0x01, SYN 0x02, ACK 0x10, RST 0x04, PSH 0x08,
 *   URG 0x20, ECE 0x40, CWR 0x80 (what pbflow's `flags` carries). */
#define FLOWCAST_TCP_HEADER_MASK 0xffff
#define FLOWCAST_TCP_NETOBSERV_SHIFT 16

/* What the kernel accumulates per flow. One copy shared by all CPUs, updated with atomics.
 * bytes and packets are those seen on if_index (NetObserv's if_index_first_seen): a packet of the
 * flow on another interface updates only last_seen and tcp_flags, and adds its interface and
 * direction to observed (NetObserv's update rule; with DEDUPER=none every packet is on if_index).
 */
struct flow_metrics {
	__u64 packets;
	__u64 bytes;      /* frame bytes: skb->len at TC, L2 header included, FCS excluded */
	__u64 first_seen; /* CLOCK_BOOTTIME ns in the kernel; CLOCK_REALTIME ns once drained */
	__u64 last_seen;
	__u32 tcp_flags; /* two ORs in one word, so one atomic OR updates both (FLOWCAST_TCP_*) */
	__u32 sampling;  /* 1 in N packets was counted; 1 = every packet */
	__u32 if_index;  /* the interface the flow was first seen on, the one counted */
	__u8 direction;  /* FLOWCAST_DIRECTION_* of the first packet on if_index */
	__u8 dscp;
	__u8 src_mac[6]; /* of the first packet */
	__u8 dst_mac[6];
	__u8 pad[4];
	__u64 observed[FLOWCAST_MAX_OBSERVED]; /* the other interfaces (FLOWCAST_OBSERVED_*) */
};

/* A flow as it crosses to userspace. Two uses, one layout:
 * - ring buffer: one packet of a flow that did not fit in the map (times in CLOCK_BOOTTIME);
 * - drain output: per-CPU copies merged, times converted to CLOCK_REALTIME ns. */
struct flow_record {
	struct flow_key key;
	struct flow_metrics metrics;
};

/* Indices of the per-CPU counter array. */
enum flowcast_counter {
	FLOWCAST_COUNTER_RINGBUF_PACKETS = 0, /* packets recorded through the ring buffer */
	FLOWCAST_COUNTER_LOST_PACKETS = 1,    /* packets neither in a map nor in the ring buffer */
	/* an interface not listed in a flow's observed slots: all FLOWCAST_MAX_OBSERVED were taken
	 * (NetObserv's OBSERVED_INTF_MISSED) */
	FLOWCAST_COUNTER_OBSERVED_MISSED = 2,
	FLOWCAST_COUNTER_MAX = 3,
};

/* Why a doorbell record (bpf/written.h) was written: for a reader of the ring (bpftool); the
 * agent reads the flags instead. */
enum flowcast_doorbell {
	FLOWCAST_DOORBELL_WRITTEN = 1,  /* a hash was written to while userspace was parked */
	FLOWCAST_DOORBELL_OVERFLOW = 2, /* the first record went to the overflow ring */
};

/* Settings written into the object's .rodata before load (the variable flowcast_config). */
struct flowcast_config {
	__u32 sampling;          /* count 1 in N packets; 0 and 1 mean every packet */
	__u32 ring_wakeup_bytes; /* wake userspace when this much overflow data is waiting */
	__u32 dns_port;        /* ENABLE_DNS_TRACKING: DNS_TRACKING_PORT (53 matches too); 0: off */
	__u32 deduplicate;     /* DEDUPER=firstCome: one flow per 5-tuple across interfaces */
	__u32 filter_rules;    /* FLOW_FILTER_RULES: how many (bpf/filter.h); 0: no filtering */
	__u32 filter_sampling; /* 1: a rule has its own sampling, drawn after the filter */
};

/* ENABLE_PKT_DROPS and ENABLE_RTT (bpf/extras.bpf.c): the kfree_skb tracepoint and
 * tcp_rcv_established cannot know a packet's MACs, interface or direction, so their maps are keyed
 * by the 5-tuple (as NetObserv's flow_id) and userspace adds them to the flows of that tuple. */
struct flow_tuple {
	__u8 src_ip[16]; /* IPv4-mapped, as in flow_key */
	__u8 dst_ip[16];
	__u16 src_port;
	__u16 dst_port;
	__u8 protocol;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 pad;
};

/* Drops of one 5-tuple since the last drain (packets and bytes updated with atomics). */
struct drop_metrics {
	__u64 packets;
	__u64 bytes;      /* frame bytes: from the MAC header when the packet has one */
	__u64 first_seen; /* CLOCK_BOOTTIME ns */
	__u64 last_seen;
	__u32 latest_cause; /* the kernel's enum skb_drop_reason */
	__u16 latest_flags; /* NetObserv's TCP flags value of the last dropped packet */
	__u16 eth_protocol; /* host byte order */
	__u8 latest_state;  /* TCP state of the packet's socket; 0: none */
	__u8 pad[7];
};

/* What a drain returns besides the flow_records when drops or RTT are tracked: one per record. */
struct flow_extras {
	__u64 drop_packets;
	__u64 drop_bytes;
	__u64 rtt_ns; /* smoothed RTT, max over the interval; 0: not measured */
	__u32 drop_cause;
	__u16 drop_flags;
	__u8 drop_state;
	__u8 has_drops; /* 0: nothing dropped (Avro drops null) */
	/* ENABLE_DNS_TRACKING: the dns_metrics of the flow's 5-tuple, the name made dotted */
	__u64 dns_latency_ns; /* 0: not measured (a query's flow, a response without its query) */
	__u16 dns_id;
	__u16 dns_flags;
	__u8 dns_errno;
	__u8 has_dns; /* 0: no DNS message seen (Avro dns null) */
	__u8 pad[2];
	char dns_name[32]; /* dotted, NUL-terminated; printable ASCII, any other byte as '?' */
};

/* ENABLE_DNS_TRACKING (bpf/dns.h), as NetObserv's dns_tracker.h. */
#define FLOWCAST_DNS_NAME_RAW 32 /* 31 bytes of the QNAME in label format, then a NUL */

/* A query waiting for its response, as seen on the query (a response looks it up reversed). */
struct dns_query_key {
	__u8 src_ip[16]; /* IPv4-mapped, as in flow_key */
	__u8 dst_ip[16];
	__u16 src_port;
	__u16 dst_port;
	__u16 id; /* the DNS transaction id */
	__u8 protocol;
	__u8 pad;
};

/* The DNS message last seen on a 5-tuple since the last drain: a response (id, flags, name,
 * latency), or only an error when tracking failed (a query that could not be recorded, a response
 * without its query). Keyed by struct flow_tuple. */
struct dns_metrics {
	__u64 latency_ns; /* response time - query time; 0 when not matched */
	__u16 id;
	__u16 flags; /* the header's 16-bit flags word, rcode in the low 4 bits */
	__u8 error;  /* a positive errno (NetObserv's dns_errno): 2 ENOENT, 17 EEXIST, 22 EINVAL */
	__u8 pad[3];
	__u8 name[FLOWCAST_DNS_NAME_RAW]; /* raw label format, made dotted by userspace */
};

#endif
