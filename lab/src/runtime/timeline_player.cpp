#include "umlab/lab/runtime/timeline_player.hpp"

namespace umlab::lab::runtime {

std::vector<size_t> TimelinePlayer::start(Clock::time_point zero, std::chrono::milliseconds played) {
  std::vector<size_t> before;
  if (started_)
    return before;
  started_ = zero;
  while (next_ < steps_.size() && steps_[next_].atMs < played.count()) {
    before.push_back(next_++);
    ++finished_;
  }
  return before;
}

std::vector<size_t> TimelinePlayer::due(Clock::time_point now) {
  std::vector<size_t> out;
  if (!started_)
    return out;
  while (next_ < steps_.size() && *started_ + std::chrono::milliseconds(steps_[next_].atMs) <= now)
    out.push_back(next_++);
  return out;
}

std::optional<TimelinePlayer::Clock::time_point> TimelinePlayer::nextDue() const {
  if (!started_ || next_ >= steps_.size())
    return std::nullopt;
  return *started_ + std::chrono::milliseconds(steps_[next_].atMs);
}

void TimelinePlayer::finish(size_t index, bool ok) {
  if (index >= next_)
    return; // never handed out
  ++finished_;
  if (!ok)
    ++failed_;
}

} // namespace umlab::lab::runtime
