#include "umlab/switchd/switch_daemon.hpp"

#include "umlab/base/unique_fd.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <system_error>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace umlab::switchd {
namespace {

// ---------------------------------------------------------------------------------------------
// The uml_switch v3 request, in the native layout UML writes it (not packed: 124 bytes on
// x86-64, the last 2 being padding).

constexpr uint32_t kRequestMagic = 0xfeedface;
constexpr uint32_t kRequestVersion = 3;
constexpr uint32_t kRequestNewControl = 0;

struct RequestV3 {
  uint32_t magic;
  uint32_t version;
  uint32_t type;
  sockaddr_un sock;
};

constexpr size_t kRequestSize = sizeof(RequestV3);
constexpr socklen_t kUnixAddressSize = sizeof(sockaddr_un); // 110: what UML binds and expects
static_assert(kUnixAddressSize == 110, "UML's daemon transport assumes Linux's sockaddr_un");

constexpr Duration kHandshakeTimeout = std::chrono::seconds(5);
constexpr Duration kTickInterval = std::chrono::seconds(1);
constexpr size_t kBatchSize = 32;
constexpr size_t kReceiveBufferSize = 2048; // > kMaxFrameSize, so oversize is seen, not truncated
constexpr size_t kMaxAdminLine = 4096;
constexpr size_t kMaxAdminOutput = 4 << 20;
constexpr int kLogLimitPerReason = 10;

// ---------------------------------------------------------------------------------------------
// Counters.

enum class PortDrop { Empty, Runt, Oversize, BadSource, SamePort, NoMemory, TxFull, TxError, Count };
constexpr std::array<const char*, size_t(PortDrop::Count)> kPortDropNames = {
    "empty", "runt", "oversize", "bad_source", "same_port", "no_memory", "tx_full", "tx_error"};

enum class Refusal {
  BadMagic, BadVersion, BadType, BadFamily, ShortRequest, Timeout, DuplicateAddress,
  NoDataSocket, ReplyFailed, TooManyClients, Count
};
constexpr std::array<const char*, size_t(Refusal::Count)> kRefusalNames = {
    "bad_magic", "bad_version", "bad_type",  "bad_family",   "short_request",
    "timeout",   "duplicate_address", "no_data_socket", "reply_failed", "too_many_clients"};

struct PortCounters {
  uint64_t rxFrames = 0;
  uint64_t rxBytes = 0;
  uint64_t txFrames = 0;
  uint64_t txBytes = 0;
  std::array<uint64_t, size_t(PortDrop::Count)> drops{};
};

// ---------------------------------------------------------------------------------------------
// RAII helpers.

/// A filesystem path removed on destruction (a bound socket).
class ScopedPath {
public:
  ScopedPath() = default;
  explicit ScopedPath(std::string path) : path_(std::move(path)) {}
  ScopedPath(ScopedPath&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  ScopedPath& operator=(ScopedPath&& o) noexcept {
    if (this != &o) {
      reset();
      path_ = std::exchange(o.path_, {});
    }
    return *this;
  }
  ~ScopedPath() { reset(); }
  void reset() {
    if (!path_.empty())
      ::unlink(path_.c_str());
    path_.clear();
  }

private:
  std::string path_;
};

/// Blocks SIGTERM and SIGINT for the thread and reads them from a signalfd; restores the mask.
class SignalFd {
public:
  SignalFd() {
    sigemptyset(&mask_);
    sigaddset(&mask_, SIGTERM);
    sigaddset(&mask_, SIGINT);
    if (::sigprocmask(SIG_BLOCK, &mask_, &old_) != 0)
      throw std::system_error(errno, std::generic_category(), "sigprocmask");
    fd_.reset(::signalfd(-1, &mask_, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd_) {
      int e = errno;
      ::sigprocmask(SIG_SETMASK, &old_, nullptr);
      throw std::system_error(e, std::generic_category(), "signalfd");
    }
  }
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;
  ~SignalFd() {
    fd_.reset();
    ::sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  int get() const { return fd_.get(); }

private:
  sigset_t mask_{};
  sigset_t old_{};
  UniqueFd fd_;
};

[[noreturn]] void throwErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

sockaddr_un pathAddress(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(a.sun_path))
    throw std::system_error(ENAMETOOLONG, std::generic_category(), "bind " + path);
  std::memcpy(a.sun_path, path.data(), path.size());
  return a;
}

/// A listening unix stream socket at `path`. A stale socket file (nobody accepts on it) is
/// replaced; a live one or any other kind of file is an error.
UniqueFd listenAt(const std::string& path, ScopedPath& owned) {
  const sockaddr_un a = pathAddress(path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd)
    throwErrno("socket for " + path);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0) {
    if (errno != EADDRINUSE)
      throwErrno("bind " + path);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode))
      throw std::system_error(EADDRINUSE, std::generic_category(),
                              "bind " + path + ": exists and is not a socket");
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (probe && ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0)
      throw std::system_error(EADDRINUSE, std::generic_category(),
                              "bind " + path + ": another switch is listening there");
    ::unlink(path.c_str());
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0)
      throwErrno("bind " + path);
  }
  owned = ScopedPath(path);
  if (::listen(fd.get(), 128) != 0)
    throwErrno("listen " + path);
  return fd;
}

std::string hexBytes(const void* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* p = static_cast<const uint8_t*>(data);
  std::string s;
  for (size_t i = 0; i < size; ++i) {
    s += kHex[p[i] >> 4];
    s += kHex[p[i] & 15];
  }
  return s;
}

std::string hexMagic(uint32_t magic) {
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "0x%08x", unsigned(magic));
  return text.data();
}

/// "@" and the first 11 bytes of an abstract name in hex (UML's pid and usec live there), or
/// the path.
std::string describeAddress(const sockaddr_un& a, socklen_t length) {
  if (length <= sizeof(sa_family_t))
    return "(unnamed)";
  if (a.sun_path[0] != '\0')
    return std::string(a.sun_path, strnlen(a.sun_path, sizeof(a.sun_path)));
  return "@" + hexBytes(a.sun_path + 1, 11);
}

/// The full source address of a datagram: every byte of the name counts.
struct AddressKey {
  std::array<char, sizeof(sockaddr_un::sun_path)> path{};
  socklen_t length = 0;

  static AddressKey of(const sockaddr_un& a, socklen_t length) {
    AddressKey k;
    k.length = length;
    if (length > sizeof(sa_family_t)) {
      size_t n = std::min<size_t>(length - sizeof(sa_family_t), k.path.size());
      std::memcpy(k.path.data(), a.sun_path, n);
    }
    return k;
  }
  bool operator==(const AddressKey&) const = default;
};

struct AddressKeyHash {
  size_t operator()(const AddressKey& k) const noexcept {
    uint64_t h = 1469598103934665603ull ^ k.length; // FNV-1a
    for (char c : k.path)
      h = (h ^ uint8_t(c)) * 1099511628211ull;
    return size_t(h);
  }
};

enum class Tag : uint64_t { Signal = 1, ControlListener, Data, AdminListener, Control, Admin };

uint64_t makeTag(Tag kind, uint64_t id = 0) { return uint64_t(kind) << 32 | (id & 0xffffffff); }

} // namespace

// ---------------------------------------------------------------------------------------------

struct SwitchDaemon::Impl {
  struct Port {
    PortId id = kNoPort;
    uint32_t controlId = 0;
    sockaddr_un address{};
    AddressKey key;
    UniqueFd txFd; ///< connected to the client's data socket: a stalled client fills only this
    PortCounters counters;
  };

  struct ControlConn {
    UniqueFd fd;
    std::array<uint8_t, kRequestSize> request{};
    size_t received = 0;
    TimePoint opened;
    PortId port = kNoPort;
  };

  struct AdminConn {
    UniqueFd fd;
    std::string in;
    std::string out;
    bool isClosing = false;
    bool isWatchingOutput = false;
  };

  struct Stats {
    uint64_t controlAccepted = 0;
    uint64_t clientsJoined = 0;
    uint64_t clientsLeft = 0;
    uint64_t unknownSender = 0;
    uint64_t receiveErrors = 0;
    uint64_t adminCommands = 0;
    uint64_t acceptPauses = 0;
    std::array<uint64_t, size_t(Refusal::Count)> refusals{};
  };

  struct AdminCommand {
    std::array<std::string_view, 2> words; ///< unused trailing words are empty
    std::string_view help;
    std::string (Impl::*handler)();
  };

  Impl(const SwitchOptions& o, const Clock& c)
      : options(o), clock(c), fdb(c, o.fdbMaxEntries, o.agingTime), forwarder(fdb, o.mode) {
    started = clock.now();
    lastTick = started;
    epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll)
      throwErrno("epoll_create1");
    bindData();
    controlListener = listenAt(options.ctlPath, controlPath);
    if (!options.adminPath.empty())
      adminListener = listenAt(options.adminPath, adminPath);
    watch(signals.get(), makeTag(Tag::Signal));
    watch(controlListener.get(), makeTag(Tag::ControlListener));
    watch(dataFd.get(), makeTag(Tag::Data));
    if (adminListener)
      watch(adminListener.get(), makeTag(Tag::AdminListener));
    buffers.resize(kBatchSize * kReceiveBufferSize);
    outPorts.reserve(64);
  }

  // --- setup ---------------------------------------------------------------------------------

  void watch(int fd, uint64_t tag, uint32_t events = EPOLLIN) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
      throwErrno("epoll_ctl");
  }

  /// One datagram socket for every client, with an abstract name whose 108 bytes are all
  /// deterministic: UML sends to the 110-byte reply verbatim.
  void bindData() {
    dataFd.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!dataFd)
      throwErrno("socket");
    const size_t pathHash = std::hash<std::string>{}(options.ctlPath);
    for (unsigned attempt = 0;; ++attempt) {
      dataAddress = sockaddr_un{};
      dataAddress.sun_family = AF_UNIX;
      std::snprintf(dataAddress.sun_path + 1, sizeof(dataAddress.sun_path) - 1,
                    "umlab-switchd.%d.%zx.%u", int(::getpid()), pathHash, attempt);
      if (::bind(dataFd.get(), reinterpret_cast<const sockaddr*>(&dataAddress),
                 kUnixAddressSize) == 0)
        return;
      if (errno != EADDRINUSE || attempt >= 16)
        throwErrno("bind data socket");
    }
  }

  // --- logging -------------------------------------------------------------------------------

  void refuse(uint32_t controlId, Refusal why, const std::string& detail = {}) {
    uint64_t& n = stats.refusals[size_t(why)];
    ++n;
    if (n <= kLogLimitPerReason)
      std::fprintf(stderr, "umlab-switchd: control connection refused: %s%s%s%s\n",
                   kRefusalNames[size_t(why)], detail.empty() ? "" : " (", detail.c_str(),
                   detail.empty() ? "" : ")");
    if (n == kLogLimitPerReason)
      std::fprintf(stderr, "umlab-switchd: further '%s' refusals are only counted\n",
                   kRefusalNames[size_t(why)]);
    controls.erase(controlId);
  }

  // --- control connections -------------------------------------------------------------------

  void acceptControls() {
    for (;;) {
      UniqueFd fd(::accept4(controlListener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!fd) {
        if (errno == EINTR || errno == ECONNABORTED)
          continue;
        if (errno == EMFILE || errno == ENFILE)
          pauseAccepting(); // level-triggered: the listener would wake the loop at once again
        return;
      }
      ++stats.controlAccepted;
      const uint32_t id = nextConnId++;
      ControlConn c;
      c.fd = std::move(fd);
      c.opened = clock.now();
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = makeTag(Tag::Control, id);
      if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, c.fd.get(), &ev) != 0)
        continue; // dropped: the connection closes
      controls.emplace(id, std::move(c));
    }
  }

  /// Stops watching the control listener until the next tick, when out of file descriptors.
  void pauseAccepting() {
    if (isAcceptPaused)
      return;
    ++stats.acceptPauses;
    if (stats.acceptPauses <= kLogLimitPerReason)
      std::fprintf(stderr, "umlab-switchd: out of file descriptors; not accepting for a second\n");
    ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, controlListener.get(), nullptr);
    isAcceptPaused = true;
  }

  void onControlReadable(uint32_t id) {
    auto it = controls.find(id);
    if (it == controls.end())
      return;
    ControlConn& c = it->second;
    if (c.port != kNoPort) {
      // Nothing is expected after the request; read and ignore, and notice EOF.
      std::array<uint8_t, 512> scratch;
      ssize_t n = ::recv(c.fd.get(), scratch.data(), scratch.size(), 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        removeClient(id);
      return;
    }
    ssize_t n = ::recv(c.fd.get(), c.request.data() + c.received, kRequestSize - c.received, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR)
        return;
      refuse(id, Refusal::ShortRequest, std::strerror(errno));
      return;
    }
    if (n == 0) {
      refuse(id, Refusal::ShortRequest, std::to_string(c.received) + " bytes");
      return;
    }
    c.received += size_t(n);
    if (c.received == kRequestSize)
      handshake(id, c);
  }

  void handshake(uint32_t id, ControlConn& c) {
    RequestV3 req;
    std::memcpy(&req, c.request.data(), kRequestSize);
    if (req.magic != kRequestMagic)
      return refuse(id, Refusal::BadMagic, hexMagic(req.magic));
    if (req.version != kRequestVersion)
      return refuse(id, Refusal::BadVersion, std::to_string(req.version));
    if (req.type != kRequestNewControl)
      return refuse(id, Refusal::BadType, std::to_string(req.type));
    if (req.sock.sun_family != AF_UNIX)
      return refuse(id, Refusal::BadFamily, std::to_string(req.sock.sun_family));
    if (ports.size() >= options.maxClients)
      return refuse(id, Refusal::TooManyClients);
    const AddressKey key = AddressKey::of(req.sock, kUnixAddressSize);
    if (portByAddress.contains(key))
      return refuse(id, Refusal::DuplicateAddress, describeAddress(req.sock, kUnixAddressSize));

    UniqueFd tx(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!tx || ::connect(tx.get(), reinterpret_cast<const sockaddr*>(&req.sock), kUnixAddressSize) != 0)
      return refuse(id, Refusal::NoDataSocket, std::strerror(errno));
    ssize_t sent = ::send(c.fd.get(), &dataAddress, kUnixAddressSize, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent != ssize_t(kUnixAddressSize))
      return refuse(id, Refusal::ReplyFailed, sent < 0 ? std::strerror(errno) : "short write");

    const PortId portId = nextPortId++;
    Port p;
    p.id = portId;
    p.controlId = id;
    p.address = req.sock;
    p.key = key;
    p.txFd = std::move(tx);
    portByAddress.emplace(key, portId);
    ports.emplace(portId, std::move(p));
    forwarder.addPort(portId);
    c.port = portId;
    ++stats.clientsJoined;
  }

  void removeClient(uint32_t controlId) {
    auto it = controls.find(controlId);
    if (it == controls.end())
      return;
    if (PortId id = it->second.port; id != kNoPort) {
      forwarder.removePort(id);
      if (auto p = ports.find(id); p != ports.end()) {
        portByAddress.erase(p->second.key);
        ports.erase(p);
      }
      ++stats.clientsLeft;
    }
    controls.erase(it); // closes the fd, which leaves the epoll set
  }

  // --- data plane ----------------------------------------------------------------------------

  void onDataReadable() {
    std::array<mmsghdr, kBatchSize> msgs{};
    std::array<iovec, kBatchSize> iovs{};
    std::array<sockaddr_un, kBatchSize> from{};
    for (size_t i = 0; i < kBatchSize; ++i) {
      iovs[i] = {buffers.data() + i * kReceiveBufferSize, kReceiveBufferSize};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_un);
    }
    int n = ::recvmmsg(dataFd.get(), msgs.data(), kBatchSize, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR)
        ++stats.receiveErrors;
      return;
    }
    for (int i = 0; i < n; ++i) {
      const auto& h = msgs[size_t(i)].msg_hdr;
      handleFrame(from[size_t(i)], h.msg_namelen,
                  std::span<const uint8_t>(buffers.data() + size_t(i) * kReceiveBufferSize,
                                           std::min<size_t>(msgs[size_t(i)].msg_len, kReceiveBufferSize)),
                  (h.msg_flags & MSG_TRUNC) != 0);
    }
  }

  void handleFrame(const sockaddr_un& source, socklen_t sourceLength,
                   std::span<const uint8_t> frame, bool isTruncated) noexcept {
    auto known = portByAddress.find(AddressKey::of(source, sourceLength));
    if (known == portByAddress.end()) {
      ++stats.unknownSender;
      return;
    }
    Port& in = ports.find(known->second)->second;
    ++in.counters.rxFrames;
    in.counters.rxBytes += frame.size();
    auto drop = [&](PortDrop why) { ++in.counters.drops[size_t(why)]; };
    if (frame.empty())
      return drop(PortDrop::Empty); // never forwarded: UML shuts a NIC down on a 0-byte datagram
    if (isTruncated || frame.size() > kMaxFrameSize)
      return drop(PortDrop::Oversize);
    ForwardAction action;
    try {
      action = forwarder.forward(frame, in.id, outPorts);
    } catch (const std::bad_alloc&) {
      return drop(PortDrop::NoMemory); // learning a new address could not allocate
    }
    switch (action) {
    case ForwardAction::Unicast:
    case ForwardAction::Flood:
      break;
    case ForwardAction::DropRunt:
      return drop(PortDrop::Runt);
    case ForwardAction::DropBadSource:
      return drop(PortDrop::BadSource);
    case ForwardAction::DropSamePort:
      return drop(PortDrop::SamePort);
    case ForwardAction::DropUnknownPort:
      return;
    }
    for (PortId id : outPorts) {
      auto out = ports.find(id);
      if (out == ports.end())
        continue;
      PortCounters& c = out->second.counters;
      ssize_t sent = ::send(out->second.txFd.get(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (sent == ssize_t(frame.size())) {
        ++c.txFrames;
        c.txBytes += frame.size();
      } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
        ++c.drops[size_t(PortDrop::TxFull)];
      } else {
        ++c.drops[size_t(PortDrop::TxError)];
      }
    }
  }

  // --- admin ---------------------------------------------------------------------------------

  void acceptAdmins() {
    for (;;) {
      UniqueFd fd(::accept4(adminListener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!fd) {
        if (errno == EINTR || errno == ECONNABORTED)
          continue;
        return;
      }
      const uint32_t id = nextConnId++;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = makeTag(Tag::Admin, id);
      if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd.get(), &ev) != 0)
        continue;
      AdminConn a;
      a.fd = std::move(fd);
      admins.emplace(id, std::move(a));
    }
  }

  void onAdminEvent(uint32_t id, uint32_t events) {
    auto it = admins.find(id);
    if (it == admins.end())
      return;
    AdminConn& a = it->second;
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !a.isClosing) {
      std::array<char, 1024> chunk;
      ssize_t n = ::recv(a.fd.get(), chunk.data(), chunk.size(), 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        admins.erase(it);
        return;
      }
      if (n > 0)
        a.in.append(chunk.data(), size_t(n));
      size_t start = 0;
      for (size_t nl; (nl = a.in.find('\n', start)) != std::string::npos; start = nl + 1) {
        std::string_view line(a.in.data() + start, nl - start);
        if (!line.empty() && line.back() == '\r')
          line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos)
          continue;
        std::string reply = execute(line);
        a.out += reply;
        if (!reply.empty() && reply.back() != '\n')
          a.out += '\n';
        a.out += '\n';
      }
      a.in.erase(0, start);
      if (a.in.size() > kMaxAdminLine) {
        a.out += "error: line longer than " + std::to_string(kMaxAdminLine) + " bytes\n\n";
        a.in.clear();
        a.isClosing = true;
      }
    }
    flushAdmin(id);
  }

  void flushAdmin(uint32_t id) {
    auto it = admins.find(id);
    if (it == admins.end())
      return;
    AdminConn& a = it->second;
    while (!a.out.empty()) {
      ssize_t n = ::send(a.fd.get(), a.out.data(), a.out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        if (errno != EAGAIN) {
          admins.erase(it);
          return;
        }
        break;
      }
      a.out.erase(0, size_t(n));
    }
    if (a.out.size() > kMaxAdminOutput || (a.out.empty() && a.isClosing)) {
      admins.erase(it);
      return;
    }
    const bool wantOutput = !a.out.empty();
    if (wantOutput != a.isWatchingOutput) {
      epoll_event ev{};
      ev.events = EPOLLIN | (wantOutput ? EPOLLOUT : 0u);
      ev.data.u64 = makeTag(Tag::Admin, id);
      ::epoll_ctl(epoll.get(), EPOLL_CTL_MOD, a.fd.get(), &ev);
      a.isWatchingOutput = wantOutput;
    }
  }

  /// The admin commands, matched word for word (defined below the class).
  static const std::array<AdminCommand, 4> kCommands;

  std::string execute(std::string_view line) {
    ++stats.adminCommands;
    std::vector<std::string_view> words;
    for (size_t i = 0; i < line.size();) {
      size_t j = line.find_first_not_of(" \t", i);
      if (j == std::string_view::npos)
        break;
      size_t k = line.find_first_of(" \t", j);
      if (k == std::string_view::npos)
        k = line.size();
      words.push_back(line.substr(j, k - j));
      i = k;
    }
    if (words.empty())
      return {};
    for (const AdminCommand& c : kCommands) {
      const size_t count = c.words[1].empty() ? 1 : 2;
      if (words.size() == count && std::equal(words.begin(), words.end(), c.words.begin()))
        return (this->*c.handler)();
    }
    return "error: unknown command '" + std::string(line) + "'; try 'help'";
  }

  std::string showHelp() {
    std::ostringstream s;
    for (const AdminCommand& c : kCommands) {
      std::string name(c.words[0]);
      if (!c.words[1].empty())
        name += " " + std::string(c.words[1]);
      s << name << std::string(name.size() < 14 ? 14 - name.size() : 1, ' ') << c.help << '\n';
    }
    return s.str();
  }

  std::string showPorts() {
    std::ostringstream s;
    s << "ports " << ports.size() << '\n';
    std::map<PortId, const Port*> sorted;
    for (const auto& [id, p] : ports)
      sorted.emplace(id, &p);
    for (const auto& [id, p] : sorted) {
      const PortCounters& c = p->counters;
      s << "port " << id << " address " << describeAddress(p->address, kUnixAddressSize)
        << " rx_frames=" << c.rxFrames << " rx_bytes=" << c.rxBytes << " tx_frames=" << c.txFrames
        << " tx_bytes=" << c.txBytes;
      for (size_t r = 0; r < c.drops.size(); ++r)
        s << " drop_" << kPortDropNames[r] << '=' << c.drops[r];
      s << '\n';
    }
    return s.str();
  }

  std::string showFdb() {
    std::ostringstream s;
    const std::vector<FdbTable::Entry> entries = fdb.entries();
    s << "fdb " << entries.size() << '/' << fdb.maxEntries() << " aging "
      << std::chrono::duration_cast<std::chrono::seconds>(fdb.agingTime()).count() << "s\n";
    const TimePoint now = clock.now();
    for (const FdbTable::Entry& e : entries)
      s << e.mac.str() << " vlan " << e.vlan << " port " << e.port << " age "
        << std::chrono::duration_cast<std::chrono::seconds>(now - e.lastSeen).count() << "s\n";
    return s.str();
  }

  std::string showStats() {
    std::ostringstream s;
    s << "mode=" << (options.mode == ForwardingMode::Hub ? "hub" : "switch") << '\n'
      << "uptime_s=" << std::chrono::duration_cast<std::chrono::seconds>(clock.now() - started).count() << '\n'
      << "ports=" << ports.size() << '\n'
      << "control_accepted=" << stats.controlAccepted << '\n'
      << "clients_joined=" << stats.clientsJoined << '\n'
      << "clients_left=" << stats.clientsLeft << '\n'
      << "unknown_sender=" << stats.unknownSender << '\n'
      << "receive_errors=" << stats.receiveErrors << '\n'
      << "fdb_entries=" << fdb.size() << '\n'
      << "fdb_evictions=" << fdb.evictionCount() << '\n'
      << "admin_commands=" << stats.adminCommands << '\n'
      << "accept_pauses=" << stats.acceptPauses << '\n';
    for (size_t r = 0; r < stats.refusals.size(); ++r)
      s << "refused_" << kRefusalNames[r] << '=' << stats.refusals[r] << '\n';
    return s.str();
  }

  // --- loop ----------------------------------------------------------------------------------

  void tick() {
    const TimePoint now = clock.now();
    if (now - lastTick < kTickInterval)
      return;
    lastTick = now;
    fdb.expire();
    if (isAcceptPaused) {
      isAcceptPaused = false;
      watch(controlListener.get(), makeTag(Tag::ControlListener));
    }
    std::vector<uint32_t> late;
    for (const auto& [id, c] : controls)
      if (c.port == kNoPort && now - c.opened >= kHandshakeTimeout)
        late.push_back(id);
    for (uint32_t id : late)
      refuse(id, Refusal::Timeout, std::to_string(controls.at(id).received) + " bytes");
  }

  /// True when a stop signal was read.
  bool onSignal() {
    signalfd_siginfo info;
    bool isStop = false;
    while (::read(signals.get(), &info, sizeof(info)) == ssize_t(sizeof(info)))
      isStop = isStop || info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT;
    return isStop;
  }

  void run() {
    std::array<epoll_event, 64> events;
    for (bool isRunning = true; isRunning;) {
      int n = ::epoll_wait(epoll.get(), events.data(), int(events.size()), 1000);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        throwErrno("epoll_wait");
      }
      for (int i = 0; i < n; ++i) {
        const uint64_t tag = events[size_t(i)].data.u64;
        const uint32_t id = uint32_t(tag & 0xffffffff);
        switch (Tag(tag >> 32)) {
        case Tag::Signal:
          if (onSignal())
            isRunning = false;
          break;
        case Tag::ControlListener:
          acceptControls();
          break;
        case Tag::Data:
          onDataReadable();
          break;
        case Tag::AdminListener:
          acceptAdmins();
          break;
        case Tag::Control:
          onControlReadable(id);
          break;
        case Tag::Admin:
          onAdminEvent(id, events[size_t(i)].events);
          break;
        }
      }
      tick();
    }
  }

  // --- state (declaration order is destruction order, reversed) --------------------------------

  SwitchOptions options;
  const Clock& clock;
  SignalFd signals;
  UniqueFd epoll;
  ScopedPath controlPath;
  ScopedPath adminPath;
  UniqueFd controlListener;
  UniqueFd adminListener;
  UniqueFd dataFd;
  sockaddr_un dataAddress{};
  FdbTable fdb;
  Forwarder forwarder;
  std::unordered_map<PortId, Port> ports;
  std::unordered_map<AddressKey, PortId, AddressKeyHash> portByAddress;
  std::map<uint32_t, ControlConn> controls;
  std::map<uint32_t, AdminConn> admins;
  Stats stats;
  std::vector<uint8_t> buffers;
  std::vector<PortId> outPorts;
  PortId nextPortId = 1;
  uint32_t nextConnId = 1;
  bool isAcceptPaused = false;
  TimePoint started;
  TimePoint lastTick;
};

constexpr std::array<SwitchDaemon::Impl::AdminCommand, 4> SwitchDaemon::Impl::kCommands = {{
    {{"show", "ports"}, "one line per port: address, frames and bytes in and out, drops by reason",
     &Impl::showPorts},
    {{"show", "fdb"}, "the learnt (MAC, VLAN) -> port entries, most recent first", &Impl::showFdb},
    {{"show", "stats"}, "switch-wide counters: clients, refused handshakes, unknown senders",
     &Impl::showStats},
    {{"help", ""}, "this list", &Impl::showHelp},
}};

SwitchDaemon::SwitchDaemon(const SwitchOptions& options, const Clock& clock)
    : impl_(std::make_unique<Impl>(options, clock)) {}

SwitchDaemon::~SwitchDaemon() = default;

void SwitchDaemon::run() { impl_->run(); }

std::string SwitchDaemon::executeAdmin(std::string_view line) { return impl_->execute(line); }

} // namespace umlab::switchd
