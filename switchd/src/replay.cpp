#include "replay.hpp"

#include "umlab/base/diagnostics.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/switchd/switch_daemon.hpp"

#include <algorithm>
#include <cstdio>

namespace umlab::switchd {
namespace {

constexpr size_t kMaxReplayFrames = 1'000'000;

} // namespace

std::string Replayer::start(std::span<const std::string_view> args) {
  if (playback_)
    return "error: already replaying " + playback_->path + " (" + std::to_string(playback_->sent) +
           " frames sent); 'replay stop' first";
  Playback r;
  r.path = std::string(args[0]);
  for (size_t i = 1; i < args.size(); i += 2) {
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
      return "error: " + r.path + ": frame " + std::to_string(f->number) + " has " + std::to_string(f->data.size()) +
             " bytes; a switch carries 1 to " + std::to_string(kMaxFrameSize);
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
  if (port_ == kNoPort || !path_.findPort(port_)) {
    Port* p = path_.addPort(std::make_unique<ReplayPort>());
    names_.assign(*p, "replay");
    port_ = p->id();
  }
  r.passStart = clock_.now();
  const std::string reply = "replaying " + std::to_string(r.frames.size()) + " frames from " + r.path;
  playback_ = std::move(r);
  return reply;
}

std::string Replayer::stop() {
  if (!playback_)
    return "error: no replay is running";
  const std::string reply =
      "stopped replay of " + playback_->path + " after " + std::to_string(playback_->sent) + " frames";
  playback_.reset();
  return reply;
}

uint64_t Replayer::framesSent() const {
  const Port* p = port_ != kNoPort ? path_.findPort(port_) : nullptr;
  return p ? p->counters().rxFrames : 0;
}

std::string Replayer::describe() const {
  if (!playback_)
    return "replay=-\nreplay_frames_sent=" + std::to_string(framesSent());
  const Playback& r = *playback_;
  return "replay=" + r.path + "\nframes=" + std::to_string(r.frames.size()) + "\nloop=" + std::to_string(r.loop + 1) +
         "/" + (r.loops ? std::to_string(r.loops) : std::string("unlimited")) +
         "\nreplay_frames_sent=" + std::to_string(framesSent());
}

TimePoint Replayer::due(const Playback& r, size_t i) {
  if (r.speed <= 0 || i == 0)
    return r.passStart;
  const auto offset = r.frames[i].timestamp - r.frames[0].timestamp;
  const double scaled = double(std::chrono::duration_cast<std::chrono::nanoseconds>(offset).count()) / r.speed;
  return r.passStart + std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(int64_t(scaled)));
}

std::optional<TimePoint> Replayer::nextDue() const {
  if (!playback_)
    return std::nullopt;
  const Playback& r = *playback_;
  return r.next < r.frames.size() ? due(r, r.next) : clock_.now();
}

void Replayer::release() {
  if (!playback_)
    return;
  Playback& r = *playback_;
  Port* port = path_.findPort(port_);
  if (!port) {
    playback_.reset();
    return;
  }
  const TimePoint now = path_.beginBurst();
  for (size_t burst = 0; burst < kBurstSize; ++burst) {
    if (r.next >= r.frames.size()) {
      ++r.loop;
      if (r.loops != 0 && r.loop >= r.loops) {
        std::fprintf(stderr, "umlab-switchd: replay of %s done: %llu frames\n", r.path.c_str(),
                     (unsigned long long)r.sent);
        playback_.reset();
        break;
      }
      r.next = 0;
      r.passStart = now;
    }
    if (due(r, r.next) > now)
      break;
    const std::vector<uint8_t>& f = r.frames[r.next++].data;
    ++r.sent;
    path_.inject(*port, f);
  }
  path_.endBurst();
}

} // namespace umlab::switchd
