#pragma once
/// What a guest changed on its disk: the files added, changed and removed relative to its base
/// image, read offline from the guest's COW file (`umlab diff`, docs/diff.md).
///
/// Design notes
/// ------------
/// Inputs are two paths, the COW file and the base image, so that any front-end can find them
/// its own way (a running lab's plan, a lab taken down with --keep, a saved lab): guest_disk.hpp
/// maps LAB NODE to them. Nothing is mounted and nothing is written: libext2fs reads the base
/// image, and the guest's disk through a read-only io_manager over the COW and the base
/// (ext4_volume.hpp, kernel/merged_disk.hpp); no merged copy is made, no root is needed.
///
/// The two trees are walked side by side by path (entries of each directory sorted by name).
/// An entry is unchanged, without reading its content, when it has the same inode number on
/// both sides, that inode's bytes lie in no sector the COW holds (so they are the base's, byte
/// for byte), and none of its blocks (data, extent tree, external attributes) lies in one
/// either. Otherwise its type, permission bits, owner, size and content (a symlink's target, a
/// device's number) are compared, and what differs is said: "type", "mode", "owner",
/// "content", "target", "device". Times alone are not a change: a file rewritten with the same
/// bytes, or only read (atime), is not listed.
///
/// Directories. An added or removed directory is listed once, with a trailing '/', like
/// `git status` lists an untracked directory; `expandDirectories` (--all) lists everything
/// below it too. A directory present on both sides is listed only when its own mode or owner
/// changed; its entries are compared one by one.
///
/// Noise. Everything is compared; what is left out is a list of globs the caller passes.
/// `defaultIgnores()` is what `umlab diff` passes unless told otherwise (and shows in --help):
/// what a freshly booted guest writes in every lab (umlab-init's PATH wrapper and its halt,
/// poweroff, reboot and systemctl stand-ins, /var/log/wtmp: seen with --no-default-ignores),
/// plus logs, caches and shell history that any session leaves: places a lab's task rarely is
/// about, and --no-default-ignores shows them all. A glob matches the whole path with fnmatch(3) without
/// FNM_PATHNAME ('*' also crosses '/'); a matching directory hides everything below it.
///
/// Journal. The guest's ext4 keeps a journal: writes it committed but has not yet written in
/// place are only in the journal, and this reader does not replay it. A running guest is asked
/// to flush first (guest_disk.hpp); when the superblock still says the journal needs recovery
/// and the journal holds transactions (a crashed guest), the diff carries a warning.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace umlab::lab::runtime {

struct DiffOptions {
  std::vector<std::string> ignore; ///< globs of paths to leave out (see defaultIgnores)
  bool expandDirectories = false;  ///< list everything below an added or removed directory
};

/// The globs `umlab diff` ignores unless told otherwise: what every guest's boot writes.
std::vector<std::string> defaultIgnores();

struct ChangedFile {
  std::string path;
  std::vector<std::string> what; ///< "type", "mode", "owner", "content", "target", "device"

  bool operator==(const ChangedFile&) const = default;
};

struct GuestDiff {
  std::vector<std::string> added;   ///< sorted; directories end in '/'
  std::vector<ChangedFile> changed; ///< sorted by path
  std::vector<std::string> removed; ///< sorted; directories end in '/'
  std::vector<std::string> warnings;
  uint64_t cowBytes = 0;            ///< what the COW holds (sectors x 512)
  uint64_t inodesCompared = 0;      ///< entries present on both sides
  uint64_t contentsCompared = 0;    ///< of those, how many needed their content read
};

/// The diff of the guest whose disk is `cowPath` over `basePath` (empty: the base the COW's
/// header names). Throws std::runtime_error saying what is wrong (a missing file, a base that
/// changed since the COW was made, no ext4 on the disk).
GuestDiff diffGuest(const std::string& cowPath, const std::string& basePath, const DiffOptions& options);

/// "A /path", "M /path (content, mode)", "D /path", one line each, sorted by path; warnings
/// first, as "warning: ...".
std::string renderGuestDiffText(const GuestDiff& diff);
/// {"lab","node","added":[...],"changed":[{"path","what":[...]}],"removed":[...],"warnings":[...]}
std::string guestDiffJson(const GuestDiff& diff, const std::string& lab, const std::string& node);

/// One file as the base and the guest have it (nullopt: absent on that side).
struct FileVersions {
  std::string path;
  std::optional<std::string> base, guest; ///< content (a symlink: its target), at most `limit` bytes
  uint64_t baseSize = 0, guestSize = 0;
  bool isTruncated = false; ///< a side was larger than the limit
  std::string kind;         ///< "file", "symlink", "directory", "other" (of the guest's side, else the base's)
};

/// Reads PATH from both sides. Throws std::runtime_error as diffGuest does.
FileVersions readFileVersions(const std::string& cowPath, const std::string& basePath, const std::string& path,
                              uint64_t limit = 16 << 20);

/// A unified diff of the two versions (made by diffutils' `diff -u` on two temporary files),
/// or, for binary content, one line with both sizes and SHA-256 sums; "" when they are equal.
std::string renderContentDiff(const FileVersions& versions);

} // namespace umlab::lab::runtime
