#include "umlab/kernel/cow_file.hpp"

#include "umlab/base/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <utime.h>

using namespace umlab::kernel;
using umlab::TempDir;
namespace fs = std::filesystem;

namespace {
std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}


void writeFile(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }
} // namespace

TEST_CASE("a v3 header round-trips through its big-endian layout", "[kernel][cow]") {
  std::string h = makeCowHeaderV3("/images/base.img", 1073741824ULL, 1700000000);
  REQUIRE(h.size() == 4128);
  CHECK(h.substr(0, 4) == "OOOM");
  auto parsed = parseCowHeader(bytes(h));
  REQUIRE(parsed);
  CHECK(parsed->version == 3);
  CHECK(parsed->backingPath == "/images/base.img");
  CHECK(parsed->backingSize == 1073741824ULL);
  CHECK(parsed->backingMtime == 1700000000);
  CHECK(parsed->sectorSize == 512);
  CHECK(parsed->alignment == 4096);
}

TEST_CASE("files that are not COW headers are told apart", "[kernel][cow]") {
  std::string why;
  CHECK_FALSE(parseCowHeader(bytes(std::string(4128, 'x')), &why));
  CHECK(why == "no COW magic");
  CHECK_FALSE(parseCowHeader(bytes(makeCowHeaderV3("/b", 1, 1).substr(0, 100)), &why));
  CHECK(why == "truncated COW header");
  std::string v9 = makeCowHeaderV3("/b", 1, 1);
  v9[7] = 9;
  CHECK_FALSE(parseCowHeader(bytes(v9), &why));
  CHECK(why == "unknown COW header version");
}

TEST_CASE("checkCow accepts a matching COW and refuses one whose base changed", "[kernel][cow]") {
  TempDir d("umlab-cow");
  const fs::path base = d.path() / "base.img", cow = d.path() / "node.cow";
  writeFile(base, std::string(8192, '\0'));
  struct utimbuf times {1600000000, 1600000000};
  REQUIRE(::utime(base.c_str(), &times) == 0);
  CHECK_FALSE(checkCow(cow.string(), base.string())); // not there yet: UML will create it
  writeFile(cow, makeCowHeaderV3(base.string(), 8192, 1600000000));
  CHECK_FALSE(checkCow(cow.string(), base.string()));
  times = {1600000100, 1600000100};
  REQUIRE(::utime(base.c_str(), &times) == 0);
  auto problem = checkCow(cow.string(), base.string());
  REQUIRE(problem);
  CHECK(problem->find("the base changed") != std::string::npos);
  writeFile(cow, "not a cow at all");
  problem = checkCow(cow.string(), base.string());
  REQUIRE(problem);
  CHECK(problem->find("is not a COW file (no COW magic)") != std::string::npos);
  problem = checkCow(cow.string(), (d.path() / "missing.img").string());
  REQUIRE(problem);
  CHECK(problem->find("build it with 'umlab image build'") != std::string::npos);
}
