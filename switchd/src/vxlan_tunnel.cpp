#include "vxlan_tunnel.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <stdexcept>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

namespace umlab::switchd {
namespace {

/// Socket buffers asked for (the kernel caps them at net.core.[rw]mem_max): a burst of a few
/// hundred full frames each way.
constexpr int kSocketBufferSize = 4 << 20;

sockaddr_in socketAddress(const Ipv4Endpoint& e) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(e.address);
  a.sin_port = htons(e.port);
  return a;
}

/// The inherited descriptor, checked: an IPv4 datagram socket bound to a port.
UniqueFd adoptSocket(int fd) {
  const std::string subject = "--vxlan-socket " + std::to_string(fd);
  int domain = 0, type = 0;
  socklen_t size = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) != 0)
    throw std::invalid_argument(subject + ": not an IPv4 UDP socket (" + std::strerror(errno) + ")");
  size = sizeof(int);
  ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size);
  if (domain != AF_INET || type != SOCK_DGRAM)
    throw std::invalid_argument(subject + ": not an IPv4 UDP socket");
  sockaddr_in local{};
  socklen_t length = sizeof(local);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0 || local.sin_port == 0)
    throw std::invalid_argument(subject + ": the socket is not bound");
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 || ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
    throwErrno(subject + ": fcntl");
  return UniqueFd(fd);
}

UniqueFd bindSocket(const Ipv4Endpoint& e) {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd)
    throwErrno("--vxlan-bind: socket");
  const sockaddr_in a = socketAddress(e);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0)
    throwErrno("--vxlan-bind " + e.str() + ": bind");
  return fd;
}

} // namespace

VxlanPort::VxlanPort(UniqueFd tx, const Ipv4Endpoint& peer, uint32_t vni)
    : Port(std::move(tx), Traits{.isMirror = false, .takesFrames = true, .isTunnel = true}), peer_(peer),
      to_(socketAddress(peer)), header_(encodeVxlanHeader(vni)) {}

VxlanTunnel::VxlanTunnel(const VxlanOptions& options, FramePath& path, PortNames& names)
    : path_(path), vni_(options.vni) {
  fd_ = options.socketFd >= 0 ? adoptSocket(options.socketFd) : bindSocket(*options.bind);
  // Fragment an outer packet larger than the path MTU rather than refuse it (see the notes).
  const int pmtu = IP_PMTUDISC_DONT;
  if (::setsockopt(fd_.get(), IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) != 0)
    throwErrno("vxlan socket: IP_MTU_DISCOVER");
  for (int option : {SO_RCVBUF, SO_SNDBUF})
    ::setsockopt(fd_.get(), SOL_SOCKET, option, &kSocketBufferSize, sizeof(kSocketBufferSize)); // best effort
  sockaddr_in local{};
  socklen_t length = sizeof(local);
  if (::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&local), &length) != 0)
    throwErrno("vxlan socket: getsockname");
  local_ = {ntohl(local.sin_addr.s_addr), ntohs(local.sin_port)};
  buffers_.resize(kBurstSize * kReceiveBufferSize);

  for (const VxlanPeer& peer : options.peers) {
    UniqueFd tx(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
    if (!tx)
      throwErrno("vxlan peer " + peer.name + ": dup");
    auto* p = static_cast<VxlanPort*>(path_.addPort(std::make_unique<VxlanPort>(std::move(tx), peer.endpoint, vni_)));
    if (!p)
      throwErrno("vxlan peer " + peer.name + ": epoll_ctl");
    names.declare(peer.name);
    names.assign(*p, peer.name);
    ports_.push_back(p);
    bySource_.emplace(peer.endpoint.address, p);
  }
  path_.watchInput(fd_.get(), *this);
}

void VxlanTunnel::onReady(uint32_t) {
  std::array<mmsghdr, kBurstSize> msgs{};
  std::array<iovec, kBurstSize> iovs{};
  std::array<sockaddr_in, kBurstSize> sources{};
  for (size_t i = 0; i < kBurstSize; ++i) {
    iovs[i] = {buffers_.data() + i * kReceiveBufferSize, kReceiveBufferSize};
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &sources[i];
    msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
  }
  const int n = ::recvmmsg(fd_.get(), msgs.data(), kBurstSize, MSG_DONTWAIT, nullptr);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR)
      ++counters_.receiveErrors;
    return;
  }
  path_.beginBurst();
  VxlanPort* last = nullptr;
  for (size_t i = 0; i < size_t(n); ++i) {
    ++counters_.datagrams;
    const msghdr& h = msgs[i].msg_hdr;
    const uint32_t source = ntohl(sources[i].sin_addr.s_addr);
    VxlanPort* in = last && last->peer().address == source ? last : nullptr;
    if (!in && h.msg_namelen >= sizeof(sockaddr_in) && sources[i].sin_family == AF_INET) {
      if (auto it = bySource_.find(source); it != bySource_.end())
        in = it->second;
    }
    if (!in) {
      ++counters_.drops[size_t(Drop::UnknownSource)];
      continue;
    }
    last = in;
    const size_t size = std::min<size_t>(msgs[i].msg_len, kReceiveBufferSize);
    uint8_t* datagram = buffers_.data() + i * kReceiveBufferSize;
    const VxlanDecoded d = decodeVxlanHeader(std::span<const uint8_t>(datagram, size));
    if (d.error) {
      ++counters_.drops[size_t(*d.error == VxlanDecodeError::Runt ? Drop::Runt : Drop::NoIFlag)];
      continue;
    }
    if (d.vni != vni_) {
      ++counters_.drops[size_t(Drop::BadVni)];
      continue;
    }
    if ((h.msg_flags & MSG_TRUNC) || size - kVxlanHeaderSize > kMaxFrameSize) {
      ++counters_.drops[size_t(Drop::Oversize)];
      continue;
    }
    path_.receive(*in, std::span<uint8_t>(datagram + kVxlanHeaderSize, size - kVxlanHeaderSize), false);
  }
  path_.endBurst();
}

std::string VxlanTunnel::describe() const {
  std::ostringstream s;
  s << "vni=" << vni_ << '\n' << "local=" << local_.str() << '\n' << "peers=" << ports_.size() << '\n';
  for (const VxlanPort* p : ports_)
    s << "peer " << p->name() << ' ' << p->peer().str() << " port " << p->id() << '\n';
  s << "datagrams=" << counters_.datagrams << '\n' << "receive_errors=" << counters_.receiveErrors << '\n';
  for (size_t r = 0; r < counters_.drops.size(); ++r)
    s << "drop_" << kDropNames[r] << '=' << counters_.drops[r] << '\n';
  return s.str();
}

} // namespace umlab::switchd
