// Network interfaces appearing, changing and disappearing, from rtnetlink (RTMGRP_LINK).
#pragma once

namespace flowcast {

// A "something changed" signal: the capture rescans /sys/class/net itself, so the events' contents
// are not parsed.
class LinkMonitor {
 public:
  LinkMonitor();  // throws SysError
  ~LinkMonitor();
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;

  int fd() const { return fd_; }
  // Reads every pending message without blocking; true when one was a link event, or when events
  // were lost (the socket's buffer overflowed), so that the caller rescans.
  bool Changed();

 private:
  int fd_ = -1;
};

}  // namespace flowcast
