// Errors that carry an errno from libbpf or a syscall. No N-API here: the addon (addon.cc) turns
// them into JS errors at its boundary.
#pragma once

#include <stdexcept>
#include <string>

namespace flowcast {

// Thrown by the capture core; `err` is a positive errno (a negative one, as libbpf returns, is
// turned positive).
class SysError : public std::runtime_error {
 public:
  SysError(const std::string& what, int err) : std::runtime_error(what), err_(err < 0 ? -err : err) {}
  int err() const { return err_; }

 private:
  int err_;
};

// Routes libbpf's messages into a buffer so that a failed load can say why (verifier log).
void InstallLibbpfLogger();
std::string TakeLibbpfLog();

// The errno's name (EPERM), or nullptr when the C library has none for it.
const char* ErrnoName(int err);
// "attach to eth0 egress: EPERM (Operation not permitted) — run as root ..."
std::string DescribeSysError(const SysError& error);

}  // namespace flowcast
