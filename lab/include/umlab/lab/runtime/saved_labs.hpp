#pragma once
/// Saved labs: a lab's disks and state kept on disk while it does not run (`umlab save`,
/// `umlab resume`, `umlab archive`, `umlab up FILE.umlab`; docs/save-resume.md).
///
/// Design notes. A running lab's state lives under a state root that may be a tmpfs (/run/umlab
/// for root): lost at reboot. A saved lab lives in the user's *data directory* instead,
/// persistent and private:
///
///   $UMLAB_DATA_DIR, else $XDG_DATA_HOME/umlab, else ~/.local/share/umlab   (made 0700)
///     saved/<lab>/                 0700, one per saved lab; nothing in it points into /run
///       saved.json                 what `umlab ps` shows (SavedLabMeta), written last
///       plan.json                  the plan the lab ran (plan_json.hpp), paths as they were
///       topology/<file>            the topology file as it was when the lab was saved
///       cow/<node>.cow             each guest's COW file, sparse (sparse_copy.hpp)
///       nodes/<node>/config.img    each guest's config disk (its files, addresses, startup)
///       captures/                  the lab's captures/ files, and ring-<segment>.pcap: what
///                                  each switch's capture ring held when the lab was saved
///     saved/.<lab>.partial-XXXXXX  a save or unpack in progress; renamed to <lab> when complete
///
/// A saved lab is complete or absent: everything is written into the partial directory and
/// renamed at the end, so a failed save leaves the lab's kept COW files where `down --keep`
/// leaves them and nothing half-written under saved/.
///
/// The plan is stored as it ran and *relocated* when the lab runs again (`relocatePlan`): the
/// state directory, the lab's name (umids), and the host paths (kernel, switch daemon, base
/// images) are rewritten to this host's. The base image is named by its build, the directory
/// <images>/<name>-<recipe hash>, so a resumed lab finds the build its COW files were made on
/// even after `umlab image build` moved the <images>/<name> link to a newer one.
///
/// Which base a COW file may run on. A COW file holds the blocks a guest changed *of one
/// build*: two builds of the same recipe (same hash) hold the same files but not the same
/// blocks (debootstrap's timestamps, mkfs.ext4's random UUID and allocation), so a COW file
/// over another build would be a corrupt disk. The recipe hash names the image; the ext4 UUID
/// of the base (superblock, byte 1128) names the build. A lab runs again only on a base with
/// both equal (`findLocalBase`): the same file, or a copy of it (another path or mtime, which
/// the COW headers are then rewritten for: cow_rebase.hpp).

#include "umlab/lab/compile/plan.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace umlab::lab::runtime {

/// The data directory of this process: $UMLAB_DATA_DIR, else $XDG_DATA_HOME/umlab, else
/// $HOME/.local/share/umlab, else /tmp/umlab-data-<uid>.
std::string dataDirFromEnvironment();

/// The base image build a lab's guests run on: the directory <images>/<name>-<hash>.
struct SavedImage {
  std::string name;       ///< "debian"
  std::string recipeHash; ///< "602008a461a27fc0"; empty when the build's directory has no hash
  std::string basePath;   ///< the path the plan names (often through the <images>/<name> link)
  uint64_t size = 0;      ///< the base image's size in bytes (the COW headers record it too)
  std::string uuid;       ///< the ext4 UUID of the build ("3f0c...", 32 hex digits), or empty

  bool operator==(const SavedImage&) const = default;
};

/// saved.json.
struct SavedLabMeta {
  std::string lab;
  int64_t savedTime = 0;      ///< Unix seconds
  std::string umlabVersion;   ///< "umlab 0.1.0"
  std::string origin;         ///< where it came from: "/run/umlab/lan" or "archive lan.umlab"
  std::vector<std::string> nodes;
  std::vector<SavedImage> images;
  /// How far the lab's timeline had gone (ms after its time 0) when it was saved; a resumed lab
  /// goes on from there (0: from the start). Optional in saved.json.
  int64_t timelineMs = 0;

  bool operator==(const SavedLabMeta&) const = default;
};

std::string savedLabMetaJson(const SavedLabMeta& meta);
std::optional<SavedLabMeta> readSavedLabMeta(const std::string& text, std::string& error);

/// The base image builds of `plan`'s guests, one per image, sorted by name: each base path
/// resolved (links followed) to its build directory, whose name gives the recipe hash.
std::vector<SavedImage> imagesOfPlan(const LaunchPlan& plan);

/// The ext4 file system UUID of the image at `path` (32 hex digits), or empty when it has none.
std::string filesystemUuid(const std::string& path);

/// The base images' directories of this host, where builds are looked for.
struct ImageDirs {
  std::string user;   ///< the user's image cache (HostLayout::imageDir)
  std::string system; ///< the system's shared one (HostLayout::systemImageDir); may be empty
};

/// The local file of `image`'s build: its recorded path, else <dir>/<name>-<hash>/rootfs.img in
/// the user's then the system's images, the first whose size and UUID match. Throws
/// RuntimeError when none does: which image, which hash and build were expected and what was
/// found, and the command that builds it (`topologyFile`, when not empty, for an image of the
/// topology's own).
std::string findLocalBase(const SavedImage& image, const ImageDirs& dirs, const std::string& topologyFile);

/// One saved lab as `umlab ps` shows it.
struct SavedLab {
  SavedLabMeta meta;
  std::string dir;
  uint64_t diskBytes = 0; ///< allocated on disk (the COW files' data, not their holes)
};

/// The plan a saved lab ran (its plan.json, with the one reader). Throws RuntimeError naming the
/// saved lab when it cannot be read.
LaunchPlan savedPlan(const SavedLab& saved);

/// `ps --format json`: the fields of a running lab's status (lab_status.hpp) with state
/// "saved", each node "saved", no switches; plus "savedTime", "diskBytes" and "origin".
std::string savedLabJson(const SavedLab& lab);
/// `ps` text: "lab lan: saved 2026-12-03 21:40 UTC, 12M on disk (DIR); 'umlab resume lan' ...".
std::string renderSavedLabText(const SavedLab& lab);

/// The saved labs under <dataDir>/saved.
class SavedLabs {
public:
  explicit SavedLabs(std::string dataDir);
  const std::string& dataDir() const { return dataDir_; }
  std::string root() const { return dataDir_ + "/saved"; }
  std::string dir(const std::string& lab) const { return root() + "/" + lab; }
  bool has(const std::string& lab) const;
  /// Complete saved labs, sorted (partial directories are not listed).
  std::vector<std::string> labs() const;
  /// Throws RuntimeError when `lab` is not saved or its saved.json is unreadable.
  SavedLab read(const std::string& lab) const;
  /// A new partial directory for `lab` (mode 0700; the data directory and saved/ are made 0700
  /// and must be the caller's). Throws RuntimeError.
  std::string makePartial(const std::string& lab) const;
  /// Renames a complete partial directory to `dir(lab)`; throws RuntimeError when `lab` is saved
  /// already.
  void commit(const std::string& partial, const std::string& lab) const;
  /// Removes a saved lab; throws RuntimeError when it is not saved.
  void remove(const std::string& lab) const;

private:
  std::string dataDir_;
};

/// Where a plan moves to.
struct PlanRelocation {
  std::string lab;       ///< the lab's name from now on (the plan's own when empty)
  std::string stateRoot; ///< the state root it runs under
  /// Exact host paths to replace, old -> new (kernel, switch daemon, base images). A path is
  /// replaced wherever it appears whole: a field, or a part of an argument ("ubd0=COW,BASE").
  std::map<std::string, std::string> paths;
};

/// `plan` with its state directory, lab name and `paths` relocated. Pure: every string of the
/// plan is rewritten through its JSON form and read back with the plan's one reader.
LaunchPlan relocatePlan(const LaunchPlan& plan, const PlanRelocation& relocation);

} // namespace umlab::lab::runtime
