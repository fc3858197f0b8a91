#include "uplink.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

namespace umlab::switchd {
namespace {

constexpr Duration kUplinkRetry = std::chrono::seconds(1);
constexpr int kUplinkReplyTimeoutMs = 1000;
constexpr uint64_t kLogLimit = 10; ///< failures logged per uplink before they are only counted

} // namespace

void UplinkClient::fail(const std::string& why) {
  if (lastError_ != why && attempts_ <= kLogLimit)
    std::fprintf(stderr, "umlab-switchd: uplink %s (%s): %s; retrying every second\n", spec_.name.c_str(),
                 spec_.ctlPath.c_str(), why.c_str());
  lastError_ = why;
}

void UplinkClient::join() {
  nextAttempt_ = clock_.now() + kUplinkRetry;
  ++attempts_;
  try {
    UniqueFd control(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!control)
      return fail(std::string("socket: ") + std::strerror(errno));
    const sockaddr_un peer = pathAddress(spec_.ctlPath);
    if (::connect(control.get(), reinterpret_cast<const sockaddr*>(&peer), sizeof(peer)) != 0)
      return fail(std::string("connect: ") + std::strerror(errno));
    sockaddr_un mine{};
    UniqueFd data = bindAbstractDatagram(
        "umlab-switchd." + std::to_string(::getpid()) + ".uplink." + std::to_string(attempts_), mine);
    RequestV3 req{};
    req.magic = kRequestMagic;
    req.version = kRequestVersion;
    req.type = kRequestNewControl;
    req.sock = mine;
    if (::send(control.get(), &req, sizeof(req), MSG_NOSIGNAL) != ssize_t(sizeof(req)))
      return fail(std::string("request: ") + std::strerror(errno));
    sockaddr_un reply{};
    size_t got = 0;
    while (got < kUnixAddressSize) {
      pollfd pfd{control.get(), POLLIN, 0};
      if (::poll(&pfd, 1, kUplinkReplyTimeoutMs) <= 0)
        return fail("no reply within a second");
      ssize_t n = ::recv(control.get(), reinterpret_cast<char*>(&reply) + got, kUnixAddressSize - got, 0);
      if (n <= 0)
        return fail("the switch closed the connection (refused the request)");
      got += size_t(n);
    }
    Port* p = path_.addPort(std::make_unique<UplinkPort>(std::move(data), reply));
    if (!p)
      return fail(std::string("epoll_ctl: ") + std::strerror(errno));
    names_.assign(*p, spec_.name);
    if (!loop_.tryAdd(control.get(), EPOLLIN, *this)) {
      path_.removePort(p->id());
      return fail(std::string("epoll_ctl: ") + std::strerror(errno));
    }
    port_ = p->id();
    control_ = std::move(control);
    lastError_.clear();
    ++joins_;
  } catch (const std::system_error& e) {
    fail(e.what());
  }
}

void UplinkClient::tick(TimePoint now) {
  if (port_ == kNoPort && now >= nextAttempt_)
    join();
}

void UplinkClient::onReady(uint32_t) {
  std::array<uint8_t, 256> scratch;
  ssize_t n = ::recv(control_.get(), scratch.data(), scratch.size(), MSG_DONTWAIT);
  if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
    return;
  std::fprintf(stderr, "umlab-switchd: uplink %s: the other switch went away; reconnecting\n", spec_.name.c_str());
  path_.removePort(port_);
  port_ = kNoPort;
  loop_.remove(control_.get(), *this);
  control_.reset();
  attempts_ = 0;
  nextAttempt_ = clock_.now() + kUplinkRetry;
}

} // namespace umlab::switchd
