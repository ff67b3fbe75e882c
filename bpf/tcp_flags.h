/* NetObserv's per-packet TCP flags value, shared by the TC programs (flowcast.bpf.c) and the
 * drop tracepoint (extras.bpf.c). */
#ifndef FLOWCAST_TCP_FLAGS_H
#define FLOWCAST_TCP_FLAGS_H

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* NetObserv's value of one packet's TCP flags byte: the first rule that matches (bpf/flow.h). */
static __always_inline __u32 netobserv_tcp_flags(__u8 flags)
{
	if ((flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
		return 0x100;
	if ((flags & (TCP_FIN | TCP_ACK)) == (TCP_FIN | TCP_ACK))
		return 0x200;
	if ((flags & (TCP_RST | TCP_ACK)) == (TCP_RST | TCP_ACK))
		return 0x400;
	if (flags & TCP_FIN)
		return TCP_FIN;
	if (flags & TCP_SYN)
		return TCP_SYN;
	if (flags & TCP_ACK)
		return TCP_ACK;
	if (flags & TCP_RST)
		return TCP_RST;
	if (flags & TCP_PSH)
		return TCP_PSH;
	if (flags & TCP_URG)
		return TCP_URG;
	if (flags & TCP_ECE)
		return TCP_ECE;
	return flags & TCP_CWR;
}

#endif
