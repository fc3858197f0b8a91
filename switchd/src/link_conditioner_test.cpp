#include "umlab/switchd/link_conditioner.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace umlab::switchd;
using namespace std::chrono_literals;

namespace {

LinkConditions parse(std::vector<std::string_view> words) {
  LinkConditions c;
  std::string error;
  REQUIRE(parseConditionWords(words, c, error));
  return c;
}

std::string parseError(std::vector<std::string_view> words) {
  LinkConditions c;
  std::string error;
  CHECK_FALSE(parseConditionWords(words, c, error));
  return error;
}

const TimePoint kT0{std::chrono::hours(1)};

} // namespace

TEST_CASE("condition words parse, describe and parse back the same", "[switchd][conditioner]") {
  const LinkConditions c = parse({"delay", "20ms", "jitter", "5ms", "loss", "1%", "rate", "10mbit",
                                  "duplicate", "0.5%", "corrupt", "0.1", "down"});
  CHECK(c.delay == 20ms);
  CHECK(c.jitter == 5ms);
  CHECK(c.lossPercent == 1);
  CHECK(c.rateBitsPerSecond == 10'000'000);
  CHECK(c.duplicatePercent == 0.5);
  CHECK(c.corruptPercent == 0.1);
  CHECK(c.isDown);
  CHECK(c.describe() == "delay 20ms jitter 5ms loss 1% rate 10mbit duplicate 0.5% corrupt 0.1% down");
  std::string text = c.describe();
  std::vector<std::string_view> words;
  for (size_t i = 0; i < text.size();) {
    size_t j = text.find(' ', i);
    if (j == std::string::npos)
      j = text.size();
    words.emplace_back(text.data() + i, j - i);
    i = j + 1;
  }
  CHECK(parse(words) == c);
  CHECK(LinkConditions{}.describe() == "none");
}

TEST_CASE("condition words update what they name and keep the rest", "[switchd][conditioner]") {
  LinkConditions c = parse({"delay", "20ms", "loss", "5%"});
  std::string error;
  std::vector<std::string_view> more{"loss", "0", "up"};
  REQUIRE(parseConditionWords(more, c, error));
  CHECK(c.delay == 20ms);
  CHECK(c.lossPercent == 0);
  std::vector<std::string_view> clear{"clear"};
  REQUIRE(parseConditionWords(clear, c, error));
  CHECK(c == LinkConditions{});
}

TEST_CASE("bad condition words name the word and leave the conditions alone", "[switchd][conditioner]") {
  CHECK(parseError({"latency", "20ms"}) ==
        "unknown condition 'latency' (expected delay, jitter, loss, rate, duplicate, corrupt, down, up or clear)");
  CHECK(parseError({"delay"}) == "'delay' needs a value");
  CHECK(parseError({"delay", "20"}) == "bad delay '20': expected a duration of at most 60s such as 20ms, 1.5ms or 250us");
  CHECK(parseError({"loss", "101%"}) == "bad loss '101%': expected a percentage from 0 to 100 such as 1% or 0.5%");
  CHECK(parseError({"rate", "fast"}) == "bad rate 'fast': expected a rate of at least 8kbit such as 10mbit, 512kbit or 1gbit");
  LinkConditions c = parse({"delay", "1ms"});
  std::string error;
  std::vector<std::string_view> bad{"delay", "5ms", "loss", "x"};
  CHECK_FALSE(parseConditionWords(bad, c, error));
  CHECK(c.delay == 1ms);
}

TEST_CASE("no conditions: every frame passes at once", "[switchd][conditioner]") {
  LinkConditioner conditioner(7);
  CHECK_FALSE(conditioner.isActive());
  const LinkConditioner::Verdict v = conditioner.decide(100, kT0);
  CHECK(v.outcome == LinkConditioner::Outcome::Pass);
  CHECK(v.copies == 1);
  CHECK(v.isImmediate(kT0));
}

TEST_CASE("delay sets the departure, jitter stays within its bounds", "[switchd][conditioner]") {
  LinkConditioner conditioner(7);
  conditioner.setConditions(parse({"delay", "20ms"}));
  LinkConditioner::Verdict v = conditioner.decide(100, kT0);
  REQUIRE(v.copies == 1);
  CHECK(v.copy[0].departure == kT0 + 20ms);
  CHECK_FALSE(v.isImmediate(kT0));

  conditioner.setConditions(parse({"delay", "20ms", "jitter", "5ms"}));
  Duration lo = 1h, hi = Duration::zero();
  for (int i = 0; i < 2000; ++i) {
    v = conditioner.decide(100, kT0);
    const Duration d = v.copy[0].departure - kT0;
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  CHECK(lo >= 15ms);
  CHECK(hi <= 25ms);
  CHECK(lo < 16ms); // the whole range is used
  CHECK(hi > 24ms);

  conditioner.setConditions(parse({"jitter", "5ms"})); // never before now
  for (int i = 0; i < 200; ++i)
    CHECK(conditioner.decide(100, kT0).copy[0].departure >= kT0);
}

TEST_CASE("loss drops about its share, and the same seed drops the same frames", "[switchd][conditioner]") {
  auto run = [](uint64_t seed) {
    LinkConditioner conditioner(seed);
    LinkConditions c;
    c.lossPercent = 10;
    conditioner.setConditions(c);
    std::vector<bool> dropped;
    for (int i = 0; i < 10000; ++i)
      dropped.push_back(conditioner.decide(64, kT0).outcome == LinkConditioner::Outcome::DropLoss);
    return dropped;
  };
  const std::vector<bool> a = run(42);
  const auto losses = std::count(a.begin(), a.end(), true);
  CHECK(losses > 850);
  CHECK(losses < 1150);
  CHECK(run(42) == a);
  CHECK(run(43) != a);
}

TEST_CASE("duplicate makes a second copy, corrupt flips exactly one bit of one copy", "[switchd][conditioner]") {
  LinkConditioner conditioner(1);
  conditioner.setConditions(parse({"duplicate", "100%"}));
  LinkConditioner::Verdict v = conditioner.decide(64, kT0);
  CHECK(v.copies == 2);
  CHECK(v.isImmediate(kT0));

  conditioner.setConditions(parse({"corrupt", "100%"}));
  for (int i = 0; i < 100; ++i) {
    v = conditioner.decide(64, kT0);
    REQUIRE(v.copies == 1);
    REQUIRE(v.copy[0].corruptBit >= 0);
    REQUIRE(v.copy[0].corruptBit < 64 * 8);
    CHECK_FALSE(v.isImmediate(kT0));
  }
  std::vector<uint8_t> frame(64, 0);
  LinkConditioner::flipBit(frame, 8 * 10 + 3);
  CHECK(frame[10] == 0x08);
  LinkConditioner::flipBit(frame, 64 * 8); // out of range: nothing
  CHECK(std::count(frame.begin(), frame.end(), 0) == 63);
}

TEST_CASE("down drops everything until up", "[switchd][conditioner]") {
  LinkConditioner conditioner(1);
  LinkConditions c = parse({"down"});
  conditioner.setConditions(c);
  CHECK(conditioner.isActive());
  CHECK(conditioner.decide(64, kT0).outcome == LinkConditioner::Outcome::DropDown);
  std::vector<std::string_view> up{"up"};
  std::string error;
  REQUIRE(parseConditionWords(up, c, error));
  conditioner.setConditions(c);
  CHECK_FALSE(conditioner.isActive());
  CHECK(conditioner.decide(64, kT0).outcome == LinkConditioner::Outcome::Pass);
}

TEST_CASE("rate spaces frames by their transmission time and drops beyond the backlog", "[switchd][conditioner]") {
  LinkConditioner conditioner(1);
  conditioner.setConditions(parse({"rate", "1mbit"}));
  // 1250 bytes at 1 Mbit/s take 10 ms.
  LinkConditioner::Verdict v = conditioner.decide(1250, kT0);
  CHECK(v.copy[0].departure == kT0 + 10ms);
  v = conditioner.decide(1250, kT0);
  CHECK(v.copy[0].departure == kT0 + 20ms);
  // Later, once the link is idle, a frame leaves one transmission time after it came.
  v = conditioner.decide(1250, kT0 + 1s);
  CHECK(v.copy[0].departure == kT0 + 1s + 10ms);
  // A burst: the backlog may reach max(100 ms, 16 frames) = 160 ms of waiting, then drops.
  int passed = 0, dropped = 0;
  for (int i = 0; i < 40; ++i) {
    const auto outcome = conditioner.decide(1250, kT0 + 2s).outcome;
    (outcome == LinkConditioner::Outcome::Pass ? passed : dropped)++;
  }
  CHECK(passed == 17);
  CHECK(dropped == 23);
}

TEST_CASE("seeds differ by port name and direction", "[switchd][conditioner]") {
  CHECK(seedFor(1, "pc1:eth0", Direction::In) != seedFor(1, "pc1:eth0", Direction::Out));
  CHECK(seedFor(1, "pc1:eth0", Direction::In) != seedFor(1, "pc2:eth0", Direction::In));
  CHECK(seedFor(1, "pc1:eth0", Direction::In) != seedFor(2, "pc1:eth0", Direction::In));
  CHECK(seedFor(1, "pc1:eth0", Direction::In) == seedFor(1, "pc1:eth0", Direction::In));
  // xoshiro256** is deterministic across platforms: the first draws of seed 0.
  Random r(0);
  const uint64_t first = r.next();
  Random again(0);
  CHECK(again.next() == first);
  CHECK(r.unit() >= 0.0);
}
