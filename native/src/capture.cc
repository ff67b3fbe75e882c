#include "capture.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fstream>

#include "errors.h"
// Generated at build time by `bpftool gen skeleton` from build/*.bpf.o (see the Makefile): typed
// maps, programs and .rodata, and the objects themselves embedded.
#include "flowcast-extras.skel.h"
#include "flowcast.skel.h"

namespace flowcast {
namespace {

// Debian's linux-libc-dev (6.1) predates TCX; the values are the kernel's ABI since 6.6.
constexpr int kBpfTcxIngress = 46;
constexpr int kBpfTcxEgress = 47;
// Our clsact filters carry this handle and priority, so stale ones can be found and removed.
constexpr uint32_t kTcHandle = 0xf10c;
constexpr uint32_t kTcPriority = 0xf10c;
// Keys per batch syscall; the kernel asks for more (ENOSPC) when one bucket holds more.
constexpr uint32_t kDrainChunk = 4096;

const char* DirectionName(Direction direction) { return direction == Direction::kIngress ? "ingress" : "egress"; }

bpf_tc_hook TcHook(int ifindex, Direction direction) {
  bpf_tc_hook hook = {};
  hook.sz = sizeof(hook);
  hook.ifindex = ifindex;
  hook.attach_point = direction == Direction::kIngress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
  return hook;
}

// Our clsact filter: its handle and priority are how a later agent recognises it.
bpf_tc_opts OurTcFilter() {
  bpf_tc_opts opts = {};
  opts.sz = sizeof(opts);
  opts.handle = kTcHandle;
  opts.priority = kTcPriority;
  return opts;
}

int DetachTcFilter(int ifindex, Direction direction) {
  bpf_tc_hook hook = TcHook(ifindex, direction);
  bpf_tc_opts opts = OurTcFilter();
  return bpf_tc_detach(&hook, &opts);
}

int TcxAttachType(Direction direction) { return direction == Direction::kIngress ? kBpfTcxIngress : kBpfTcxEgress; }

uint32_t ProgramId(int program_fd) {
  bpf_prog_info info = {};
  uint32_t length = sizeof(info);
  if (int err = bpf_obj_get_info_by_fd(program_fd, &info, &length)) throw SysError("read BPF program info", err);
  return info.id;
}

// The kernel's accounting of a map's memory (the memlock line of its fdinfo; exact since 6.4).
uint64_t Memlock(int fd) {
  std::ifstream fdinfo("/proc/self/fdinfo/" + std::to_string(fd));
  std::string line;
  while (std::getline(fdinfo, line)) {
    if (line.rfind("memlock:", 0) == 0) return std::stoull(line.substr(8));
  }
  return 0;
}

uint64_t ClockNs(clockid_t clock) {
  timespec now;
  clock_gettime(clock, &now);
  return uint64_t(now.tv_sec) * 1000000000ull + uint64_t(now.tv_nsec);
}

int MapFd(const bpf_map* map) {
  int fd = bpf_map__fd(map);
  if (fd < 0) throw SysError(std::string("BPF map ") + bpf_map__name(map) + " is not loaded", fd);
  return fd;
}

int ProgramFd(const bpf_program* program) {
  int fd = bpf_program__fd(program);
  if (fd < 0) throw SysError(std::string("BPF program ") + bpf_program__name(program) + " is not loaded", fd);
  return fd;
}

// Before load: the map's size (CACHE_MAX_FLOWS, the ring buffer's bytes).
void SetMaxEntries(bpf_map* map, uint32_t entries) {
  if (int err = bpf_map__set_max_entries(map, entries))
    throw SysError(std::string("size BPF map ") + bpf_map__name(map), err);
}

void SetAutoload(bpf_program* program, bool autoload) {
  if (int err = bpf_program__set_autoload(program, autoload)) {
    throw SysError(std::string("select BPF program ") + bpf_program__name(program), err);
  }
}

// Lists an interface and the directions seen there (one observed slot's value) in a flow's other
// interfaces, as the kernel's observe() does; returns 1 when every slot was taken, 0 otherwise.
int Observe(flow_metrics* into, uint64_t entry) {
  const uint32_t if_index = uint32_t(entry);
  if (if_index == into->if_index) return 0;  // the counted interface is not repeated
  for (__u64& slot : into->observed) {
    if (slot == 0 || uint32_t(slot) == if_index) {
      slot |= entry;
      return 0;
    }
  }
  return 1;
}

// Adds what came later (a packet from the ring buffer, or the ring's total of a flow) into a
// flow's total, by the kernel's rule: counted when on the flow's first interface (always with
// DEDUPER=none, where the interface is in the key), otherwise its interface is listed. Returns the
// interfaces that found no free slot.
uint64_t Merge(flow_metrics* into, const flow_metrics& from) {
  if (from.packets == 0) return 0;
  if (into->packets == 0) {
    *into = from;
    return 0;
  }
  into->first_seen = std::min<__u64>(into->first_seen, from.first_seen);
  into->last_seen = std::max<__u64>(into->last_seen, from.last_seen);
  into->tcp_flags |= from.tcp_flags;
  uint64_t missed = 0;
  if (from.if_index == into->if_index) {
    into->dscp = from.dscp;
    into->packets += from.packets;
    into->bytes += from.bytes;
    into->sampling = from.sampling;
  } else {
    missed += Observe(into, from.if_index | (uint64_t(1) << (FLOWCAST_OBSERVED_DIRECTIONS_SHIFT + from.direction)));
  }
  for (uint64_t entry : from.observed) {
    if (entry) missed += Observe(into, entry);
  }
  return missed;
}

// Reads and deletes every entry of a hash in batches, calling on_entry(key, value) for each.
template <typename Key, typename Value, typename OnEntry>
void DrainHash(int map_fd, const char* what, OnEntry on_entry) {
  uint32_t chunk = kDrainChunk;
  std::vector<Key> keys(chunk);
  std::vector<Value> values(chunk);
  uint32_t batch_in = 0, batch_out = 0;
  bool first = true;
  for (;;) {
    uint32_t count = chunk;
    int err = bpf_map_lookup_and_delete_batch(map_fd, first ? nullptr : &batch_in, &batch_out, keys.data(),
                                              values.data(), &count, nullptr);
    if (err == -ENOSPC && count == 0) {  // one bucket holds more keys than a chunk
      chunk *= 2;
      keys.resize(chunk);
      values.resize(chunk);
      continue;
    }
    if (err && err != -ENOENT) throw SysError(std::string("drain ") + what, err);
    for (uint32_t i = 0; i < count; i++) on_entry(keys[i], values[i]);
    if (err == -ENOENT) return;
    batch_in = batch_out;
    first = false;
  }
}

// Runs a step of a drain that takes entries from the kernel: its failure is recorded, not thrown,
// so that the entries taken before it (by this step or earlier ones) are still delivered.
template <typename Step>
void KeepingWhatWasTaken(std::vector<SysError>* errors, Step step) {
  try {
    step();
  } catch (const SysError& error) {
    errors->push_back(error);
  }
}

flow_tuple TupleOf(const flow_key& key) {
  flow_tuple tuple = {};
  memcpy(tuple.src_ip, key.src_ip, sizeof(tuple.src_ip));
  memcpy(tuple.dst_ip, key.dst_ip, sizeof(tuple.dst_ip));
  tuple.src_port = key.src_port;
  tuple.dst_port = key.dst_port;
  tuple.protocol = key.protocol;
  tuple.icmp_type = key.icmp_type;
  tuple.icmp_code = key.icmp_code;
  return tuple;
}

// A DNS name in label format (`\x03www\x07example\x03com\x00`), as dotted text (`www.example.com`).
// Stops, as NetObserv, at the end, a compression pointer or a label that does not fit in the 31
// bytes the kernel copied; a byte other than printable ASCII becomes '?', so that the text is
// valid UTF-8 for Avro and protobuf strings.
void DottedName(const uint8_t (&raw)[FLOWCAST_DNS_NAME_RAW], char (&out)[sizeof(flow_extras::dns_name)]) {
  static_assert(sizeof(out) >= FLOWCAST_DNS_NAME_RAW, "a dotted name is shorter than its labels");
  size_t in = 0, length = 0;
  while (in < FLOWCAST_DNS_NAME_RAW - 1) {
    const uint8_t label = raw[in];
    if (label == 0 || label > 63 || in + 1 + label > FLOWCAST_DNS_NAME_RAW - 1) break;
    if (length > 0) out[length++] = '.';
    for (size_t i = 1; i <= label; i++) {
      const uint8_t byte = raw[in + i];
      out[length++] = byte > 0x20 && byte < 0x7f ? char(byte) : '?';
    }
    in += 1 + label;
  }
  out[length] = '\0';
}

void SetDns(const dns_metrics& dns, flow_extras* extras) {
  extras->has_dns = 1;
  extras->dns_latency_ns = dns.latency_ns;
  extras->dns_id = dns.id;
  extras->dns_flags = dns.flags;
  extras->dns_errno = dns.error;
  DottedName(dns.name, extras->dns_name);
}

bool HasMember(const btf* types, const char* type_name, const char* member) {
  int id = btf__find_by_name_kind(types, type_name, BTF_KIND_STRUCT);
  if (id < 0) return false;
  const btf_type* type = btf__type_by_id(types, id);
  const btf_member* members = btf_members(type);
  for (int i = 0; i < btf_vlen(type); i++) {
    if (strcmp(btf__name_by_offset(types, members[i].name_off), member) == 0) return true;
  }
  return false;
}

}  // namespace

std::map<uint32_t, std::string> DropReasonNames() {
  std::map<uint32_t, std::string> names;
  btf* kernel = btf__load_vmlinux_btf();
  if (!kernel) return names;
  int id = btf__find_by_name_kind(kernel, "skb_drop_reason", BTF_KIND_ENUM);
  if (id >= 0) {
    const btf_type* type = btf__type_by_id(kernel, id);
    const struct btf_enum* values = btf_enum(type);
    for (int i = 0; i < btf_vlen(type); i++)
      names[uint32_t(values[i].val)] = btf__name_by_offset(kernel, values[i].name_off);
  }
  btf__free(kernel);
  return names;
}

bool TcxSupported() {
  // Kernels before 6.6 do not know the TCX attach types; lo is interface 1 in every namespace.
  uint32_t count = 0;
  return bpf_prog_query(1, bpf_attach_type(kBpfTcxIngress), 0, nullptr, nullptr, &count) == 0;
}

int TryLockNetns(const std::string& name) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw SysError("open a socket for the " + name + " lock", errno);
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  // An abstract name (leading NUL): one per network namespace, freed by the kernel with the
  // process, however it ends.
  size_t length = std::min(name.size(), sizeof(address.sun_path) - 1);
  memcpy(address.sun_path + 1, name.data(), length);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), socklen_t(offsetof(sockaddr_un, sun_path) + 1 + length)) == 0)
    return fd;
  int err = errno;
  close(fd);
  if (err == EADDRINUSE) return -1;
  throw SysError("take the " + name + " lock", err);
}

Capture::Capture(const CaptureOptions& options) {
  InstallLibbpfLogger();
  TakeLibbpfLog();
  try {
    skeleton_ = flowcast_bpf__open();
    if (!skeleton_) throw SysError("open the BPF object", errno);
    if (!skeleton_->rodata) throw SysError("BPF object has no .rodata", ENOENT);
    if (options.filter_rules.size() > FLOWCAST_MAX_FILTER_RULES) throw SysError("load filter rules", E2BIG);
    filter_rule_count_ = options.filter_rules.size();
    bool rule_sampling = std::any_of(options.filter_rules.begin(), options.filter_rules.end(),
                                     [](const CaptureOptions::FilterRule& entry) { return entry.rule.sample > 0; });
    skeleton_->rodata->flowcast_config = flowcast_config{options.sampling, options.ring_buffer_bytes / 8};
    skeleton_->rodata->flowcast_config.filter_rules = uint32_t(filter_rule_count_);
    skeleton_->rodata->flowcast_config.filter_sampling = rule_sampling ? 1u : 0u;
    skeleton_->rodata->flowcast_config.dns_port = options.dns_port;
    skeleton_->rodata->flowcast_config.deduplicate = options.deduplicate;
    SetMaxEntries(skeleton_->maps.flows_a, options.max_flows);
    SetMaxEntries(skeleton_->maps.flows_b, options.max_flows);
    // Pending queries and per-tuple results, as many as flows; one entry each when not tracking.
    const uint32_t dns_entries = options.dns_port ? options.max_flows : 1;
    SetMaxEntries(skeleton_->maps.dns_queries, dns_entries);
    SetMaxEntries(skeleton_->maps.dns_a, dns_entries);
    SetMaxEntries(skeleton_->maps.dns_b, dns_entries);
    SetMaxEntries(skeleton_->maps.overflow_events, options.ring_buffer_bytes);
    if (int err = flowcast_bpf__load(skeleton_)) {
      std::string log = TakeLibbpfLog();
      throw SysError("load BPF programs" + (log.empty() ? "" : " (libbpf: " + log.substr(0, 2000) + ")"), err);
    }
    program_fd_[int(Direction::kIngress)] = ProgramFd(skeleton_->progs.flowcast_ingress);
    program_fd_[int(Direction::kEgress)] = ProgramFd(skeleton_->progs.flowcast_egress);
    outer_fd_ = MapFd(skeleton_->maps.active_flows);
    inner_fd_[0] = MapFd(skeleton_->maps.flows_a);
    inner_fd_[1] = MapFd(skeleton_->maps.flows_b);
    counters_fd_ = MapFd(skeleton_->maps.counters);
    ring_fd_ = MapFd(skeleton_->maps.overflow_events);
    if (skeleton_->bss) {  // mmapped by libbpf (Linux 5.5+); without it every drain reads
      flows_written_ = &skeleton_->bss->flows_written;
      dns_written_ = &skeleton_->bss->dns_written;
      overflow_used_ = &skeleton_->bss->overflow_used;
      parked_[0] = &skeleton_->bss->parked;
    }
    if (options.dns_port) {
      dns_outer_fd_ = MapFd(skeleton_->maps.active_dns);
      dns_fd_[0] = MapFd(skeleton_->maps.dns_a);
      dns_fd_[1] = MapFd(skeleton_->maps.dns_b);
    }
    filter_counters_fd_ = MapFd(skeleton_->maps.filter_counters);
    for (const auto& entry : options.filter_rules) {
      if (bpf_map_update_elem(MapFd(skeleton_->maps.filter_rules), &entry.key, &entry.rule, BPF_ANY))
        throw SysError("load filter rule " + std::to_string(entry.rule.index), errno);
    }
    for (const auto& entry : options.filter_peers) {
      if (bpf_map_update_elem(MapFd(skeleton_->maps.filter_peers), &entry.key, &entry.rules, BPF_ANY))
        throw SysError("load a filter rule's peer range", errno);
    }
    for (Direction direction : {Direction::kIngress, Direction::kEgress}) {
      program_id_[int(direction)] = ProgramId(program_fd_[int(direction)]);
    }
    max_flows_ = options.max_flows;
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) throw SysError("count possible CPUs", cpus);
    cpus_ = unsigned(cpus);
    // The overflow ring is mapped when first used: mapped, it is resident twice its size (the
    // kernel maps its data pages twice), in every agent, for what only a full map sends there.
    if (!overflow_used_) MapOverflow();
    doorbell_ring_ = OpenRing(MapFd(skeleton_->maps.doorbell), OnDoorbellRecord, this, "doorbell", &doorbell_fd_);
    OpenExtras(options);
  } catch (...) {
    Release();
    throw;
  }
}

Capture::~Capture() { Release(); }

void Capture::Release() {
  for (auto& [where, attachment] : attachments_) {
    if (attachment.link_fd >= 0) {
      close(attachment.link_fd);
    } else {
      DetachTcFilter(attachment.ifindex, where.second);  // best effort: nothing to report it to
    }
  }
  attachments_.clear();
  if (overflow_ring_) ring_buffer__free(overflow_ring_);
  overflow_ring_ = nullptr;
  overflow_fd_ = -1;
  if (doorbell_ring_) ring_buffer__free(doorbell_ring_);
  doorbell_ring_ = nullptr;
  doorbell_fd_ = -1;
  flowcast_bpf__destroy(skeleton_);
  skeleton_ = nullptr;
  flowcast_extras_bpf__destroy(extras_);
  extras_ = nullptr;
}

void Capture::OpenExtras(const CaptureOptions& options) {
  bool drops = options.packet_drops, rtt = options.rtt;
  if (!drops && !rtt) return;
  // What each needs, checked in the kernel's BTF first: on an older kernel the agent runs without
  // the feature and says so, instead of failing to load.
  btf* kernel = btf__load_vmlinux_btf();
  const bool drops_supported = kernel && HasMember(kernel, "trace_event_raw_kfree_skb", "reason");
  const bool rtt_supported = kernel && btf__find_by_name_kind(kernel, "tcp_rcv_established", BTF_KIND_FUNC) >= 0;
  if (kernel) btf__free(kernel);
  if (drops && !drops_supported) {
    unavailable_.push_back(
        "packet drops (ENABLE_PKT_DROPS) need kernel BTF and the reason of the skb:kfree_skb tracepoint (Linux 5.17+)");
    drops = false;
  }
  if (rtt && !rtt_supported) {
    unavailable_.push_back("TCP RTT (ENABLE_RTT) needs kernel BTF and fentry on tcp_rcv_established (Linux 5.5+)");
    rtt = false;
  }
  if (!drops && !rtt) return;
  // RTT as NetObserv takes it, fentry on tcp_rcv_established; where the kernel refuses fentry, the
  // tcp_probe tracepoint of the same function; where it refuses both, no RTT (said at start).
  enum class RttHook { kNone, kFentry, kTracepoint };
  RttHook hook = rtt ? RttHook::kFentry : RttHook::kNone;
  for (;;) {
    extras_ = flowcast_extras_bpf__open();
    if (!extras_) throw SysError("open the drops/RTT BPF object", errno);
    SetAutoload(extras_->progs.flowcast_kfree_skb, drops);
    SetAutoload(extras_->progs.flowcast_tcp_rcv_established, hook == RttHook::kFentry);
    SetAutoload(extras_->progs.flowcast_tcp_probe, hook == RttHook::kTracepoint);
    // A feature that is off keeps one-entry maps (libbpf creates every map of the object).
    SetMaxEntries(extras_->maps.drops_a, drops ? options.max_flows : 1);
    SetMaxEntries(extras_->maps.drops_b, drops ? options.max_flows : 1);
    SetMaxEntries(extras_->maps.rtt_a, hook != RttHook::kNone ? options.max_flows : 1);
    SetMaxEntries(extras_->maps.rtt_b, hook != RttHook::kNone ? options.max_flows : 1);
    // The same rules and counters as the TC programs: their maps, not copies.
    if (!extras_->rodata) throw SysError("drops/RTT BPF object has no .rodata", ENOENT);
    extras_->rodata->filter_rule_count = uint32_t(filter_rule_count_);
    const std::pair<bpf_map*, bpf_map*> shared[] = {
        {extras_->maps.filter_rules, skeleton_->maps.filter_rules},
        {extras_->maps.filter_peers, skeleton_->maps.filter_peers},
        {extras_->maps.filter_counters, skeleton_->maps.filter_counters},
        {extras_->maps.doorbell, skeleton_->maps.doorbell},
    };
    for (const auto& [theirs, ours] : shared) {
      if (int err = bpf_map__reuse_fd(theirs, MapFd(ours)))
        throw SysError(std::string("share BPF map ") + bpf_map__name(ours), err);
    }
    int err = flowcast_extras_bpf__load(extras_);
    if (err == 0) break;
    std::string log = TakeLibbpfLog();
    flowcast_extras_bpf__destroy(extras_);
    extras_ = nullptr;
    if (hook == RttHook::kFentry) {
      hook = RttHook::kTracepoint;
      continue;
    }
    if (hook == RttHook::kTracepoint) {
      unavailable_.push_back(
          "TCP RTT (ENABLE_RTT): the kernel refused fentry on tcp_rcv_established and the tcp:tcp_probe tracepoint (" +
          std::string(strerror(err < 0 ? -err : err)) + ")");
      hook = RttHook::kNone;
      rtt = false;
      if (drops) continue;
      return;
    }
    throw SysError("load the drops BPF program" + (log.empty() ? "" : " (libbpf: " + log.substr(0, 2000) + ")"), err);
  }
  // Attached here rather than by the skeleton's attach, to name the program that failed; the
  // links are kept in the skeleton, which destroys them.
  const std::pair<bpf_program*, bpf_link**> programs[] = {
      {extras_->progs.flowcast_kfree_skb, &extras_->links.flowcast_kfree_skb},
      {extras_->progs.flowcast_tcp_rcv_established, &extras_->links.flowcast_tcp_rcv_established},
      {extras_->progs.flowcast_tcp_probe, &extras_->links.flowcast_tcp_probe},
  };
  for (const auto& [program, link] : programs) {
    if (!bpf_program__autoload(program)) continue;
    *link = bpf_program__attach(program);
    if (!*link) throw SysError(std::string("attach BPF program ") + bpf_program__name(program), errno);
  }
  if (extras_->bss) {
    drops_written_ = &extras_->bss->drops_written;
    rtt_written_ = &extras_->bss->rtt_written;
    parked_[1] = &extras_->bss->parked;
  }
  if (drops) {
    drops_outer_fd_ = MapFd(extras_->maps.active_drops);
    drops_fd_[0] = MapFd(extras_->maps.drops_a);
    drops_fd_[1] = MapFd(extras_->maps.drops_b);
  }
  if (rtt) {
    rtt_outer_fd_ = MapFd(extras_->maps.active_rtt);
    rtt_fd_[0] = MapFd(extras_->maps.rtt_a);
    rtt_fd_[1] = MapFd(extras_->maps.rtt_b);
  }
}

std::string Capture::Attach(const std::string& ifname, Direction direction, AttachMode mode) {
  const std::string what = "attach to " + ifname + " " + DirectionName(direction);
  if (attachments_.count({ifname, direction})) return attachments_[{ifname, direction}].link_fd >= 0 ? "tcx" : "tc";
  int ifindex = int(if_nametoindex(ifname.c_str()));
  if (ifindex == 0) throw SysError(what, errno == ENXIO ? ENODEV : errno);
  int program = program_fd_[int(direction)];

  if (mode != AttachMode::kTc) {
    int link = bpf_link_create(program, ifindex, bpf_attach_type(TcxAttachType(direction)), nullptr);
    if (link >= 0) {
      attachments_[{ifname, direction}] = {ifindex, link};
      return "tcx";
    }
    // Kernels before 6.6 do not know the TCX attach types: fall back to clsact when allowed.
    if (mode == AttachMode::kTcx || (link != -EINVAL && link != -EOPNOTSUPP)) throw SysError(what + " (tcx)", link);
  }

  bpf_tc_hook hook = TcHook(ifindex, direction);
  int err = bpf_tc_hook_create(&hook);
  if (err && err != -EEXIST) throw SysError(what + " (create clsact qdisc)", err);
  bpf_tc_opts opts = OurTcFilter();
  opts.prog_fd = program;
  opts.flags = BPF_TC_F_REPLACE;
  err = bpf_tc_attach(&hook, &opts);
  if (err) throw SysError(what + " (clsact filter)", err);
  attachments_[{ifname, direction}] = {ifindex, -1};
  return "tc";
}

void Capture::Detach(const std::string& ifname, Direction direction) {
  auto found = attachments_.find({ifname, direction});
  if (found == attachments_.end()) return;
  Attachment attachment = found->second;
  attachments_.erase(found);
  if (attachment.link_fd >= 0) {
    close(attachment.link_fd);
    return;
  }
  int err = DetachTcFilter(attachment.ifindex, direction);
  // The interface may be gone already, taking its filters with it.
  if (err && err != -ENOENT && err != -ENODEV && err != -EINVAL) {
    throw SysError("detach from " + ifname + " " + DirectionName(direction), err);
  }
}

std::string Capture::Reattach(const std::string& ifname, Direction direction, AttachMode mode) {
  auto found = attachments_.find({ifname, direction});
  if (found != attachments_.end()) {
    if (found->second.link_fd >= 0) close(found->second.link_fd);  // detached from outside: defunct
    attachments_.erase(found);
  }
  return Attach(ifname, direction, mode);
}

std::vector<std::pair<std::string, Direction>> Capture::LostAttachments() const {
  std::vector<std::pair<std::string, Direction>> lost;
  for (const auto& [where, attachment] : attachments_) {
    const uint32_t ours = program_id_[int(where.second)];
    bool present = false;
    if (attachment.link_fd >= 0) {
      // Our program among those attached at the TCX hook (a detached link leaves it).
      const auto type = bpf_attach_type(TcxAttachType(where.second));
      uint32_t count = 0;
      if (bpf_prog_query(attachment.ifindex, type, 0, nullptr, nullptr, &count) == 0 && count > 0) {
        std::vector<uint32_t> ids(count + 8);  // room for a few attached meanwhile
        count = uint32_t(ids.size());
        if (bpf_prog_query(attachment.ifindex, type, 0, nullptr, ids.data(), &count) == 0) {
          present = std::find(ids.begin(), ids.begin() + count, ours) != ids.begin() + count;
        }
      }
    } else {
      // Our handle and priority still hold our program (not deleted, not replaced).
      bpf_tc_hook hook = TcHook(attachment.ifindex, where.second);
      bpf_tc_opts opts = OurTcFilter();
      present = bpf_tc_query(&hook, &opts) == 0 && opts.prog_id == ours;
    }
    if (!present) lost.push_back(where);
  }
  return lost;
}

void Capture::RemoveStaleFilters(const std::string& ifname) {
  int ifindex = int(if_nametoindex(ifname.c_str()));
  if (ifindex == 0) throw SysError("remove stale filters from " + ifname, ENODEV);
  for (Direction direction : {Direction::kIngress, Direction::kEgress}) {
    int err = DetachTcFilter(ifindex, direction);
    // ENOENT (nothing stale) is the usual answer; EINVAL when the interface has no clsact qdisc.
    if (err && err != -ENOENT && err != -ENODEV && err != -EINVAL) {
      throw SysError("remove stale filters from " + ifname + " " + DirectionName(direction), err);
    }
  }
}

int Capture::OnOverflowRecord(void* context, void* data, size_t size) {
  if (size < sizeof(flow_record)) return 0;
  auto* self = static_cast<Capture*>(context);
  flow_record record;
  memcpy(&record, data, sizeof(record));
  KeyBytes key(reinterpret_cast<const char*>(&record.key), sizeof(record.key));
  auto found = self->overflow_.find(key);
  if (found == self->overflow_.end()) {
    if (self->overflow_.size() >= self->max_flows_) {
      self->overflow_lost_ += record.metrics.packets;
      return 0;
    }
    found = self->overflow_.emplace(std::move(key), flow_metrics{}).first;
  }
  self->observed_missed_ += Merge(&found->second, record.metrics);
  return 0;
}

bool Capture::ConsumeOverflow() {
  std::lock_guard<std::mutex> lock(overflow_mutex_);
  if (!overflow_ring_) return false;
  int consumed = ring_buffer__consume(overflow_ring_);
  if (consumed < 0) throw SysError("read the overflow ring buffer", consumed);
  return consumed > 0;
}

ring_buffer* Capture::OpenRing(int map_fd, int (*on_record)(void*, void*, size_t), void* context, const char* name,
                               int* epoll_fd) {
  ring_buffer* ring = ring_buffer__new(map_fd, on_record, context, nullptr);
  if (!ring) throw SysError(std::string("open the ") + name + " ring buffer", errno);
  *epoll_fd = ring_buffer__epoll_fd(ring);
  if (*epoll_fd < 0) {
    int err = *epoll_fd;
    ring_buffer__free(ring);
    throw SysError(std::string("watch the ") + name + " ring buffer", err);
  }
  return ring;
}

void Capture::MapOverflow() {
  // Records written before the mapping are in the ring still: the consumer position starts at 0.
  int fd = -1;
  overflow_ring_ = OpenRing(ring_fd_, OnOverflowRecord, this, "overflow", &fd);
  overflow_fd_ = fd;
}

bool Capture::MapOverflowIfUsedLocked() {
  if (overflow_ring_ || !overflow_used_ || !__atomic_load_n(overflow_used_, __ATOMIC_SEQ_CST)) return false;
  MapOverflow();
  return true;
}

bool Capture::MapOverflowIfUsed() {
  std::lock_guard<std::mutex> lock(overflow_mutex_);
  return MapOverflowIfUsedLocked();
}

// What the record says (FLOWCAST_DOORBELL_*) is not needed: the flags say it, and more exactly.
int Capture::OnDoorbellRecord(void*, void*, size_t) { return 0; }

void Capture::ConsumeDoorbell() {
  int consumed = ring_buffer__consume(doorbell_ring_);
  if (consumed < 0) throw SysError("read the doorbell ring buffer", consumed);
}

bool Capture::AnyWritten() const {
  auto written = [](const uint32_t* flag) { return !flag || __atomic_load_n(flag, __ATOMIC_SEQ_CST) != 0; };
  return written(flows_written_) || (dns_tracking() && written(dns_written_)) ||
         (packet_drops() && written(drops_written_)) || (rtt() && written(rtt_written_));
}

bool Capture::Park() {
  std::unique_lock<std::mutex> drain_lock(drain_mutex_, std::try_to_lock);
  if (!drain_lock.owns_lock() || forced_drains_ > 0 || !parked_[0] || (extras_ && !parked_[1])) return false;
  // Parked first, then the flags: the order bpf/written.h's argument needs (an exchange is a full
  // barrier, as the programs' BPF_XCHG is).
  for (uint32_t* parked : parked_) {
    if (parked) __atomic_exchange_n(parked, 1u, __ATOMIC_SEQ_CST);
  }
  if (AnyWritten()) {
    Unpark();
    return false;
  }
  return true;
}

void Capture::Unpark() {
  for (uint32_t* parked : parked_) {
    if (parked) __atomic_store_n(parked, 0u, __ATOMIC_SEQ_CST);
  }
}

void Capture::DrainMap(int map_fd, std::vector<flow_record>* out) {
  DrainHash<flow_key, flow_metrics>(map_fd, "flow map", [out](const flow_key& key, const flow_metrics& metrics) {
    out->push_back(flow_record{key, metrics});
  });
}

bool Capture::TakeWritten(uint32_t* written, bool force) {
  // Cleared before the switch and the read, atomically against the programs' stores: an entry
  // created later sets it again and is read next time (bpf/written.h says why nothing is lost).
  const bool was_written = !written || __atomic_exchange_n(written, 0u, __ATOMIC_SEQ_CST) != 0;
  return was_written || force;
}

int Capture::FlipExtras(int outer_fd, const int inner_fd[2], int* active, uint32_t* written) {
  const uint32_t slot = 0;
  int idle = *active;
  // As for the flow maps: returns once no program can still be writing to the idle hash.
  if (bpf_map_update_elem(outer_fd, &slot, &inner_fd[1 - idle], BPF_ANY)) {
    SysError error("switch the active drops/RTT/DNS map", errno);
    if (written) __atomic_store_n(written, 1u, __ATOMIC_SEQ_CST);
    throw error;
  }
  *active = 1 - idle;
  return inner_fd[idle];
}

void Capture::AddExtras(bool force, bool both_maps, DrainResult* result) {
  if (!has_extras()) return;
  struct Entry {
    drop_metrics drops = {};
    uint64_t rtt_ns = 0;
    dns_metrics dns = {};
    bool has_dns = false;
    size_t drop_owner = SIZE_MAX;  // the flow the drops go to
    bool matched = false;          // some flow has this tuple
  };
  using TupleBytes = std::string;
  auto bytes = [](const flow_tuple& tuple) { return TupleBytes(reinterpret_cast<const char*>(&tuple), sizeof(tuple)); };
  std::unordered_map<TupleBytes, Entry> entries;
  auto add_drops = [&](const flow_tuple& tuple, const drop_metrics& drops) {
    drop_metrics& into = entries[bytes(tuple)].drops;
    if (into.packets == 0 || drops.last_seen >= into.last_seen) {
      uint64_t packets = into.packets, total = into.bytes, first = into.first_seen;
      into = drops;
      into.packets += packets;
      into.bytes += total;
      if (packets) into.first_seen = std::min<__u64>(first, drops.first_seen);
    } else {
      into.packets += drops.packets;
      into.bytes += drops.bytes;
      into.first_seen = std::min<__u64>(into.first_seen, drops.first_seen);
    }
  };
  auto add_rtt = [&](const flow_tuple& tuple, const uint64_t& rtt_ns) {
    uint64_t& into = entries[bytes(tuple)].rtt_ns;
    into = std::max<uint64_t>(into, rtt_ns);
  };
  auto add_dns = [&](const flow_tuple& tuple, const dns_metrics& dns) {
    Entry& into = entries[bytes(tuple)];
    // At close both hashes are read, the newer second: it wins, as the last message does.
    into.dns = dns;
    into.has_dns = true;
  };
  for (int round = 0; round < (both_maps ? 2 : 1); round++) {
    if (dns_tracking() && TakeWritten(dns_written_, force)) {
      KeepingWhatWasTaken(&result->errors, [&] {
        DrainHash<flow_tuple, dns_metrics>(FlipExtras(dns_outer_fd_, dns_fd_, &dns_active_, dns_written_), "DNS map",
                                           add_dns);
      });
    }
    if (packet_drops() && TakeWritten(drops_written_, force)) {
      KeepingWhatWasTaken(&result->errors, [&] {
        DrainHash<flow_tuple, drop_metrics>(FlipExtras(drops_outer_fd_, drops_fd_, &drops_active_, drops_written_),
                                            "drop map", add_drops);
      });
    }
    if (rtt() && TakeWritten(rtt_written_, force)) {
      KeepingWhatWasTaken(&result->errors, [&] {
        DrainHash<flow_tuple, uint64_t>(FlipExtras(rtt_outer_fd_, rtt_fd_, &rtt_active_, rtt_written_), "RTT map",
                                        add_rtt);
      });
    }
  }
  std::vector<flow_record>& flows = result->flows;
  result->extras.assign(flows.size(), flow_extras{});
  if (entries.empty()) return;
  // The RTT and DNS go to every flow of its 5-tuple (each interface the connection crossed); the
  // drops to one of them, so that they are counted once: an ingress flow when there is one (drops
  // happen mostly on the receive path), else the first.
  for (size_t i = 0; i < flows.size(); i++) {
    auto found = entries.find(bytes(TupleOf(flows[i].key)));
    if (found == entries.end()) continue;
    Entry& entry = found->second;
    entry.matched = true;
    result->extras[i].rtt_ns = entry.rtt_ns;
    if (entry.has_dns) SetDns(entry.dns, &result->extras[i]);
    if (entry.drops.packets == 0) continue;
    if (entry.drop_owner == SIZE_MAX || (flows[i].metrics.direction == FLOWCAST_DIRECTION_INGRESS &&
                                         flows[entry.drop_owner].metrics.direction != FLOWCAST_DIRECTION_INGRESS)) {
      entry.drop_owner = i;
    }
  }
  const uint64_t now = ClockNs(CLOCK_BOOTTIME);
  for (auto& [key, entry] : entries) {
    flow_extras extras = {};
    extras.rtt_ns = entry.rtt_ns;
    if (entry.has_dns) SetDns(entry.dns, &extras);
    if (entry.drops.packets > 0) {
      extras.has_drops = 1;
      extras.drop_packets = entry.drops.packets;
      extras.drop_bytes = entry.drops.bytes;
      extras.drop_cause = entry.drops.latest_cause;
      extras.drop_flags = entry.drops.latest_flags;
      extras.drop_state = entry.drops.latest_state;
    }
    if (entry.drop_owner != SIZE_MAX) {
      flow_extras& owner = result->extras[entry.drop_owner];
      owner.has_drops = extras.has_drops;
      owner.drop_packets = extras.drop_packets;
      owner.drop_bytes = extras.drop_bytes;
      owner.drop_cause = extras.drop_cause;
      owner.drop_flags = extras.drop_flags;
      owner.drop_state = extras.drop_state;
      continue;
    }
    if (entry.matched && !extras.has_drops) continue;
    // No flow of this tuple in the drain (its packets were not on a captured interface, or are in
    // the next drain): a flow of its own with no packets, on interface 0, as NetObserv does.
    flow_tuple tuple;
    memcpy(&tuple, key.data(), sizeof(tuple));
    flow_record record = {};
    memcpy(record.key.src_ip, tuple.src_ip, sizeof(tuple.src_ip));
    memcpy(record.key.dst_ip, tuple.dst_ip, sizeof(tuple.dst_ip));
    record.key.src_port = tuple.src_port;
    record.key.dst_port = tuple.dst_port;
    record.key.protocol = tuple.protocol;
    record.key.icmp_type = tuple.icmp_type;
    record.key.icmp_code = tuple.icmp_code;
    record.metrics.direction = FLOWCAST_DIRECTION_INGRESS;
    static const uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    record.key.eth_protocol = memcmp(tuple.src_ip, kMappedPrefix, 12) == 0 ? 0x0800 : 0x86dd;
    record.metrics.first_seen = extras.has_drops ? entry.drops.first_seen : now;
    record.metrics.last_seen = extras.has_drops ? entry.drops.last_seen : now;
    record.metrics.sampling = 1;
    flows.push_back(record);
    result->extras.push_back(extras);
  }
}

bool Capture::DrainIfIdle() {
  std::unique_lock<std::mutex> drain_lock(drain_mutex_, std::try_to_lock);
  if (!drain_lock.owns_lock() || forced_drains_ > 0) return false;
  // The flags are only read: a drain that sees one set exchanges it. The ring buffer needs no look:
  // a program sets the flows flag before it tries the insert that sends a packet there instead.
  if (AnyWritten()) return false;
  idle_drains_++;
  return true;
}

DrainResult Capture::Drain(bool both_maps) {
  std::lock_guard<std::mutex> drain_lock(drain_mutex_);
  DrainResult result;
  std::vector<flow_record>& out = result.flows;
  const uint32_t slot = 0;
  // A map read deletes what it reads, so once one started, throwing would lose those flows
  // uncounted: from there on a failure is recorded in result.errors and the drain goes on. What a
  // failed step did not take stays in the kernel (a map's rest is read at the drain after next, the
  // ring's at the next one), so every packet is still delivered once or counted as lost; only at
  // close, with no drain after it, does a map's unread rest go with the map (its error reported).
  // An idle agent's drain neither switches nor reads a hash nothing was written to (bpf/written.h):
  // reading walks every bucket of it, empty or not. Close reads both whatever the flags say.
  const bool force = both_maps || forced_drains_ > 0;
  if (TakeWritten(flows_written_, force)) {
    for (int round = 0; round < (both_maps ? 2 : 1); round++) {
      int idle = active_;
      int next = 1 - active_;
      // Returns once no program can still be writing to inner_fd_[idle] (the kernel waits for
      // running BPF programs when a map-in-map slot changes), so draining it loses nothing.
      if (bpf_map_update_elem(outer_fd_, &slot, &inner_fd_[next], BPF_ANY)) {
        SysError error("switch the active flow map", errno);
        if (round == 0) {  // nothing taken yet; the hash still holds what was written
          if (flows_written_) __atomic_store_n(flows_written_, 1u, __ATOMIC_SEQ_CST);
          throw error;
        }
        result.errors.push_back(error);
        break;
      }
      active_ = next;
      KeepingWhatWasTaken(&result.errors, [&] { DrainMap(inner_fd_[idle], &out); });
    }
  } else {
    idle_drains_++;
  }
  std::unordered_map<KeyBytes, flow_metrics> overflow;
  {
    // Only the ring buffer and the swap under the lock the main thread takes too; merge after.
    std::lock_guard<std::mutex> lock(overflow_mutex_);
    // Records read before a failure are in overflow_ already and are taken with it. A ring used
    // but not mapped yet (the doorbell not handled yet) is mapped here, to be read now.
    bool unmapped = false;
    try {
      MapOverflowIfUsedLocked();
    } catch (const SysError& error) {
      result.errors.push_back(error);
      unmapped = true;
    }
    if (!overflow_ring_) {
      result.ring_read = !unmapped;  // nothing was written to it
    } else if (int err = ring_buffer__consume(overflow_ring_); err < 0) {
      result.errors.emplace_back("read the overflow ring buffer", err);
    } else {
      result.ring_read = true;
    }
    overflow.swap(overflow_);
  }
  if (!overflow.empty()) {
    // A flow can be in a map and in the ring buffer (it overflowed before the map was switched):
    // merge, so that a drain holds each flow once.
    for (flow_record& record : out) {
      auto found = overflow.find(KeyBytes(reinterpret_cast<const char*>(&record.key), sizeof(record.key)));
      if (found == overflow.end()) continue;
      observed_missed_ += Merge(&record.metrics, found->second);
      overflow.erase(found);
    }
    for (auto& [key, metrics] : overflow) {
      flow_record record = {};
      memcpy(&record.key, key.data(), sizeof(record.key));
      record.metrics = metrics;
      out.push_back(record);
    }
  }
  AddExtras(force, both_maps, &result);
  // A hash read half way keeps its rest, and is the active one again after the next switch: read
  // every hash at the next two drains, whatever the flags say, so that the rest is not left there.
  forced_drains_ = result.errors.empty() ? std::max(0, forced_drains_ - 1) : 2;
  const uint64_t boot_to_realtime = ClockNs(CLOCK_REALTIME) - ClockNs(CLOCK_BOOTTIME);
  for (flow_record& record : out) {
    record.metrics.first_seen += boot_to_realtime;
    record.metrics.last_seen += boot_to_realtime;
  }
  return result;
}

std::array<uint64_t, FLOWCAST_COUNTER_MAX> Capture::Counters() const {
  std::array<uint64_t, FLOWCAST_COUNTER_MAX> totals = {};
  std::vector<uint64_t> per_cpu(cpus_);  // the counters are a per-CPU array
  for (uint32_t index = 0; index < FLOWCAST_COUNTER_MAX; index++) {
    if (bpf_map_lookup_elem(counters_fd_, &index, per_cpu.data())) throw SysError("read counters", errno);
    for (uint64_t value : per_cpu) totals[index] += value;
  }
  totals[FLOWCAST_COUNTER_LOST_PACKETS] += overflow_lost_.load();
  totals[FLOWCAST_COUNTER_OBSERVED_MISSED] += observed_missed_.load();
  return totals;
}

std::vector<FilterCounts> Capture::FilterCounters() const {
  std::vector<FilterCounts> counts;
  if (filter_rule_count_ == 0) return counts;
  std::vector<uint64_t> per_cpu(cpus_);
  auto total = [&](uint32_t rule, uint32_t outcome) {
    uint32_t index = rule * 3 + outcome;
    if (bpf_map_lookup_elem(filter_counters_fd_, &index, per_cpu.data())) throw SysError("read filter counters", errno);
    uint64_t sum = 0;
    for (uint64_t value : per_cpu) sum += value;
    return sum;
  };
  for (uint32_t rule = 0; rule < filter_rule_count_; rule++) {
    counts.push_back({total(rule, FLOWCAST_FILTER_ACCEPTED), total(rule, FLOWCAST_FILTER_REJECTED),
                      total(rule, FLOWCAST_FILTER_NO_MATCH)});
  }
  counts.push_back({0, 0, total(FLOWCAST_MAX_FILTER_RULES, FLOWCAST_FILTER_NO_MATCH)});
  return counts;
}

uint64_t Capture::FlowMapsMemory() const { return Memlock(inner_fd_[0]) + Memlock(inner_fd_[1]); }

uint64_t Capture::RingBufferMemory() const { return Memlock(ring_fd_); }

}  // namespace flowcast
