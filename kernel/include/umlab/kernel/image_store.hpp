#pragma once
/// The image cache as `umlab image ls` shows it: every `<images>/<name>-<hash>/rootfs.img` that a
/// build finished (image_builder.hpp), with its size and the links that name it.

#include <cstdint>
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
};

/// Built images in `imagesDir`, by name and then newest first. Work directories of running or
/// failed builds (".build-*") are not images. A missing directory has none.
std::vector<BuiltImage> listBuiltImages(const std::string& imagesDir);

/// A byte count as `du -h` prints it: "0B", "812K", "1.5M", "312M", "1.0G".
std::string formatSize(uint64_t bytes);

} // namespace umlab::kernel
