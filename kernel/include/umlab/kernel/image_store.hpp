#pragma once
/// The image cache as `umlab image ls` shows it: every `<images>/<name>-<hash>/rootfs.img` that a
/// build finished (image_builder.hpp), with its size and the links that name it.
///
/// Users. A build of a topology's own image (`images:` in the topology) records the topology's
/// absolute path in `<images>/<name>-<hash>/users`, one per line, when `umlab image build` makes
/// or finds it and when `umlab up` boots it. `umlab image prune` keeps a build only while some
/// recipe still names it: the current recipe of a built-in image, or the recipe of that name
/// in one of its recorded topologies, read again (the file must still exist and still define
/// the image with that hash). Everything else is removed; `selectPrunable` is that choice, with
/// the topology reading passed in so that it is a pure function.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace umlab::kernel {

struct BuiltImage {
  std::string dirName;   ///< "debian-8d3f2bd6b6fd1f5e"
  std::string name;      ///< from recipe.txt, else the directory name without "-<hash>"
  std::string hash;      ///< from recipe.txt, else the directory name's suffix
  std::string imagePath; ///< <images>/<dirName>/rootfs.img
  uint64_t diskSize = 0;     ///< blocks allocated to the directory's files (du), bytes
  uint64_t apparentSize = 0; ///< the files' sizes, bytes
  int64_t builtTime = 0;     ///< the image's mtime, seconds since the epoch
  std::vector<std::string> links; ///< names in <images> whose symlink points at this directory
  std::vector<std::string> users; ///< the topologies recorded in its `users` file
};

/// Adds `topologyPath` to `<imagesDir>/<dirName>/users` unless it is listed already. Throws
/// std::system_error when the file cannot be written.
void recordImageUser(const std::string& imagesDir, const std::string& dirName, const std::string& topologyPath);

/// The current hash of the image `name` as the topology at `topologyPath` defines it, or nullopt
/// when the file is gone, does not load, or no longer defines that image.
using TopologyImageHash = std::function<std::optional<std::string>(const std::string& topologyPath,
                                                                   const std::string& name)>;

/// The builds `umlab image prune` removes: every one whose directory is not in `keptDirNames`
/// (the built-in recipes' current builds, the images of running labs) and whose hash no recorded
/// user's topology gives for its name any more. In the order of `builds`.
std::vector<BuiltImage> selectPrunable(const std::vector<BuiltImage>& builds, const std::set<std::string>& keptDirNames,
                                       const TopologyImageHash& currentHash);

/// Built images in `imagesDir`, by name and then newest first. Work directories of running or
/// failed builds (".build-*") are not images. A missing directory has none.
std::vector<BuiltImage> listBuiltImages(const std::string& imagesDir);

/// A byte count as `du -h` prints it: "0B", "812K", "1.5M", "312M", "1.0G".
std::string formatSize(uint64_t bytes);

} // namespace umlab::kernel
