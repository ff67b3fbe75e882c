// Errors that carry an errno from libbpf or a syscall up to JavaScript.
#pragma once

#include <napi.h>

#include <stdexcept>
#include <string>

namespace flowcast {

// Thrown by the capture core; the addon turns it into a JS Error (see ToJsError).
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

// "attach to eth0 egress: EPERM (Operation not permitted) — run as root ..."
std::string DescribeSysError(const SysError& error);
Napi::Error ToJsError(Napi::Env env, const SysError& error);

}  // namespace flowcast
