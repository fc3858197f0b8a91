#include "umlab/kernel/cow_rebase.hpp"

#include "umlab/base/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

using namespace umlab::kernel;

namespace {
std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
} // namespace

TEST_CASE("a rebased COW header names the new base and its mtime, and keeps the rest", "[kernel][cow]") {
  std::string h = makeCowHeaderV3("/home/a/.cache/umlab/images/debian/rootfs.img", 1073741824ULL, 1700000000);
  h[27] = 0x08; // an alignment UML might have written differently: kept
  std::string why;
  auto out = rebasedCowHeader(bytes(h), "/root/.cache/umlab/images/debian-602008a461a27fc0/rootfs.img", 1073741824ULL,
                              1800000000, why);
  REQUIRE(out);
  REQUIRE(out->size() == kCowV3HeaderSize);
  auto parsed = parseCowHeader(bytes(*out));
  REQUIRE(parsed);
  CHECK(parsed->version == 3);
  CHECK(parsed->backingPath == "/root/.cache/umlab/images/debian-602008a461a27fc0/rootfs.img");
  CHECK(parsed->backingMtime == 1800000000);
  CHECK(parsed->backingSize == 1073741824ULL);
  CHECK(out->substr(20, 12) == h.substr(20, 12)); // sector size, alignment, format
}

TEST_CASE("a COW header is not rebased onto a base of another size, a relative path or from another version",
          "[kernel][cow]") {
  const std::string h = makeCowHeaderV3("/a/rootfs.img", 1000, 1);
  std::string why;
  CHECK_FALSE(rebasedCowHeader(bytes(h), "/b/rootfs.img", 2000, 1, why));
  CHECK(why == "the COW file was made over a base of 1000 bytes, not 2000");
  CHECK_FALSE(rebasedCowHeader(bytes(h), "b/rootfs.img", 1000, 1, why));
  CHECK(why == "the new base path 'b/rootfs.img' is not an absolute path of less than 4096 bytes");
  std::string v2 = h;
  v2[7] = 2;
  CHECK_FALSE(rebasedCowHeader(bytes(v2), "/b/rootfs.img", 1000, 1, why));
  CHECK_FALSE(rebasedCowHeader(bytes(std::string("not a cow")), "/b/rootfs.img", 1000, 1, why));
  CHECK(why == "no COW magic");
}

TEST_CASE("rebaseCowFile rewrites only the header, and checkCow then accepts the new base", "[kernel][cow]") {
  umlab::TempDir dir("cow-rebase");
  const std::string base = dir.file("base.img"), cow = dir.file("node.cow");
  {
    std::ofstream(base, std::ios::binary) << std::string(8192, 'b');
    ::utimbuf t{1700000000, 1700000000};
    REQUIRE(::utime(base.c_str(), &t) == 0);
    std::string file = makeCowHeaderV3("/elsewhere/base.img", 8192, 1600000000);
    file.resize(8192, '\0');
    file += "DATA";
    std::ofstream(cow, std::ios::binary) << file;
  }
  CHECK(checkCow(cow, base)); // the mtime differs: refused before
  CHECK_FALSE(rebaseCowFile(cow, base));
  CHECK_FALSE(checkCow(cow, base));
  std::ifstream in(cow, std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(all.size() == 8196);
  CHECK(all.substr(8192) == "DATA");
  CHECK(rebaseCowFile(cow, dir.file("missing.img"))->starts_with("base image '"));
}
