#pragma once
/// Lab archives: one file that carries a saved lab (saved_labs.hpp) to another state directory,
/// user or machine (`umlab archive LAB -o FILE.umlab`, `umlab up FILE.umlab`).
///
/// Design notes. The file is a GNU tar stream, compressed with zstd, made and read by the
/// `tar` program (`--sparse`: a COW file's holes are recorded as a map, never stored or read)
/// with `zstd` as its compressor. Its members, in this order:
///
///   manifest.json             first, so that it is read without unpacking the rest
///   plan.json                 the plan the lab ran
///   topology/<file>           the topology file
///   nodes/<node>/config.img   config disks
///   captures/<file>           capture rings and files
///   cow/<node>.cow            the disks, sparse
///
/// The manifest (`ArchiveManifest`, JSON) says what is inside: its format version, the lab, the
/// umlab that made it, when, each node with its image and its COW file's size (apparent and
/// data), and each base image by recipe hash and build (file system UUID, size). `up` reads it
/// first and refuses, before unpacking anything, an archive of another format version or one
/// whose base images are not here (`findLocalBase`: the message names the image, the hash and
/// build expected, what was found, and what to do).
///
/// Unpacking trusts nothing in the file: every member is checked (`checkArchiveEntry`) before
/// extraction — only the names above, regular files and directories only (no links, devices
/// or fifos), no absolute path, no `..`, no empty component — and extraction goes into a new
/// private directory with no owners or modes taken from the archive; what was extracted is
/// checked again (lstat: files and directories only) before it becomes a saved lab.

#include "umlab/lab/runtime/launcher.hpp"
#include "umlab/lab/runtime/saved_labs.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace umlab::lab::runtime {

inline constexpr uint64_t kArchiveFormatVersion = 1;

struct ArchiveManifest {
  uint64_t formatVersion = kArchiveFormatVersion;
  std::string lab;
  std::string umlabVersion;
  int64_t created = 0; ///< Unix seconds
  int64_t savedTime = 0;
  struct Node {
    std::string name;
    std::string image;
    uint64_t cowSize = 0;     ///< apparent (the COW file's length)
    uint64_t cowDataSize = 0; ///< allocated: what the guest changed, about
    bool operator==(const Node&) const = default;
  };
  std::vector<Node> nodes;
  std::vector<SavedImage> images;
  std::vector<std::string> captures; ///< file names under captures/
  int64_t timelineMs = 0; ///< how far the lab's timeline had gone (saved_labs.hpp); optional
  /// The base image builds the archive carries (`--with-base`), as images/<build>/rootfs.img
  /// and recipe.txt: "debian-602008a461a27fc0". Optional.
  std::vector<std::string> bases;

  bool operator==(const ArchiveManifest&) const = default;
};

std::string archiveManifestJson(const ArchiveManifest& manifest);
/// nullopt with `error` ("images[0].recipeHash: missing or not a string") on bad input, and on
/// a format version other than kArchiveFormatVersion.
std::optional<ArchiveManifest> readArchiveManifest(const std::string& text, std::string& error);

/// One member of the archive as `tar --list --verbose` shows it: its type letter ('-' a regular
/// file, 'd' a directory, 'l' a symbolic link, 'h' a hard link, ...) and its name.
struct ArchiveEntry {
  char type = '-';
  std::string name;
};

/// One line of `tar --list --verbose --numeric-owner` ("-rw------- 0/0 1074012160 2026-12-03
/// 21:38 cow/pc1.cow") as an entry; nullopt for a line that is not one (a warning of tar's).
std::optional<ArchiveEntry> parseTarListing(const std::string& line);

/// Why `entry` may not be extracted, or nullopt when it may.
std::optional<std::string> checkArchiveEntry(const ArchiveEntry& entry);

struct ArchiveResult {
  std::string file;
  uint64_t size = 0; ///< the archive's size, bytes
  uint64_t savedBytes = 0; ///< the saved lab's allocated size
  double seconds = 0;
};

/// Writes the saved `lab` of `store` to `file` (refused when it exists; written to a temporary
/// name beside it, renamed when complete). Throws RuntimeError.
/// With `withBase`, each guest's base image build goes in too (sparse): the archive then runs on
/// a machine that has no build of the image, whose `umlab up FILE.umlab` installs it.
ArchiveResult writeArchive(const SavedLabs& store, const std::string& lab, const std::string& file,
                           const std::string& umlabVersion, LaunchProgress& progress, bool withBase = false);

/// The manifest of the archive `file`, read without unpacking the rest. Throws RuntimeError.
ArchiveManifest readManifestOf(const std::string& file);

struct UnpackResult {
  std::string lab; ///< the saved lab made
  ArchiveManifest manifest;
  double seconds = 0;
};

/// Unpacks `file` into a saved lab of `store`, named `newName` (the archive's lab when empty),
/// after checking the manifest, the base images (`images`) and every member. Throws
/// RuntimeError; leaves nothing behind then.
UnpackResult unpackArchive(const std::string& file, const SavedLabs& store, const std::string& newName,
                           const ImageDirs& images, LaunchProgress& progress);

} // namespace umlab::lab::runtime
