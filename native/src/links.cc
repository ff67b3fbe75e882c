#include "links.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "errors.h"

namespace flowcast {

LinkMonitor::LinkMonitor() {
  fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd_ < 0) throw SysError("open a netlink socket for interface events", errno);
  sockaddr_nl address = {};
  address.nl_family = AF_NETLINK;
  // Traffic control too: a clsact filter or qdisc of ours removed or replaced from outside is
  // found at once, not at the next hook check (which may be far off while the agent is parked).
  address.nl_groups = RTMGRP_LINK | RTMGRP_TC;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0) {
    int err = errno;
    close(fd_);
    throw SysError("subscribe to interface events", err);
  }
}

LinkMonitor::~LinkMonitor() {
  if (fd_ >= 0) close(fd_);
}

LinkMonitor::Events LinkMonitor::Read() {
  Events events;
  alignas(nlmsghdr) char buffer[16384];
  for (;;) {
    ssize_t length = recv(fd_, buffer, sizeof(buffer), 0);
    if (length < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return events;  // nothing more for now
      if (errno == ENOBUFS) {                                      // events were lost: what they said is unknown
        events.changed = events.lost = true;
        continue;
      }
      throw SysError("read interface events", errno);
    }
    if (length == 0) return events;  // netlink sends no empty messages
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(header, static_cast<unsigned>(length));
         header = NLMSG_NEXT(header, length)) {
      switch (header->nlmsg_type) {
        case RTM_NEWLINK:
        case RTM_DELLINK:
        case RTM_NEWQDISC:
        case RTM_DELQDISC:
        case RTM_NEWTFILTER:
        case RTM_DELTFILTER:
          events.changed = true;
      }
    }
  }
}

}  // namespace flowcast
