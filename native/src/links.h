// Network interfaces appearing, changing and disappearing, and traffic control changes (where a
// clsact hook of ours may have gone), from rtnetlink (RTMGRP_LINK, RTMGRP_TC).
#pragma once

namespace flowcast {

// A "something changed" signal: the capture rescans /sys/class/net and checks its hooks itself, so
// the events' contents are not parsed.
class LinkMonitor {
 public:
  LinkMonitor();  // throws SysError
  ~LinkMonitor();
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;

  int fd() const { return fd_; }
  struct Events {
    bool changed = false;  // a link or tc event, or events lost: the caller rescans and checks
    bool lost = false;     // the socket's buffer overflowed (ENOBUFS), its pending error
  };
  // Reads every pending message without blocking. Throws SysError when recv fails otherwise.
  Events Read();

 private:
  int fd_ = -1;
};

}  // namespace flowcast
