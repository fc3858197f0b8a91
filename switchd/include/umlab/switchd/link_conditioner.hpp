#pragma once
/// Link conditions on one direction of one switch port: delay with jitter, loss, a rate limit,
/// duplication, corruption, and the link being down.
///
/// Design notes
/// ------------
/// `LinkConditioner` decides what happens to one frame and nothing else: it does no I/O, keeps no
/// frames and reads no clock (the caller passes `now`), so unit tests drive it with a
/// `FakeClock` and check exact departure times. The switch keeps delayed frames in its
/// `DelayQueue` and sends them when they are due.
///
/// The order of the steps follows Linux's netem (net/sched/sch_netem.c), so a lab behaves as a
/// `tc qdisc ... netem` user expects:
///   1. down: every frame is dropped (`DropDown`);
///   2. loss: each frame is dropped with probability loss% (`DropLoss`);
///   3. duplicate: with probability duplicate% a second copy follows the first;
///   4. corrupt: with probability corrupt%, one copy gets one random bit flipped;
///   5. delay: each copy leaves at now + delay + a uniform jitter in [-jitter, +jitter] (never
///      before now); like netem, jitter may reorder frames;
///   6. rate: copies leave one after another at the configured bit rate (the serialisation
///      delay of the frame's bytes plus 20 bytes of preamble and inter-frame gap is *not*
///      counted, as netem does not count it either); when the backlog that the rate has built
///      would keep a frame waiting longer than `kMaxRateBacklog` (or 16 frames' time, when
///      that is longer), the frame is dropped (`DropRate`), as a queue of bounded length does.
///
/// Determinism. Random choices come from a xoshiro256** generator seeded from the switch's
/// seed, the port's name and the direction (see `seedFor`), and the distributions are written
/// out here rather than taken from <random> (whose distributions differ between standard
/// libraries). The same seed and the same frames at the same times give the same decisions.
///
/// Cost. `decide` is a few arithmetic operations and at most four generator draws; a port
/// whose conditions are all zero is not asked at all (`isActive()`).

#include "umlab/switchd/clock.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace umlab::switchd {

/// What one direction of a port imposes. Zero means "not imposed".
struct LinkConditions {
  Duration delay{0};
  Duration jitter{0};
  double lossPercent = 0;
  uint64_t rateBitsPerSecond = 0;
  double duplicatePercent = 0;
  double corruptPercent = 0;
  bool isDown = false;

  bool isActive() const {
    return isDown || delay.count() > 0 || jitter.count() > 0 || lossPercent > 0 ||
           rateBitsPerSecond > 0 || duplicatePercent > 0 || corruptPercent > 0;
  }
  /// "delay 20ms jitter 5ms loss 1% rate 10mbit duplicate 0.5% corrupt 0.1% down", only the
  /// conditions imposed, or "none". Parsing it back with `parseConditionWords` gives the same.
  std::string describe() const;
  bool operator==(const LinkConditions&) const = default;
};

/// Which frames of a port a setting applies to: "in" is what the port's client sends into the
/// switch, "out" what the switch delivers to it.
enum class Direction : uint8_t { In, Out };

/// Updates `c` from words such as {"delay", "20ms", "loss", "1%", "rate", "10mbit"}:
///   delay DURATION      (us, ms, s; e.g. 20ms, 1.5ms, 250us)
///   jitter DURATION
///   loss PERCENT        (0 to 100, the '%' optional)
///   rate RATE           (bit/s with k, m, g suffixes and an optional "bit": 10mbit, 512k, 1g)
///   duplicate PERCENT
///   corrupt PERCENT
///   down | up           (the link drops everything / carries again)
///   clear               (every condition back to none, and up)
/// A value of 0 removes a condition. Returns false with a one-line `error` naming the bad word
/// and leaves `c` unchanged.
bool parseConditionWords(std::span<const std::string_view> words, LinkConditions& c, std::string& error);

/// A small, fast, well-tested generator (Blackman and Vigna's xoshiro256**), seeded through
/// splitmix64 so that any 64-bit seed gives a good state.
class Random {
public:
  explicit Random(uint64_t seed = 0) { reseed(seed); }
  void reseed(uint64_t seed);
  uint64_t next();
  /// Uniform in [0, 1).
  double unit() { return double(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [0, n), n > 0.
  uint64_t below(uint64_t n) { return next() % n; }

private:
  std::array<uint64_t, 4> s_{};
};

/// The generator seed of one direction of a named port: a hash of the three.
uint64_t seedFor(uint64_t switchSeed, std::string_view portName, Direction direction);

/// Applies one direction's `LinkConditions` to the frames of one port: decides, frame by frame,
/// whether it is dropped, and when each of its copies leaves.
class LinkConditioner {
public:
  static constexpr Duration kMaxRateBacklog = std::chrono::milliseconds(100);

  enum class Outcome : uint8_t { Pass, DropDown, DropLoss, DropRate };

  struct Copy {
    TimePoint departure;
    int32_t corruptBit = -1; ///< the bit of the frame to flip (byte * 8 + bit), or -1
  };

  struct Verdict {
    Outcome outcome = Outcome::Pass;
    uint8_t copies = 0; ///< 1, or 2 when duplicated; 0 when dropped
    std::array<Copy, 2> copy{};
    /// True when every copy leaves at `now` unchanged: the caller can send it straight away.
    bool isImmediate(TimePoint now) const {
      for (uint8_t i = 0; i < copies; ++i)
        if (copy[i].departure > now || copy[i].corruptBit >= 0)
          return false;
      return true;
    }
  };

  explicit LinkConditioner(uint64_t seed = 0) : random_(seed) {}

  const LinkConditions& conditions() const { return conditions_; }
  /// New conditions apply to the next frame; frames already delayed keep their times. The
  /// rate's backlog is forgotten.
  void setConditions(const LinkConditions& c);
  void reseed(uint64_t seed) { random_.reseed(seed); }
  bool isActive() const { return conditions_.isActive(); }

  /// The fate of a frame of `frameBytes` bytes that reaches this direction at `now`.
  Verdict decide(size_t frameBytes, TimePoint now);

  /// Flips bit `bit` (byte * 8 + bit, counted from the frame's first byte) of `frame`.
  static void flipBit(std::span<uint8_t> frame, int32_t bit);

private:
  bool chance(double percent) { return percent > 0 && random_.unit() * 100.0 < percent; }

  LinkConditions conditions_;
  Random random_;
  TimePoint rateFree_{}; ///< when the rate limiter can start sending the next copy
};

} // namespace umlab::switchd
