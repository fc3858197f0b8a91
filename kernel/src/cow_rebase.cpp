#include "umlab/kernel/cow_rebase.hpp"

#include "umlab/base/unique_fd.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace umlab::kernel {

std::optional<std::string> rebasedCowHeader(std::span<const uint8_t> header, const std::string& backingPath,
                                            uint64_t backingSize, uint32_t backingMtime, std::string& why) {
  const std::optional<CowHeader> h = parseCowHeader(header, &why);
  if (!h)
    return std::nullopt;
  if (h->version != 3) {
    why = "COW header version " + std::to_string(h->version) + " (only version 3 is rewritten)";
    return std::nullopt;
  }
  if (backingPath.empty() || backingPath.front() != '/' || backingPath.size() >= 4096) {
    why = "the new base path '" + backingPath + "' is not an absolute path of less than 4096 bytes";
    return std::nullopt;
  }
  if (h->backingSize != backingSize) {
    why = "the COW file was made over a base of " + std::to_string(h->backingSize) + " bytes, not " +
          std::to_string(backingSize);
    return std::nullopt;
  }
  // Keep what UML wrote (sector size, alignment, format) and change only mtime and path.
  std::string out(reinterpret_cast<const char*>(header.data()), kCowV3HeaderSize);
  const std::string fresh = makeCowHeaderV3(backingPath, backingSize, backingMtime);
  std::memcpy(out.data() + 8, fresh.data() + 8, 4);
  std::memcpy(out.data() + 32, fresh.data() + 32, 4096);
  return out;
}

std::optional<CowHeader> readCowHeaderOf(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  uint8_t buf[kCowV3HeaderSize];
  const ssize_t n = fd ? ::pread(fd.get(), buf, sizeof buf, 0) : -1;
  if (n <= 0)
    return std::nullopt;
  return parseCowHeader(std::span<const uint8_t>(buf, static_cast<size_t>(n)));
}

std::optional<std::string> rebaseCowFile(const std::string& cowPath, const std::string& basePath) {
  struct stat base {};
  if (::stat(basePath.c_str(), &base) != 0)
    return "base image '" + basePath + "' is missing: " + std::strerror(errno) + "; build it with 'umlab image build'";
  UniqueFd fd(::open(cowPath.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.isValid())
    return "cannot open COW file '" + cowPath + "': " + std::strerror(errno);
  uint8_t buf[kCowV3HeaderSize];
  const ssize_t n = ::pread(fd.get(), buf, sizeof buf, 0);
  std::string why;
  const std::optional<std::string> header =
      rebasedCowHeader(std::span<const uint8_t>(buf, n > 0 ? static_cast<size_t>(n) : 0), basePath,
                       static_cast<uint64_t>(base.st_size), static_cast<uint32_t>(base.st_mtime), why);
  if (!header)
    return "cannot point COW file '" + cowPath + "' at '" + basePath + "': " + why;
  if (::pwrite(fd.get(), header->data(), header->size(), 0) != static_cast<ssize_t>(header->size()) ||
      ::fsync(fd.get()) != 0)
    return "cannot rewrite the header of COW file '" + cowPath + "': " + std::strerror(errno);
  return std::nullopt;
}

} // namespace umlab::kernel
