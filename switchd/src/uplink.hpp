#pragma once
// Uplinks: this switch joins another as one of its daemon clients, a trunk between two segments
// (internal to switchd/src).
//
// The uplink speaks the client side of the daemon protocol (switch_daemon.hpp): its own abstract
// datagram socket, the same 124-byte request on the other switch's control socket, and the
// 110-byte reply naming the other switch's data socket. It joins synchronously, waiting up to a
// second for the reply: uplinks are joined at start and after their switch went away, never on
// the frame path. When the other switch is not there yet, or goes away (its end of the control
// connection closes), the uplink tries again every second.

#include "event_loop.hpp"
#include "frame_path.hpp"
#include "port.hpp"
#include "port_names.hpp"
#include "unix_sockets.hpp"

#include "umlab/base/unique_fd.hpp"
#include "umlab/switchd/clock.hpp"
#include "umlab/switchd/switch_daemon.hpp"

#include <cstdint>
#include <string>
#include <sys/un.h>

namespace umlab::switchd {

/// The trunk end of an uplink. Frames go out with sendto to the address the other switch replied
/// with, as UML's daemon transport sends them. The socket is not connect()ed: the other switch
/// sends from one socket per port, not from the address it replied with, and a connected datagram
/// socket accepts only its peer's datagrams.
class UplinkPort final : public Port {
public:
  UplinkPort(UniqueFd data, const sockaddr_un& peer) : Port(std::move(data), Traits{}), peer_(peer) {}

  std::string_view kind() const override { return "uplink"; }
  bool readsOwnSocket() const override { return true; }
  EgressQueue::FlushResult flush() noexcept override { return queue().flush(fd(), &peer_, kUnixAddressSize); }

private:
  sockaddr_un peer_;
};

/// One --uplink: joins, watches the control connection, joins again.
class UplinkClient final : public FdHandler {
public:
  UplinkClient(Uplink spec, EventLoop& loop, FramePath& path, PortNames& names, const Clock& clock)
      : spec_(std::move(spec)), loop_(loop), path_(path), names_(names), clock_(clock) {}
  UplinkClient(const UplinkClient&) = delete;
  UplinkClient& operator=(const UplinkClient&) = delete;

  /// Tries to join now; on failure logs why (rate-limited) and waits for the next attempt.
  void join();
  /// Joins again when the port is gone and the retry time has come.
  void tick(TimePoint now);

  const Uplink& spec() const { return spec_; }
  bool isJoined() const { return port_ != kNoPort; }
  /// Why the last attempt failed; empty once joined.
  const std::string& lastError() const { return lastError_; }
  uint64_t joinCount() const { return joins_; }

  /// The control connection is readable: data is ignored, its end is the other switch leaving.
  void onReady(uint32_t events) override;

private:
  void fail(const std::string& why);

  Uplink spec_;
  EventLoop& loop_;
  FramePath& path_;
  PortNames& names_;
  const Clock& clock_;
  UniqueFd control_;
  PortId port_ = kNoPort;
  TimePoint nextAttempt_{};
  uint64_t attempts_ = 0; ///< since the last join
  uint64_t joins_ = 0;
  std::string lastError_;
};

} // namespace umlab::switchd
