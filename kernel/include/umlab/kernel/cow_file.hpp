#pragma once
/// UML's copy-on-write (COW) file header, read so that umlab can refuse to boot a COW whose base
/// image changed (UML would fail the root disk with EINVAL and the guest would panic).
/// Reference: the kernel's arch/um/drivers/cow_user.c (UML.md §5).
///
/// Version 3, as UML writes it: packed, integers big-endian, 4128 bytes.
///
///   off  size  field
///     0     4  magic 0x4F4F4F4D ("OOOM"; accepted in either byte order)
///     4     4  version = 3
///     8     4  mtime of the backing file, seconds
///    12     8  size of the backing file, bytes
///    20     4  sector size (512)
///    24     4  alignment (4096)
///    28     4  cow_format (0 = bitmap)
///    32  4096  backing file path, absolute, NUL-terminated
///
/// Versions 1 (native-endian, 256-byte path first) and 2 (big-endian, 4096-byte path first) are
/// read too. UML checks the backing file's size and mtime on every open; so does `checkCow`.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace umlab::kernel {

constexpr uint32_t kCowMagic = 0x4F4F4F4D;
constexpr size_t kCowV3HeaderSize = 4128;

struct CowHeader {
  uint32_t version = 0;
  std::string backingPath;
  uint64_t backingSize = 0;
  uint64_t backingMtime = 0; ///< seconds
  uint32_t sectorSize = 0;
  uint32_t alignment = 0;
};

/// Parses the first bytes of a file. nullopt when they are not a COW header of a known version;
/// `why` (when given) then says what is wrong.
std::optional<CowHeader> parseCowHeader(std::span<const uint8_t> bytes, std::string* why = nullptr);

/// A version 3 header for `backingPath` of the given size and mtime (used by tests, and to
/// create COW files without booting a guest).
std::string makeCowHeaderV3(const std::string& backingPath, uint64_t backingSize, uint32_t backingMtime);

/// Checks that `cowPath` is a COW file over `basePath` as the base is now. Returns nullopt when
/// the COW may be booted, or a one-line message (what is wrong and what to do). A COW that does
/// not exist is fine: UML creates it at boot.
std::optional<std::string> checkCow(const std::string& cowPath, const std::string& basePath);

} // namespace umlab::kernel
