#include "errors.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace flowcast {
namespace {

constexpr size_t kLogTail = 8192;
std::mutex log_mutex;
std::string log_tail;

int CollectLibbpfLog(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[1024];
  int length = vsnprintf(line, sizeof line, format, args);
  std::lock_guard<std::mutex> lock(log_mutex);
  log_tail += line;
  if (log_tail.size() > kLogTail) log_tail.erase(0, log_tail.size() - kLogTail);
  return length;
}

const char* Hint(int err) {
  switch (err) {
    case EPERM:
    case EACCES:
      return "run as root, or with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON";
    case ENODEV:
      return "no network interface of that name";
    case ENOMEM:
      return "the kernel could not allocate the flow maps: lower CACHE_MAX_FLOWS";
    case ENOENT:
      return "a file or kernel object is missing";
    case EINVAL:
    case EOPNOTSUPP:
      return "the kernel rejected the request: flowcast needs Linux 5.8 or later with eBPF";
    default:
      return nullptr;
  }
}

}  // namespace

void InstallLibbpfLogger() { libbpf_set_print(CollectLibbpfLog); }

std::string TakeLibbpfLog() {
  std::lock_guard<std::mutex> lock(log_mutex);
  std::string taken;
  taken.swap(log_tail);
  return taken;
}

const char* ErrnoName(int err) { return strerrorname_np(err); }

std::string DescribeSysError(const SysError& error) {
  const char* name = ErrnoName(error.err());
  std::string message = std::string(error.what()) + ": " + (name ? name : "errno " + std::to_string(error.err())) +
                        " (" + strerror(error.err()) + ")";
  if (const char* hint = Hint(error.err())) message += " — " + std::string(hint);
  return message;
}

}  // namespace flowcast
