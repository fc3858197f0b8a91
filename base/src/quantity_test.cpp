#include "umlab/base/quantity.hpp"

#include <catch2/catch.hpp>

using namespace umlab;
using namespace std::chrono_literals;

TEST_CASE("byte sizes use binary units", "[base][quantity]") {
  CHECK(parseByteSize("96M") == 96ULL << 20);
  CHECK(parseByteSize("1G") == 1ULL << 30);
  CHECK(parseByteSize("128MiB") == 128ULL << 20);
  CHECK(parseByteSize("512k") == 512ULL << 10);
  CHECK(parseByteSize("65536") == 65536);
  CHECK_FALSE(parseByteSize("96Q"));
  CHECK_FALSE(parseByteSize("M"));
  CHECK_FALSE(parseByteSize("-5M"));
  CHECK_FALSE(parseByteSize("1.5G"));
  CHECK_FALSE(parseByteSize("99999999999999999999G"));
  CHECK(formatByteSize(96ULL << 20) == "96M");
  CHECK(formatByteSize(2ULL << 30) == "2G");
  CHECK(formatByteSize(1000) == "1000");
}

TEST_CASE("durations need a unit", "[base][quantity]") {
  CHECK(parseDuration("5ms") == 5ms);
  CHECK(parseDuration("0.5s") == 500ms);
  CHECK(parseDuration("250us") == 250us);
  CHECK(parseDuration("2m") == 120s);
  CHECK_FALSE(parseDuration("5"));
  CHECK_FALSE(parseDuration("5 ms"));
  CHECK_FALSE(parseDuration("-5ms"));
  CHECK_FALSE(parseDuration("5parsecs"));
  CHECK(formatDuration(5ms) == "5ms");
  CHECK(formatDuration(1500us) == "1500us");
}

TEST_CASE("percentages need a percent sign", "[base][quantity]") {
  CHECK(parsePercent("0.1%") == Approx(0.1));
  CHECK(parsePercent("100%") == Approx(100));
  CHECK_FALSE(parsePercent("0.1"));
  CHECK_FALSE(parsePercent("%"));
  CHECK(formatPercent(0.1) == "0.1%");
  CHECK(formatPercent(5) == "5%");
}

TEST_CASE("bit rates use tc's decimal units", "[base][quantity]") {
  CHECK(parseBitRate("10mbit") == 10000000);
  CHECK(parseBitRate("1Gbit") == 1000000000);
  CHECK(parseBitRate("1.5mbit") == 1500000);
  CHECK(parseBitRate("9600bit") == 9600);
  CHECK_FALSE(parseBitRate("10mbps"));
  CHECK_FALSE(parseBitRate("10"));
  CHECK(formatBitRate(10000000) == "10mbit");
}
