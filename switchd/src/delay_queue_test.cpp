#include "umlab/switchd/delay_queue.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace umlab::switchd;
using namespace std::chrono_literals;

namespace {
const TimePoint kT0{std::chrono::hours(1)};

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

struct Popped {
  uint32_t port;
  std::string text;
};

std::vector<Popped> popAll(DelayQueue& q, TimePoint now) {
  std::vector<Popped> out;
  q.popDue(now, [&](DelayQueue::Target t, std::span<uint8_t> f) { out.push_back({t.port, std::string(f.begin(), f.end())}); });
  return out;
}
} // namespace

TEST_CASE("DelayQueue hands frames out in departure order, ties in arrival order", "[switchd][delay]") {
  DelayQueue q;
  REQUIRE(q.push(kT0 + 30ms, {1, 0}, bytes("c")));
  REQUIRE(q.push(kT0 + 10ms, {1, 0}, bytes("a")));
  REQUIRE(q.push(kT0 + 20ms, {2, 1}, bytes("b1")));
  REQUIRE(q.push(kT0 + 20ms, {3, 1}, bytes("b2")));
  CHECK(q.nextDue() == kT0 + 10ms);
  CHECK(popAll(q, kT0 + 5ms).empty());
  std::vector<Popped> p = popAll(q, kT0 + 20ms);
  REQUIRE(p.size() == 3);
  CHECK(p[0].text == "a");
  CHECK(p[1].text == "b1");
  CHECK(p[2].text == "b2");
  CHECK(p[2].port == 3);
  CHECK(q.size() == 1);
  CHECK(popAll(q, kT0 + 1s)[0].text == "c");
  CHECK_FALSE(q.nextDue());
}

TEST_CASE("DelayQueue is bounded, reuses its slots, and drops a port's frames", "[switchd][delay]") {
  DelayQueue q(100);
  for (int i = 0; i < 100; ++i)
    REQUIRE(q.push(kT0 + std::chrono::milliseconds(i), {uint32_t(i % 2), 0}, bytes(std::to_string(i))));
  CHECK_FALSE(q.push(kT0, {0, 0}, bytes("full")));
  CHECK_FALSE(DelayQueue().push(kT0, {0, 0}, std::vector<uint8_t>(DelayQueue::kSlotSize + 1)));
  const size_t reserved = q.reservedBytes();
  CHECK(q.dropPort(1) == 50);
  CHECK(q.size() == 50);
  for (int round = 0; round < 10; ++round) {
    popAll(q, kT0 + 1h);
    for (int i = 0; i < 100; ++i)
      REQUIRE(q.push(kT0, {0, 0}, bytes("x")));
  }
  CHECK(q.reservedBytes() == reserved); // no growth after the first fill
  std::vector<Popped> p = popAll(q, kT0);
  CHECK(p.size() == 100);
}

TEST_CASE("DelayQueue lets the sink push while it pops", "[switchd][delay]") {
  DelayQueue q;
  REQUIRE(q.push(kT0, {1, 0}, bytes("first")));
  std::vector<std::string> seen;
  q.popDue(kT0, [&](DelayQueue::Target, std::span<uint8_t> f) {
    seen.emplace_back(f.begin(), f.end());
    if (seen.size() == 1)
      REQUIRE(q.push(kT0 + 1ms, {1, 1}, bytes("second")));
  });
  CHECK(seen == std::vector<std::string>{"first"});
  CHECK(q.size() == 1);
  CHECK(popAll(q, kT0 + 1ms)[0].text == "second");
}
