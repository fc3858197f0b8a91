#include "umlab/switchd/capture_ring.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace umlab::switchd;
using namespace std::chrono_literals;

namespace {
WallTime at(int seconds) { return WallTime(std::chrono::seconds(1'700'000'000 + seconds)); }

std::vector<std::string> contents(const CaptureRing& r, WallTime since = WallTime{}) {
  std::vector<std::string> out;
  r.forEachSince(since, [&](WallTime, std::span<const uint8_t> f, uint32_t) { out.emplace_back(f.begin(), f.end()); });
  return out;
}

std::vector<uint8_t> frame(int i, size_t size) {
  std::string s = std::to_string(i) + ":";
  s.resize(size, 'x');
  return {s.begin(), s.end()};
}
} // namespace

TEST_CASE("CaptureRing keeps frames in order with their times", "[switchd][ring]") {
  CaptureRing r(64 << 10);
  for (int i = 0; i < 10; ++i)
    r.append(at(i), frame(i, 60));
  CHECK(r.frameCount() == 10);
  CHECK(r.oldest() == at(0));
  const std::vector<std::string> all = contents(r);
  REQUIRE(all.size() == 10);
  const std::vector<uint8_t> third = frame(3, 60);
  CHECK(all[3] == std::string(third.begin(), third.end()));
  CHECK(contents(r, at(7)).size() == 3);
}

TEST_CASE("CaptureRing forgets the oldest frames when full, across many wraps", "[switchd][ring]") {
  CaptureRing r(10000);
  int next = 0;
  for (int round = 0; round < 500; ++round) {
    const size_t size = 40 + size_t(round * 37 % 1400); // varied sizes wrap at varied offsets
    r.append(at(next), frame(next, size));
    ++next;
    const std::vector<std::string> all = contents(r);
    REQUIRE(all.size() == r.frameCount());
    REQUIRE(r.usedBytes() <= r.capacityBytes());
    // The kept frames are the most recent ones, consecutive, ending with the newest.
    for (size_t k = 0; k < all.size(); ++k) {
      const int expected = next - int(all.size()) + int(k);
      REQUIRE(all[k].substr(0, all[k].find(':')) == std::to_string(expected));
    }
  }
  CHECK(r.forgotten() > 0);
  CHECK(r.forgotten() + r.frameCount() == 500);
}

TEST_CASE("CaptureRing cuts frames to the snapshot length and can be off", "[switchd][ring]") {
  CaptureRing r(64 << 10, 100);
  r.append(at(0), frame(1, 1500));
  uint32_t original = 0;
  size_t captured = 0;
  r.forEachSince(WallTime{}, [&](WallTime, std::span<const uint8_t> f, uint32_t o) {
    captured = f.size();
    original = o;
  });
  CHECK(captured == 100);
  CHECK(original == 1500);
  CaptureRing off(0);
  off.append(at(0), frame(1, 60));
  CHECK(off.frameCount() == 0);
}
