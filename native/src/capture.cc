#include "capture.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <fstream>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "errors.h"

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

int MapFd(bpf_object* object, const char* name) {
  bpf_map* map = bpf_object__find_map_by_name(object, name);
  if (!map) throw SysError(std::string("BPF object has no map ") + name, ENOENT);
  return bpf_map__fd(map);
}

// Writes the settings into the flowcast_config variable of .rodata before load.
void Configure(bpf_object* object, const flowcast_config& config) {
  bpf_map* rodata = bpf_object__find_map_by_name(object, ".rodata");
  btf* types = bpf_object__btf(object);
  if (!rodata || !types) throw SysError("BPF object has no .rodata or BTF", ENOENT);
  int section_id = btf__find_by_name_kind(types, ".rodata", BTF_KIND_DATASEC);
  if (section_id < 0) throw SysError("BPF object has no .rodata section type", ENOENT);
  const btf_type* section = btf__type_by_id(types, section_id);
  const btf_var_secinfo* vars = btf_var_secinfos(section);
  size_t size = 0;
  const auto* initial = static_cast<const uint8_t*>(bpf_map__initial_value(rodata, &size));
  std::vector<uint8_t> data(initial, initial + size);
  for (int i = 0; i < btf_vlen(section); i++) {
    const char* name = btf__name_by_offset(types, btf__type_by_id(types, vars[i].type)->name_off);
    if (strcmp(name, "flowcast_config") == 0 && vars[i].offset + sizeof(config) <= size) {
      memcpy(data.data() + vars[i].offset, &config, sizeof(config));
      if (int err = bpf_map__set_initial_value(rodata, data.data(), size)) throw SysError("configure BPF object", err);
      return;
    }
  }
  throw SysError("BPF object has no flowcast_config variable", ENOENT);
}

// Adds a packet from the ring buffer (or a flow's earlier total) into a flow's total.
void Merge(flow_metrics* into, const flow_metrics& from) {
  if (from.packets == 0) return;
  if (into->packets == 0 || from.first_seen < into->first_seen) into->first_seen = from.first_seen;
  if (from.last_seen >= into->last_seen) {
    into->last_seen = from.last_seen;
    into->dscp = from.dscp;
  }
  into->packets += from.packets;
  into->bytes += from.bytes;
  into->tcp_flags |= from.tcp_flags;
  into->sampling = from.sampling;
}

}  // namespace

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
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), socklen_t(offsetof(sockaddr_un, sun_path) + 1 + length)) == 0) return fd;
  int err = errno;
  close(fd);
  if (err == EADDRINUSE) return -1;
  throw SysError("take the " + name + " lock", err);
}

Capture::Capture(const CaptureOptions& options) {
  InstallLibbpfLogger();
  TakeLibbpfLog();
  try {
    object_ = bpf_object__open_file(options.object_path.c_str(), nullptr);
    if (!object_) throw SysError("open BPF object " + options.object_path, errno);
    Configure(object_, flowcast_config{options.sampling, options.ring_buffer_bytes / 8});
    for (const char* name : {"flows_a", "flows_b"}) {
      bpf_map__set_max_entries(bpf_object__find_map_by_name(object_, name), options.max_flows);
    }
    bpf_map__set_max_entries(bpf_object__find_map_by_name(object_, "overflow_events"), options.ring_buffer_bytes);
    if (int err = bpf_object__load(object_)) {
      std::string log = TakeLibbpfLog();
      throw SysError("load BPF programs" + (log.empty() ? "" : " (libbpf: " + log.substr(0, 2000) + ")"), err);
    }
    program_fd_[int(Direction::kIngress)] =
        bpf_program__fd(bpf_object__find_program_by_name(object_, "flowcast_ingress"));
    program_fd_[int(Direction::kEgress)] =
        bpf_program__fd(bpf_object__find_program_by_name(object_, "flowcast_egress"));
    outer_fd_ = MapFd(object_, "active_flows");
    inner_fd_[0] = MapFd(object_, "flows_a");
    inner_fd_[1] = MapFd(object_, "flows_b");
    counters_fd_ = MapFd(object_, "counters");
    ring_fd_ = MapFd(object_, "overflow_events");
    for (Direction direction : {Direction::kIngress, Direction::kEgress}) {
      program_id_[int(direction)] = ProgramId(program_fd_[int(direction)]);
    }
    max_flows_ = options.max_flows;
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) throw SysError("count possible CPUs", cpus);
    cpus_ = unsigned(cpus);
    overflow_ring_ = ring_buffer__new(MapFd(object_, "overflow_events"), OnOverflowRecord, this, nullptr);
    if (!overflow_ring_) throw SysError("open the overflow ring buffer", errno);
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
      DetachTcFilter(attachment.ifindex, where.second);
    }
  }
  attachments_.clear();
  if (overflow_ring_) ring_buffer__free(overflow_ring_);
  overflow_ring_ = nullptr;
  if (object_) bpf_object__close(object_);
  object_ = nullptr;
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
    DetachTcFilter(ifindex, direction);  // ENOENT (nothing stale) is the usual answer
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
  Merge(&found->second, record.metrics);
  return 0;
}

bool Capture::ConsumeOverflow() {
  std::lock_guard<std::mutex> lock(overflow_mutex_);
  return ring_buffer__consume(overflow_ring_) > 0;
}

int Capture::overflow_fd() const { return ring_buffer__epoll_fd(overflow_ring_); }

void Capture::DrainMap(int map_fd, std::vector<flow_record>* out) {
  uint32_t chunk = kDrainChunk;
  std::vector<flow_key> keys(chunk);
  std::vector<flow_metrics> values(chunk);
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
    if (err && err != -ENOENT) throw SysError("drain flow map", err);
    for (uint32_t i = 0; i < count; i++) out->push_back(flow_record{keys[i], values[i]});
    if (err == -ENOENT) return;
    batch_in = batch_out;
    first = false;
  }
}

std::vector<flow_record> Capture::Drain(bool both_maps) {
  std::lock_guard<std::mutex> drain_lock(drain_mutex_);
  std::vector<flow_record> out;
  const uint32_t slot = 0;
  for (int round = 0; round < (both_maps ? 2 : 1); round++) {
    int idle = active_;
    int next = 1 - active_;
    // Returns once no program can still be writing to inner_fd_[idle] (the kernel waits for
    // running BPF programs when a map-in-map slot changes), so draining it loses nothing.
    if (bpf_map_update_elem(outer_fd_, &slot, &inner_fd_[next], BPF_ANY)) {
      throw SysError("switch the active flow map", errno);
    }
    active_ = next;
    DrainMap(inner_fd_[idle], &out);
  }
  std::unordered_map<KeyBytes, flow_metrics> overflow;
  {
    // Only the ring buffer and the swap under the lock the main thread takes too; merge after.
    std::lock_guard<std::mutex> lock(overflow_mutex_);
    ring_buffer__consume(overflow_ring_);
    overflow.swap(overflow_);
  }
  if (!overflow.empty()) {
    // A flow can be in a map and in the ring buffer (it overflowed before the map was switched):
    // merge, so that a drain holds each flow once.
    for (flow_record& record : out) {
      auto found = overflow.find(KeyBytes(reinterpret_cast<const char*>(&record.key), sizeof(record.key)));
      if (found == overflow.end()) continue;
      Merge(&record.metrics, found->second);
      overflow.erase(found);
    }
    for (auto& [key, metrics] : overflow) {
      flow_record record = {};
      memcpy(&record.key, key.data(), sizeof(record.key));
      record.metrics = metrics;
      out.push_back(record);
    }
  }
  const uint64_t boot_to_realtime = ClockNs(CLOCK_REALTIME) - ClockNs(CLOCK_BOOTTIME);
  for (flow_record& record : out) {
    record.metrics.first_seen += boot_to_realtime;
    record.metrics.last_seen += boot_to_realtime;
  }
  return out;
}

std::array<uint64_t, FLOWCAST_COUNTER_MAX> Capture::Counters() const {
  std::array<uint64_t, FLOWCAST_COUNTER_MAX> totals = {};
  std::vector<uint64_t> per_cpu(cpus_);  // the counters are a per-CPU array
  for (uint32_t index = 0; index < FLOWCAST_COUNTER_MAX; index++) {
    if (bpf_map_lookup_elem(counters_fd_, &index, per_cpu.data())) throw SysError("read counters", errno);
    for (uint64_t value : per_cpu) totals[index] += value;
  }
  totals[FLOWCAST_COUNTER_LOST_PACKETS] += overflow_lost_.load();
  return totals;
}

uint64_t Capture::FlowMapsMemory() const { return Memlock(inner_fd_[0]) + Memlock(inner_fd_[1]); }

uint64_t Capture::RingBufferMemory() const { return Memlock(ring_fd_); }

}  // namespace flowcast
