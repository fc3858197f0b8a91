#pragma once
/// Pointing a COW file at another copy of its base image (UML.md §5, "Path switching").
///
/// Design notes. A COW file names its base by absolute path and records the base's size and
/// mtime; UML refuses the COW when either differs. A lab moved to another machine or user (an
/// archive, `umlab up FILE.umlab`) finds the same base — the same recipe hash, so the same bytes
/// — at another path, with the mtime of its own build. The header is then rewritten in place:
/// the local path and the local mtime; the size must already match (a different size is a
/// different image whatever its name says, and is refused). Only version 3 headers are
/// rewritten (what UML 6.1 writes): the header is 4128 bytes and the bitmap starts at 8192, so
/// nothing but the header changes. The data sectors are never read.

#include "umlab/kernel/cow_file.hpp"

#include <optional>
#include <span>
#include <string>

namespace umlab::kernel {

/// The header `header` (the first bytes of a COW file) over `backingPath` of `backingSize`
/// bytes and mtime `backingMtime`: a v3 header of kCowV3HeaderSize bytes. nullopt with `why`
/// set when `header` is not a v3 COW header, or when its base had another size.
std::optional<std::string> rebasedCowHeader(std::span<const uint8_t> header, const std::string& backingPath,
                                            uint64_t backingSize, uint32_t backingMtime, std::string& why);

/// The header of the COW file at `path`; nullopt when it cannot be read or is not one.
std::optional<CowHeader> readCowHeaderOf(const std::string& path);

/// Rewrites the header of the COW file `cowPath` to name `basePath` with its current mtime.
/// Returns nullopt when done, else a one-line message (what is wrong, what to do).
std::optional<std::string> rebaseCowFile(const std::string& cowPath, const std::string& basePath);

} // namespace umlab::kernel
