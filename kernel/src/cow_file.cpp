#include "umlab/kernel/cow_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace umlab::kernel {

namespace {

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
uint64_t be64(const uint8_t* p) { return uint64_t(be32(p)) << 32 | be32(p + 4); }
uint32_t le32(const uint8_t* p) { return uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0]; }
uint64_t le64(const uint8_t* p) { return uint64_t(le32(p + 4)) << 32 | le32(p); }

void putBe32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    s[at + i] = static_cast<char>(v >> (24 - 8 * i));
}

std::string cString(const uint8_t* p, size_t max) {
  size_t n = 0;
  while (n < max && p[n])
    ++n;
  return std::string(reinterpret_cast<const char*>(p), n);
}

bool fail(std::string* why, const char* text) {
  if (why)
    *why = text;
  return false;
}

} // namespace

std::optional<CowHeader> parseCowHeader(std::span<const uint8_t> b, std::string* why) {
  if (b.size() < 8) {
    fail(why, "too short for a COW header");
    return std::nullopt;
  }
  const bool bigEndian = be32(b.data()) == kCowMagic;
  const bool littleEndian = le32(b.data()) == kCowMagic;
  if (!bigEndian && !littleEndian) {
    fail(why, "no COW magic");
    return std::nullopt;
  }
  auto u32 = [&](size_t off) { return bigEndian ? be32(b.data() + off) : le32(b.data() + off); };
  auto u64 = [&](size_t off) { return bigEndian ? be64(b.data() + off) : le64(b.data() + off); };
  CowHeader h;
  h.version = u32(4);
  switch (h.version) {
  case 1: // magic, version, path[256], mtime (time_t, native), size, sectorsize
    if (b.size() < 8 + 256 + 8 + 8 + 4)
      break;
    h.backingPath = cString(b.data() + 8, 256);
    h.backingMtime = u64(264);
    h.backingSize = u64(272);
    h.sectorSize = u32(280);
    h.alignment = h.sectorSize;
    return h;
  case 2: // magic, version, path[4096], mtime (u32), size (u64), sectorsize
    if (b.size() < 8 + 4096 + 4 + 8 + 4)
      break;
    h.backingPath = cString(b.data() + 8, 4096);
    h.backingMtime = u32(4104);
    h.backingSize = u64(4108);
    h.sectorSize = u32(4116);
    h.alignment = h.sectorSize;
    return h;
  case 3:
    if (b.size() < kCowV3HeaderSize)
      break;
    h.backingMtime = u32(8);
    h.backingSize = u64(12);
    h.sectorSize = u32(20);
    h.alignment = u32(24);
    h.backingPath = cString(b.data() + 32, 4096);
    return h;
  default:
    fail(why, "unknown COW header version");
    return std::nullopt;
  }
  fail(why, "truncated COW header");
  return std::nullopt;
}

std::string makeCowHeaderV3(const std::string& backingPath, uint64_t backingSize, uint32_t backingMtime) {
  std::string h(kCowV3HeaderSize, '\0');
  putBe32(h, 0, kCowMagic);
  putBe32(h, 4, 3);
  putBe32(h, 8, backingMtime);
  putBe32(h, 12, static_cast<uint32_t>(backingSize >> 32));
  putBe32(h, 16, static_cast<uint32_t>(backingSize));
  putBe32(h, 20, 512);
  putBe32(h, 24, 4096);
  putBe32(h, 28, 0);
  std::memcpy(h.data() + 32, backingPath.data(), std::min<size_t>(backingPath.size(), 4095));
  return h;
}

std::optional<std::string> checkCow(const std::string& cowPath, const std::string& basePath) {
  struct stat base {};
  if (::stat(basePath.c_str(), &base) != 0)
    return "base image '" + basePath + "' is missing: " + std::strerror(errno) + "; build it with 'umlab image build'";
  int fd = ::open(cowPath.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return std::nullopt; // UML creates it
    return "cannot read COW file '" + cowPath + "': " + std::strerror(errno);
  }
  uint8_t buf[kCowV3HeaderSize];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  std::string why;
  auto h = parseCowHeader(std::span<const uint8_t>(buf, n > 0 ? static_cast<size_t>(n) : 0), &why);
  if (!h)
    return "'" + cowPath + "' is not a COW file (" + why + "); umlab never boots a guest on anything but its own COW file, so remove it";
  if (h->backingSize != static_cast<uint64_t>(base.st_size) || h->backingMtime != static_cast<uint64_t>(base.st_mtime))
    return "COW file '" + cowPath + "' was made over a base image of " + std::to_string(h->backingSize) + " bytes, mtime " +
           std::to_string(h->backingMtime) + ", but '" + basePath + "' now has " + std::to_string(base.st_size) +
           " bytes, mtime " + std::to_string(base.st_mtime) +
           "; the base changed, so the guest's disk would be corrupt: remove the COW file (or run 'umlab down' without --keep)";
  return std::nullopt;
}

} // namespace umlab::kernel
