#include "umlab/switchd/link_conditioner.hpp"

#include "umlab/base/hash.hpp"
#include "umlab/base/quantity.hpp"

#include <algorithm>
#include <sstream>

namespace umlab::switchd {
namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

std::optional<double> percentOf(std::string_view text) {
  std::optional<double> p = text.ends_with('%') ? parsePercent(text) : parseDecimal(text);
  if (p && *p > 100)
    return std::nullopt;
  return p;
}

} // namespace

void Random::reseed(uint64_t seed) {
  for (uint64_t& word : s_)
    word = splitmix64(seed);
}

uint64_t Random::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t seedFor(uint64_t switchSeed, std::string_view portName, Direction direction) {
  uint64_t h = fnv1a64(portName, kFnvOffset ^ switchSeed);
  h = fnv1a64(direction == Direction::In ? "/in" : "/out", h);
  return h;
}

std::string LinkConditions::describe() const {
  std::ostringstream s;
  auto sep = [&] { return s.tellp() > 0 ? " " : ""; };
  if (delay.count() > 0)
    s << sep() << "delay " << formatDuration(delay);
  if (jitter.count() > 0)
    s << sep() << "jitter " << formatDuration(jitter);
  if (lossPercent > 0)
    s << sep() << "loss " << formatPercent(lossPercent);
  if (rateBitsPerSecond > 0)
    s << sep() << "rate " << formatBitRate(rateBitsPerSecond);
  if (duplicatePercent > 0)
    s << sep() << "duplicate " << formatPercent(duplicatePercent);
  if (corruptPercent > 0)
    s << sep() << "corrupt " << formatPercent(corruptPercent);
  if (isDown)
    s << sep() << "down";
  const std::string text = s.str();
  return text.empty() ? "none" : text;
}

bool parseConditionWords(std::span<const std::string_view> words, LinkConditions& out, std::string& error) {
  LinkConditions c = out;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string_view w = words[i];
    if (w == "down") {
      c.isDown = true;
      continue;
    }
    if (w == "up") {
      c.isDown = false;
      continue;
    }
    if (w == "clear" || w == "none") {
      c = LinkConditions{};
      continue;
    }
    const bool isKnown = w == "delay" || w == "jitter" || w == "loss" || w == "rate" ||
                         w == "duplicate" || w == "corrupt";
    if (!isKnown) {
      error = "unknown condition '" + std::string(w) +
              "' (expected delay, jitter, loss, rate, duplicate, corrupt, down, up or clear)";
      return false;
    }
    if (i + 1 >= words.size()) {
      error = "'" + std::string(w) + "' needs a value";
      return false;
    }
    const std::string_view v = words[++i];
    auto bad = [&](const char* what) {
      error = "bad " + std::string(w) + " '" + std::string(v) + "': expected " + what;
      return false;
    };
    if (w == "delay" || w == "jitter") {
      std::optional<std::chrono::nanoseconds> d = v == "0" ? std::chrono::nanoseconds(0) : parseDuration(v);
      if (!d || *d > std::chrono::seconds(60))
        return bad("a duration of at most 60s such as 20ms, 1.5ms or 250us");
      (w == "delay" ? c.delay : c.jitter) = std::chrono::duration_cast<Duration>(*d);
    } else if (w == "rate") {
      std::optional<uint64_t> r = v == "0" ? uint64_t(0) : parseBitRate(v);
      if (!r || (*r > 0 && *r < 8000))
        return bad("a rate of at least 8kbit such as 10mbit, 512kbit or 1gbit");
      c.rateBitsPerSecond = *r;
    } else {
      std::optional<double> p = percentOf(v);
      if (!p)
        return bad("a percentage from 0 to 100 such as 1% or 0.5%");
      (w == "loss" ? c.lossPercent : w == "duplicate" ? c.duplicatePercent : c.corruptPercent) = *p;
    }
  }
  out = c;
  return true;
}

void LinkConditioner::setConditions(const LinkConditions& c) {
  conditions_ = c;
  rateFree_ = TimePoint{};
}

LinkConditioner::Verdict LinkConditioner::decide(size_t frameBytes, TimePoint now) {
  Verdict v;
  const LinkConditions& c = conditions_;
  if (c.isDown) {
    v.outcome = Outcome::DropDown;
    return v;
  }
  if (chance(c.lossPercent)) {
    v.outcome = Outcome::DropLoss;
    return v;
  }
  v.copies = chance(c.duplicatePercent) ? 2 : 1;
  if (frameBytes > 0 && chance(c.corruptPercent)) {
    const uint8_t which = v.copies == 2 ? uint8_t(random_.below(2)) : 0;
    v.copy[which].corruptBit = int32_t(random_.below(uint64_t(frameBytes) * 8));
  }
  for (uint8_t i = 0; i < v.copies; ++i) {
    Duration d = c.delay;
    if (c.jitter.count() > 0) {
      // Uniform in [-jitter, +jitter], in whole nanoseconds.
      const auto span = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(c.jitter).count());
      const auto offset = int64_t(random_.below(2 * span + 1)) - int64_t(span);
      d += std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(offset));
    }
    TimePoint departure = now + std::max(d, Duration::zero());
    if (c.rateBitsPerSecond > 0) {
      const auto transmit = std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(
          (uint64_t(frameBytes) * 8 * 1'000'000'000ULL) / c.rateBitsPerSecond));
      const TimePoint start = std::max(departure, rateFree_);
      if (start - departure > std::max<Duration>(kMaxRateBacklog, transmit * 16)) {
        if (i == 0) {
          v.outcome = Outcome::DropRate;
          v.copies = 0;
          return v;
        }
        v.copies = 1; // the duplicate does not fit
        break;
      }
      departure = start + transmit;
      rateFree_ = departure;
    }
    v.copy[i].departure = departure;
  }
  return v;
}

void LinkConditioner::flipBit(std::span<uint8_t> frame, int32_t bit) {
  if (bit < 0 || size_t(bit) / 8 >= frame.size())
    return;
  frame[size_t(bit) / 8] ^= uint8_t(1u << (bit % 8));
}

} // namespace umlab::switchd
