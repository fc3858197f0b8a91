#include "umlab/kernel/kernel_store.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

namespace umlab::kernel {

namespace fs = std::filesystem;

std::vector<BuiltKernel> listBuiltKernels(const std::string& kernelsDir) {
  std::vector<BuiltKernel> kernels;
  std::error_code ec;
  for (fs::directory_iterator it(kernelsDir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string dirName = it->path().filename().string();
    std::error_code e;
    if (dirName.empty() || dirName[0] == '.' || fs::is_symlink(it->symlink_status(e)) || !it->is_directory(e))
      continue;
    const fs::path binary = it->path() / "linux";
    struct stat st {};
    if (::stat(binary.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    BuiltKernel k;
    k.dirName = dirName;
    const size_t dash = dirName.rfind('-');
    k.name = dash == std::string::npos ? dirName : dirName.substr(0, dash);
    k.hash = dash == std::string::npos ? "" : dirName.substr(dash + 1);
    k.kernelPath = binary.string();
    k.size = static_cast<uint64_t>(st.st_size);
    k.builtTime = st.st_mtime;
    std::ifstream recipe(it->path() / "recipe.txt");
    for (std::string line; std::getline(recipe, line);) {
      const size_t space = line.find(' ');
      if (space == std::string::npos || line[0] == '#')
        continue;
      const std::string key = line.substr(0, space), value = line.substr(space + 1);
      if (key == "name")
        k.name = value;
      else if (key == "hash")
        k.hash = value;
      else if (key == "release")
        k.release = value;
      else if (key == "source")
        k.source = value;
    }
    std::error_code le;
    const fs::path link = fs::path(kernelsDir) / k.name;
    k.isCurrent = fs::is_symlink(fs::symlink_status(link, le)) && fs::read_symlink(link, le).string() == dirName;
    kernels.push_back(std::move(k));
  }
  std::sort(kernels.begin(), kernels.end(), [](const BuiltKernel& a, const BuiltKernel& b) {
    return a.name != b.name ? a.name < b.name : a.builtTime > b.builtTime;
  });
  return kernels;
}

std::string cachedKernelPath(const std::string& kernelsDir, const std::string& name) {
  return (fs::path(kernelsDir) / name / "linux").string();
}

} // namespace umlab::kernel
