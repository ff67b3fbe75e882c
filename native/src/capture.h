// The capture core: owns the BPF object, its attachments and the drain. No N-API here.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

extern "C" {
#include "filter.h"
#include "flow.h"
}

#include "errors.h"

// The skeletons bpftool generates from the two BPF objects (build/*.skel.h, included by capture.cc).
struct flowcast_bpf;
struct flowcast_extras_bpf;
struct ring_buffer;

namespace flowcast {

enum class Direction { kIngress, kEgress };
enum class AttachMode { kAny, kTcx, kTc };

// The BPF objects are embedded in the addon (their skeletons), so no paths here.
struct CaptureOptions {
  uint32_t max_flows;
  uint32_t sampling;
  uint32_t ring_buffer_bytes;  // a power of two, at least one page
  // ENABLE_PKT_DROPS and ENABLE_RTT: the programs of this object (bpf/extras.bpf.c) are loaded
  // and attached only for the features asked for, and only when the kernel supports them.
  bool packet_drops = false;
  bool rtt = false;
  // ENABLE_DNS_TRACKING: DNS_TRACKING_PORT (53 always matches too); 0: off. Part of the TC object.
  uint16_t dns_port = 0;
  // DEDUPER=firstCome: one flow per 5-tuple across interfaces (see flow_key in bpf/flow.h).
  bool deduplicate = true;
  // FLOW_FILTER_RULES (bpf/filter.h), at most FLOWCAST_MAX_FILTER_RULES; none: no filtering.
  struct FilterRule {
    filter_key key;
    filter_rule rule;
  };
  struct FilterPeer {
    filter_key key;
    uint32_t rules;  // the bit of every rule whose peer range contains this one
  };
  std::vector<FilterRule> filter_rules;
  std::vector<FilterPeer> filter_peers;
};

// Packets the filter counted, per rule (index in FLOW_FILTER_RULES); the last entry is the
// packets no rule's ip_cidr contained (only no_match).
struct FilterCounts {
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  uint64_t no_match = 0;
};

// One drain: the flows, and when drops, RTT or DNS are tracked, one flow_extras per flow (same order).
struct DrainResult {
  std::vector<flow_record> flows;
  std::vector<flow_extras> extras;
  // Failures once entries had been taken from the kernel: the drain keeps what it took and reports
  // these; what a failed step did not take stays in the kernel for the next drain.
  std::vector<SysError> errors;
  bool ring_read = false;  // the ring buffer was read without error
};

// The names of the running kernel's enum skb_drop_reason, by value (from its BTF; empty if none).
std::map<uint32_t, std::string> DropReasonNames();

// Whether the kernel has TCX hooks (6.6+).
bool TcxSupported();
// Binds the abstract unix socket `name` of this network namespace: its fd (the lock, held until
// closed or the process ends), or -1 when another process holds it.
int TryLockNetns(const std::string& name);

class Capture {
 public:
  explicit Capture(const CaptureOptions& options);  // throws SysError
  ~Capture();
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  // Returns the mode used: "tcx" or "tc".
  std::string Attach(const std::string& ifname, Direction direction, AttachMode mode);
  void Detach(const std::string& ifname, Direction direction);
  // Forgets what is recorded for the hook (it was lost) and attaches again.
  std::string Reattach(const std::string& ifname, Direction direction, AttachMode mode);
  // The recorded hooks whose program is no longer attached: removed or replaced from outside.
  std::vector<std::pair<std::string, Direction>> LostAttachments() const;
  // Removes clsact filters a previous flowcast left on the interface (it may have been killed).
  void RemoveStaleFilters(const std::string& ifname);
  size_t attachment_count() const { return attachments_.size(); }

  // Every flow counted since the last drain, merged across CPUs, times in CLOCK_REALTIME ns.
  // Safe on a worker thread while the main thread attaches or consumes the ring buffer.
  // `both_maps` drains the map just made active too (used at close, once nothing is attached).
  // Throws SysError only when nothing was taken yet; later failures go to DrainResult::errors.
  DrainResult Drain(bool both_maps);
  // Features asked for that this kernel cannot provide, each with why (said at start).
  const std::vector<std::string>& unavailable() const { return unavailable_; }
  bool packet_drops() const { return drops_outer_fd_ >= 0; }
  bool rtt() const { return rtt_outer_fd_ >= 0; }
  bool dns_tracking() const { return dns_outer_fd_ >= 0; }
  bool has_extras() const { return packet_drops() || rtt() || dns_tracking(); }

  // Drains that found no flow created since the previous one (bpf/written.h), so neither switched
  // nor read the flow maps.
  uint64_t idle_drains() const { return idle_drains_.load(); }
  // A drain that would take nothing, done on the calling thread: true (counted as an idle drain)
  // when no hash was written to since the last drain and none has to be read anyway; false: Drain.
  bool DrainIfIdle();

  // Aggregates what the ring buffer holds; returns true when it held anything. The ring is mapped
  // only once a program wrote to it (bpf/written.h): until then there is nothing to read.
  bool ConsumeOverflow();  // throws SysError
  // The overflow ring's epoll fd once it is mapped, else -1.
  int overflow_fd() const { return overflow_fd_.load(); }
  // Maps the overflow ring if a program wrote to it and it is not mapped yet; true when it did.
  bool MapOverflowIfUsed();  // throws SysError

  // Parking (bpf/written.h): true when nothing was written since the last drain and none has to be
  // read anyway, and the programs now ring the doorbell on the next write; false changes nothing.
  bool Park();
  void Unpark();
  // The doorbell ring's epoll fd: readable once the doorbell rang (after Park, or on the first
  // overflow record). ConsumeDoorbell empties it (main thread only).
  int doorbell_fd() const { return doorbell_fd_; }
  void ConsumeDoorbell();  // throws SysError
  std::array<uint64_t, FLOWCAST_COUNTER_MAX> Counters() const;
  // FLOW_FILTER_RULES' counters: one per rule, then the packets of no rule; empty without rules.
  std::vector<FilterCounts> FilterCounters() const;
  // Kernel memory the two flow maps and the ring buffer take (memlock, as the kernel reports it).
  uint64_t FlowMapsMemory() const;
  uint64_t RingBufferMemory() const;

 private:
  struct Attachment {
    int ifindex;
    int link_fd;  // -1 for a clsact filter
  };
  using KeyBytes = std::string;  // the flow_key's bytes: keys are compared byte for byte

  void DrainMap(int map_fd, std::vector<flow_record>* out);
  void OpenExtras(const CaptureOptions& options);
  // Whether a hash kind has to be switched and read at this drain: exchanges its written flag
  // (bpf/written.h) for 0; true when the flag was set, when `force`, or without a flag to read.
  static bool TakeWritten(uint32_t* written, bool force);
  // Flips an active_* slot to the other hash and returns the fd of the one to drain; on failure
  // sets `written` again (the hash still holds what was written) and throws.
  int FlipExtras(int outer_fd, const int inner_fd[2], int* active, uint32_t* written);
  void AddExtras(bool force, bool both_maps, DrainResult* result);  // failures go to result->errors
  void Release();
  static int OnOverflowRecord(void* context, void* data, size_t size);
  static int OnDoorbellRecord(void* context, void* data, size_t size);
  // A libbpf ring buffer on `map_fd` and its epoll fd; throws SysError naming the "<name> ring buffer".
  static ring_buffer* OpenRing(int map_fd, int (*on_record)(void*, void*, size_t), void* context, const char* name,
                               int* epoll_fd);
  void MapOverflow();              // under overflow_mutex_
  bool MapOverflowIfUsedLocked();  // MapOverflowIfUsed, under overflow_mutex_
  // Whether a hash kind was written to since its flag was last cleared (no flag: always).
  bool AnyWritten() const;

  flowcast_bpf* skeleton_ = nullptr;
  ring_buffer* overflow_ring_ = nullptr;  // under overflow_mutex_; null until used (bpf/written.h)
  std::atomic<int> overflow_fd_{-1};      // the ring buffer's epoll fd
  uint32_t* overflow_used_ = nullptr;     // the TC object's flag: a record went to the ring
  ring_buffer* doorbell_ring_ = nullptr;
  int doorbell_fd_ = -1;
  // Each object's `parked` (bpf/written.h); null: the object is not loaded (extras) or has no .bss.
  uint32_t* parked_[2] = {nullptr, nullptr};
  int program_fd_[2] = {-1, -1};  // by Direction
  int outer_fd_ = -1;
  int inner_fd_[2] = {-1, -1};
  int active_ = 0;  // index into inner_fd_ of the map the kernel writes to
  // The objects' written flags (bpf/written.h) in their mmapped .bss; null: read at every drain.
  uint32_t* flows_written_ = nullptr;
  uint32_t* dns_written_ = nullptr;
  uint32_t* drops_written_ = nullptr;
  uint32_t* rtt_written_ = nullptr;
  // Drains still to read every hash whatever the flags say: a read that failed half way left the
  // rest of a hash that is no longer active, which the drain after next reads.
  int forced_drains_ = 0;
  std::atomic<uint64_t> idle_drains_{0};
  int counters_fd_ = -1;
  size_t filter_rule_count_ = 0;
  int filter_counters_fd_ = -1;
  int ring_fd_ = -1;
  uint32_t program_id_[2] = {0, 0};  // by Direction: how our programs are recognised on a hook
  uint32_t max_flows_ = 0;
  unsigned cpus_ = 1;
  std::mutex drain_mutex_;

  std::mutex overflow_mutex_;
  // Flows read from the ring buffer since the last drain, at most max_flows_ of them: packets of
  // further flows are counted in overflow_lost_ (reported with the kernel's lost packets).
  std::unordered_map<KeyBytes, flow_metrics> overflow_;
  std::atomic<uint64_t> overflow_lost_{0};
  // Interfaces the userspace merge found no free observed slot for (as the kernel counts them).
  std::atomic<uint64_t> observed_missed_{0};

  std::map<std::pair<std::string, Direction>, Attachment> attachments_;

  flowcast_extras_bpf* extras_ = nullptr;  // its links are destroyed with it
  int drops_outer_fd_ = -1;
  int drops_fd_[2] = {-1, -1};
  int drops_active_ = 0;
  int rtt_outer_fd_ = -1;
  int rtt_fd_[2] = {-1, -1};
  int rtt_active_ = 0;
  int dns_outer_fd_ = -1;  // in the TC object (bpf/dns.h)
  int dns_fd_[2] = {-1, -1};
  int dns_active_ = 0;
  std::vector<std::string> unavailable_;
};

}  // namespace flowcast
