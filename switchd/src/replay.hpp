#pragma once
// Replay: a capture played into the segment from the port named "replay" (internal to
// switchd/src).
//
// 'replay start FILE [speed X] [loop N] [dst MAC]' reads the whole capture (pcap or pcapng, at
// most a million frames of 1 to kMaxFrameSize bytes) before it starts, so that a bad file is
// refused with its reason and a replay never reads the disk on the frame path. Frames leave at
// the capture's own pace divided by the speed (speed 0: as fast as the switch goes), pass after
// pass (loop 0: until stopped); at most a burst per loop turn, so that an unpaced replay cannot
// starve the guests' traffic. The frames enter the segment as they are: the replay port's
// conditions do not apply, and nothing is delivered to it. With dst, unicast frames go to MAC
// instead (broadcast and multicast stay). The replay port stays after the replay ends, with its
// counters.

#include "frame_path.hpp"
#include "port.hpp"
#include "port_names.hpp"

#include "umlab/base/mac_address.hpp"
#include "umlab/switchd/clock.hpp"
#include "umlab/transports/pcap_file.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace umlab::switchd {

/// The port a replay's frames enter from: a source only, without a socket.
class ReplayPort final : public Port {
public:
  ReplayPort() : Port(UniqueFd(), Traits{.isMirror = false, .takesFrames = false}) {}

  std::string_view kind() const override { return "replay"; }
};

class Replayer {
public:
  Replayer(FramePath& path, PortNames& names, const Clock& clock) : path_(path), names_(names), clock_(clock) {}

  // The admin commands; each returns its reply ("error: ..." when it fails).

  /// 'replay start FILE [speed X] [loop N] [dst MAC]'; `args` are the words after "start".
  std::string start(std::span<const std::string_view> args);
  /// 'replay stop'.
  std::string stop();
  /// 'show replay'.
  std::string describe() const;

  /// Injects the frames that are due, at most a burst. Called on every loop turn.
  void release();
  /// When the next frame is due, while a replay runs.
  std::optional<TimePoint> nextDue() const;

private:
  struct Playback {
    std::string path;
    std::vector<transports::PcapFrame> frames;
    double speed = 1;    ///< 0: as fast as the switch goes
    uint64_t loops = 1;  ///< 0: until stopped
    uint64_t loop = 0;   ///< the current pass, from 0
    size_t next = 0;     ///< the next frame of this pass
    TimePoint passStart; ///< when the current pass began
    uint64_t sent = 0;
    std::optional<MacAddress> rewriteTo;
  };

  /// The time frame `i` of the current pass is due.
  static TimePoint due(const Playback& r, size_t i);
  uint64_t framesSent() const;

  FramePath& path_;
  PortNames& names_;
  const Clock& clock_;
  std::optional<Playback> playback_;
  PortId port_ = kNoPort;
};

} // namespace umlab::switchd
