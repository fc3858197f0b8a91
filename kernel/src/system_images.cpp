#include "umlab/kernel/system_images.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace umlab::kernel {

namespace fs = std::filesystem;

namespace {

std::string chmodProblem(const fs::path& path, mode_t mode) {
  if (::chmod(path.c_str(), mode) == 0)
    return "";
  return "chmod " + path.string() + ": " + std::strerror(errno);
}

} // namespace

std::string findImageBuild(const std::vector<std::string>& imagesDirs, const std::string& buildName) {
  for (const std::string& dir : imagesDirs)
    if (!dir.empty() && ::access((fs::path(dir) / buildName / "rootfs.img").c_str(), R_OK) == 0)
      return dir;
  return "";
}

std::string prepareSharedImagesDir(const std::string& imagesDir) {
  std::vector<fs::path> created; // outermost last
  std::error_code ec;
  for (fs::path p = fs::path(imagesDir).lexically_normal(); !p.empty() && p != p.root_path() && !fs::exists(p, ec);
       p = p.parent_path())
    created.push_back(p);
  fs::create_directories(imagesDir, ec);
  if (ec)
    return "cannot create '" + imagesDir + "': " + ec.message();
  for (const fs::path& p : created)
    if (std::string problem = chmodProblem(p, 0755); !problem.empty())
      return problem;
  return chmodProblem(imagesDir, 0755);
}

std::string shareImageBuild(const std::string& imagesDir, const std::string& dirName) {
  const fs::path dir = fs::path(imagesDir) / dirName;
  if (std::string problem = chmodProblem(dir, 0755); !problem.empty())
    return problem;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code sec;
    if (!it->is_regular_file(sec) || it->is_symlink(sec))
      continue;
    const mode_t mode = it->path().filename() == "rootfs.img" ? 0444 : 0644;
    if (std::string problem = chmodProblem(it->path(), mode); !problem.empty())
      return problem;
  }
  return ec ? "cannot list '" + dir.string() + "': " + ec.message() : "";
}

} // namespace umlab::kernel
