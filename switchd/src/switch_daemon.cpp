#include "umlab/switchd/switch_daemon.hpp"

#include "umlab/base/quantity.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/switchd/capture_ring.hpp"
#include "umlab/switchd/delay_queue.hpp"
#include "umlab/switchd/egress_queue.hpp"
#include "umlab/switchd/link_conditioner.hpp"
#include "umlab/transports/pcap_file.hpp"
#include "unix_sockets.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <system_error>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace umlab::switchd {
namespace {

constexpr Duration kHandshakeTimeout = std::chrono::seconds(5);
constexpr Duration kTickInterval = std::chrono::seconds(1);
constexpr Duration kUplinkRetry = std::chrono::seconds(1);
constexpr int kUplinkReplyTimeoutMs = 1000;
constexpr size_t kBatchSize = 32;
/// Flow control: how long input may stay paused for a port that sends nothing meanwhile before
/// that port is declared stalled (and its frames dropped instead of waited for).
constexpr Duration kStallTimeout = std::chrono::milliseconds(20);
constexpr size_t kReceiveBufferSize = 2048; // > kMaxFrameSize, so oversize is seen, not truncated
constexpr size_t kMaxAdminLine = 4096;
constexpr size_t kMaxAdminOutput = 4 << 20;
constexpr int kLogLimitPerReason = 10;

// ---------------------------------------------------------------------------------------------
// Counters.

enum class PortDrop {
  Empty, Runt, Oversize, BadSource, SamePort, NoMemory, TxFull, TxError, MonitorRx,
  DownIn, DownOut, LossIn, LossOut, RateIn, RateOut, DelayFull, Count
};
constexpr std::array<const char*, size_t(PortDrop::Count)> kPortDropNames = {
    "empty",   "runt",     "oversize", "bad_source", "same_port", "no_memory",
    "tx_full", "tx_error", "monitor_rx", "down_in",  "down_out",  "loss_in",
    "loss_out", "rate_in", "rate_out", "delay_full"};

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
  uint64_t duplicated = 0;
  uint64_t corrupted = 0;
  uint64_t delayed = 0;
  std::array<uint64_t, size_t(PortDrop::Count)> drops{};
};

enum class PortKind : uint8_t { Daemon, Monitor, Bess, Uplink, Replay };
constexpr std::array<const char*, 5> kPortKindNames = {"daemon", "monitor", "bess", "uplink", "replay"};
constexpr size_t kMaxReplayFrames = 1'000'000;

/// What a delayed frame does when it is due.
enum class Stage : uint8_t { Forward, Send };

enum class Tag : uint64_t {
  Signal = 1, ControlListener, MonitorListener, BessListener, Data, AdminListener, Control, Admin,
  PortFd, UplinkControl
};

uint64_t makeTag(Tag kind, uint64_t id = 0) { return uint64_t(kind) << 32 | (id & 0xffffffff); }

std::vector<std::string_view> splitWords(std::string_view line) {
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
  return words;
}

/// "delay 20ms loss 1% down" -> "delay:20ms,loss:1%,down": one word, for `key=value` lines.
std::string compactConditions(const LinkConditions& c) {
  const std::string text = c.describe();
  const std::vector<std::string_view> words = splitWords(text);
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (!out.empty())
      out += ',';
    out += words[i];
    if (words[i] != "down" && words[i] != "none" && i + 1 < words.size()) {
      out += ':';
      out += words[++i];
    }
  }
  return out;
}

WallTime wallNow() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

} // namespace

// ---------------------------------------------------------------------------------------------

struct SwitchDaemon::Impl {
  struct Port {
    PortId id = kNoPort;
    PortKind kind = PortKind::Daemon;
    std::string name;          ///< empty until known (from --port NAME=MAC, or the uplink's)
    uint32_t controlId = 0;    ///< daemon and monitor ports: their control connection
    sockaddr_un address{};     ///< daemon/monitor: the client's data socket; uplink: the other switch's
    AddressKey key;
    /// daemon/monitor: an unnamed socket connected to the client's data socket (a stalled
    /// client fills only this one); bess: the accepted connection; uplink: our data socket.
    UniqueFd fd;
    bool isWatchingOutput = false;
    bool isDirty = false;
    /// Its queue filled and it took nothing for kStallTimeout: it no longer pauses the input.
    bool isStalled = false;
    uint64_t txAtPause = 0; ///< txFrames when the input was last paused
    EgressQueue queue;
    LinkConditioner in;
    LinkConditioner out;
    PortCounters counters;
  };

  struct ControlConn {
    UniqueFd fd;
    bool isMonitor = false;
    std::array<uint8_t, kRequestSize> request{};
    size_t received = 0;
    TimePoint opened;
    PortId port = kNoPort;
  };

  struct UplinkConn {
    Uplink spec;
    UniqueFd control;
    PortId port = kNoPort;
    TimePoint nextAttempt{};
    uint64_t attempts = 0;
    std::string lastError;
  };

  /// A capture being played into the segment from the "replay" port.
  struct Replay {
    std::string path;
    std::vector<transports::PcapFrame> frames;
    double speed = 1;      ///< 0: as fast as the switch goes
    uint64_t loops = 1;    ///< 0: until stopped
    uint64_t loop = 0;     ///< the current pass, from 0
    size_t next = 0;       ///< the next frame of this pass
    TimePoint passStart;   ///< when the current pass began
    uint64_t sent = 0;
    std::optional<MacAddress> rewriteTo;
  };

  struct AdminConn {
    UniqueFd fd;
    std::string in;
    std::string out;
    bool isClosing = false;
    bool isWatchingOutput = false;
  };

  /// Conditions kept by port name, so that they survive the port leaving and joining again (a
  /// guest rebooting) and can be set before the port first joins.
  struct NamedConditions {
    LinkConditions in;
    LinkConditions out;
  };

  struct Stats {
    uint64_t controlAccepted = 0;
    uint64_t clientsJoined = 0;
    uint64_t clientsLeft = 0;
    uint64_t unknownSender = 0;
    uint64_t receiveErrors = 0;
    uint64_t adminCommands = 0;
    uint64_t acceptPauses = 0;
    uint64_t uplinkJoins = 0;
    uint64_t inputPauses = 0;
    uint64_t stalls = 0;
    std::array<uint64_t, size_t(Refusal::Count)> refusals{};
  };

  using Words = std::span<const std::string_view>;

  struct AdminCommand {
    std::array<std::string_view, 2> words; ///< the command; an unused second word is empty
    std::string_view arguments;           ///< for help and usage errors
    size_t minArguments;
    size_t maxArguments;
    std::string_view help;
    std::string (Impl::*handler)(Words);
  };

  Impl(const SwitchOptions& o, const Clock& c)
      : options(o), clock(c), fdb(c, o.fdbMaxEntries, o.agingTime), forwarder(fdb, o.mode),
        ring(o.ringBytes) {
    started = clock.now();
    lastTick = started;
    epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll)
      throwErrno("epoll_create1");
    dataFd = bindAbstractDatagram("umlab-switchd." + std::to_string(::getpid()) + "." +
                                      std::to_string(std::hash<std::string>{}(o.ctlPath)),
                                  dataAddress);
    controlListener = listenAt(options.ctlPath, SOCK_STREAM, controlPath);
    if (!options.monitorPath.empty())
      monitorListener = listenAt(options.monitorPath, SOCK_STREAM, monitorPath);
    if (!options.bessPath.empty())
      bessListener = listenAt(options.bessPath, SOCK_SEQPACKET, bessPath);
    watch(signals.get(), makeTag(Tag::Signal));
    watch(controlListener.get(), makeTag(Tag::ControlListener));
    if (monitorListener)
      watch(monitorListener.get(), makeTag(Tag::MonitorListener));
    if (bessListener)
      watch(bessListener.get(), makeTag(Tag::BessListener));
    watch(dataFd.get(), makeTag(Tag::Data));
    buffers.resize(kBatchSize * kReceiveBufferSize);
    outPorts.reserve(64);
    for (const PortName& p : options.portNames) {
      nameByMac[p.mac] = p.name;
      declaredNames.insert({p.name, {}});
    }
    for (const Uplink& u : options.uplinks) {
      UplinkConn conn;
      conn.spec = u;
      declaredNames.insert({u.name, {}});
      uplinks.push_back(std::move(conn));
    }
    if (!options.capturePath.empty()) {
      std::string reply = captureStart(std::array<std::string_view, 1>{options.capturePath});
      if (reply.starts_with("error: "))
        throw std::invalid_argument("--capture: " + reply.substr(7));
    }
    for (const std::string& command : options.startCommands) {
      std::string reply = execute(command);
      if (reply.starts_with("error: "))
        throw std::invalid_argument("'" + command + "': " + reply.substr(7));
    }
    for (UplinkConn& u : uplinks)
      connectUplink(u);
    // Last: whoever waits for the admin socket (umlab up) finds everything else ready.
    if (!options.adminPath.empty()) {
      adminListener = listenAt(options.adminPath, SOCK_STREAM, adminPath);
      watch(adminListener.get(), makeTag(Tag::AdminListener));
    }
  }

  // --- setup ---------------------------------------------------------------------------------

  void watch(int fd, uint64_t tag, uint32_t events = EPOLLIN) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
      throwErrno("epoll_ctl");
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

  // --- ports ---------------------------------------------------------------------------------

  Port& addPort(PortKind kind, UniqueFd fd) {
    const PortId id = nextPortId++;
    Port& p = ports.try_emplace(id).first->second;
    p.id = id;
    p.kind = kind;
    p.fd = std::move(fd);
    p.queue = EgressQueue(options.queueFrames);
    seedPort(p);
    if (kind == PortKind::Monitor)
      monitorPorts.push_back(id);
    else
      forwarder.addPort(id);
    ++stats.clientsJoined;
    return p;
  }

  void seedPort(Port& p) {
    const std::string key = p.name.empty() ? "port" + std::to_string(p.id) : p.name;
    p.in.reseed(seedFor(seed, key, Direction::In));
    p.out.reseed(seedFor(seed, key, Direction::Out));
  }

  /// Gives `p` its name and the conditions kept under it.
  void namePort(Port& p, const std::string& name) {
    p.name = name;
    seedPort(p);
    if (auto it = declaredNames.find(name); it != declaredNames.end()) {
      p.in.setConditions(it->second.in);
      p.out.setConditions(it->second.out);
    }
  }

  void removePort(PortId id) {
    auto it = ports.find(id);
    if (it == ports.end())
      return;
    Port& p = it->second;
    if (p.kind == PortKind::Monitor)
      std::erase(monitorPorts, id);
    else
      forwarder.removePort(id);
    if (p.kind == PortKind::Daemon || p.kind == PortKind::Monitor)
      portByAddress.erase(p.key);
    if (id == replayPort) {
      replay.reset();
      replayPort = kNoPort;
    }
    std::erase(dirtyPorts, id);
    delayed.dropPort(id);
    if (lastSender == id)
      lastSender = kNoPort;
    ports.erase(it); // closes the port's fd, which leaves the epoll set
    ++stats.clientsLeft;
  }

  // --- control connections (daemon and monitor) ----------------------------------------------

  void acceptControls(int listener, bool isMonitor) {
    for (;;) {
      UniqueFd fd(::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
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
      c.isMonitor = isMonitor;
      c.opened = clock.now();
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = makeTag(Tag::Control, id);
      if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, c.fd.get(), &ev) != 0)
        continue; // dropped: the connection closes
      controls.emplace(id, std::move(c));
    }
  }

  /// Stops watching the listeners until the next tick, when out of file descriptors.
  void pauseAccepting() {
    if (isAcceptPaused)
      return;
    ++stats.acceptPauses;
    if (stats.acceptPauses <= kLogLimitPerReason)
      std::fprintf(stderr, "umlab-switchd: out of file descriptors; not accepting for a second\n");
    for (const UniqueFd* l : {&controlListener, &monitorListener, &bessListener})
      if (*l)
        ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, l->get(), nullptr);
    isAcceptPaused = true;
  }

  void resumeAccepting() {
    if (!isAcceptPaused)
      return;
    isAcceptPaused = false;
    watch(controlListener.get(), makeTag(Tag::ControlListener));
    if (monitorListener)
      watch(monitorListener.get(), makeTag(Tag::MonitorListener));
    if (bessListener)
      watch(bessListener.get(), makeTag(Tag::BessListener));
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
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        removePort(c.port);
        controls.erase(it);
      }
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

    const int txFd = tx.get();
    Port& p = addPort(c.isMonitor ? PortKind::Monitor : PortKind::Daemon, std::move(tx));
    p.controlId = id;
    p.address = req.sock;
    p.key = key;
    portByAddress.emplace(key, p.id);
    c.port = p.id;
    // The sending socket is watched only for EPOLLOUT, when its queue backs up.
    epoll_event ev{};
    ev.events = 0;
    ev.data.u64 = makeTag(Tag::PortFd, p.id);
    ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, txFd, &ev);
  }

  // --- bess connections ----------------------------------------------------------------------

  void acceptBess() {
    for (;;) {
      UniqueFd fd(::accept4(bessListener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!fd) {
        if (errno == EINTR || errno == ECONNABORTED)
          continue;
        if (errno == EMFILE || errno == ENFILE)
          pauseAccepting();
        return;
      }
      ++stats.controlAccepted;
      if (ports.size() >= options.maxClients) {
        ++stats.refusals[size_t(Refusal::TooManyClients)];
        continue;
      }
      const int raw = fd.get();
      Port& p = addPort(PortKind::Bess, std::move(fd));
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u64 = makeTag(Tag::PortFd, p.id);
      if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, raw, &ev) != 0)
        removePort(p.id);
    }
  }

  // --- uplinks -------------------------------------------------------------------------------

  /// Joins another switch as a daemon client (its control path, our own abstract data socket).
  /// Runs synchronously and waits up to a second for the reply: uplinks are set up at start and
  /// after their switch went away, not on the frame path.
  void connectUplink(UplinkConn& u) {
    u.nextAttempt = clock.now() + kUplinkRetry;
    ++u.attempts;
    auto fail = [&](const std::string& why) {
      if (u.lastError != why && u.attempts <= uint64_t(kLogLimitPerReason))
        std::fprintf(stderr, "umlab-switchd: uplink %s (%s): %s; retrying every second\n",
                     u.spec.name.c_str(), u.spec.ctlPath.c_str(), why.c_str());
      u.lastError = why;
    };
    try {
      UniqueFd control(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (!control)
        return fail(std::string("socket: ") + std::strerror(errno));
      const sockaddr_un peer = pathAddress(u.spec.ctlPath);
      if (::connect(control.get(), reinterpret_cast<const sockaddr*>(&peer), sizeof(peer)) != 0)
        return fail(std::string("connect: ") + std::strerror(errno));
      sockaddr_un mine{};
      UniqueFd data = bindAbstractDatagram("umlab-switchd." + std::to_string(::getpid()) + ".uplink." +
                                               std::to_string(u.attempts),
                                           mine);
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
      // Not connect()ed: the other switch sends from one socket per port, not from the address
      // it replied with, and a connected datagram socket accepts only its peer's datagrams.
      // Frames go out with sendto to the reply's address, as UML's daemon transport does.
      const int dataRaw = data.get();
      Port& p = addPort(PortKind::Uplink, std::move(data));
      p.address = reply;
      namePort(p, u.spec.name);
      u.port = p.id;
      u.control = std::move(control);
      u.lastError.clear();
      ++stats.uplinkJoins;
      watch(dataRaw, makeTag(Tag::PortFd, p.id));
      watch(u.control.get(), makeTag(Tag::UplinkControl, uint64_t(&u - uplinks.data())));
    } catch (const std::system_error& e) {
      fail(e.what());
    }
  }

  void onUplinkControl(size_t index) {
    if (index >= uplinks.size())
      return;
    UplinkConn& u = uplinks[index];
    std::array<uint8_t, 256> scratch;
    ssize_t n = ::recv(u.control.get(), scratch.data(), scratch.size(), MSG_DONTWAIT);
    if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
      return;
    std::fprintf(stderr, "umlab-switchd: uplink %s: the other switch went away; reconnecting\n",
                 u.spec.name.c_str());
    removePort(u.port);
    u.port = kNoPort;
    u.control.reset();
    u.attempts = 0;
    u.nextAttempt = clock.now() + kUplinkRetry;
  }

  // --- data plane ----------------------------------------------------------------------------

  /// Receives a burst from `fd` (the shared data socket when `from` is null, else one port's own
  /// socket) and passes each frame on. On a bess (seqpacket) connection an empty read is the
  /// peer's hang-up only when epoll said the peer closed (`peerClosed`); otherwise it is an
  /// empty message, dropped and counted like any other.
  void receiveBurst(int fd, Port* from, bool peerClosed = false) {
    std::array<mmsghdr, kBatchSize> msgs{};
    std::array<iovec, kBatchSize> iovs{};
    std::array<sockaddr_un, kBatchSize> addresses{};
    for (size_t i = 0; i < kBatchSize; ++i) {
      iovs[i] = {buffers.data() + i * kReceiveBufferSize, kReceiveBufferSize};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      if (!from) {
        msgs[i].msg_hdr.msg_name = &addresses[i];
        msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_un);
      }
    }
    int n = ::recvmmsg(fd, msgs.data(), kBatchSize, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR)
        return;
      ++stats.receiveErrors;
      if (from && from->kind == PortKind::Bess)
        removePort(from->id); // the connection failed
      return;
    }
    if (n == 0 && from && from->kind == PortKind::Bess && peerClosed) {
      removePort(from->id);
      return;
    }
    now = clock.now();
    wallTime = wallNow();
    const PortId fromId = from ? from->id : kNoPort;
    for (int i = 0; i < n; ++i) {
      const auto& h = msgs[size_t(i)].msg_hdr;
      Port* in = nullptr;
      if (from) {
        auto it = ports.find(fromId);
        if (it == ports.end())
          break;
        in = &it->second;
      } else {
        // Frames of a burst mostly come from one sender: compare with the last one first.
        const AddressKey key = AddressKey::of(addresses[size_t(i)], h.msg_namelen);
        if (lastSender != kNoPort && key == lastSenderKey) {
          in = &ports.find(lastSender)->second;
        } else {
          auto known = portByAddress.find(key);
          if (known == portByAddress.end()) {
            ++stats.unknownSender;
            continue;
          }
          in = &ports.find(known->second)->second;
          lastSender = in->id;
          lastSenderKey = key;
        }
      }
      const bool isTruncated = (h.msg_flags & MSG_TRUNC) != 0;
      // A bess peer that closed delivers an empty message: the end of the connection.
      if (in->kind == PortKind::Bess && msgs[size_t(i)].msg_len == 0 && peerClosed) {
        removePort(in->id);
        break;
      }
      receiveFrame(*in, std::span<uint8_t>(buffers.data() + size_t(i) * kReceiveBufferSize,
                                           std::min<size_t>(msgs[size_t(i)].msg_len, kReceiveBufferSize)),
                   isTruncated);
    }
    flushDirty();
  }

  void drop(Port& p, PortDrop why) noexcept { ++p.counters.drops[size_t(why)]; }

  /// A frame that arrived on port `in`.
  void receiveFrame(Port& in, std::span<uint8_t> frame, bool isTruncated) noexcept {
    ++in.counters.rxFrames;
    in.counters.rxBytes += frame.size();
    if (frame.empty())
      return drop(in, PortDrop::Empty); // never forwarded: UML shuts a NIC down on a 0-byte datagram
    if (isTruncated || frame.size() > kMaxFrameSize)
      return drop(in, PortDrop::Oversize);
    if (in.kind == PortKind::Monitor)
      return drop(in, PortDrop::MonitorRx); // a monitor port listens only
    if (in.name.empty() && !nameByMac.empty() && frame.size() >= kEthernetHeaderSize) {
      MacAddress::Bytes b;
      std::memcpy(b.data(), frame.data() + 6, 6);
      if (auto it = nameByMac.find(MacAddress(b)); it != nameByMac.end())
        namePort(in, it->second);
    }
    if (!in.in.isActive())
      return enterSegment(in.id, frame);
    applyConditions(in, in.in, Direction::In, frame);
  }

  /// Runs `frame` through one direction's conditions: drops it, or passes each copy on now or
  /// through the delay queue.
  void applyConditions(Port& p, LinkConditioner& conditioner, Direction dir, std::span<const uint8_t> frame) noexcept {
    const LinkConditioner::Verdict v = conditioner.decide(frame.size(), now);
    const bool isIn = dir == Direction::In;
    switch (v.outcome) {
    case LinkConditioner::Outcome::DropDown:
      return drop(p, isIn ? PortDrop::DownIn : PortDrop::DownOut);
    case LinkConditioner::Outcome::DropLoss:
      return drop(p, isIn ? PortDrop::LossIn : PortDrop::LossOut);
    case LinkConditioner::Outcome::DropRate:
      return drop(p, isIn ? PortDrop::RateIn : PortDrop::RateOut);
    case LinkConditioner::Outcome::Pass:
      break;
    }
    if (v.copies == 2)
      ++p.counters.duplicated;
    const PortId id = p.id;
    for (uint8_t k = 0; k < v.copies; ++k) {
      const LinkConditioner::Copy& copy = v.copy[k];
      std::span<const uint8_t> bytes = frame;
      if (copy.corruptBit >= 0) {
        // One buffer per direction: an ingress-corrupted frame (in scratch[In]) may meet an
        // egress corruption on its way out, which must not alter what the other ports get.
        std::array<uint8_t, kReceiveBufferSize>& buffer = scratch[size_t(dir)];
        std::copy(frame.begin(), frame.end(), buffer.begin());
        LinkConditioner::flipBit(std::span<uint8_t>(buffer.data(), frame.size()), copy.corruptBit);
        bytes = std::span<const uint8_t>(buffer.data(), frame.size());
        ++p.counters.corrupted;
      }
      if (copy.departure <= now) {
        if (isIn)
          enterSegment(id, bytes);
        else
          enqueue(p, bytes);
        continue;
      }
      ++p.counters.delayed;
      if (!delayed.push(copy.departure, {id, uint8_t(isIn ? Stage::Forward : Stage::Send)}, bytes))
        drop(p, PortDrop::DelayFull);
    }
  }

  /// A frame enters the segment from port `ingress` (after that port's conditions): it is
  /// captured, mirrored to the monitor ports, and forwarded.
  void enterSegment(PortId ingress, std::span<const uint8_t> frame) noexcept {
    ring.append(wallTime, frame);
    if (captureFile) {
      captureFile->write(wallTime, frame);
      ++captureFrames;
    }
    for (PortId m : monitorPorts)
      if (auto it = ports.find(m); it != ports.end())
        enqueue(it->second, frame);
    auto inIt = ports.find(ingress);
    if (inIt == ports.end())
      return; // the port left while its frame waited
    Port& in = inIt->second;
    ForwardAction action;
    try {
      action = forwarder.forward(frame, ingress, outPorts);
    } catch (const std::bad_alloc&) {
      return drop(in, PortDrop::NoMemory); // learning a new address could not allocate
    }
    switch (action) {
    case ForwardAction::Unicast:
    case ForwardAction::Flood:
      break;
    case ForwardAction::DropRunt:
      return drop(in, PortDrop::Runt);
    case ForwardAction::DropBadSource:
      return drop(in, PortDrop::BadSource);
    case ForwardAction::DropSamePort:
      return drop(in, PortDrop::SamePort);
    case ForwardAction::DropUnknownPort:
      return;
    }
    for (PortId id : outPorts) {
      auto out = ports.find(id);
      if (out == ports.end() || out->second.kind == PortKind::Replay)
        continue;
      Port& p = out->second;
      if (p.out.isActive())
        applyConditions(p, p.out, Direction::Out, frame);
      else
        enqueue(p, frame);
    }
  }

  void enqueue(Port& p, std::span<const uint8_t> frame) noexcept {
    if (!p.queue.push(frame))
      return drop(p, PortDrop::TxFull);
    if (!p.isDirty) {
      p.isDirty = true;
      dirtyPorts.push_back(p.id);
    }
  }

  // Flow control. A receiver's socket takes only a few frames at a time; when a port's queue
  // fills anyway, the switch stops reading its input until the queue drains, so that senders
  // meet a full socket (and wait, as UML's transport does) instead of the switch dropping
  // frames it already read. A port that takes nothing for kStallTimeout is "stalled": it no
  // longer holds up the others, and its frames are dropped (tx_full) until it drains again.
  size_t highWater() const { return options.queueFrames - std::min<size_t>(options.queueFrames / 4, kBatchSize * 2); }
  size_t lowWater() const { return options.queueFrames / 4; }

  void setInputWatched(bool isWatched) noexcept {
    const uint32_t in = isWatched ? EPOLLIN : 0u;
    epoll_event ev{};
    ev.events = in;
    ev.data.u64 = makeTag(Tag::Data);
    ::epoll_ctl(epoll.get(), EPOLL_CTL_MOD, dataFd.get(), &ev);
    for (auto& [id, p] : ports) {
      if (p.kind != PortKind::Bess && p.kind != PortKind::Uplink)
        continue;
      ev.events = in | (p.isWatchingOutput ? EPOLLOUT : 0u) | (p.kind == PortKind::Bess ? EPOLLRDHUP : 0u);
      ev.data.u64 = makeTag(Tag::PortFd, id);
      ::epoll_ctl(epoll.get(), EPOLL_CTL_MOD, p.fd.get(), &ev);
    }
  }

  void pauseInput() noexcept {
    isInputPaused = true;
    pausedAt = now;
    ++stats.inputPauses;
    for (auto& [id, p] : ports)
      p.txAtPause = p.counters.txFrames;
    setInputWatched(false);
  }

  /// Resumes reading when no live port is backed up; after kStallTimeout, ports that took
  /// nothing meanwhile are declared stalled. Called after every flush and on every loop turn.
  void reviewPause() noexcept {
    if (!isInputPaused)
      return;
    const bool isTimedOut = clock.now() - pausedAt >= kStallTimeout;
    bool isBlocked = false;
    for (auto& [id, p] : ports) {
      if (p.isStalled || p.queue.size() < highWater())
        continue;
      if (isTimedOut && p.counters.txFrames == p.txAtPause) {
        p.isStalled = true;
        ++stats.stalls;
        continue;
      }
      isBlocked = true;
    }
    if (!isBlocked) {
      isInputPaused = false;
      setInputWatched(true);
    } else if (isTimedOut) {
      pausedAt = clock.now(); // the blocking ports are draining: wait for them another round
      for (auto& [id, p] : ports)
        p.txAtPause = p.counters.txFrames;
    }
  }

  void flushDirty() noexcept {
    for (PortId id : dirtyPorts) {
      auto it = ports.find(id);
      if (it == ports.end())
        continue;
      it->second.isDirty = false;
      flushPort(it->second);
    }
    dirtyPorts.clear();
  }

  void flushPort(Port& p) noexcept {
    const EgressQueue::FlushResult r = p.kind == PortKind::Uplink
                                           ? p.queue.flush(p.fd.get(), &p.address, kUnixAddressSize)
                                           : p.queue.flush(p.fd.get());
    p.counters.txFrames += r.sent;
    p.counters.txBytes += r.sentBytes;
    p.counters.drops[size_t(PortDrop::TxError)] += r.failed;
    if (p.queue.size() <= lowWater()) {
      p.isStalled = false;
    } else if (p.queue.size() >= highWater() && !p.isStalled && !isInputPaused) {
      pauseInput();
    }
    const bool wantOutput = !p.queue.empty();
    if (wantOutput != p.isWatchingOutput) {
      epoll_event ev{};
      const bool readsOwnFd = p.kind == PortKind::Bess || p.kind == PortKind::Uplink;
      ev.events = (readsOwnFd && !isInputPaused ? EPOLLIN : 0u) | (wantOutput ? EPOLLOUT : 0u) |
                  (p.kind == PortKind::Bess ? EPOLLRDHUP : 0u);
      ev.data.u64 = makeTag(Tag::PortFd, p.id);
      ::epoll_ctl(epoll.get(), EPOLL_CTL_MOD, p.fd.get(), &ev);
      p.isWatchingOutput = wantOutput;
    }
  }

  void onPortEvent(PortId id, uint32_t events) {
    auto it = ports.find(id);
    if (it == ports.end())
      return;
    Port& p = it->second;
    if (events & EPOLLOUT)
      flushPort(p);
    if (p.kind == PortKind::Bess || p.kind == PortKind::Uplink) {
      if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
        receiveBurst(p.fd.get(), &p, (events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) != 0);
    } else if (events & (EPOLLHUP | EPOLLERR)) {
      // The client's data socket is gone; its control connection going away removes the port.
      flushPort(p);
    }
  }

  /// Sends or forwards the delayed frames that are due.
  void releaseDelayed() {
    if (!delayed.nextDue() || *delayed.nextDue() > clock.now())
      return;
    now = clock.now();
    wallTime = wallNow();
    delayed.popDue(now, [&](DelayQueue::Target t, std::span<uint8_t> frame) {
      if (Stage(t.stage) == Stage::Forward) {
        enterSegment(t.port, frame);
      } else if (auto it = ports.find(t.port); it != ports.end()) {
        enqueue(it->second, frame);
      }
    });
    flushDirty();
  }

  /// The time frame `i` of the current pass is due.
  TimePoint replayDue(const Replay& r, size_t i) const {
    if (r.speed <= 0 || i == 0)
      return r.passStart;
    const auto offset = r.frames[i].timestamp - r.frames[0].timestamp;
    const double scaled = double(std::chrono::duration_cast<std::chrono::nanoseconds>(offset).count()) / r.speed;
    return r.passStart + std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(int64_t(scaled)));
  }

  /// Injects the replay's due frames (at most a burst per loop turn, so that an unpaced replay
  /// cannot starve the guests' traffic).
  void releaseReplay() {
    if (!replay)
      return;
    Replay& r = *replay;
    auto port = ports.find(replayPort);
    if (port == ports.end()) {
      replay.reset();
      return;
    }
    now = clock.now();
    wallTime = wallNow();
    for (size_t burst = 0; burst < kBatchSize; ++burst) {
      if (r.next >= r.frames.size()) {
        ++r.loop;
        if (r.loops != 0 && r.loop >= r.loops) {
          std::fprintf(stderr, "umlab-switchd: replay of %s done: %llu frames\n", r.path.c_str(),
                       (unsigned long long)r.sent);
          replay.reset();
          break;
        }
        r.next = 0;
        r.passStart = now;
      }
      if (replayDue(r, r.next) > now)
        break;
      const std::vector<uint8_t>& f = r.frames[r.next++].data;
      ++port->second.counters.rxFrames;
      port->second.counters.rxBytes += f.size();
      ++r.sent;
      enterSegment(replayPort, f);
    }
    flushDirty();
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

  /// The admin commands, matched on their words (defined below the class).
  static const std::array<AdminCommand, 15> kCommands;

  static std::string usageOf(const AdminCommand& c) {
    std::string s(c.words[0]);
    if (!c.words[1].empty())
      s += " " + std::string(c.words[1]);
    if (!c.arguments.empty())
      s += " " + std::string(c.arguments);
    return s;
  }

  std::string execute(std::string_view line) {
    ++stats.adminCommands;
    const std::vector<std::string_view> words = splitWords(line);
    if (words.empty())
      return {};
    const AdminCommand* partial = nullptr;
    for (const AdminCommand& c : kCommands) {
      const size_t n = c.words[1].empty() ? 1 : 2;
      if (words.size() < n || words[0] != c.words[0] || (n == 2 && words[1] != c.words[1])) {
        if (words[0] == c.words[0] && !partial)
          partial = &c;
        continue;
      }
      const Words args(words.data() + n, words.size() - n);
      if (args.size() < c.minArguments || args.size() > c.maxArguments)
        return "error: usage: " + usageOf(c);
      return (this->*c.handler)(args);
    }
    if (partial)
      return "error: unknown command '" + std::string(line) + "'; did you mean '" + usageOf(*partial) + "'? try 'help'";
    return "error: unknown command '" + std::string(line) + "'; try 'help'";
  }

  std::string showHelp(Words) {
    std::ostringstream s;
    for (const AdminCommand& c : kCommands) {
      const std::string usage = usageOf(c);
      s << usage << std::string(usage.size() < 34 ? 34 - usage.size() : 1, ' ') << c.help << '\n';
    }
    return s.str();
  }

  std::string showPorts(Words) {
    std::ostringstream s;
    s << "ports " << ports.size() << '\n';
    std::map<PortId, const Port*> sorted;
    for (const auto& [id, p] : ports)
      sorted.emplace(id, &p);
    for (const auto& [id, p] : sorted) {
      const PortCounters& c = p->counters;
      s << "port " << id << " name=" << (p->name.empty() ? "-" : p->name)
        << " kind=" << kPortKindNames[size_t(p->kind)] << " address=";
      if (p->kind == PortKind::Daemon || p->kind == PortKind::Monitor)
        s << describeAddress(p->address, kUnixAddressSize);
      else
        s << "-";
      s << " in=" << compactConditions(p->in.conditions()) << " out=" << compactConditions(p->out.conditions())
        << " queue=" << p->queue.size() << " rx_frames=" << c.rxFrames << " rx_bytes=" << c.rxBytes
        << " tx_frames=" << c.txFrames << " tx_bytes=" << c.txBytes << " duplicated=" << c.duplicated
        << " corrupted=" << c.corrupted << " delayed=" << c.delayed;
      for (size_t r = 0; r < c.drops.size(); ++r)
        s << " drop_" << kPortDropNames[r] << '=' << c.drops[r];
      s << '\n';
    }
    return s.str();
  }

  std::string showFdb(Words) {
    std::ostringstream s;
    const std::vector<FdbTable::Entry> entries = fdb.entries();
    s << "fdb " << entries.size() << '/' << fdb.maxEntries() << " aging "
      << std::chrono::duration_cast<std::chrono::seconds>(fdb.agingTime()).count() << "s\n";
    const TimePoint t = clock.now();
    for (const FdbTable::Entry& e : entries)
      s << e.mac.str() << " vlan " << e.vlan << " port " << e.port << " age "
        << std::chrono::duration_cast<std::chrono::seconds>(t - e.lastSeen).count() << "s\n";
    return s.str();
  }

  std::string showStats(Words) {
    std::ostringstream s;
    s << "mode=" << (options.mode == ForwardingMode::Hub ? "hub" : "switch") << '\n'
      << "uptime_s=" << std::chrono::duration_cast<std::chrono::seconds>(clock.now() - started).count() << '\n'
      << "ports=" << ports.size() << '\n'
      << "monitor_ports=" << monitorPorts.size() << '\n'
      << "seed=" << seed << '\n'
      << "control_accepted=" << stats.controlAccepted << '\n'
      << "clients_joined=" << stats.clientsJoined << '\n'
      << "clients_left=" << stats.clientsLeft << '\n'
      << "uplink_joins=" << stats.uplinkJoins << '\n'
      << "unknown_sender=" << stats.unknownSender << '\n'
      << "receive_errors=" << stats.receiveErrors << '\n'
      << "fdb_entries=" << fdb.size() << '\n'
      << "fdb_evictions=" << fdb.evictionCount() << '\n'
      << "delayed_frames=" << delayed.size() << '\n'
      << "input_pauses=" << stats.inputPauses << '\n'
      << "port_stalls=" << stats.stalls << '\n'
      << "admin_commands=" << stats.adminCommands << '\n'
      << "accept_pauses=" << stats.acceptPauses << '\n';
    for (size_t r = 0; r < stats.refusals.size(); ++r)
      s << "refused_" << kRefusalNames[r] << '=' << stats.refusals[r] << '\n';
    for (const UplinkConn& u : uplinks)
      s << "uplink " << u.spec.name << ' ' << (u.port != kNoPort ? "joined" : "waiting")
        << (u.lastError.empty() ? "" : " (" + u.lastError + ")") << '\n';
    return s.str();
  }

  /// The port named `word`: a port id, or a port name (given by --port or --uplink).
  Port* findPort(std::string_view word) {
    if (std::optional<uint64_t> id = parseUnsigned(word, UINT32_MAX))
      if (auto it = ports.find(PortId(*id)); it != ports.end())
        return &it->second;
    for (auto& [id, p] : ports)
      if (p.name == word)
        return &p;
    return nullptr;
  }

  std::string setPort(Words args) {
    const std::string_view target = args[0];
    size_t first = 1;
    bool setIn = true;
    bool setOut = true;
    if (args.size() > 1 && (args[1] == "in" || args[1] == "out" || args[1] == "both")) {
      setIn = args[1] != "out";
      setOut = args[1] != "in";
      first = 2;
    }
    if (first >= args.size())
      return "error: usage: set port PORT [in|out|both] CONDITION...";
    Port* p = findPort(target);
    auto named = declaredNames.find(std::string(target));
    if (!p && named == declaredNames.end())
      return "error: no port '" + std::string(target) + "' (see 'show ports'; names come from --port and --uplink)";
    if (p && !p->name.empty())
      named = declaredNames.find(p->name);
    LinkConditions in = p ? p->in.conditions() : named->second.in;
    LinkConditions out = p ? p->out.conditions() : named->second.out;
    std::string error;
    const Words words = args.subspan(first);
    if ((setIn && !parseConditionWords(words, in, error)) || (setOut && !parseConditionWords(words, out, error)))
      return "error: " + error;
    if (p) {
      p->in.setConditions(in);
      p->out.setConditions(out);
    }
    if (named != declaredNames.end())
      named->second = {in, out};
    const std::string name = p ? (p->name.empty() ? "port " + std::to_string(p->id) : p->name) : std::string(target);
    return name + " in: " + in.describe() + "\n" + name + " out: " + out.describe() + (p ? "" : "\n(applies when the port joins)");
  }

  /// `name port NAME MAC`: like --port, for a port that joins later (a hot-plugged NIC).
  std::string namePortCommand(Words args) {
    std::optional<MacAddress> mac = MacAddress::parse(args[1]);
    if (!mac || mac->isMulticast())
      return "error: bad MAC '" + std::string(args[1]) + "'";
    const std::string name(args[0]);
    nameByMac[*mac] = name;
    declaredNames.insert({name, {}});
    return "port " + name + " is the one that sends from " + mac->str();
  }

  std::string setSeed(Words args) {
    std::optional<uint64_t> s = parseUnsigned(args[0]);
    if (!s)
      return "error: the seed must be a non-negative integer";
    seed = *s;
    for (auto& [id, p] : ports)
      seedPort(p);
    return "seed " + std::to_string(seed);
  }

  std::string captureStart(Words args) {
    if (captureFile)
      return "error: already capturing to " + captureFile->name() + "; 'capture stop' first";
    try {
      captureFile.emplace(transports::PcapWriter::create(std::string(args[0])));
    } catch (const std::system_error& e) {
      return "error: " + std::string(e.what());
    }
    captureFrames = 0;
    return "capturing to " + std::string(args[0]);
  }

  std::string captureStop(Words) {
    if (!captureFile)
      return "error: not capturing";
    const std::string name = captureFile->name();
    const uint64_t frames = captureFrames;
    std::string result = "captured " + std::to_string(frames) + " frames to " + name;
    try {
      captureFile->close();
    } catch (const std::system_error& e) {
      result = "error: " + std::string(e.what());
    }
    captureFile.reset();
    return result;
  }

  std::string captureDump(Words args) {
    std::optional<WallTime> since;
    if (args.size() > 1) {
      std::optional<std::chrono::nanoseconds> d = parseDuration(args[1]);
      if (!d)
        return "error: bad duration '" + std::string(args[1]) + "' (e.g. 60s, 500ms, 5m)";
      since = wallNow() - std::chrono::duration_cast<std::chrono::microseconds>(*d);
    }
    try {
      transports::PcapWriter w = transports::PcapWriter::create(std::string(args[0]));
      const size_t n = ring.forEachSince(since.value_or(WallTime{}), [&](WallTime t, std::span<const uint8_t> f, uint32_t) {
        w.write(t, f);
      });
      w.close();
      return "dumped " + std::to_string(n) + " frames to " + std::string(args[0]);
    } catch (const std::system_error& e) {
      return "error: " + std::string(e.what());
    }
  }

  std::string replayStart(Words args) {
    if (replay)
      return "error: already replaying " + replay->path + " (" + std::to_string(replay->sent) +
             " frames sent); 'replay stop' first";
    Replay r;
    r.path = std::string(args[0]);
    for (size_t i = 1; i + 1 < args.size() + 1; i += 2) {
      if (i + 1 >= args.size())
        return "error: '" + std::string(args[i]) + "' needs a value; usage: replay start FILE [speed X] [loop N] [dst MAC]";
      if (args[i] == "speed") {
        std::optional<double> v = parseDecimal(args[i + 1]);
        if (!v)
          return "error: bad speed '" + std::string(args[i + 1]) + "': a factor such as 1, 2 or 0.5 (0: as fast as possible)";
        r.speed = *v;
      } else if (args[i] == "dst") {
        std::optional<MacAddress> mac = MacAddress::parse(args[i + 1]);
        if (!mac || mac->isMulticast())
          return "error: bad dst '" + std::string(args[i + 1]) + "': a unicast MAC address such as 02:00:00:00:00:01";
        r.rewriteTo = *mac;
      } else if (args[i] == "loop") {
        std::optional<uint64_t> v = parseUnsigned(args[i + 1]);
        if (!v)
          return "error: bad loop '" + std::string(args[i + 1]) + "': a number of passes (0: until stopped)";
        r.loops = *v;
      } else {
        return "error: unknown replay option '" + std::string(args[i]) + "' (speed, loop, dst)";
      }
    }
    Diagnostics diags;
    std::optional<transports::PcapReader> reader = transports::PcapReader::open(r.path, diags);
    while (reader) {
      std::optional<transports::PcapFrame> f = reader->next(diags);
      if (!f)
        break;
      if (f->data.empty() || f->data.size() > kMaxFrameSize) {
        return "error: " + r.path + ": frame " + std::to_string(f->number) + " has " +
               std::to_string(f->data.size()) + " bytes; a switch carries 1 to " + std::to_string(kMaxFrameSize);
      }
      // dst: unicast frames go to the lab's host instead (broadcast and multicast stay).
      if (r.rewriteTo && f->data.size() >= 6 && (f->data[0] & 1) == 0)
        std::copy(r.rewriteTo->bytes().begin(), r.rewriteTo->bytes().end(), f->data.begin());
      if (r.frames.size() >= kMaxReplayFrames)
        return "error: " + r.path + " has more than " + std::to_string(kMaxReplayFrames) + " frames";
      r.frames.push_back(std::move(*f));
    }
    if (diags.hasErrors())
      return "error: " + diags.all().front().message;
    if (r.frames.empty())
      return "error: " + r.path + " holds no frames";
    if (replayPort == kNoPort || !ports.contains(replayPort)) {
      Port& p = addPort(PortKind::Replay, UniqueFd());
      namePort(p, "replay");
      replayPort = p.id;
    }
    r.passStart = clock.now();
    const std::string reply = "replaying " + std::to_string(r.frames.size()) + " frames from " + r.path;
    replay = std::move(r);
    return reply;
  }

  std::string replayStop(Words) {
    if (!replay)
      return "error: no replay is running";
    const std::string reply = "stopped replay of " + replay->path + " after " + std::to_string(replay->sent) + " frames";
    replay.reset();
    return reply;
  }

  std::string showReplay(Words) {
    if (!replay)
      return "replay=-\nreplay_frames_sent=" +
             std::to_string(replayPort != kNoPort && ports.contains(replayPort) ? ports.at(replayPort).counters.rxFrames : 0);
    const Replay& r = *replay;
    return "replay=" + r.path + "\nframes=" + std::to_string(r.frames.size()) + "\nloop=" + std::to_string(r.loop + 1) +
           "/" + (r.loops ? std::to_string(r.loops) : std::string("unlimited")) +
           "\nreplay_frames_sent=" + std::to_string(ports.at(replayPort).counters.rxFrames);
  }

  std::string showCapture(Words) {
    std::ostringstream s;
    s << "file=" << (captureFile ? captureFile->name() : "-") << '\n'
      << "file_frames=" << (captureFile ? captureFrames : 0) << '\n'
      << "ring_bytes=" << ring.capacityBytes() << '\n'
      << "ring_used_bytes=" << ring.usedBytes() << '\n'
      << "ring_frames=" << ring.frameCount() << '\n'
      << "ring_forgotten=" << ring.forgotten() << '\n';
    if (ring.frameCount() > 0)
      s << "ring_oldest_age_ms="
        << std::chrono::duration_cast<std::chrono::milliseconds>(wallNow() - ring.oldest()).count() << '\n';
    return s.str();
  }

  // --- loop ----------------------------------------------------------------------------------

  void tick() {
    const TimePoint t = clock.now();
    if (t - lastTick < kTickInterval)
      return;
    lastTick = t;
    fdb.expire();
    resumeAccepting();
    std::vector<uint32_t> late;
    for (const auto& [id, c] : controls)
      if (c.port == kNoPort && t - c.opened >= kHandshakeTimeout)
        late.push_back(id);
    for (uint32_t id : late)
      refuse(id, Refusal::Timeout, std::to_string(controls.at(id).received) + " bytes");
    for (UplinkConn& u : uplinks)
      if (u.port == kNoPort && t >= u.nextAttempt)
        connectUplink(u);
    if (captureFile) {
      try {
        captureFile->flush();
      } catch (const std::system_error& e) {
        std::fprintf(stderr, "umlab-switchd: capture stopped: %s\n", e.what());
        captureFile.reset();
      }
    }
  }

  /// True when a stop signal was read.
  bool onSignal() {
    signalfd_siginfo info;
    bool isStop = false;
    while (::read(signals.get(), &info, sizeof(info)) == ssize_t(sizeof(info)))
      isStop = isStop || info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT;
    return isStop;
  }

  /// How long epoll may sleep: until the next delayed frame, at most a tick.
  timespec waitTime() const {
    Duration wait = kTickInterval;
    if (std::optional<TimePoint> due = delayed.nextDue())
      wait = std::clamp<Duration>(*due - clock.now(), Duration::zero(), kTickInterval);
    if (isInputPaused)
      wait = std::min<Duration>(wait, std::max<Duration>(pausedAt + kStallTimeout - clock.now(), Duration::zero()));
    if (replay) {
      const Replay& r = *replay;
      const TimePoint due = r.next < r.frames.size() ? replayDue(r, r.next) : clock.now();
      wait = std::min<Duration>(wait, std::max<Duration>(due - clock.now(), Duration::zero()));
    }
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    return timespec{time_t(ns / 1'000'000'000), long(ns % 1'000'000'000)};
  }

  void run() {
    std::array<epoll_event, 64> events;
    for (bool isRunning = true; isRunning;) {
      const timespec wait = waitTime();
      int n = ::epoll_pwait2(epoll.get(), events.data(), int(events.size()), &wait, nullptr);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        throwErrno("epoll_pwait2");
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
          acceptControls(controlListener.get(), false);
          break;
        case Tag::MonitorListener:
          acceptControls(monitorListener.get(), true);
          break;
        case Tag::BessListener:
          acceptBess();
          break;
        case Tag::Data:
          receiveBurst(dataFd.get(), nullptr);
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
        case Tag::PortFd:
          onPortEvent(id, events[size_t(i)].events);
          break;
        case Tag::UplinkControl:
          onUplinkControl(id);
          break;
        }
      }
      releaseDelayed();
      releaseReplay();
      reviewPause();
      tick();
    }
    if (captureFile)
      captureStop({});
  }

  // --- state (declaration order is destruction order, reversed) --------------------------------

  SwitchOptions options;
  const Clock& clock;
  SignalFd signals;
  UniqueFd epoll;
  ScopedPath controlPath;
  ScopedPath monitorPath;
  ScopedPath bessPath;
  ScopedPath adminPath;
  UniqueFd controlListener;
  UniqueFd monitorListener;
  UniqueFd bessListener;
  UniqueFd adminListener;
  UniqueFd dataFd;
  sockaddr_un dataAddress{};
  FdbTable fdb;
  Forwarder forwarder;
  CaptureRing ring;
  std::optional<transports::PcapWriter> captureFile;
  uint64_t captureFrames = 0;
  DelayQueue delayed;
  std::optional<Replay> replay;
  PortId replayPort = kNoPort;
  uint64_t seed = options.seed;
  std::unordered_map<PortId, Port> ports;
  std::unordered_map<AddressKey, PortId, AddressKeyHash> portByAddress;
  std::map<MacAddress, std::string> nameByMac;
  std::map<std::string, NamedConditions, std::less<>> declaredNames;
  std::vector<PortId> monitorPorts;
  std::vector<PortId> dirtyPorts;
  std::vector<UplinkConn> uplinks;
  std::map<uint32_t, ControlConn> controls;
  std::map<uint32_t, AdminConn> admins;
  Stats stats;
  std::vector<uint8_t> buffers;
  std::array<std::array<uint8_t, kReceiveBufferSize>, 2> scratch{}; ///< corrupted copies, by Direction
  std::vector<PortId> outPorts;
  PortId nextPortId = 1;
  PortId lastSender = kNoPort; ///< the port of the last datagram on the shared data socket
  AddressKey lastSenderKey;
  uint32_t nextConnId = 1;
  bool isAcceptPaused = false;
  bool isInputPaused = false;
  TimePoint pausedAt;
  TimePoint started;
  TimePoint lastTick;
  TimePoint now;      ///< the current burst's time
  WallTime wallTime;  ///< the current burst's capture time
};

constexpr std::array<SwitchDaemon::Impl::AdminCommand, 15> SwitchDaemon::Impl::kCommands = {{
    {{"show", "ports"}, "", 0, 0,
     "one line per port: name, kind, conditions, queue, frames and bytes, drops by reason", &Impl::showPorts},
    {{"show", "fdb"}, "", 0, 0, "the learnt (MAC, VLAN) -> port entries, most recent first", &Impl::showFdb},
    {{"show", "stats"}, "", 0, 0, "switch-wide counters: clients, refusals, uplinks", &Impl::showStats},
    {{"show", "capture"}, "", 0, 0, "the capture file and the ring buffer", &Impl::showCapture},
    {{"set", "port"}, "PORT [in|out|both] CONDITION...", 2, 32,
     "delay D, jitter D, loss P%, rate R, duplicate P%, corrupt P%, down, up, clear", &Impl::setPort},
    {{"set", "seed"}, "N", 1, 1, "reseed every port's random choices", &Impl::setSeed},
    {{"name", "port"}, "NAME MAC", 2, 2, "name the port whose client sends from MAC (as --port)", &Impl::namePortCommand},
    {{"capture", "start"}, "FILE", 1, 1, "write every frame the segment carries to a pcap file", &Impl::captureStart},
    {{"capture", "stop"}, "", 0, 0, "close the capture file", &Impl::captureStop},
    {{"capture", "dump"}, "FILE [DURATION]", 1, 2,
     "write the ring buffer (the last DURATION of it, e.g. 60s) to a pcap file", &Impl::captureDump},
    {{"replay", "start"}, "FILE [speed X] [loop N] [dst MAC]", 1, 7,
     "play a pcap/pcapng capture into the segment from port 'replay' (speed 0: unpaced, loop 0: forever,\n"
     "                                  dst: send its unicast frames to MAC)",
     &Impl::replayStart},
    {{"replay", "stop"}, "", 0, 0, "stop the replay", &Impl::replayStop},
    {{"show", "replay"}, "", 0, 0, "the running replay and the frames sent", &Impl::showReplay},
    {{"help", ""}, "", 0, 0, "this list", &Impl::showHelp},
    {{"show", "help"}, "", 0, 0, "this list", &Impl::showHelp},
}};

SwitchDaemon::SwitchDaemon(const SwitchOptions& options, const Clock& clock)
    : impl_(std::make_unique<Impl>(options, clock)) {}

SwitchDaemon::~SwitchDaemon() = default;

void SwitchDaemon::run() { impl_->run(); }

std::string SwitchDaemon::executeAdmin(std::string_view line) { return impl_->execute(line); }

} // namespace umlab::switchd
