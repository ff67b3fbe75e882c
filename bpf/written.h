/* "Something was written to the active hash since userspace last looked": one flag per
 * double-buffered hash kind (flows, DNS, drops, RTT), a global variable of the object (.bss,
 * mmapped by libbpf), so that a drain of an idle agent neither switches the active_* slot nor walks
 * the hash (bpf_map_lookup_and_delete_batch visits every bucket of a CACHE_MAX_FLOWS hash, empty
 * or not).
 *
 * Set only where a new entry is created (a packet of a flow already in the map changes nothing:
 * the per-packet path costs no more), and read before writing, so that CPUs creating flows at once
 * do not keep writing to its cache line.
 *
 * Userspace (Capture::Drain in native/src/capture.cc) exchanges the flag for 0, atomically, and
 * switches and reads the hash only when it was set. Why nothing is lost:
 * - The flag is set before the entry is inserted, by a program that already holds the active hash
 *   (looked up from active_*). If the exchange sees the flag set, userspace switches the slot; the
 *   switch returns only after every program that could hold the old hash has returned
 *   (synchronize_rcu), so the insert is in the hash that is then read.
 * - If the flag is set after the exchange (it read 0, or consumed another program's 1), it stays
 *   set: the next drain switches and reads. The entry is either in the hash read now (its program
 *   held it before the switch, which waited for it) or in the one read next time; at worst a drain
 *   reads an empty hash.
 * - A program that sees the flag already set writes nothing; that set is not consumed yet (an
 *   exchange that consumed it comes after this read), and that exchange leads to a switch that
 *   waits for this program too.
 * - Userspace puts the flag back when the switch fails, and reads both hashes regardless of the
 *   flags for two drains after a read that failed half way (the rest of that hash comes with the
 *   drain after next) and at close. It does not park then either. */
#ifndef FLOWCAST_WRITTEN_H
#define FLOWCAST_WRITTEN_H

/* Parking: after a drain that found nothing written, userspace may stop its interval timer and
 * sleep until the kernel has something (no wakeup a minute while idle). It sets `parked`, then
 * reads the flags again; a program that sets a flag reads `parked` after, and rings the doorbell
 * when it is set. Both sides use fully ordered atomics (BPF_XCHG here, an exchange in userspace),
 * so of a program setting a flag and userspace parking at once, at least one sees the other:
 * userspace finds the flag and does not park, or the program finds `parked` and rings.
 * Each BPF object has its own `parked`; userspace sets all of them. The doorbell is the TC
 * object's (the extras object reuses its fd). Also rung on the first overflow, because userspace
 * maps the overflow ring only once it is used (mapping it costs its size twice in resident
 * memory). */
__u32 parked = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* a page: a few records wake userspace; more say nothing new */
} doorbell SEC(".maps");

static __always_inline void ring_doorbell(__u64 why)
{
	bpf_ringbuf_output(&doorbell, &why, sizeof(why), BPF_RB_FORCE_WAKEUP);
}

/* Sets `flag` (a plain read first: CPUs creating flows at once do not keep writing its cache line);
 * returns true when this program is the one that set it. */
static __always_inline int set_flag(__u32 *flag)
{
	if (*(volatile __u32 *)flag)
		return 0;
	return __atomic_exchange_n(flag, 1, __ATOMIC_SEQ_CST) == 0;
}

static __always_inline void mark_written(__u32 *flag)
{
	if (set_flag(flag) && *(volatile __u32 *)&parked)
		ring_doorbell(FLOWCAST_DOORBELL_WRITTEN);
}

#endif
