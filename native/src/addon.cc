// N-API surface of the capture core. Flows cross into JavaScript as one Buffer per drain.
#include <napi.h>
#include <uv.h>

#include <cstddef>
#include <cstring>
#include <memory>

#include "capture.h"
#include "errors.h"
#include "links.h"

namespace flowcast {
namespace {

// The one place the core's errors become JavaScript ones: the sentence, errno and its name as code.
Napi::Error ToJsError(Napi::Env env, const SysError& error) {
  Napi::Error js = Napi::Error::New(env, DescribeSysError(error));
  const char* name = ErrnoName(error.err());
  js.Set("errno", Napi::Number::New(env, error.err()));
  js.Set("code", Napi::String::New(env, name ? name : "UNKNOWN"));
  return js;
}

Direction ParseDirection(const Napi::Value& value) {
  std::string name = value.IsString() ? value.As<Napi::String>().Utf8Value() : "";
  if (name == "ingress") return Direction::kIngress;
  if (name == "egress") return Direction::kEgress;
  throw Napi::TypeError::New(value.Env(), "direction must be \"ingress\" or \"egress\", got \"" + name + "\"");
}

AttachMode ParseMode(const Napi::Value& value) {
  std::string name = value.IsString() ? value.As<Napi::String>().Utf8Value() : "any";
  if (name == "any") return AttachMode::kAny;
  if (name == "tcx") return AttachMode::kTcx;
  if (name == "tc") return AttachMode::kTc;
  throw Napi::TypeError::New(value.Env(), "attach mode must be \"any\", \"tcx\" or \"tc\", got \"" + name + "\"");
}

uint32_t OptionalUint(const Napi::Object& options, const char* name, uint32_t fallback) {
  Napi::Value value = options.Get(name);
  if (value.IsUndefined()) return fallback;
  if (!value.IsNumber()) throw Napi::TypeError::New(options.Env(), std::string(name) + " must be a number");
  return value.As<Napi::Number>().Uint32Value();
}

// An address range of FLOW_FILTER_RULES: { prefixLen, ip: 16 bytes (IPv4-mapped) }.
filter_key FilterKey(Napi::Env env, const Napi::Value& value) {
  if (!value.IsObject()) throw Napi::TypeError::New(env, "a filter range must be { prefixLen, ip }");
  Napi::Object range = value.As<Napi::Object>();
  Napi::Value ip = range.Get("ip");
  if (!ip.IsBuffer() || ip.As<Napi::Buffer<uint8_t>>().Length() != 16)
    throw Napi::TypeError::New(env, "a filter range's ip must be a 16-byte Buffer");
  filter_key key = {};
  key.prefix_len = OptionalUint(range, "prefixLen", 128);
  memcpy(key.ip, ip.As<Napi::Buffer<uint8_t>>().Data(), 16);
  return key;
}

// filterRules: [{ range, index, sample, protocol, ..., peer? }] as src/capture/filter.ts writes them.
void ReadFilterRules(Napi::Env env, const Napi::Object& options, CaptureOptions* settings) {
  Napi::Value rules = options.Get("filterRules");
  if (rules.IsUndefined()) return;
  if (!rules.IsArray()) throw Napi::TypeError::New(env, "filterRules must be an array");
  Napi::Array list = rules.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Object rule = list.Get(i).As<Napi::Object>();
    CaptureOptions::FilterRule entry = {};
    entry.key = FilterKey(env, rule.Get("range"));
    filter_rule& r = entry.rule;
    auto u16 = [&](const char* name) { return uint16_t(OptionalUint(rule, name, 0)); };
    auto u8 = [&](const char* name) { return uint8_t(OptionalUint(rule, name, 0)); };
    r.index = OptionalUint(rule, "index", i);
    r.sample = OptionalUint(rule, "sample", 0);
    r.src_port_start = u16("srcPortStart");
    r.src_port_end = u16("srcPortEnd");
    r.src_port1 = u16("srcPort1");
    r.src_port2 = u16("srcPort2");
    r.dst_port_start = u16("dstPortStart");
    r.dst_port_end = u16("dstPortEnd");
    r.dst_port1 = u16("dstPort1");
    r.dst_port2 = u16("dstPort2");
    r.port_start = u16("portStart");
    r.port_end = u16("portEnd");
    r.port1 = u16("port1");
    r.port2 = u16("port2");
    r.tcp_flags = u16("tcpFlags");
    r.protocol = u8("protocol");
    r.icmp_type = u8("icmpType");
    r.icmp_code = u8("icmpCode");
    r.has_icmp_type = u8("hasIcmpType");
    r.has_icmp_code = u8("hasIcmpCode");
    r.direction = uint8_t(OptionalUint(rule, "direction", FLOWCAST_FILTER_ANY_DIRECTION));
    r.action = u8("action");
    r.drops = u8("drops");
    r.has_peer = u8("hasPeer");
    settings->filter_rules.push_back(entry);
  }
  Napi::Value peers = options.Get("filterPeers");
  if (peers.IsUndefined()) return;
  if (!peers.IsArray()) throw Napi::TypeError::New(env, "filterPeers must be an array");
  Napi::Array peer_list = peers.As<Napi::Array>();
  for (uint32_t i = 0; i < peer_list.Length(); i++) {
    Napi::Object peer = peer_list.Get(i).As<Napi::Object>();
    settings->filter_peers.push_back({FilterKey(env, peer.Get("range")), OptionalUint(peer, "rules", 0)});
  }
}

// Closing a poll handle stops it too; libuv frees it only after the loop let go of it.
void ClosePoll(uv_poll_t* poll) {
  uv_close(reinterpret_cast<uv_handle_t*>(poll),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
}

uv_loop_t* EventLoop(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) throw Napi::Error::New(env, "no event loop");
  return loop;
}

// Watches `fd` for reads on the main loop, without keeping the process alive for it.
uv_poll_t* StartPolling(uv_loop_t* loop, int fd, void* owner, uv_poll_cb on_readable, const char* what) {
  auto* poll = new uv_poll_t;
  poll->data = owner;
  // libuv's errors are negative errnos on Linux.
  if (int err = uv_poll_init(loop, poll, fd)) {
    delete poll;  // not initialised: nothing for libuv to close
    throw SysError(what, err);
  }
  if (int err = uv_poll_start(poll, UV_READABLE, on_readable)) {
    ClosePoll(poll);
    throw SysError(what, err);
  }
  uv_unref(reinterpret_cast<uv_handle_t*>(poll));
  return poll;
}

uv_poll_t* StartPolling(Napi::Env env, int fd, void* owner, uv_poll_cb on_readable, const char* what) {
  try {
    return StartPolling(EventLoop(env), fd, owner, on_readable, what);
  } catch (const SysError& error) {
    throw ToJsError(env, error);
  }
}

// Stops a StartPolling watch and releases the callback into JavaScript; both may be gone already.
void StopPolling(uv_poll_t*& poll, Napi::ThreadSafeFunction& callback) {
  if (poll) {
    ClosePoll(poll);
    poll = nullptr;
  }
  if (callback) {
    callback.Release();
    callback = Napi::ThreadSafeFunction();
  }
}

class CaptureHandle;

class DrainWorker : public Napi::AsyncWorker {
 public:
  DrainWorker(Napi::Env env, CaptureHandle* owner, Capture* capture, bool both_maps);
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      result_ = capture_->Drain(both_maps_);
    } catch (const SysError& error) {
      failure_ = std::make_unique<SysError>(error);
      SetError(error.what());
    }
  }
  void OnOK() override;
  void OnError(const Napi::Error& error) override;

 private:
  Napi::Promise::Deferred deferred_;
  CaptureHandle* owner_;
  Capture* capture_;
  bool both_maps_;
  DrainResult result_;
  std::unique_ptr<SysError> failure_;
};

class CaptureHandle : public Napi::ObjectWrap<CaptureHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    // One method a line, as the formatter would not.
    // clang-format off
    return DefineClass(env, "Capture",
                       {InstanceMethod<&CaptureHandle::Attach>("attach"),
                        InstanceMethod<&CaptureHandle::Detach>("detach"),
                        InstanceMethod<&CaptureHandle::Reattach>("reattach"),
                        InstanceMethod<&CaptureHandle::LostAttachments>("lostAttachments"),
                        InstanceMethod<&CaptureHandle::Memory>("memory"),
                        InstanceMethod<&CaptureHandle::RemoveStaleFilters>("removeStaleFilters"),
                        InstanceMethod<&CaptureHandle::Drain>("drain"),
                        InstanceMethod<&CaptureHandle::DrainIfIdle>("drainIfIdle"),
                        InstanceMethod<&CaptureHandle::Park>("park"),
                        InstanceMethod<&CaptureHandle::Unpark>("unpark"),
                        InstanceMethod<&CaptureHandle::Counters>("counters"),
                        InstanceMethod<&CaptureHandle::Features>("features"),
                        InstanceMethod<&CaptureHandle::Close>("close")});
    // clang-format on
  }

  // new Capture({ maxFlows, sampling, ringBufferBytes, onOverflow, onWake, packetDrops, rtt, dnsPort, deduplicate })
  explicit CaptureHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CaptureHandle>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "Capture needs an options object");
    Napi::Object options = info[0].As<Napi::Object>();
    CaptureOptions settings{OptionalUint(options, "maxFlows", 100000), OptionalUint(options, "sampling", 1),
                            OptionalUint(options, "ringBufferBytes", 1 << 22)};
    settings.packet_drops = options.Get("packetDrops").ToBoolean().Value();
    settings.rtt = options.Get("rtt").ToBoolean().Value();
    const uint32_t dns_port = OptionalUint(options, "dnsPort", 0);
    if (dns_port > 65535)
      throw Napi::RangeError::New(env, "dnsPort must be a port (1-65535), or 0 for no DNS tracking");
    settings.dns_port = uint16_t(dns_port);
    settings.deduplicate = !options.Has("deduplicate") || options.Get("deduplicate").ToBoolean().Value();
    ReadFilterRules(env, options, &settings);
    try {
      capture_ = std::make_unique<Capture>(settings);
    } catch (const SysError& error) {
      throw ToJsError(env, error);
    }
    Napi::Value on_overflow = options.Get("onOverflow");
    if (on_overflow.IsFunction()) {
      on_overflow_ = Napi::ThreadSafeFunction::New(env, on_overflow.As<Napi::Function>(), "flowcast-overflow", 0, 1);
      on_overflow_.Unref(env);
    }
    Napi::Value on_wake = options.Get("onWake");
    if (on_wake.IsFunction()) {
      on_wake_ = Napi::ThreadSafeFunction::New(env, on_wake.As<Napi::Function>(), "flowcast-wake", 0, 1);
      on_wake_.Unref(env);
    }
    try {
      loop_ = EventLoop(env);
      doorbell_poll_ = StartPolling(env, capture_->doorbell_fd(), this, OnDoorbell, "watch the doorbell ring buffer");
      if (capture_->overflow_fd() >= 0) {
        poll_ = StartPolling(env, capture_->overflow_fd(), this, OnPollable, "watch the overflow ring buffer");
      }
    } catch (...) {
      Shutdown();  // no watch may outlive this object, nor a callback stay referenced
      throw;
    }
  }

  ~CaptureHandle() override { Shutdown(); }

  void DrainFinished() {
    draining_--;
    overflow_notified_ = false;
  }

  // After a drain that resolved: the ring buffer watch's failure since the last one, reported with
  // it; and a watch stopped by a failure starts again once a drain read the ring without one.
  std::vector<SysError> TakeRingWatchErrors(bool ring_read) {
    if (ring_read) WatchOverflow();  // a drain mapped the ring
    std::vector<SysError> errors;
    if (ring_watch_error_) errors.push_back(*ring_watch_error_);
    ring_watch_error_.reset();
    if (ring_watch_stopped_ && ring_read && poll_) {
      if (int err = uv_poll_start(poll_, UV_READABLE, OnPollable)) {
        errors.emplace_back("watch the overflow ring buffer again", err);
      } else {
        ring_watch_stopped_ = false;
      }
    }
    return errors;
  }

 private:
  Capture& Open(Napi::Env env) {
    if (!capture_) throw Napi::Error::New(env, "capture is closed");
    return *capture_;
  }

  // attach(ifname, direction, mode?) -> "tcx" | "tc"
  Napi::Value Attach(const Napi::CallbackInfo& info) {
    Capture& capture = Open(info.Env());
    std::string ifname = info[0].ToString().Utf8Value();
    try {
      return Napi::String::New(info.Env(), capture.Attach(ifname, ParseDirection(info[1]), ParseMode(info[2])));
    } catch (const SysError& error) {
      throw ToJsError(info.Env(), error);
    }
  }

  Napi::Value Detach(const Napi::CallbackInfo& info) {
    Capture& capture = Open(info.Env());
    try {
      capture.Detach(info[0].ToString().Utf8Value(), ParseDirection(info[1]));
    } catch (const SysError& error) {
      throw ToJsError(info.Env(), error);
    }
    return info.Env().Undefined();
  }

  // reattach(ifname, direction, mode?) -> "tcx" | "tc": after the hook was lost.
  Napi::Value Reattach(const Napi::CallbackInfo& info) {
    Capture& capture = Open(info.Env());
    std::string ifname = info[0].ToString().Utf8Value();
    try {
      return Napi::String::New(info.Env(), capture.Reattach(ifname, ParseDirection(info[1]), ParseMode(info[2])));
    } catch (const SysError& error) {
      throw ToJsError(info.Env(), error);
    }
  }

  // lostAttachments() -> [{ name, direction }] of hooks no longer holding our program.
  Napi::Value LostAttachments(const Napi::CallbackInfo& info) {
    auto lost = Open(info.Env()).LostAttachments();
    Napi::Array list = Napi::Array::New(info.Env(), lost.size());
    for (size_t i = 0; i < lost.size(); i++) {
      Napi::Object entry = Napi::Object::New(info.Env());
      entry.Set("name", lost[i].first);
      entry.Set("direction", lost[i].second == Direction::kIngress ? "ingress" : "egress");
      list.Set(uint32_t(i), entry);
    }
    return list;
  }

  // memory() -> { flowMapsBytes, ringBufferBytes }
  Napi::Value Memory(const Napi::CallbackInfo& info) {
    Capture& capture = Open(info.Env());
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("flowMapsBytes", double(capture.FlowMapsMemory()));
    result.Set("ringBufferBytes", double(capture.RingBufferMemory()));
    return result;
  }

  Napi::Value RemoveStaleFilters(const Napi::CallbackInfo& info) {
    Capture& capture = Open(info.Env());
    try {
      capture.RemoveStaleFilters(info[0].ToString().Utf8Value());
    } catch (const SysError& error) {
      throw ToJsError(info.Env(), error);
    }
    return info.Env().Undefined();
  }

  // drain(bothMaps?) -> Promise<{ flows: Buffer of flow_record structs, extras?: Buffer of flow_extras,
  //                               warnings: [Error] }>
  Napi::Value Drain(const Napi::CallbackInfo& info) {
    Capture& capture = Open(info.Env());
    UnparkCapture();
    auto* worker = new DrainWorker(info.Env(), this, &capture, info[0].ToBoolean().Value());
    draining_++;
    Ref();  // keep this object (and the capture) alive until the worker is done
    worker->Queue();
    return worker->Promise();
  }

  // drainIfIdle() -> true when a drain now would take nothing (nothing written to the kernel's hashes
  // since the last one): counted as a drain, with no worker thread and no Buffer. false: call drain().
  Napi::Value DrainIfIdle(const Napi::CallbackInfo& info) {
    Capture& capture = Open(info.Env());
    // A ring buffer watch that failed is reported, and restarted, by a drain.
    const bool idle = draining_ == 0 && !ring_watch_stopped_ && !ring_watch_error_ && capture.DrainIfIdle();
    return Napi::Boolean::New(info.Env(), idle);
  }

  // park() -> true when nothing was written since the last drain and the kernel will ring the
  // doorbell on the next write: onWake() is called then (once), and no drain is needed before.
  // false: nothing changed (something is there to drain, a watch failed, or a drain is running).
  Napi::Value Park(const Napi::CallbackInfo& info) {
    Capture& capture = Open(info.Env());
    if (!parked_) {
      parked_ = draining_ == 0 && on_wake_ && doorbell_poll_ && !doorbell_failed_ && !ring_watch_stopped_ &&
                !ring_watch_error_ && capture.Park();
    }
    return Napi::Boolean::New(info.Env(), parked_);
  }

  Napi::Value Unpark(const Napi::CallbackInfo& info) {
    Open(info.Env());
    UnparkCapture();
    return info.Env().Undefined();
  }

  Napi::Value Counters(const Napi::CallbackInfo& info) {
    Capture& capture = Open(info.Env());
    try {
      auto totals = capture.Counters();
      Napi::Object result = Napi::Object::New(info.Env());
      result.Set("ringBufferPackets", double(totals[FLOWCAST_COUNTER_RINGBUF_PACKETS]));
      result.Set("lostPackets", double(totals[FLOWCAST_COUNTER_LOST_PACKETS]));
      result.Set("observedInterfacesMissed", double(totals[FLOWCAST_COUNTER_OBSERVED_MISSED]));
      result.Set("attachments", double(capture.attachment_count()));
      result.Set("idleDrains", double(capture.idle_drains()));
      auto filtered = capture.FilterCounters();
      if (!filtered.empty()) {
        // [{ accepted, rejected, noMatch }] per rule, then { noMatch } of the packets of no rule.
        Napi::Array list = Napi::Array::New(info.Env(), filtered.size());
        for (size_t i = 0; i < filtered.size(); i++) {
          Napi::Object counts = Napi::Object::New(info.Env());
          counts.Set("accepted", double(filtered[i].accepted));
          counts.Set("rejected", double(filtered[i].rejected));
          counts.Set("noMatch", double(filtered[i].no_match));
          list.Set(uint32_t(i), counts);
        }
        result.Set("filtered", list);
      }
      return result;
    } catch (const SysError& error) {
      throw ToJsError(info.Env(), error);
    }
  }

  // features() -> { packetDrops, rtt, dnsTracking, unavailable: [why] }: what is tracked besides the flows.
  Napi::Value Features(const Napi::CallbackInfo& info) {
    Capture& capture = Open(info.Env());
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("packetDrops", capture.packet_drops());
    result.Set("rtt", capture.rtt());
    result.Set("dnsTracking", capture.dns_tracking());
    Napi::Array unavailable = Napi::Array::New(info.Env(), capture.unavailable().size());
    for (size_t i = 0; i < capture.unavailable().size(); i++) unavailable.Set(uint32_t(i), capture.unavailable()[i]);
    result.Set("unavailable", unavailable);
    return result;
  }

  // Detaches everything and frees the maps. Drain first: what is still in the maps is dropped.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (draining_ > 0) throw Napi::Error::New(info.Env(), "close while a drain is running: await drain() first");
    Shutdown();
    return info.Env().Undefined();
  }

  void Shutdown() {
    StopPolling(poll_, on_overflow_);
    StopPolling(doorbell_poll_, on_wake_);
    capture_.reset();
  }

  void UnparkCapture() {
    if (!parked_) return;
    parked_ = false;
    if (capture_) capture_->Unpark();
  }

  // Watches the overflow ring once it is mapped (it is mapped when first used); a failure is
  // reported by the next drain, which tries again.
  void WatchOverflow() {
    if (poll_ || !capture_ || capture_->overflow_fd() < 0) return;
    try {
      poll_ = StartPolling(loop_, capture_->overflow_fd(), this, OnPollable, "watch the overflow ring buffer");
    } catch (const SysError& error) {
      ring_watch_error_ = std::make_unique<SysError>(error);
    }
  }

  void NotifyOverflow() {
    // The first overflow record after a drain tells JS that the map is full: drain early.
    if (!overflow_notified_ && on_overflow_) overflow_notified_ = on_overflow_.NonBlockingCall() == napi_ok;
  }

  // The doorbell rang (bpf/written.h): something was written while parked, or the overflow ring
  // was used for the first time.
  static void OnDoorbell(uv_poll_t* handle, int status, int) {
    auto* self = static_cast<CaptureHandle*>(handle->data);
    if (!self->capture_) return;
    try {
      if (status < 0) throw SysError("watch the doorbell ring buffer (the fd reported an error)", status);
      self->capture_->ConsumeDoorbell();
    } catch (const SysError& error) {
      // As for the overflow ring: stopped for good, and the agent no longer parks (it would not
      // be woken); the error goes out with the next drain, which the wake below brings.
      uv_poll_stop(handle);
      self->doorbell_failed_ = true;
      if (!self->ring_watch_error_) self->ring_watch_error_ = std::make_unique<SysError>(error);
    }
    try {
      if (self->capture_->MapOverflowIfUsed()) {
        self->WatchOverflow();
        self->capture_->ConsumeOverflow();
        self->NotifyOverflow();
      }
    } catch (const SysError& error) {
      if (!self->ring_watch_error_) self->ring_watch_error_ = std::make_unique<SysError>(error);
      self->NotifyOverflow();  // the drain reads the ring, or reports why not
    }
    if (self->parked_) {
      self->UnparkCapture();
      self->on_wake_.NonBlockingCall();
    }
  }

  static void OnPollable(uv_poll_t* handle, int status, int) {
    auto* self = static_cast<CaptureHandle*>(handle->data);
    if (!self->capture_) return;
    bool consumed = false;
    try {
      // libuv has stopped the watch already when it reports an error (a pending POLLERR).
      if (status < 0) throw SysError("watch the overflow ring buffer (the fd reported an error)", status);
      consumed = self->capture_->ConsumeOverflow();
    } catch (const SysError& error) {
      // The fd stays readable: a failure that persists would call back at once, again and again.
      // So the watch stops until a drain reads the ring without error (each drain reads it), and
      // the next drain reports the failure; the ring holds records, so that drain is asked early.
      uv_poll_stop(handle);
      self->ring_watch_stopped_ = true;
      self->ring_watch_error_ = std::make_unique<SysError>(error);
      consumed = true;
    }
    if (consumed) self->NotifyOverflow();
  }

  std::unique_ptr<Capture> capture_;
  uv_loop_t* loop_ = nullptr;
  uv_poll_t* poll_ = nullptr;  // the overflow ring's, once it is mapped
  Napi::ThreadSafeFunction on_overflow_;
  uv_poll_t* doorbell_poll_ = nullptr;
  Napi::ThreadSafeFunction on_wake_;
  bool doorbell_failed_ = false;
  bool parked_ = false;
  bool overflow_notified_ = false;
  bool ring_watch_stopped_ = false;
  std::unique_ptr<SysError> ring_watch_error_;  // not reported yet
  int draining_ = 0;
};

// new LinkWatcher(onChange): onChange() on the main loop after each burst of interfaces coming,
// changing or going (or of such events lost); onChange(error) once when the watch failed and
// stopped. close() stops it.
class LinkWatcherHandle : public Napi::ObjectWrap<LinkWatcherHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LinkWatcher", {InstanceMethod<&LinkWatcherHandle::Close>("close")});
  }

  explicit LinkWatcherHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LinkWatcherHandle>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "LinkWatcher needs a callback");
    try {
      monitor_ = std::make_unique<LinkMonitor>();
    } catch (const SysError& error) {
      throw ToJsError(env, error);
    }
    on_change_ = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "flowcast-links", 0, 1);
    on_change_.Unref(env);
    poll_ = StartPolling(env, monitor_->fd(), this, OnReadable, "watch interface events");
  }

  ~LinkWatcherHandle() override { Shutdown(); }

 private:
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  void Shutdown() {
    StopPolling(poll_, on_change_);
    monitor_.reset();
  }

  // libuv reports a socket's pending error (POLLERR) as UV_EBADF and stops the watch; on this socket
  // that is netlink's ENOBUFS (events lost), which recv returns: a change, and the watch goes on.
  // Any other failure stops the watch and goes to onChange(error), once: a socket that keeps failing
  // would call back again and again at once. JavaScript rescans on a timer from then on.
  static void OnReadable(uv_poll_t* handle, int status, int) {
    auto* self = static_cast<LinkWatcherHandle*>(handle->data);
    if (!self->monitor_) return;
    try {
      LinkMonitor::Events events = self->monitor_->Read();
      if (status < 0) {
        if (!events.lost) throw SysError("watch interface events (the socket reported an error)", status);
        if (int err = uv_poll_start(handle, UV_READABLE, OnReadable)) throw SysError("watch interface events", err);
      }
      // The call fails only once close() released the callback: no one listens any more then.
      if (events.changed) self->on_change_.NonBlockingCall();
    } catch (const SysError& error) {
      uv_poll_stop(handle);
      self->on_change_.NonBlockingCall(
          [error](Napi::Env env, Napi::Function on_change) { on_change.Call({ToJsError(env, error).Value()}); });
    }
  }

  std::unique_ptr<LinkMonitor> monitor_;
  uv_poll_t* poll_ = nullptr;
  Napi::ThreadSafeFunction on_change_;
};

DrainWorker::DrainWorker(Napi::Env env, CaptureHandle* owner, Capture* capture, bool both_maps)
    : Napi::AsyncWorker(env, "flowcast-drain"),
      deferred_(Napi::Promise::Deferred::New(env)),
      owner_(owner),
      capture_(capture),
      both_maps_(both_maps) {}

// A Buffer that owns the vector's memory: no copy of the drained data.
template <typename T>
Napi::Buffer<uint8_t> OwningBuffer(Napi::Env env, std::vector<T>&& items) {
  if (items.empty()) return Napi::Buffer<uint8_t>::New(env, 0);
  auto* owned = new std::vector<T>(std::move(items));
  return Napi::Buffer<uint8_t>::New(
      env, reinterpret_cast<uint8_t*>(owned->data()), owned->size() * sizeof(T),
      [](Napi::Env, uint8_t*, std::vector<T>* vector) { delete vector; }, owned);
}

void DrainWorker::OnOK() {
  Napi::Env env = Env();
  owner_->DrainFinished();
  std::vector<SysError> errors = std::move(result_.errors);
  for (SysError& error : owner_->TakeRingWatchErrors(result_.ring_read)) errors.push_back(std::move(error));
  owner_->Unref();
  Napi::Object result = Napi::Object::New(env);
  const bool extras = capture_->has_extras();
  result.Set("flows", OwningBuffer(env, std::move(result_.flows)));
  if (extras) result.Set("extras", OwningBuffer(env, std::move(result_.extras)));
  // Failures after flows were taken: the flows above are still all the drain took.
  Napi::Array warnings = Napi::Array::New(env, errors.size());
  for (size_t i = 0; i < errors.size(); i++) warnings.Set(uint32_t(i), ToJsError(env, errors[i]).Value());
  result.Set("warnings", warnings);
  deferred_.Resolve(result);
}

void DrainWorker::OnError(const Napi::Error& error) {
  owner_->DrainFinished();
  owner_->Unref();
  deferred_.Reject(failure_ ? ToJsError(Env(), *failure_).Value() : error.Value());
}

// layout() -> { recordSize, fields: { name: [offset, size] } }, from flow.h as compiled here.
Napi::Value Layout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object fields = Napi::Object::New(env);
  auto field = [&](const char* name, size_t offset, size_t size) {
    Napi::Array entry = Napi::Array::New(env, 2);
    entry.Set(0u, double(offset));
    entry.Set(1u, double(size));
    fields.Set(name, entry);
  };
#define FLOWCAST_FIELD(member) \
  field(#member, offsetof(flow_record, member), sizeof(static_cast<flow_record*>(nullptr)->member))
  FLOWCAST_FIELD(key.src_ip);
  FLOWCAST_FIELD(key.dst_ip);
  FLOWCAST_FIELD(key.eth_protocol);
  FLOWCAST_FIELD(key.src_port);
  FLOWCAST_FIELD(key.dst_port);
  FLOWCAST_FIELD(key.protocol);
  FLOWCAST_FIELD(key.icmp_type);
  FLOWCAST_FIELD(key.icmp_code);
  FLOWCAST_FIELD(metrics.packets);
  FLOWCAST_FIELD(metrics.bytes);
  FLOWCAST_FIELD(metrics.first_seen);
  FLOWCAST_FIELD(metrics.last_seen);
  FLOWCAST_FIELD(metrics.tcp_flags);
  FLOWCAST_FIELD(metrics.dscp);
  FLOWCAST_FIELD(metrics.sampling);
  FLOWCAST_FIELD(metrics.if_index);
  FLOWCAST_FIELD(metrics.direction);
  FLOWCAST_FIELD(metrics.src_mac);
  FLOWCAST_FIELD(metrics.dst_mac);
  FLOWCAST_FIELD(metrics.observed);
#undef FLOWCAST_FIELD
  Napi::Object extras = Napi::Object::New(env);
  auto extra = [&](const char* name, size_t offset, size_t size) {
    Napi::Array entry = Napi::Array::New(env, 2);
    entry.Set(0u, double(offset));
    entry.Set(1u, double(size));
    extras.Set(name, entry);
  };
#define FLOWCAST_EXTRA(member) \
  extra(#member, offsetof(flow_extras, member), sizeof(static_cast<flow_extras*>(nullptr)->member))
  FLOWCAST_EXTRA(drop_packets);
  FLOWCAST_EXTRA(drop_bytes);
  FLOWCAST_EXTRA(rtt_ns);
  FLOWCAST_EXTRA(drop_cause);
  FLOWCAST_EXTRA(drop_flags);
  FLOWCAST_EXTRA(drop_state);
  FLOWCAST_EXTRA(has_drops);
  FLOWCAST_EXTRA(dns_latency_ns);
  FLOWCAST_EXTRA(dns_id);
  FLOWCAST_EXTRA(dns_flags);
  FLOWCAST_EXTRA(dns_errno);
  FLOWCAST_EXTRA(has_dns);
  FLOWCAST_EXTRA(dns_name);
#undef FLOWCAST_EXTRA
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("recordSize", double(sizeof(flow_record)));
  layout.Set("fields", fields);
  layout.Set("extrasSize", double(sizeof(flow_extras)));
  layout.Set("extrasFields", extras);
  return layout;
}

// dropReasonNames() -> { value: "SKB_DROP_REASON_..." } of the running kernel's enum skb_drop_reason.
Napi::Value DropReasonNamesJs(const Napi::CallbackInfo& info) {
  Napi::Object names = Napi::Object::New(info.Env());
  for (const auto& [value, name] : DropReasonNames()) names.Set(double(value), name);
  return names;
}

// tcxSupported() -> whether this kernel has TCX hooks (6.6+).
Napi::Value TcxSupportedJs(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), TcxSupported()); }

// tryLockNetns(name) -> the lock's fd (close it to release), or -1 when another process holds it.
Napi::Value TryLockNetnsJs(const Napi::CallbackInfo& info) {
  try {
    return Napi::Number::New(info.Env(), TryLockNetns(info[0].ToString().Utf8Value()));
  } catch (const SysError& error) {
    throw ToJsError(info.Env(), error);
  }
}

}  // namespace
}  // namespace flowcast

static Napi::Object InitFlowcast(Napi::Env env, Napi::Object exports) {
  exports.Set("Capture", flowcast::CaptureHandle::Define(env));
  exports.Set("LinkWatcher", flowcast::LinkWatcherHandle::Define(env));
  exports.Set("layout", Napi::Function::New(env, flowcast::Layout, "layout"));
  exports.Set("dropReasonNames", Napi::Function::New(env, flowcast::DropReasonNamesJs, "dropReasonNames"));
  exports.Set("tcxSupported", Napi::Function::New(env, flowcast::TcxSupportedJs, "tcxSupported"));
  exports.Set("tryLockNetns", Napi::Function::New(env, flowcast::TryLockNetnsJs, "tryLockNetns"));
  return exports;
}

NODE_API_MODULE(flowcast, InitFlowcast)
