#include "ext4_volume.hpp"

#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <sys/stat.h>

namespace umlab::lab::runtime {

namespace {

constexpr const char* kNamePrefix = "umlab-merged:";

// ---- the io_manager: reads from a MergedDisk, refuses writes ---------------------------------

/// The table is constant after initialisation; libext2fs only takes it as a non-const pointer.
extern struct_io_manager mergedManagerTable;

const kernel::MergedDisk* diskOf(io_channel channel) {
  return static_cast<const kernel::MergedDisk*>(channel->private_data);
}

errcode_t mergedOpen(const char* name, int flags, io_channel* channel) {
  if (!name || std::strncmp(name, kNamePrefix, std::strlen(kNamePrefix)) != 0)
    return EXT2_ET_BAD_DEVICE_NAME;
  if (flags & IO_FLAG_RW)
    return EROFS;
  void* address = reinterpret_cast<void*>(std::strtoull(name + std::strlen(kNamePrefix), nullptr, 16));
  auto* c = static_cast<io_channel>(std::calloc(1, sizeof(struct_io_channel)));
  if (!c)
    return EXT2_ET_NO_MEMORY;
  c->magic = EXT2_ET_MAGIC_IO_CHANNEL;
  c->manager = &mergedManagerTable;
  c->name = ::strdup(name);
  c->block_size = 1024;
  c->refcount = 1;
  c->private_data = address;
  *channel = c;
  return 0;
}

errcode_t mergedClose(io_channel channel) {
  if (--channel->refcount > 0)
    return 0;
  std::free(channel->name);
  std::free(channel);
  return 0;
}

errcode_t mergedSetBlockSize(io_channel channel, int size) {
  channel->block_size = size;
  return 0;
}

errcode_t mergedRead64(io_channel channel, unsigned long long block, int count, void* data) {
  const size_t size = count < 0 ? static_cast<size_t>(-count) : static_cast<size_t>(count) * channel->block_size;
  try {
    diskOf(channel)->read(block * static_cast<unsigned long long>(channel->block_size),
                          std::span<uint8_t>(static_cast<uint8_t*>(data), size));
  } catch (const std::exception&) {
    return EXT2_ET_SHORT_READ;
  }
  return 0;
}

errcode_t mergedRead(io_channel channel, unsigned long block, int count, void* data) {
  return mergedRead64(channel, block, count, data);
}

errcode_t mergedWrite(io_channel, unsigned long, int, const void*) { return EROFS; }
errcode_t mergedWrite64(io_channel, unsigned long long, int, const void*) { return EROFS; }
errcode_t mergedWriteByte(io_channel, unsigned long, int, const void*) { return EROFS; }
errcode_t mergedFlush(io_channel) { return 0; }
errcode_t mergedSetOption(io_channel, const char*, const char*) { return EXT2_ET_INVALID_ARGUMENT; }

/// Constant-initialised (no static constructor); never written after.
constinit struct_io_manager mergedManagerTable{
    .magic = EXT2_ET_MAGIC_IO_MANAGER,
    .name = "umlab merged COW disk (read-only)",
    .open = mergedOpen,
    .close = mergedClose,
    .set_blksize = mergedSetBlockSize,
    .read_blk = mergedRead,
    .write_blk = mergedWrite,
    .flush = mergedFlush,
    .write_byte = mergedWriteByte,
    .set_option = mergedSetOption,
    .read_blk64 = mergedRead64,
    .write_blk64 = mergedWrite64,
};

std::string errorText(errcode_t e) {
  // com_err's messages, without linking its table lookup into every message path.
  if (e == EXT2_ET_BAD_MAGIC)
    return "no ext2/3/4 file system (bad magic number in its superblock)";
  if (e == EXT2_ET_SHORT_READ)
    return "a read of the disk failed";
  if (e == EXT2_ET_UNSUPP_FEATURE)
    return "the file system uses a feature libext2fs does not read";
  return std::string("libext2fs error ") + error_message(e);
}

uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
uint32_t le32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }
uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

} // namespace

struct Ext4Volume::Fs {
  ext2_filsys fs = nullptr;
};

Ext4Volume::Ext4Volume(const kernel::MergedDisk& disk, std::string label) : fs_(std::make_unique<Fs>()), label_(std::move(label)) {
  char name[64];
  std::snprintf(name, sizeof name, "%s%llx", kNamePrefix,
                static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(&disk)));
  const errcode_t e = ext2fs_open2(name, nullptr, EXT2_FLAG_64BITS | EXT2_FLAG_IGNORE_CSUM_ERRORS, 0, 0,
                                   &mergedManagerTable, &fs_->fs);
  if (e)
    throw std::runtime_error("cannot read the file system of " + label_ + ": " + errorText(e));
}

Ext4Volume::~Ext4Volume() {
  if (fs_ && fs_->fs)
    ext2fs_close_free(&fs_->fs);
}

uint32_t Ext4Volume::blockSize() const { return fs_->fs->blocksize; }
uint32_t Ext4Volume::inodeSize() const { return static_cast<uint32_t>(EXT2_INODE_SIZE(fs_->fs->super)); }

uint64_t Ext4Volume::inodeOffset(uint32_t number) const {
  ext2_filsys fs = fs_->fs;
  const uint32_t perGroup = fs->super->s_inodes_per_group;
  const dgrp_t group = (number - 1) / perGroup;
  const uint64_t index = (number - 1) % perGroup;
  return ext2fs_inode_table_loc(fs, group) * static_cast<uint64_t>(fs->blocksize) + index * inodeSize();
}

Ext4Inode Ext4Volume::inode(uint32_t number) const {
  std::string raw(inodeSize(), '\0');
  auto* in = reinterpret_cast<ext2_inode*>(raw.data());
  const errcode_t e = ext2fs_read_inode_full(fs_->fs, number, in, inodeSize());
  if (e)
    throw std::runtime_error("cannot read inode " + std::to_string(number) + " of " + label_ + ": " + errorText(e));
  Ext4Inode i;
  i.number = number;
  i.mode = in->i_mode;
  i.uid = inode_uid(*in);
  i.gid = inode_gid(*in);
  i.size = EXT2_I_SIZE(in);
  i.mtime = in->i_mtime;
  i.links = in->i_links_count;
  if (LINUX_S_ISCHR(in->i_mode) || LINUX_S_ISBLK(in->i_mode))
    i.rdev = in->i_block[0] ? in->i_block[0] : in->i_block[1];
  i.isFastSymlink = LINUX_S_ISLNK(in->i_mode) && ext2fs_is_fast_symlink(in);
  i.raw = std::move(raw);
  return i;
}

std::vector<Ext4Volume::Entry> Ext4Volume::list(uint32_t dir) const {
  std::vector<Entry> entries;
  auto onEntry = [](ext2_ino_t, int, ext2_dir_entry* d, int, int, char*, void* priv) -> int {
    const int length = ext2fs_dirent_name_len(d);
    if (d->inode == 0 || (length == 1 && d->name[0] == '.') || (length == 2 && d->name[0] == '.' && d->name[1] == '.'))
      return 0;
    static_cast<std::vector<Entry>*>(priv)->push_back({std::string(d->name, static_cast<size_t>(length)), d->inode});
    return 0;
  };
  const errcode_t e = ext2fs_dir_iterate2(fs_->fs, dir, 0, nullptr, onEntry, &entries);
  if (e)
    throw std::runtime_error("cannot list directory inode " + std::to_string(dir) + " of " + label_ + ": " + errorText(e));
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return entries;
}

void Ext4Volume::read(uint32_t number, uint64_t limit, const std::function<bool(std::string_view)>& onChunk) const {
  ext2_file_t file = nullptr;
  errcode_t e = ext2fs_file_open(fs_->fs, number, 0, &file);
  if (e)
    throw std::runtime_error("cannot open inode " + std::to_string(number) + " of " + label_ + ": " + errorText(e));
  std::string buf(static_cast<size_t>(std::min<uint64_t>(limit, 1 << 16)), '\0');
  uint64_t total = 0;
  while (total < limit) {
    unsigned int got = 0;
    const unsigned int want = static_cast<unsigned int>(std::min<uint64_t>(buf.size(), limit - total));
    e = ext2fs_file_read(file, buf.data(), want, &got);
    if (e || got == 0)
      break;
    total += got;
    if (!onChunk(std::string_view(buf.data(), got)))
      break;
  }
  ext2fs_file_close(file);
  if (e)
    throw std::runtime_error("cannot read inode " + std::to_string(number) + " of " + label_ + ": " + errorText(e));
}

std::string Ext4Volume::readAt(uint32_t number, uint64_t offset, uint64_t size) const {
  ext2_file_t file = nullptr;
  errcode_t e = ext2fs_file_open(fs_->fs, number, 0, &file);
  if (e)
    throw std::runtime_error("cannot open inode " + std::to_string(number) + " of " + label_ + ": " + errorText(e));
  __u64 fileSize = 0;
  ext2fs_file_get_lsize(file, &fileSize);
  size = offset >= fileSize ? 0 : std::min<uint64_t>(size, fileSize - offset);
  std::string out(size, '\0');
  size_t done = 0;
  e = ext2fs_file_llseek(file, offset, EXT2_SEEK_SET, nullptr);
  while (!e && done < size) {
    unsigned int got = 0;
    e = ext2fs_file_read(file, out.data() + done, static_cast<unsigned int>(std::min<uint64_t>(size - done, 1 << 20)), &got);
    if (got == 0)
      break;
    done += got;
  }
  ext2fs_file_close(file);
  if (e)
    throw std::runtime_error("cannot read inode " + std::to_string(number) + " of " + label_ + ": " + errorText(e));
  out.resize(done);
  return out;
}

std::string Ext4Volume::readAll(uint32_t number, uint64_t limit) const {
  std::string s;
  read(number, limit, [&](std::string_view chunk) {
    s.append(chunk);
    return true;
  });
  return s;
}

std::string Ext4Volume::symlinkTarget(const Ext4Inode& inode) const {
  if (inode.isFastSymlink) {
    const auto* in = reinterpret_cast<const ext2_inode*>(inode.raw.data());
    const char* target = reinterpret_cast<const char*>(in->i_block);
    return std::string(target, std::min<size_t>(inode.size, sizeof in->i_block));
  }
  return readAll(inode.number, std::min<uint64_t>(inode.size, 65536));
}

std::vector<std::pair<uint64_t, uint64_t>> Ext4Volume::blocks(const Ext4Inode& inode) const {
  std::vector<std::pair<uint64_t, uint64_t>> runs;
  const auto* in = reinterpret_cast<const ext2_inode*>(inode.raw.data());
  if (const blk64_t acl = ext2fs_file_acl_block(fs_->fs, in))
    runs.push_back({acl, 1});
  if (inode.isFastSymlink || (in->i_flags & EXT4_INLINE_DATA_FL))
    return runs;
  if (LINUX_S_ISCHR(in->i_mode) || LINUX_S_ISBLK(in->i_mode) || LINUX_S_ISFIFO(in->i_mode) || LINUX_S_ISSOCK(in->i_mode))
    return runs;
  const auto* b = reinterpret_cast<const uint8_t*>(in->i_block);
  if ((in->i_flags & EXT4_EXTENTS_FL) && le16(b) == 0xF30A && le16(b + 6) == 0) {
    // The common case: a leaf of at most 4 extents inside the inode, read without any I/O.
    const uint16_t count = std::min<uint16_t>(le16(b + 2), 4);
    for (uint16_t k = 0; k < count; ++k) {
      const uint8_t* x = b + 12 + 12 * k;
      uint32_t length = le16(x + 4);
      if (length > 32768) // an uninitialized extent
        length -= 32768;
      const uint64_t start = uint64_t(le16(x + 6)) << 32 | le32(x + 8);
      runs.push_back({start, length});
    }
    return runs;
  }
  // A deeper extent tree, or a block-mapped (ext2/3) file: libext2fs walks it, metadata included.
  auto onBlock = [](ext2_filsys, blk64_t* block, e2_blkcnt_t, blk64_t, int, void* priv) -> int {
    auto* r = static_cast<std::vector<std::pair<uint64_t, uint64_t>>*>(priv);
    if (!r->empty() && r->back().first + r->back().second == *block)
      ++r->back().second;
    else
      r->push_back({*block, 1});
    return 0;
  };
  const errcode_t e = ext2fs_block_iterate3(fs_->fs, inode.number, BLOCK_FLAG_READ_ONLY, nullptr, onBlock, &runs);
  if (e)
    throw std::runtime_error("cannot map the blocks of inode " + std::to_string(inode.number) + " of " + label_ +
                             ": " + errorText(e));
  return runs;
}

bool Ext4Volume::needsRecovery() const {
  return (fs_->fs->super->s_feature_incompat & EXT3_FEATURE_INCOMPAT_RECOVER) != 0;
}

bool Ext4Volume::hasJournalTransactions() const {
  const uint32_t journal = fs_->fs->super->s_journal_inum;
  if (journal == 0 || !(fs_->fs->super->s_feature_compat & EXT3_FEATURE_COMPAT_HAS_JOURNAL))
    return false;
  // The journal's superblock opens its first block, big-endian (jbd2): header (magic, type,
  // sequence), then s_blocksize, s_maxlen, s_first, s_sequence, s_start (offset 28).
  const std::string head = readAll(journal, 1024);
  if (head.size() < 32)
    return false;
  const auto* p = reinterpret_cast<const uint8_t*>(head.data());
  if (be32(p) != 0xC03B3998U)
    return false;
  return be32(p + 28) != 0;
}

} // namespace umlab::lab::runtime
