#pragma once
/// The disk a guest sees, read from its COW file and its base image without merging them.
///
/// Design notes
/// ------------
/// UML's COW file (cow_file.hpp, UML.md §5; the kernel's arch/um/drivers/cow_user.c) is a
/// header, a bitmap with one bit per 512-byte sector of the base, and the sectors the guest
/// wrote, each at a fixed place:
///
///   bitmapOffset = roundup(4128, alignment)             (8192 as UML writes it)
///   bitmapSize   = ceil(ceil(baseSize / sectorSize) / 8)
///   dataOffset   = roundup(bitmapOffset + bitmapSize, alignment)
///   sector s     : bit s % 8 (LSB first) of bitmap byte s / 8; when set, the sector is at
///                  dataOffset + s * sectorSize in the COW file, else at s * sectorSize in the base
///
/// `MergedDisk` serves reads of that merged disk (runs of sectors with the same bit are one
/// pread each), read-only: nothing is ever written, neither a merged copy nor the COW file, so
/// it is safe on the COW of a running guest (which may change under it: a reader that needs a
/// consistent view asks the guest to flush first, guest_diff.hpp). It also answers which parts
/// of the disk the COW holds: a byte range that touches no COW sector reads exactly as the base.
///
/// Only version 3 headers (what UML has written since 2.6) are read; older ones are refused with
/// a message. The base is the one the header names unless the caller gives another path (a lab
/// whose images moved), and its size and mtime must match the header, as UML itself requires.

#include "umlab/base/unique_fd.hpp"
#include "umlab/kernel/cow_file.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace umlab::kernel {

/// Where the parts of a version 3 COW file are (the formulas above).
struct CowLayout {
  uint64_t sectorSize = 512;
  uint64_t sectorCount = 0; ///< sectors of the base (and of the merged disk)
  uint64_t bitmapOffset = 0;
  uint64_t bitmapSize = 0;
  uint64_t dataOffset = 0;
};

/// The layout of a COW file with header `h`; throws std::runtime_error for a header that is not
/// version 3 or has a sector size or alignment UML never writes.
CowLayout cowLayout(const CowHeader& h);

class MergedDisk {
public:
  /// Opens `cowPath` and its base (`basePath`, or the base its header names when empty), both
  /// read-only. Throws std::runtime_error saying what is wrong and what to do: no such file, not
  /// a COW file, a base that changed since the COW was made.
  static MergedDisk open(const std::string& cowPath, const std::string& basePath = "");
  /// A disk image on its own (no COW): every read comes from it; `touchesCow` is always false.
  static MergedDisk plain(const std::string& imagePath);

  /// The merged disk's size in bytes (the base's size).
  uint64_t size() const { return size_; }
  const std::string& cowPath() const { return cowPath_; }
  const std::string& basePath() const { return basePath_; }
  const CowLayout& layout() const { return layout_; }

  /// Reads `out.size()` bytes at `offset`; bytes past the end read as zeros. Throws
  /// std::system_error on an I/O error.
  void read(uint64_t offset, std::span<uint8_t> out) const;
  /// True when sector `sector` is held by the COW file.
  bool isInCow(uint64_t sector) const {
    return sector < layout_.sectorCount && (bitmap_[sector / 8] >> (sector % 8) & 1) != 0;
  }
  /// True when any byte of [offset, offset + size) lies in a sector the COW holds.
  bool touchesCow(uint64_t offset, uint64_t size) const;
  /// How many sectors the COW holds (what the guest wrote, at sector granularity).
  uint64_t cowSectors() const { return cowSectors_; }

private:
  MergedDisk() = default;
  void preadAll(int fd, uint64_t offset, std::span<uint8_t> out, const std::string& path) const;

  std::string cowPath_, basePath_;
  UniqueFd cow_, base_;
  uint64_t size_ = 0;
  uint64_t baseFileSize_ = 0;
  CowLayout layout_;
  std::vector<uint8_t> bitmap_;
  uint64_t cowSectors_ = 0;
};

} // namespace umlab::kernel
