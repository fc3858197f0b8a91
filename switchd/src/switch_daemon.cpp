// The switch daemon: its parts, wired together and run by one event loop. What each part does is
// in its own file:
//   event_loop      epoll, the stop signals, deferred removal of handlers
//   frame_path      the ports of the segment and every frame they carry, flow control
//   port            the interface of a port; daemon_port, bess_port, uplink, replay, tap_mirror,
//                   vxlan_tunnel: its kinds
//   port_listeners  the control, monitor and bess sockets, and the daemon handshake
//   port_names      names by MAC, conditions kept by name, seeds
//   capture         the capture file and ring
//   admin_server    the admin socket's line protocol; admin_commands: the commands

#include "umlab/switchd/switch_daemon.hpp"

#include "admin_commands.hpp"
#include "admin_server.hpp"
#include "capture.hpp"
#include "event_loop.hpp"
#include "frame_path.hpp"
#include "port_listeners.hpp"
#include "port_names.hpp"
#include "replay.hpp"
#include "tap_mirror.hpp"
#include "uplink.hpp"
#include "vxlan_tunnel.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace umlab::switchd {
namespace {

constexpr Duration kTickInterval = std::chrono::seconds(1);

} // namespace

struct SwitchDaemon::Impl {
  Impl(const SwitchOptions& o, const Clock& c);
  void run();
  /// How long the loop may sleep: until the frame path or the replay next needs it, at most a tick.
  Duration waitTime() const;
  /// Once a second: ages the FDB, times out handshakes, rejoins uplinks, flushes the capture file.
  void tick();

  // Declaration order is construction order: the loop first (it outlives every socket it
  // watches), the admin socket last (whoever waits for it, such as umlab up, finds the rest ready).
  SwitchOptions options;
  const Clock& clock;
  TimePoint started;
  TimePoint lastTick;
  EventLoop loop;
  PortNames names;
  Capture capture;
  FramePath path;
  PortListeners listeners;
  Replayer replayer;
  std::vector<std::unique_ptr<UplinkClient>> uplinks;
  std::unique_ptr<VxlanTunnel> vxlan; ///< when --vxlan-socket or --vxlan-bind
  AdminCommands commands;
  std::optional<AdminServer> admin;
};

SwitchDaemon::Impl::Impl(const SwitchOptions& o, const Clock& c)
    : options(o), clock(c), started(c.now()), lastTick(started), names(options.seed), capture(options.ringBytes),
      path(options, clock, loop, names, capture), listeners(options, loop, path, clock),
      replayer(path, names, clock),
      vxlan(options.vxlan.isEnabled() ? std::make_unique<VxlanTunnel>(options.vxlan, path, names) : nullptr),
      commands(AdminContext{options, clock, started, path, names, listeners, uplinks, capture, replayer, vxlan.get()}) {
  for (const PortName& p : options.portNames)
    names.declare(p.name, p.mac);
  for (const Uplink& u : options.uplinks) {
    names.declare(u.name);
    uplinks.push_back(std::make_unique<UplinkClient>(u, loop, path, names, clock));
  }
  if (!options.capturePath.empty()) {
    std::string reply = capture.start(options.capturePath);
    if (reply.starts_with("error: "))
      throw std::invalid_argument("--capture: " + reply.substr(7));
  }
  for (const std::string& command : options.startCommands) {
    std::string reply = commands.execute(command);
    if (reply.starts_with("error: "))
      throw std::invalid_argument("'" + command + "': " + reply.substr(7));
  }
  for (const std::string& spec : options.mirrorTaps) {
    auto [device, fd] = openMirrorTap(spec);
    Port* p = path.addPort(std::make_unique<TapMirrorPort>(std::move(fd), device));
    if (!p)
      throw std::system_error(errno, std::generic_category(), "--mirror-tap " + device + ": watch");
    p->setName("mirror:" + device);
  }
  for (auto& u : uplinks)
    u->join();
  if (!options.adminPath.empty())
    admin.emplace(loop, options.adminPath, [this](std::string_view line) { return commands.execute(line); });
}

Duration SwitchDaemon::Impl::waitTime() const {
  const TimePoint now = clock.now();
  Duration wait = kTickInterval;
  for (const std::optional<TimePoint>& due : {path.nextWake(), replayer.nextDue()})
    if (due)
      wait = std::min<Duration>(wait, std::max<Duration>(*due - now, Duration::zero()));
  return wait;
}

void SwitchDaemon::Impl::tick() {
  const TimePoint t = clock.now();
  if (t - lastTick < kTickInterval)
    return;
  lastTick = t;
  path.expireFdb();
  listeners.tick(t);
  for (auto& u : uplinks)
    u->tick(t);
  capture.flush();
}

void SwitchDaemon::Impl::run() {
  loop.run([this] { return waitTime(); },
           [this] {
             path.collectRetired();
             path.releaseDelayed();
             replayer.release();
             path.reviewPause();
             tick();
           });
  if (capture.isFileOpen())
    capture.stop();
}

SwitchDaemon::SwitchDaemon(const SwitchOptions& options, const Clock& clock)
    : impl_(std::make_unique<Impl>(options, clock)) {}

SwitchDaemon::~SwitchDaemon() = default;

void SwitchDaemon::run() { impl_->run(); }

std::string SwitchDaemon::executeAdmin(std::string_view line) { return impl_->commands.execute(line); }

} // namespace umlab::switchd
