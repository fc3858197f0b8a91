#include "port_listeners.hpp"

#include "bess_port.hpp"
#include "daemon_port.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <vector>

namespace umlab::switchd {
namespace {

constexpr Duration kHandshakeTimeout = std::chrono::seconds(5);
constexpr uint64_t kLogLimitPerReason = 10;

std::unique_ptr<Port> makeDaemonPort(UniqueFd tx, const sockaddr_un& client) {
  return std::make_unique<DaemonPort>(std::move(tx), client);
}
std::unique_ptr<Port> makeMonitorPort(UniqueFd tx, const sockaddr_un& client) {
  return std::make_unique<MonitorPort>(std::move(tx), client);
}
std::unique_ptr<Port> makeProbePort(UniqueFd tx, const sockaddr_un& client) {
  return std::make_unique<ProbePort>(std::move(tx), client);
}

} // namespace

/// A daemon-protocol control connection: its request while the handshake runs, then its port.
struct PortListeners::ControlConnection final : FdHandler {
  ControlConnection(PortListeners& owner, uint32_t id, UniqueFd fd, bool isMonitor, TimePoint opened)
      : owner(owner), id(id), fd(std::move(fd)), isMonitor(isMonitor), opened(opened) {}
  void onReady(uint32_t) override { owner.onControlReady(*this); }

  PortListeners& owner;
  uint32_t id;
  UniqueFd fd;
  bool isMonitor; ///< came through the monitor listener
  TimePoint opened;
  std::array<uint8_t, kRequestSize> request{};
  size_t received = 0;
  PortId port = kNoPort;
};

PortListeners::PortListeners(const SwitchOptions& options, EventLoop& loop, FramePath& path, const Clock& clock)
    : options_(options), loop_(loop), path_(path), clock_(clock) {
  control_ = std::make_unique<Listener>(loop, options.ctlPath, SOCK_STREAM,
                                        [this] { acceptControl(*control_, /*isMonitor=*/false); });
  if (!options.monitorPath.empty())
    monitor_ = std::make_unique<Listener>(loop, options.monitorPath, SOCK_STREAM,
                                          [this] { acceptControl(*monitor_, /*isMonitor=*/true); });
  if (!options.bessPath.empty())
    bess_ = std::make_unique<Listener>(loop, options.bessPath, SOCK_SEQPACKET, [this] { acceptBess(); });
}

PortListeners::~PortListeners() = default;

UniqueFd PortListeners::acceptNext(int listenerFd) {
  for (;;) {
    UniqueFd fd(::accept4(listenerFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (fd) {
      ++counters_.accepted;
      return fd;
    }
    if (errno == EINTR || errno == ECONNABORTED)
      continue;
    if (errno == EMFILE || errno == ENFILE)
      pauseAccepting();
    return fd;
  }
}

void PortListeners::acceptControl(Listener& listener, bool isMonitor) {
  while (UniqueFd fd = acceptNext(listener.fd())) {
    const uint32_t id = nextConnectionId_++;
    auto c = std::make_unique<ControlConnection>(*this, id, std::move(fd), isMonitor, clock_.now());
    if (!loop_.tryAdd(c->fd.get(), EPOLLIN, *c))
      continue; // dropped: the connection closes
    connections_.emplace(id, std::move(c));
  }
}

void PortListeners::acceptBess() {
  while (UniqueFd fd = acceptNext(bess_->fd())) {
    if (path_.portCount() >= options_.maxClients) {
      ++counters_.refusals[size_t(Refusal::TooManyClients)];
      continue;
    }
    path_.addPort(std::make_unique<BessPort>(std::move(fd))); // dropped if it cannot be watched
  }
}

void PortListeners::pauseAccepting() {
  if (isAcceptPaused_)
    return;
  ++counters_.acceptPauses;
  if (counters_.acceptPauses <= kLogLimitPerReason)
    std::fprintf(stderr, "umlab-switchd: out of file descriptors; not accepting for a second\n");
  for (Listener* l : {control_.get(), monitor_.get(), bess_.get()})
    if (l)
      l->pause();
  isAcceptPaused_ = true;
}

void PortListeners::tick(TimePoint now) {
  if (isAcceptPaused_) {
    isAcceptPaused_ = false;
    for (Listener* l : {control_.get(), monitor_.get(), bess_.get()})
      if (l)
        l->resume();
  }
  std::vector<ControlConnection*> late;
  for (const auto& [id, c] : connections_)
    if (c->port == kNoPort && now - c->opened >= kHandshakeTimeout)
      late.push_back(c.get());
  for (ControlConnection* c : late)
    refuse(*c, Refusal::Timeout, std::to_string(c->received) + " bytes");
}

void PortListeners::close(ControlConnection& c) {
  loop_.remove(c.fd.get(), c);
  connections_.erase(c.id);
}

void PortListeners::refuse(ControlConnection& c, Refusal why, const std::string& detail) {
  uint64_t& n = counters_.refusals[size_t(why)];
  ++n;
  if (n <= kLogLimitPerReason)
    std::fprintf(stderr, "umlab-switchd: control connection refused: %s%s%s%s\n", kRefusalNames[size_t(why)],
                 detail.empty() ? "" : " (", detail.c_str(), detail.empty() ? "" : ")");
  if (n == kLogLimitPerReason)
    std::fprintf(stderr, "umlab-switchd: further '%s' refusals are only counted\n", kRefusalNames[size_t(why)]);
  close(c);
}

void PortListeners::onControlReady(ControlConnection& c) {
  if (c.port != kNoPort) {
    // Nothing is expected after the request; read and ignore, and notice the end.
    std::array<uint8_t, 512> scratch;
    ssize_t n = ::recv(c.fd.get(), scratch.data(), scratch.size(), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      path_.removePort(c.port);
      close(c);
    }
    return;
  }
  ssize_t n = ::recv(c.fd.get(), c.request.data() + c.received, kRequestSize - c.received, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR)
      return;
    return refuse(c, Refusal::ShortRequest, std::strerror(errno));
  }
  if (n == 0)
    return refuse(c, Refusal::ShortRequest, std::to_string(c.received) + " bytes");
  c.received += size_t(n);
  if (c.received == kRequestSize)
    handshake(c);
}

void PortListeners::handshake(ControlConnection& c) {
  RequestV3 req;
  std::memcpy(&req, c.request.data(), kRequestSize);
  if (req.magic != kRequestMagic)
    return refuse(c, Refusal::BadMagic, hexMagic(req.magic));
  if (req.version != kRequestVersion)
    return refuse(c, Refusal::BadVersion, std::to_string(req.version));
  // Type 0 makes a guest's port on the control socket and a monitor on the monitor socket;
  // umlab's probe type makes a probe, on the control socket only.
  MakePort makePort = nullptr;
  if (req.type == kRequestNewControl)
    makePort = c.isMonitor ? makeMonitorPort : makeDaemonPort;
  else if (req.type == kRequestProbe && !c.isMonitor)
    makePort = makeProbePort;
  else
    return refuse(c, Refusal::BadType, std::to_string(req.type));
  if (req.sock.sun_family != AF_UNIX)
    return refuse(c, Refusal::BadFamily, std::to_string(req.sock.sun_family));
  if (path_.portCount() >= options_.maxClients)
    return refuse(c, Refusal::TooManyClients);
  if (path_.hasSource(AddressKey::of(req.sock, kUnixAddressSize)))
    return refuse(c, Refusal::DuplicateAddress, describeAddress(req.sock, kUnixAddressSize));

  UniqueFd tx(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!tx || ::connect(tx.get(), reinterpret_cast<const sockaddr*>(&req.sock), kUnixAddressSize) != 0)
    return refuse(c, Refusal::NoDataSocket, std::strerror(errno));
  ssize_t sent = ::send(c.fd.get(), &path_.dataAddress(), kUnixAddressSize, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (sent != ssize_t(kUnixAddressSize))
    return refuse(c, Refusal::ReplyFailed, sent < 0 ? std::strerror(errno) : "short write");
  // The sending socket is watched only for EPOLLOUT, when its queue backs up.
  Port* p = path_.addPort(makePort(std::move(tx), req.sock));
  if (!p)
    return refuse(c, Refusal::NoDataSocket, std::string("epoll_ctl: ") + std::strerror(errno));
  c.port = p->id();
}

} // namespace umlab::switchd
