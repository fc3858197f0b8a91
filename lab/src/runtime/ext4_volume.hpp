#pragma once
/// An ext2/3/4 file system read through e2fsprogs' libext2fs from a `MergedDisk` (a guest's COW
/// over its base, or a plain image), without mounting anything and without root.
///
/// Design notes
/// ------------
/// libext2fs reads through an `io_manager`, a table of functions (ext2_io.h). Ours serves
/// `read_blk64` from the MergedDisk and refuses every write, so the file system is only ever
/// read: no merged copy is made and the COW file is never touched. libext2fs's open() takes only
/// a name, so the name carries the MergedDisk's address ("umlab-merged:0x..."); the table itself
/// is constant and holds no state. libext2fs types stay in this private header and its .cpp:
/// callers see inode numbers, names, bytes and block runs.
///
/// A file system that a running or crashed guest left is read as it is on disk: writes still in
/// the journal are not replayed (`hasJournalTransactions` says when there are some).

#include "umlab/kernel/merged_disk.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace umlab::lab::runtime {

/// What the diff needs of an inode, decoded, with its raw on-disk bytes.
struct Ext4Inode {
  uint32_t number = 0;
  uint16_t mode = 0; ///< type and permission bits, as st_mode
  uint32_t uid = 0, gid = 0;
  uint64_t size = 0;
  uint64_t mtime = 0;
  uint32_t links = 0;
  uint32_t rdev = 0;         ///< device number of a character or block device
  bool isFastSymlink = false; ///< the target is in the inode itself
  std::string raw;           ///< the inode's bytes on disk (inode size of the file system)
};

class Ext4Volume {
public:
  struct Entry {
    std::string name;
    uint32_t inode = 0;
  };

  /// Opens the file system on `disk` (which must outlive the volume), read-only. `label` names
  /// it in messages ("the base image", "the guest's disk"). Throws std::runtime_error.
  Ext4Volume(const kernel::MergedDisk& disk, std::string label);
  ~Ext4Volume();
  Ext4Volume(const Ext4Volume&) = delete;
  Ext4Volume& operator=(const Ext4Volume&) = delete;

  static constexpr uint32_t kRootInode = 2;

  uint32_t blockSize() const;
  Ext4Inode inode(uint32_t number) const;
  /// The byte offset of inode `number` on the disk (in its group's inode table).
  uint64_t inodeOffset(uint32_t number) const;
  uint32_t inodeSize() const;
  /// The entries of directory `dir`, without "." and "..", sorted by name.
  std::vector<Entry> list(uint32_t dir) const;
  /// Calls `onChunk` with the file's content in order, up to `limit` bytes; stops when it
  /// returns false.
  void read(uint32_t number, uint64_t limit, const std::function<bool(std::string_view)>& onChunk) const;
  /// Up to `size` bytes of the file from `offset` (fewer at its end).
  std::string readAt(uint32_t number, uint64_t offset, uint64_t size) const;
  /// The whole content (at most `limit` bytes).
  std::string readAll(uint32_t number, uint64_t limit) const;
  /// A symbolic link's target.
  std::string symlinkTarget(const Ext4Inode& inode) const;
  /// Every file system block that holds the file's data or its block map (extent tree or
  /// indirect blocks) or its external extended attributes, as (first block, count) runs.
  /// Inline data and fast symlinks have none: they are in the inode.
  std::vector<std::pair<uint64_t, uint64_t>> blocks(const Ext4Inode& inode) const;
  /// The superblock says the journal must be replayed before the file system is consistent
  /// (ext4 sets it while mounted, and clears it at a clean unmount or a freeze).
  bool needsRecovery() const;
  /// The journal holds transactions not yet written to their places (its s_start is not 0):
  /// what the disk shows may lack the guest's latest writes.
  bool hasJournalTransactions() const;

private:
  struct Fs;
  std::unique_ptr<Fs> fs_;
  std::string label_;
};

} // namespace umlab::lab::runtime
