#include "umlab/lab/runtime/guest_diff.hpp"

#include "ext4_volume.hpp"

#include "umlab/base/child_process.hpp"
#include "umlab/base/json_writer.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/kernel/merged_disk.hpp"

#include <algorithm>
#include <fnmatch.h>
#include <fstream>
#include <stdexcept>
#include <sys/stat.h>

namespace umlab::lab::runtime {

namespace {

constexpr uint64_t kCompareChunk = 1 << 20;

const char* typeName(uint16_t mode) {
  switch (mode & S_IFMT) {
  case S_IFREG: return "file";
  case S_IFDIR: return "directory";
  case S_IFLNK: return "symlink";
  default: return "other";
  }
}

/// Both sides of the comparison, and what it found.
class TreeComparison {
public:
  TreeComparison(const kernel::MergedDisk& guestDisk, const Ext4Volume& base, const Ext4Volume& guest,
                 const DiffOptions& options, GuestDiff& out)
      : disk_(guestDisk), base_(base), guest_(guest), options_(options), out_(out) {}

  void run() { compareDirectories("/", Ext4Volume::kRootInode, Ext4Volume::kRootInode); }

private:
  bool isIgnored(const std::string& path) const {
    for (const std::string& glob : options_.ignore)
      if (::fnmatch(glob.c_str(), path.c_str(), 0) == 0)
        return true;
    return false;
  }

  /// True when the guest's copy of inode `n` is byte for byte the base's (it lies in no
  /// sector the COW holds).
  bool isInodeUntouched(uint32_t n) const { return !disk_.touchesCow(guest_.inodeOffset(n), guest_.inodeSize()); }

  bool areBlocksUntouched(const Ext4Inode& inode) const {
    const uint64_t bs = guest_.blockSize();
    for (const auto& [first, count] : guest_.blocks(inode))
      if (disk_.touchesCow(first * bs, count * bs))
        return false;
    return true;
  }

  void compareDirectories(const std::string& dirPath, uint32_t baseDir, uint32_t guestDir) {
    const std::vector<Ext4Volume::Entry> b = base_.list(baseDir);
    const std::vector<Ext4Volume::Entry> g = baseDir == guestDir && isInodeUntouched(guestDir) &&
                                                     areBlocksUntouched(guest_.inode(guestDir))
                                                 ? b // the same directory blocks: the same entries
                                                 : guest_.list(guestDir);
    size_t i = 0, j = 0;
    while (i < b.size() || j < g.size()) {
      const int order = i == b.size() ? 1 : j == g.size() ? -1 : b[i].name.compare(g[j].name);
      const std::string& name = order <= 0 ? b[i].name : g[j].name;
      const std::string path = dirPath + name;
      if (isIgnored(path)) {
      } else if (order < 0) {
        listWhole(base_, path, b[i].inode, out_.removed);
      } else if (order > 0) {
        listWhole(guest_, path, g[j].inode, out_.added);
      } else {
        compareEntries(path, b[i].inode, g[j].inode);
      }
      if (order <= 0)
        ++i;
      if (order >= 0)
        ++j;
    }
  }

  /// An entry only one side has: listed once (a directory with '/'), or with all below it.
  void listWhole(const Ext4Volume& side, const std::string& path, uint32_t n, std::vector<std::string>& into) {
    const Ext4Inode inode = side.inode(n);
    if (!S_ISDIR(inode.mode)) {
      into.push_back(path);
      return;
    }
    into.push_back(path + "/");
    if (!options_.expandDirectories)
      return;
    for (const Ext4Volume::Entry& e : side.list(n))
      if (!isIgnored(path + "/" + e.name))
        listWhole(side, path + "/" + e.name, e.inode, into);
  }

  void compareEntries(const std::string& path, uint32_t baseNumber, uint32_t guestNumber) {
    ++out_.inodesCompared;
    const Ext4Inode g = guest_.inode(guestNumber);
    const bool isSameInode = baseNumber == guestNumber && isInodeUntouched(guestNumber);
    if (isSameInode && S_ISDIR(g.mode)) {
      compareDirectories(path + "/", baseNumber, guestNumber);
      return;
    }
    if (isSameInode && areBlocksUntouched(g))
      return; // the base's inode and the base's blocks: the base's file
    const Ext4Inode b = base_.inode(baseNumber);
    std::vector<std::string> what;
    if ((b.mode & S_IFMT) != (g.mode & S_IFMT)) {
      out_.changed.push_back({path, {"type"}});
      return;
    }
    if ((b.mode & 07777) != (g.mode & 07777))
      what.push_back("mode");
    if (b.uid != g.uid || b.gid != g.gid)
      what.push_back("owner");
    if (S_ISDIR(g.mode)) {
      if (!what.empty())
        out_.changed.push_back({path + "/", what});
      compareDirectories(path + "/", baseNumber, guestNumber);
      return;
    }
    if (S_ISREG(g.mode)) {
      if (b.size != g.size || !isSameContent(b, g))
        what.push_back("content");
    } else if (S_ISLNK(g.mode)) {
      if (base_.symlinkTarget(b) != guest_.symlinkTarget(g))
        what.push_back("target");
    } else if (S_ISCHR(g.mode) || S_ISBLK(g.mode)) {
      if (b.rdev != g.rdev)
        what.push_back("device");
    }
    if (!what.empty())
      out_.changed.push_back({path, what});
  }

  /// Same size given; compares the bytes chunk by chunk, stopping at the first difference.
  bool isSameContent(const Ext4Inode& b, const Ext4Inode& g) {
    ++out_.contentsCompared;
    for (uint64_t at = 0; at < b.size; at += kCompareChunk)
      if (base_.readAt(b.number, at, kCompareChunk) != guest_.readAt(g.number, at, kCompareChunk))
        return false;
    return true;
  }

  const kernel::MergedDisk& disk_;
  const Ext4Volume& base_;
  const Ext4Volume& guest_;
  const DiffOptions& options_;
  GuestDiff& out_;
};

/// Follows PATH from the root (no symlinks followed: the entry itself). nullopt when absent.
std::optional<Ext4Inode> lookup(const Ext4Volume& v, const std::string& path) {
  uint32_t n = Ext4Volume::kRootInode;
  size_t at = 0;
  while (at < path.size()) {
    while (at < path.size() && path[at] == '/')
      ++at;
    if (at == path.size())
      break;
    const size_t end = std::min(path.find('/', at), path.size());
    const std::string name = path.substr(at, end - at);
    at = end;
    if (!S_ISDIR(v.inode(n).mode))
      return std::nullopt;
    const auto entries = v.list(n);
    auto it = std::lower_bound(entries.begin(), entries.end(), name,
                               [](const Ext4Volume::Entry& e, const std::string& k) { return e.name < k; });
    if (it == entries.end() || it->name != name)
      return std::nullopt;
    n = it->inode;
  }
  return v.inode(n);
}

std::optional<std::string> contentOf(const Ext4Volume& v, const Ext4Inode& inode, uint64_t limit) {
  if (S_ISLNK(inode.mode))
    return v.symlinkTarget(inode);
  if (S_ISREG(inode.mode))
    return v.readAll(inode.number, limit);
  if (S_ISDIR(inode.mode)) {
    std::string listing;
    for (const Ext4Volume::Entry& e : v.list(inode.number))
      listing += e.name + "\n";
    return listing;
  }
  return std::string();
}

} // namespace

std::vector<std::string> defaultIgnores() {
  // What a freshly booted guest of the debian and services images writes (seen with
  // --no-default-ignores), and the logs, caches and shell/editor state that any session adds.
  return {
      "/etc/profile.d/umlab-compat.sh", // umlab-init: its ip/ifconfig wrappers first on PATH
      "/usr/bin/systemctl",             // umlab-init's stand-ins where the image has none
      "/usr/sbin/service",
      "/usr/sbin/halt",
      "/usr/sbin/poweroff",
      "/usr/sbin/reboot",
      "/etc/init.d/quagga", // ...and Quagga's names for FRR
      "/etc/init.d/zebra",
      "/var/log/*",         // wtmp at every boot; daemons' logs
      "/var/cache/*",       // apt's and man's caches
      "/var/lib/apt/lists/*",
      "/etc/ld.so.cache",   // rewritten by every package install
      "/root/.bash_history",
      "/root/.lesshst",
      "/root/.viminfo",
      "/tmp/*", // tmpfs in a running guest: what lies below on disk is not what the guest sees
      "/run/*",
      "/lost+found",
  };
}

GuestDiff diffGuest(const std::string& cowPath, const std::string& basePath, const DiffOptions& options) {
  const kernel::MergedDisk guestDisk = kernel::MergedDisk::open(cowPath, basePath);
  const kernel::MergedDisk baseDisk = kernel::MergedDisk::plain(guestDisk.basePath());
  const Ext4Volume base(baseDisk, "the base image '" + guestDisk.basePath() + "'");
  const Ext4Volume guest(guestDisk, "the guest's disk '" + cowPath + "'");
  GuestDiff diff;
  diff.cowBytes = guestDisk.cowSectors() * guestDisk.layout().sectorSize;
  if (guest.needsRecovery() && guest.hasJournalTransactions())
    diff.warnings.push_back("the guest's journal holds writes not yet in place (the node crashed, or runs and was "
                            "not flushed), and they are not in this list: start the node and stop it cleanly ('umlab "
                            "node LAB NODE start', then 'stop'), or diff it running without --no-flush");
  if (guestDisk.cowSectors() == 0) // nothing written: the guest's disk is the base
    return diff;
  TreeComparison(guestDisk, base, guest, options, diff).run();
  std::sort(diff.added.begin(), diff.added.end());
  std::sort(diff.removed.begin(), diff.removed.end());
  std::sort(diff.changed.begin(), diff.changed.end(),
            [](const ChangedFile& a, const ChangedFile& b) { return a.path < b.path; });
  return diff;
}

std::string renderGuestDiffText(const GuestDiff& diff) {
  std::string text;
  for (const std::string& w : diff.warnings)
    text += "warning: " + w + "\n";
  struct Line {
    std::string path, text;
  };
  std::vector<Line> lines;
  for (const std::string& p : diff.added)
    lines.push_back({p, "A " + p});
  for (const std::string& p : diff.removed)
    lines.push_back({p, "D " + p});
  for (const ChangedFile& c : diff.changed) {
    std::string what;
    for (const std::string& w : c.what)
      what += (what.empty() ? "" : ", ") + w;
    lines.push_back({c.path, "M " + c.path + " (" + what + ")"});
  }
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.path < b.path; });
  for (const Line& l : lines)
    text += l.text + "\n";
  return text;
}

std::string guestDiffJson(const GuestDiff& diff, const std::string& lab, const std::string& node) {
  JsonWriter w;
  w.beginObject().field("lab", lab).field("node", node);
  w.key("added").beginArray();
  for (const std::string& p : diff.added)
    w.value(p);
  w.endArray().key("changed").beginArray();
  for (const ChangedFile& c : diff.changed) {
    w.beginObject().field("path", c.path).key("what").beginArray();
    for (const std::string& x : c.what)
      w.value(x);
    w.endArray().endObject();
  }
  w.endArray().key("removed").beginArray();
  for (const std::string& p : diff.removed)
    w.value(p);
  w.endArray().key("warnings").beginArray();
  for (const std::string& x : diff.warnings)
    w.value(x);
  w.endArray().field("cowBytes", diff.cowBytes).endObject();
  return w.str() + "\n";
}

FileVersions readFileVersions(const std::string& cowPath, const std::string& basePath, const std::string& path,
                              uint64_t limit) {
  const kernel::MergedDisk guestDisk = kernel::MergedDisk::open(cowPath, basePath);
  const kernel::MergedDisk baseDisk = kernel::MergedDisk::plain(guestDisk.basePath());
  const Ext4Volume base(baseDisk, "the base image '" + guestDisk.basePath() + "'");
  const Ext4Volume guest(guestDisk, "the guest's disk '" + cowPath + "'");
  FileVersions v;
  v.path = path;
  const std::optional<Ext4Inode> b = lookup(base, path), g = lookup(guest, path);
  if (b) {
    v.base = contentOf(base, *b, limit);
    v.baseSize = b->size;
    v.isTruncated |= S_ISREG(b->mode) && b->size > limit;
  }
  if (g) {
    v.guest = contentOf(guest, *g, limit);
    v.guestSize = g->size;
    v.isTruncated |= S_ISREG(g->mode) && g->size > limit;
  }
  v.kind = g ? typeName(g->mode) : b ? typeName(b->mode) : "";
  return v;
}

std::string renderContentDiff(const FileVersions& v) {
  if (v.base == v.guest)
    return "";
  const auto isBinary = [](const std::optional<std::string>& s) {
    return s && s->substr(0, 8192).find('\0') != std::string::npos;
  };
  TempDir dir("umlab-diff");
  const std::string a = dir.file("base"), b = dir.file("guest");
  std::ofstream(a, std::ios::binary) << v.base.value_or("");
  std::ofstream(b, std::ios::binary) << v.guest.value_or("");
  const std::string labelA = v.base ? "a" + v.path : "/dev/null";
  const std::string labelB = v.guest ? "b" + v.path : "/dev/null";
  if (isBinary(v.base) || isBinary(v.guest)) {
    std::vector<std::string> sums;
    for (const std::string& file : {a, b}) {
      std::string line;
      runCommand({{"sha256sum", file}}, {[&](std::string_view l) { line = std::string(l); }});
      sums.push_back(line.substr(0, line.find(' ')));
    }
    std::string text = "binary " + v.kind + " " + v.path + ": base ";
    text += v.base ? std::to_string(v.baseSize) + " bytes, sha256 " + sums[0] : "absent";
    text += "; guest ";
    text += v.guest ? std::to_string(v.guestSize) + " bytes, sha256 " + sums[1] : "absent";
    return text + (v.isTruncated ? " (of the first 16 MiB)" : "") + "\n";
  }
  std::string text;
  const CommandResult r = runCommand({{"diff", "-u", "--label", labelA, "--label", labelB, a, b}},
                                     {[&](std::string_view line) { text += std::string(line) + "\n"; }});
  if (r.status.code != 0 && r.status.code != 1)
    throw std::runtime_error("diff (diffutils) failed: " + r.status.describe() + "; install it with 'apt-get install diffutils'");
  if (v.isTruncated)
    text += "(only the first 16 MiB of each side were compared)\n";
  return text;
}

} // namespace umlab::lab::runtime
