#include "umlab/kernel/merged_disk.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace umlab::kernel {

namespace {

uint64_t roundUp(uint64_t n, uint64_t to) { return (n + to - 1) / to * to; }

UniqueFd openReadOnly(const std::string& path, const char* what) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd)
    throw std::runtime_error(std::string("cannot read ") + what + " '" + path + "': " + std::strerror(errno) +
                             (errno == EACCES ? " (run as the lab's owner or as root)" : ""));
  return fd;
}

} // namespace

CowLayout cowLayout(const CowHeader& h) {
  if (h.version != 3)
    throw std::runtime_error("COW header version " + std::to_string(h.version) +
                             " is not read (only version 3, which UML writes)");
  if (h.sectorSize == 0 || h.sectorSize % 512 != 0 || h.alignment == 0 || !std::has_single_bit(h.alignment))
    throw std::runtime_error("COW header has sector size " + std::to_string(h.sectorSize) + " and alignment " +
                             std::to_string(h.alignment) + ", which UML never writes; the file is damaged");
  CowLayout l;
  l.sectorSize = h.sectorSize;
  l.sectorCount = (h.backingSize + h.sectorSize - 1) / h.sectorSize;
  l.bitmapOffset = roundUp(kCowV3HeaderSize, h.alignment);
  l.bitmapSize = (l.sectorCount + 7) / 8;
  l.dataOffset = roundUp(l.bitmapOffset + l.bitmapSize, h.alignment);
  return l;
}

MergedDisk MergedDisk::open(const std::string& cowPath, const std::string& basePath) {
  MergedDisk d;
  d.cowPath_ = cowPath;
  d.cow_ = openReadOnly(cowPath, "COW file");
  uint8_t head[kCowV3HeaderSize];
  const ssize_t n = ::pread(d.cow_.get(), head, sizeof head, 0);
  std::string why;
  const auto header = parseCowHeader(std::span<const uint8_t>(head, n > 0 ? static_cast<size_t>(n) : 0), &why);
  if (!header)
    throw std::runtime_error("'" + cowPath + "' is not a UML COW file (" + why + ")");
  d.layout_ = cowLayout(*header);
  d.basePath_ = basePath.empty() ? header->backingPath : basePath;
  if (d.basePath_.empty())
    throw std::runtime_error("the COW file '" + cowPath + "' names no base image; give its base explicitly");
  d.base_ = openReadOnly(d.basePath_, "base image");
  struct stat st {};
  if (::fstat(d.base_.get(), &st) != 0)
    throw std::system_error(errno, std::generic_category(), "stat " + d.basePath_);
  if (static_cast<uint64_t>(st.st_size) != header->backingSize ||
      static_cast<uint64_t>(st.st_mtime) != header->backingMtime)
    throw std::runtime_error("the COW file '" + cowPath + "' was made over a base image of " +
                             std::to_string(header->backingSize) + " bytes, mtime " +
                             std::to_string(header->backingMtime) + ", but '" + d.basePath_ + "' now has " +
                             std::to_string(st.st_size) + " bytes, mtime " + std::to_string(st.st_mtime) +
                             "; the base changed, so the guest's disk cannot be read over it (restore the base it "
                             "was made on, or give that base's path)");
  d.size_ = header->backingSize;
  d.baseFileSize_ = d.size_;
  d.bitmap_.resize(d.layout_.bitmapSize);
  d.preadAll(d.cow_.get(), d.layout_.bitmapOffset, d.bitmap_, cowPath);
  for (uint8_t b : d.bitmap_)
    d.cowSectors_ += static_cast<uint64_t>(std::popcount(b));
  return d;
}

MergedDisk MergedDisk::plain(const std::string& imagePath) {
  MergedDisk d;
  d.basePath_ = imagePath;
  d.base_ = openReadOnly(imagePath, "disk image");
  struct stat st {};
  if (::fstat(d.base_.get(), &st) != 0)
    throw std::system_error(errno, std::generic_category(), "stat " + imagePath);
  d.size_ = static_cast<uint64_t>(st.st_size);
  d.baseFileSize_ = d.size_;
  d.layout_.sectorCount = 0; // no bitmap: nothing is in a COW
  return d;
}

void MergedDisk::preadAll(int fd, uint64_t offset, std::span<uint8_t> out, const std::string& path) const {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw std::system_error(errno, std::generic_category(), "read " + path);
    if (n == 0) { // a sparse file's tail, or a short base: zeros, as UML reads them
      std::memset(out.data() + done, 0, out.size() - done);
      return;
    }
    done += static_cast<size_t>(n);
  }
}

void MergedDisk::read(uint64_t offset, std::span<uint8_t> out) const {
  if (offset >= size_) {
    std::memset(out.data(), 0, out.size());
    return;
  }
  if (offset + out.size() > size_) {
    const size_t inside = static_cast<size_t>(size_ - offset);
    std::memset(out.data() + inside, 0, out.size() - inside);
    out = out.first(inside);
  }
  if (!cow_) {
    preadAll(base_.get(), offset, out, basePath_);
    return;
  }
  const uint64_t ss = layout_.sectorSize;
  size_t done = 0;
  while (done < out.size()) {
    const uint64_t at = offset + done;
    const uint64_t sector = at / ss;
    const bool inCow = isInCow(sector);
    // Extend the run over the following sectors with the same bit.
    uint64_t end = (sector + 1) * ss;
    while (end < offset + out.size() && isInCow(end / ss) == inCow)
      end += ss;
    const size_t count = static_cast<size_t>(std::min<uint64_t>(end, offset + out.size()) - at);
    if (inCow)
      preadAll(cow_.get(), layout_.dataOffset + at, out.subspan(done, count), cowPath_);
    else
      preadAll(base_.get(), at, out.subspan(done, count), basePath_);
    done += count;
  }
}

bool MergedDisk::touchesCow(uint64_t offset, uint64_t size) const {
  if (!cow_ || size == 0 || cowSectors_ == 0)
    return false;
  const uint64_t ss = layout_.sectorSize;
  uint64_t first = offset / ss;
  const uint64_t last = std::min((offset + size - 1) / ss, layout_.sectorCount ? layout_.sectorCount - 1 : 0);
  while (first <= last) {
    if (first % 8 == 0 && first + 8 <= last + 1) { // a whole bitmap byte at once
      if (bitmap_[first / 8] != 0)
        return true;
      first += 8;
      continue;
    }
    if (isInCow(first))
      return true;
    ++first;
  }
  return false;
}

} // namespace umlab::kernel
