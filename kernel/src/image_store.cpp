#include "umlab/kernel/image_store.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <system_error>

namespace umlab::kernel {

namespace fs = std::filesystem;

std::string formatSize(uint64_t bytes) {
  const char* units = "BKMGTP";
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char text[32];
  if (u == 0)
    std::snprintf(text, sizeof text, "%lluB", static_cast<unsigned long long>(bytes));
  else if (v < 9.95)
    std::snprintf(text, sizeof text, "%.1f%c", v, units[u]);
  else
    std::snprintf(text, sizeof text, "%.0f%c", v, units[u]);
  return text;
}

std::vector<BuiltImage> listBuiltImages(const std::string& imagesDir) {
  std::vector<BuiltImage> images;
  std::vector<std::pair<std::string, std::string>> links; // name -> target
  std::error_code ec;
  for (fs::directory_iterator it(imagesDir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.')
      continue;
    std::error_code lec;
    if (it->is_symlink(lec)) {
      links.emplace_back(name, fs::read_symlink(it->path(), lec).filename().string());
      continue;
    }
    struct stat image {};
    const fs::path imagePath = it->path() / "rootfs.img";
    if (!it->is_directory(lec) || ::stat(imagePath.c_str(), &image) != 0)
      continue;
    BuiltImage b;
    b.dirName = name;
    b.imagePath = imagePath.string();
    b.builtTime = image.st_mtime;
    if (size_t dash = name.rfind('-'); dash != std::string::npos) {
      b.name = name.substr(0, dash);
      b.hash = name.substr(dash + 1);
    } else {
      b.name = name;
    }
    std::ifstream recipe(it->path() / "recipe.txt");
    for (std::string line; std::getline(recipe, line);) {
      if (line.rfind("name ", 0) == 0)
        b.name = line.substr(5);
      else if (line.rfind("hash ", 0) == 0)
        b.hash = line.substr(5);
    }
    std::ifstream users(it->path() / "users");
    for (std::string line; std::getline(users, line);)
      if (!line.empty())
        b.users.push_back(line);
    for (fs::directory_iterator f(it->path(), lec), fend; !lec && f != fend; f.increment(lec)) {
      struct stat st {};
      if (::lstat(f->path().c_str(), &st) == 0) {
        b.diskSize += static_cast<uint64_t>(st.st_blocks) * 512;
        b.apparentSize += static_cast<uint64_t>(st.st_size);
      }
    }
    images.push_back(std::move(b));
  }
  for (BuiltImage& b : images)
    for (const auto& [name, target] : links)
      if (target == b.dirName)
        b.links.push_back(name);
  for (BuiltImage& b : images)
    std::sort(b.links.begin(), b.links.end());
  std::sort(images.begin(), images.end(), [](const BuiltImage& a, const BuiltImage& b) {
    if (a.name != b.name)
      return a.name < b.name;
    if (a.builtTime != b.builtTime)
      return a.builtTime > b.builtTime;
    return a.dirName < b.dirName;
  });
  return images;
}

void recordImageUser(const std::string& imagesDir, const std::string& dirName, const std::string& topologyPath) {
  const fs::path file = fs::path(imagesDir) / dirName / "users";
  {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);)
      if (line == topologyPath)
        return;
  }
  std::ofstream out(file, std::ios::app);
  out << topologyPath << "\n";
  out.close();
  if (!out)
    throw std::system_error(errno, std::generic_category(), "write " + file.string());
}

std::vector<BuiltImage> selectPrunable(const std::vector<BuiltImage>& builds, const std::set<std::string>& keptDirNames,
                                       const TopologyImageHash& currentHash) {
  std::vector<BuiltImage> prunable;
  for (const BuiltImage& b : builds) {
    if (keptDirNames.count(b.dirName))
      continue;
    bool isNamed = false;
    for (const std::string& user : b.users)
      isNamed = isNamed || currentHash(user, b.name) == b.hash;
    if (!isNamed)
      prunable.push_back(b);
  }
  return prunable;
}

} // namespace umlab::kernel
