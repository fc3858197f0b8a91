#pragma once
// The sockets guests join the switch through (internal to switchd/src): the daemon protocol's
// control socket (--ctl) and the monitor's (--monitor), with their handshake, and the bess socket
// (--bess), which has none.
//
// Design notes
// ------------
// The handshake is the uml_switch v3 protocol described in switch_daemon.hpp: a control
// connection delivers a 124-byte request_v3, possibly in pieces; the switch checks it, connects a
// sending socket to the client's data address (which proves the address exists), replies with the
// 110-byte address of its data socket, and the port joins: on the control socket a guest's
// `DaemonPort` for type 0 and a `ProbePort` for umlab's `kRequestProbe`, on the monitor socket a
// `MonitorPort` for type 0 (any other type is refused). What the control connection sends
// afterwards is ignored; its end removes the port. A request with a bad magic, version, type or
// address family, one that repeats a joined client's address, one that is not complete within
// 5 s, or one beyond the switch's limit of ports (`SwitchOptions::maxClients`) is refused: the
// connection is closed, the refusal counted by reason and logged (10 times per reason, then only
// counted).
//
// Out of file descriptors, the listeners stop listening until the next tick (a level-triggered
// listener would wake the loop again at once).

#include "event_loop.hpp"
#include "frame_path.hpp"
#include "listener.hpp"
#include "port.hpp"

#include "umlab/base/unique_fd.hpp"
#include "umlab/switchd/clock.hpp"
#include "umlab/switchd/switch_daemon.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace umlab::switchd {

enum class Refusal {
  BadMagic, BadVersion, BadType, BadFamily, ShortRequest, Timeout, DuplicateAddress,
  NoDataSocket, ReplyFailed, TooManyClients, Count
};
/// 'show stats' prints every reason as refused_<name>=N.
inline constexpr std::array<const char*, size_t(Refusal::Count)> kRefusalNames = {
    "bad_magic", "bad_version", "bad_type",  "bad_family",   "short_request",
    "timeout",   "duplicate_address", "no_data_socket", "reply_failed", "too_many_clients"};

class PortListeners {
public:
  struct Counters {
    uint64_t accepted = 0;     ///< control and bess connections accepted
    uint64_t acceptPauses = 0; ///< times the listeners stopped, out of file descriptors
    std::array<uint64_t, size_t(Refusal::Count)> refusals{};
  };

  /// Listens at the control path, and at the monitor and bess paths when given. Throws
  /// std::system_error naming the path.
  PortListeners(const SwitchOptions& options, EventLoop& loop, FramePath& path, const Clock& clock);
  ~PortListeners();
  PortListeners(const PortListeners&) = delete;
  PortListeners& operator=(const PortListeners&) = delete;

  /// Listens again after running out of file descriptors; refuses handshakes that took too long.
  void tick(TimePoint now);

  const Counters& counters() const { return counters_; }

private:
  /// Makes the port a completed handshake joins as: a DaemonPort, MonitorPort or ProbePort.
  using MakePort = std::unique_ptr<Port> (*)(UniqueFd tx, const sockaddr_un& client);
  struct ControlConnection;

  /// The next pending connection (counted), or an invalid fd when none is left; out of fds, it
  /// pauses accepting.
  UniqueFd acceptNext(int listenerFd);
  /// Accepts the pending connections of the control listener, or of the monitor's.
  void acceptControl(Listener& listener, bool isMonitor);
  void acceptBess();
  void onControlReady(ControlConnection& c);
  void handshake(ControlConnection& c);
  /// Counts and logs the refusal, and closes the connection.
  void refuse(ControlConnection& c, Refusal why, const std::string& detail = {});
  void close(ControlConnection& c);
  void pauseAccepting();

  const SwitchOptions& options_;
  EventLoop& loop_;
  FramePath& path_;
  const Clock& clock_;
  std::unique_ptr<Listener> control_;
  std::unique_ptr<Listener> monitor_;
  std::unique_ptr<Listener> bess_;
  std::map<uint32_t, std::unique_ptr<ControlConnection>> connections_;
  uint32_t nextConnectionId_ = 1;
  bool isAcceptPaused_ = false;
  Counters counters_;
};

} // namespace umlab::switchd
