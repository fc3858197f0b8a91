#include "umlab/kernel/kernel_recipe.hpp"

#include "umlab/base/hash.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace umlab::kernel {

namespace fs = std::filesystem;

namespace {

/// `CONFIG_X` -> "y", "\"-umlab\"", or "" for "# CONFIG_X is not set".
std::map<std::string, std::string, std::less<>> parseConfig(std::string_view text) {
  std::map<std::string, std::string, std::less<>> options;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("CONFIG_", 0) == 0) {
      const size_t eq = line.find('=');
      if (eq != std::string::npos)
        options[line.substr(0, eq)] = line.substr(eq + 1);
    } else if (line.rfind("# CONFIG_", 0) == 0 && line.size() > 13 &&
               line.compare(line.size() - 11, 11, " is not set") == 0) {
      options[line.substr(2, line.size() - 13)] = "";
    }
  }
  return options;
}

std::string describeValue(const std::string& v) { return v.empty() ? "not set" : v; }

/// Options Kconfig computes from the host's toolchain (compiler, assembler and linker versions,
/// what they support), which may differ between machines without changing what is built.
bool isToolchainOption(std::string_view option) {
  for (std::string_view prefix : {"CONFIG_CC_", "CONFIG_GCC_", "CONFIG_AS_", "CONFIG_LD_", "CONFIG_CLANG_",
                                  "CONFIG_LLD_", "CONFIG_PAHOLE_", "CONFIG_RUSTC_", "CONFIG_BINDGEN_",
                                  "CONFIG_TOOLS_SUPPORT_"})
    if (option.substr(0, prefix.size()) == prefix)
      return true;
  return false;
}

} // namespace

std::optional<KernelSource> findKernelSource(const std::string& package, std::string* error,
                                             const std::string& dpkgStatusPath, const std::string& sourceDir) {
  const std::string install = "install it with 'apt-get install " + package + " bc bison flex libelf-dev libpcap-dev'";
  std::ifstream status(dpkgStatusPath);
  std::string version;
  bool isPackage = false, isInstalled = false;
  auto endParagraph = [&] {
    if (isPackage && isInstalled && !version.empty())
      return true;
    isPackage = isInstalled = false;
    version.clear();
    return false;
  };
  bool found = false;
  for (std::string line; !found && std::getline(status, line);) {
    if (line.empty())
      found = endParagraph();
    else if (line == "Package: " + package)
      isPackage = true;
    else if (line.rfind("Status: ", 0) == 0)
      isInstalled = line.size() >= 10 && line.compare(line.size() - 10, 10, " installed") == 0;
    else if (line.rfind("Version: ", 0) == 0)
      version = line.substr(9);
  }
  if (!found && !endParagraph()) {
    if (error)
      *error = "the kernel sources are not installed (Debian package " + package + "); " + install;
    return std::nullopt;
  }
  for (const char* suffix : {".tar.xz", ".tar.bz2", ".tar.gz"}) {
    const fs::path tarball = fs::path(sourceDir) / (package + suffix);
    std::error_code ec;
    if (fs::is_regular_file(tarball, ec))
      return KernelSource{version, tarball.string()};
  }
  if (error)
    *error = "package " + package + " " + version + " is installed but " + sourceDir + "/" + package +
             ".tar.xz is missing; reinstall it with 'apt-get install --reinstall " + package + "'";
  return std::nullopt;
}

std::string kernelRecipeHash(const KernelRecipe& r) {
  FieldHash hash;
  hash.field("name", r.name).field("source-package", r.sourcePackage).field("source-version", r.sourceVersion);
  hash.field("config", r.config);
  for (const KernelPatch& p : r.patches)
    hash.field("patch", p.name).field("patch-text", p.text);
  return hash.field("format", std::to_string(r.formatVersion)).hex();
}

std::string expectedKernelRelease(const KernelRecipe& recipe) {
  // Debian's version "6.1.192-3" (or "6.1.192-3+deb12u1"): the upstream part is before the '-'.
  std::string local = parseConfig(recipe.config)["CONFIG_LOCALVERSION"];
  if (local.size() >= 2 && local.front() == '"' && local.back() == '"')
    local = local.substr(1, local.size() - 2);
  return recipe.sourceVersion.substr(0, recipe.sourceVersion.find('-')) + local;
}

std::string kernelDirName(const KernelRecipe& recipe) { return recipe.name + "-" + kernelRecipeHash(recipe); }

std::vector<std::string> configDifferences(std::string_view wanted, std::string_view actual) {
  const auto want = parseConfig(wanted);
  const auto have = parseConfig(actual);
  std::vector<std::string> changed;
  for (const auto& [option, value] : want) {
    if (isToolchainOption(option))
      continue;
    auto it = have.find(option);
    const std::string now = it == have.end() ? "" : it->second;
    if (now != value)
      changed.push_back(option + "=" + describeValue(value) + " (now: " + describeValue(now) + ")");
  }
  return changed;
}

bool KbuildCounter::feed(std::string_view line) {
  // "  CC      kernel/fork.o", "  CC [U]  arch/um/os-Linux/file.o", "  AS      arch/x86/um/setjmp_64.o"
  if (line.size() < 12 || line.substr(0, 2) != "  ")
    return false;
  std::string_view rest = line.substr(2);
  if (rest.substr(0, 2) != "CC" && rest.substr(0, 2) != "AS")
    return false;
  rest.remove_prefix(2);
  if (rest.substr(0, 4) == " [U]")
    rest.remove_prefix(4);
  const size_t start = rest.find_first_not_of(' ');
  if (start == 0 || start == std::string_view::npos)
    return false;
  rest.remove_prefix(start);
  if (rest.size() < 3 || rest.substr(rest.size() - 2) != ".o" || rest.find(' ') != std::string_view::npos)
    return false;
  ++compiled;
  last = std::string(rest);
  return true;
}

std::string KbuildCounter::describe(size_t expected) const {
  if (expected == 0 || compiled > expected)
    return std::to_string(compiled) + " objects" + (last.empty() ? "" : ", " + last);
  // In steps of 2 %, so that a log (where every change is a line) gets about 50 lines, not 600.
  return std::to_string(compiled * 50 / expected * 2) + " % of about " + std::to_string(expected) + " objects";
}

} // namespace umlab::kernel
