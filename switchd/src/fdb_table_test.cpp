#include "umlab/switchd/fdb_table.hpp"

#include <catch2/catch.hpp>

using namespace umlab;
using namespace umlab::switchd;
using namespace std::chrono_literals;

namespace {
MacAddress mac(uint8_t last) { return MacAddress({0x02, 0, 0, 0, 0, last}); }
} // namespace

TEST_CASE("FdbTable learns a source and finds it again", "[switchd][fdb]") {
  FakeClock clock;
  FdbTable fdb(clock);
  CHECK_FALSE(fdb.lookup(mac(1), 0));
  CHECK(fdb.learn(mac(1), 0, 7) == FdbTable::LearnResult::Learned);
  CHECK(fdb.lookup(mac(1), 0) == std::optional<PortId>(7));
  CHECK(fdb.learn(mac(1), 0, 7) == FdbTable::LearnResult::Refreshed);
  CHECK(fdb.learn(mac(1), 0, 9) == FdbTable::LearnResult::Moved);
  CHECK(fdb.lookup(mac(1), 0) == std::optional<PortId>(9));
  CHECK(fdb.size() == 1);
}

TEST_CASE("FdbTable keys entries by MAC and VLAN", "[switchd][fdb][vlan]") {
  FakeClock clock;
  FdbTable fdb(clock);
  fdb.learn(mac(1), 10, 1);
  fdb.learn(mac(1), 20, 2);
  CHECK(fdb.lookup(mac(1), 10) == std::optional<PortId>(1));
  CHECK(fdb.lookup(mac(1), 20) == std::optional<PortId>(2));
  CHECK_FALSE(fdb.lookup(mac(1), 0));
  CHECK(fdb.size() == 2);
}

TEST_CASE("FdbTable forgets an entry after the aging time and keeps a refreshed one", "[switchd][fdb][aging]") {
  FakeClock clock;
  FdbTable fdb(clock, 16, 10s);
  fdb.learn(mac(1), 0, 1);
  fdb.learn(mac(2), 0, 2);
  clock.advance(6s);
  fdb.learn(mac(2), 0, 2); // refreshed
  clock.advance(3s);
  CHECK(fdb.lookup(mac(1), 0)); // 9 s old
  clock.advance(1s);
  CHECK_FALSE(fdb.lookup(mac(1), 0)); // 10 s old: gone, even before expire()
  CHECK(fdb.lookup(mac(2), 0) == std::optional<PortId>(2));
  CHECK(fdb.entries().size() == 1);
  CHECK(fdb.size() == 2);
  CHECK(fdb.expire() == 1);
  CHECK(fdb.size() == 1);
  clock.advance(10s);
  CHECK(fdb.expire() == 1);
  CHECK(fdb.size() == 0);
}

TEST_CASE("FdbTable relearns an aged entry as new", "[switchd][fdb][aging]") {
  FakeClock clock;
  FdbTable fdb(clock, 16, 10s);
  fdb.learn(mac(1), 0, 1);
  clock.advance(11s);
  CHECK(fdb.learn(mac(1), 0, 1) == FdbTable::LearnResult::Learned);
  CHECK(fdb.lookup(mac(1), 0));
}

TEST_CASE("FdbTable bounds its size by evicting the least recently seen entry", "[switchd][fdb][bounds]") {
  FakeClock clock;
  FdbTable fdb(clock, 3, 300s);
  fdb.learn(mac(1), 0, 1);
  clock.advance(1s);
  fdb.learn(mac(2), 0, 1);
  clock.advance(1s);
  fdb.learn(mac(3), 0, 1);
  clock.advance(1s);
  fdb.learn(mac(1), 0, 1); // 1 is now the most recent; 2 the least
  fdb.learn(mac(4), 0, 1);
  CHECK(fdb.size() == 3);
  CHECK(fdb.evictionCount() == 1);
  CHECK_FALSE(fdb.lookup(mac(2), 0));
  CHECK(fdb.lookup(mac(1), 0));
  CHECK(fdb.lookup(mac(3), 0));
  CHECK(fdb.lookup(mac(4), 0));
  for (uint8_t i = 10; i < 110; ++i)
    fdb.learn(mac(i), 0, 2);
  CHECK(fdb.size() == 3);
  CHECK(fdb.evictionCount() == 101);
  const auto entries = fdb.entries();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].mac == mac(109)); // most recent first
  CHECK(entries[2].mac == mac(107));
}

TEST_CASE("FdbTable flushes the entries of a removed port", "[switchd][fdb]") {
  FakeClock clock;
  FdbTable fdb(clock);
  fdb.learn(mac(1), 0, 1);
  fdb.learn(mac(2), 0, 2);
  fdb.learn(mac(3), 5, 1);
  CHECK(fdb.flushPort(1) == 2);
  CHECK_FALSE(fdb.lookup(mac(1), 0));
  CHECK_FALSE(fdb.lookup(mac(3), 5));
  CHECK(fdb.lookup(mac(2), 0));
}
