#include "image_listing.hpp"

#include "umlab/kernel/kernel_recipe.hpp"

#include <algorithm>
#include <ctime>
#include <set>

namespace umlab::cli {

namespace {

namespace k = umlab::kernel;

std::string renderTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c)
      widths[c] = std::max(widths[c], row[c].size());
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c)
      line += c + 1 == row.size() ? row[c] : row[c] + std::string(widths[c] - row[c].size() + 2, ' ');
    text += line + "\n";
  }
  return text;
}

std::string plural(size_t n, const std::string& word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

} // namespace

std::string renderImageListing(const std::vector<ListedRecipe>& recipes, const std::vector<k::BuiltImage>& builds,
                               const std::string& imagesDir, const std::vector<k::BuiltImage>& systemBuilds,
                               const std::string& systemDir) {
  std::set<std::string> named, namedShared;
  auto diskOf = [](const std::vector<k::BuiltImage>& of) {
    uint64_t total = 0;
    for (const k::BuiltImage& b : of)
      total += b.diskSize;
    return total;
  };
  auto find = [](const std::vector<k::BuiltImage>& of, const ListedRecipe& r) -> const k::BuiltImage* {
    for (const k::BuiltImage& b : of)
      if (!r.hash.empty() && b.dirName == r.name + "-" + r.hash)
        return &b;
    return nullptr;
  };
  std::vector<std::vector<std::string>> rows{{"NAME", "FROM", "HASH", "BUILT", "ON DISK", "APPARENT", "DEFINED IN"}};
  for (const ListedRecipe& r : recipes) {
    const k::BuiltImage* own = find(builds, r);
    const k::BuiltImage* shared = find(systemBuilds, r);
    if (own)
      named.insert(own->dirName);
    if (shared)
      namedShared.insert(shared->dirName);
    const k::BuiltImage* build = own ? own : shared;
    rows.push_back({r.name, r.from, r.hash.empty() ? "unknown" : r.hash, own ? "yes" : shared ? "system" : "no",
                    build ? k::formatSize(build->diskSize) : "-", build ? k::formatSize(build->apparentSize) : "-",
                    r.source});
  }
  std::string text = renderTable(rows);
  std::vector<std::vector<std::string>> orphans{{"BUILD", "ON DISK", "APPARENT", "RECORDED USERS"}};
  auto addOrphans = [&](const std::vector<k::BuiltImage>& of, const std::set<std::string>& skip, const char* mark) {
    for (const k::BuiltImage& b : of) {
      if (skip.count(b.dirName))
        continue;
      std::string users;
      for (const std::string& u : b.users)
        users += (users.empty() ? "" : ", ") + u;
      orphans.push_back({b.dirName + mark, k::formatSize(b.diskSize), k::formatSize(b.apparentSize),
                         users.empty() ? "-" : users});
    }
  };
  addOrphans(builds, named, "");
  addOrphans(systemBuilds, namedShared, " (system)");
  if (orphans.size() > 1)
    text += "\nbuilds that no recipe above names (orphans; 'umlab image prune' removes those no recorded user "
            "names either):\n" +
            renderTable(orphans);
  text += plural(recipes.size(), "recipe") + ", " + plural(builds.size(), "build") + " (" +
          k::formatSize(diskOf(builds)) + " on disk) in '" + imagesDir + "'\n";
  if (!systemBuilds.empty())
    text += plural(systemBuilds.size(), "build") + " (" + k::formatSize(diskOf(systemBuilds)) +
            " on disk) shared read-only by the system in '" + systemDir + "'\n";
  return text;
}

std::string renderKernelListing(const PackagedKernel& debian, const std::vector<k::BuiltKernel>& builds,
                                const std::string& currentHash, const std::string& kernelsDir) {
  auto date = [](int64_t t) {
    std::time_t time = static_cast<std::time_t>(t);
    std::tm tm{};
    ::gmtime_r(&time, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &tm);
    return std::string(text);
  };
  std::vector<std::vector<std::string>> rows{{"NAME", "HASH", "RELEASE", "SIZE", "BUILT (UTC)", "STATE", "PATH"}};
  rows.push_back({std::string(k::kDebianKernelName), "-", debian.release.empty() ? std::string("-") : debian.release,
                  debian.release.empty() ? std::string("-") : k::formatSize(debian.size), "(package)",
                  debian.release.empty() ? "not installed" : "installed", debian.path});
  bool isCurrentBuilt = false;
  for (const k::BuiltKernel& b : builds) {
    const bool isCurrentRecipe = b.hash == currentHash;
    isCurrentBuilt = isCurrentBuilt || isCurrentRecipe;
    std::string state = isCurrentRecipe ? "current recipe" : "older recipe";
    if (b.isCurrent)
      state += ", booted by 'kernel: " + b.name + "'";
    rows.push_back({b.name, b.hash, b.release.empty() ? "?" : b.release, k::formatSize(b.size), date(b.builtTime), state,
                    b.kernelPath});
  }
  std::string text = renderTable(rows);
  text += plural(builds.size(), "build") + " in " + kernelsDir + "\n";
  if (!currentHash.empty() && !isCurrentBuilt)
    text += "umlab's kernel (recipe " + currentHash + ") is not built; 'umlab kernel build' builds it\n";
  return text;
}

} // namespace umlab::cli
