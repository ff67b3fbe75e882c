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
  address.nl_groups = RTMGRP_LINK;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0) {
    int err = errno;
    close(fd_);
    throw SysError("subscribe to interface events", err);
  }
}

LinkMonitor::~LinkMonitor() {
  if (fd_ >= 0) close(fd_);
}

std::vector<LinkEvent> LinkMonitor::Read() {
  std::vector<LinkEvent> events;
  alignas(nlmsghdr) char buffer[16384];
  for (;;) {
    ssize_t length = recv(fd_, buffer, sizeof(buffer), 0);
    if (length <= 0) break;  // EAGAIN: nothing more for now (ENOBUFS: events were lost; the caller rescans)
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(header, static_cast<unsigned>(length));
         header = NLMSG_NEXT(header, length)) {
      if (header->nlmsg_type != RTM_NEWLINK && header->nlmsg_type != RTM_DELLINK) continue;
      auto* info = static_cast<ifinfomsg*>(NLMSG_DATA(header));
      LinkEvent event{header->nlmsg_type == RTM_NEWLINK, info->ifi_index, ""};
      int attributes_length = static_cast<int>(IFLA_PAYLOAD(header));
      for (auto* attribute = IFLA_RTA(info); RTA_OK(attribute, attributes_length);
           attribute = RTA_NEXT(attribute, attributes_length)) {
        if (attribute->rta_type == IFLA_IFNAME) event.name = static_cast<const char*>(RTA_DATA(attribute));
      }
      events.push_back(event);
    }
  }
  return events;
}

}  // namespace flowcast
