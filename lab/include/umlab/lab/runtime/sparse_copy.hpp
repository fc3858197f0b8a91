#pragma once
/// Copying a sparse file (a COW file: 1 GiB apparent, a few MB of data) without reading its
/// holes.
///
/// Design notes. The source's data extents are found with lseek(SEEK_DATA/SEEK_HOLE) and each
/// is copied with copy_file_range (in-kernel, and a reflink on file systems that share blocks);
/// the destination is then truncated to the source's size, so the holes stay holes. Where the
/// file system does not report extents (SEEK_DATA fails with EINVAL), the whole file is one
/// extent, and copy_file_range falling back to read/write copies blocks of zeros as holes
/// (skipped when a 64 KiB block reads all zero).

#include <cstdint>
#include <string>

namespace umlab::lab::runtime {

/// Copies `from` to a new file `to` (mode `mode`, refused when it exists), sparse. Throws
/// std::system_error naming the failed call and path; removes a partial `to`.
void copySparseFile(const std::string& from, const std::string& to, unsigned mode = 0600);

/// The bytes the file system allocated to `path` (st_blocks * 512); 0 when it cannot be read.
uint64_t allocatedSize(const std::string& path);

/// The allocated bytes of every regular file under `dir` (du).
uint64_t allocatedTreeSize(const std::string& dir);

} // namespace umlab::lab::runtime
