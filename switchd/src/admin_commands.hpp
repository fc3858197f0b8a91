#pragma once
// The admin commands of the switch (internal to switchd/src): one table of command words, usage,
// help and handler; 'help' prints the table. docs/switchd.md lists the replies.
//
// A reply is the text of zero or more lines; one that starts with "error: " reports a command that
// did nothing. An unknown command is answered with the command whose first word it shares, when
// there is one ("did you mean"). The admin socket (admin_server.hpp), --set at start and
// SwitchDaemon::executeAdmin all run commands through `execute`.

#include "capture.hpp"
#include "frame_path.hpp"
#include "port_listeners.hpp"
#include "port_names.hpp"
#include "replay.hpp"
#include "uplink.hpp"
#include "vxlan_tunnel.hpp"

#include "umlab/switchd/clock.hpp"
#include "umlab/switchd/switch_daemon.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace umlab::switchd {

/// What the commands see and change: the switch's parts, which outlive the commands.
struct AdminContext {
  const SwitchOptions& options;
  const Clock& clock;
  TimePoint started;
  FramePath& path;
  PortNames& names;
  const PortListeners& listeners;
  const std::vector<std::unique_ptr<UplinkClient>>& uplinks;
  Capture& capture;
  Replayer& replayer;
  const VxlanTunnel* vxlan; ///< nullptr without --vxlan-socket/--vxlan-bind
};

class AdminCommands {
public:
  explicit AdminCommands(const AdminContext& context) : sw_(context) {}

  /// Runs one command line and returns its reply, without the terminating empty line.
  std::string execute(std::string_view line);

private:
  using Words = std::span<const std::string_view>;

  struct Command {
    std::array<std::string_view, 2> words; ///< the command; an unused second word is empty
    std::string_view arguments;           ///< for help and usage errors
    size_t minArguments;
    size_t maxArguments;
    std::string_view help;
    std::string (AdminCommands::*handler)(Words);
  };
  static const std::array<Command, 16> kCommands;
  static std::string usageOf(const Command& c);

  std::string showHelp(Words);
  std::string showPorts(Words);
  std::string showFdb(Words);
  std::string showStats(Words);
  std::string showCapture(Words);
  std::string showReplay(Words);
  std::string showVxlan(Words);
  std::string setPort(Words args);
  std::string setSeed(Words args);
  std::string namePort(Words args);
  std::string captureStart(Words args);
  std::string captureStop(Words);
  std::string captureDump(Words args);
  std::string replayStart(Words args);
  std::string replayStop(Words);

  AdminContext sw_;
  uint64_t executed_ = 0;
};

} // namespace umlab::switchd
