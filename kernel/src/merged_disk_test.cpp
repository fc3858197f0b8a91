#include "umlab/kernel/merged_disk.hpp"

#include "umlab/base/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sys/stat.h>
#include <utime.h>

using namespace umlab::kernel;
using umlab::TempDir;

namespace {

void writeAt(const std::string& path, uint64_t offset, const std::string& bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  if (!f) {
    std::ofstream(path, std::ios::binary).close();
    f.open(path, std::ios::in | std::ios::out | std::ios::binary);
  }
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// A base of `sectors` 512-byte sectors, sector s filled with the letter 'a' + s % 26.
std::string makeBase(const TempDir& d, uint64_t sectors) {
  const std::string path = d.file("base.img");
  std::string bytes;
  for (uint64_t s = 0; s < sectors; ++s)
    bytes += std::string(512, static_cast<char>('a' + s % 26));
  std::ofstream(path, std::ios::binary) << bytes;
  struct utimbuf t {1600000000, 1600000000};
  ::utime(path.c_str(), &t);
  return path;
}

/// A COW over `base` as UML lays it out, holding `sectors` (each filled with '0' + s % 10).
std::string makeCow(const TempDir& d, const std::string& base, uint64_t baseSize, const std::vector<uint64_t>& sectors) {
  const std::string path = d.file("node.cow");
  const CowLayout l = cowLayout(*parseCowHeader(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(makeCowHeaderV3(base, baseSize, 1600000000).data()),
                               kCowV3HeaderSize)));
  writeAt(path, 0, makeCowHeaderV3(base, baseSize, 1600000000));
  writeAt(path, l.dataOffset + baseSize - 1, std::string(1, '\0')); // sparse, full size, as UML creates it
  std::string bitmap(l.bitmapSize, '\0');
  for (uint64_t s : sectors) {
    bitmap[s / 8] = static_cast<char>(bitmap[s / 8] | (1 << (s % 8)));
    writeAt(path, l.dataOffset + s * 512, std::string(512, static_cast<char>('0' + s % 10)));
  }
  writeAt(path, l.bitmapOffset, bitmap);
  return path;
}

std::string readText(const MergedDisk& disk, uint64_t offset, size_t size) {
  std::string s(size, '?');
  disk.read(offset, std::span<uint8_t>(reinterpret_cast<uint8_t*>(s.data()), s.size()));
  return s;
}

} // namespace

TEST_CASE("the COW layout follows UML's formulas", "[kernel][cow][merged]") {
  CowHeader h;
  h.version = 3;
  h.backingSize = 10 * 1024 * 1024; // UML.md §5: a 10 MiB base
  h.sectorSize = 512;
  h.alignment = 4096;
  const CowLayout l = cowLayout(h);
  CHECK(l.bitmapOffset == 8192);
  CHECK(l.bitmapSize == 2560);
  CHECK(l.dataOffset == 12288);
  CHECK(l.sectorCount == 20480);
  h.backingSize = 1024 * 1024 * 1024; // the debian image: 2 Mi sectors, a 256 KiB bitmap
  CHECK(cowLayout(h).dataOffset == 8192 + 262144);
  h.version = 2;
  CHECK_THROWS_WITH(cowLayout(h), "COW header version 2 is not read (only version 3, which UML writes)");
}

TEST_CASE("the merged disk reads each sector from the COW when its bit is set, else from the base",
          "[kernel][cow][merged]") {
  TempDir d("umlab-merged");
  const std::string base = makeBase(d, 40);
  const std::string cow = makeCow(d, base, 40 * 512, {1, 2, 3, 9, 17, 39});
  const MergedDisk disk = MergedDisk::open(cow);
  CHECK(disk.basePath() == base);
  CHECK(disk.size() == 40 * 512);
  CHECK(disk.cowSectors() == 6);
  CHECK(readText(disk, 0, 512) == std::string(512, 'a'));
  // A read across base, COW (a run of three sectors), base: each part from its place.
  CHECK(readText(disk, 500, 12 + 3 * 512 + 12) ==
        std::string(12, 'a') + std::string(512, '1') + std::string(512, '2') + std::string(512, '3') + std::string(12, 'e'));
  CHECK(readText(disk, 9 * 512 + 100, 10) == std::string(10, '9'));
  CHECK(readText(disk, 39 * 512, 512) == std::string(512, '9'));
  // Past the end: zeros.
  CHECK(readText(disk, 40 * 512 - 2, 4) == std::string("99") + std::string(2, '\0'));
  CHECK(disk.isInCow(17));
  CHECK_FALSE(disk.isInCow(16));
  CHECK(disk.touchesCow(17 * 512 + 511, 1));
  CHECK_FALSE(disk.touchesCow(18 * 512, 512 * 20)); // sectors 18..37
  CHECK(disk.touchesCow(18 * 512, 512 * 22));       // ...to 39
  CHECK(disk.touchesCow(0, 40 * 512));
  CHECK_FALSE(disk.touchesCow(4 * 512, 5 * 512));
}

TEST_CASE("the merged disk refuses a base that changed and a file that is no COW", "[kernel][cow][merged]") {
  TempDir d("umlab-merged");
  const std::string base = makeBase(d, 8);
  const std::string cow = makeCow(d, base, 8 * 512, {0});
  struct utimbuf t {1600000100, 1600000100};
  ::utime(base.c_str(), &t);
  CHECK_THROWS_WITH(MergedDisk::open(cow), Catch::Contains("the base changed"));
  CHECK_THROWS_WITH(MergedDisk::open(base), Catch::Contains("is not a UML COW file (no COW magic)"));
  CHECK_THROWS_WITH(MergedDisk::open(d.file("missing.cow")), Catch::Contains("cannot read COW file"));
  // A plain image reads as it is, and nothing of it is in a COW.
  const MergedDisk plain = MergedDisk::plain(base);
  CHECK(readText(plain, 512, 4) == "bbbb");
  CHECK_FALSE(plain.touchesCow(0, 4096));
}
