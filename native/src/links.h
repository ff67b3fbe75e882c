// Network interfaces appearing and disappearing, from rtnetlink (RTMGRP_LINK).
#pragma once

#include <string>
#include <vector>

namespace flowcast {

struct LinkEvent {
  bool present;  // RTM_NEWLINK (created or changed) or RTM_DELLINK
  int index;
  std::string name;
};

class LinkMonitor {
 public:
  LinkMonitor();  // throws SysError
  ~LinkMonitor();
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;

  int fd() const { return fd_; }
  // Reads every pending message without blocking.
  std::vector<LinkEvent> Read();

 private:
  int fd_ = -1;
};

}  // namespace flowcast
