#include "umlab/kernel/image_recipe.hpp"

#include "umlab/base/hash.hpp"
#include "umlab/kernel/boot_shim.hpp"
#include "umlab/kernel/builtin_images.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace umlab::kernel {

namespace {

namespace fs = std::filesystem;

const char* hostArchitecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__i386__)
  return "i386";
#elif defined(__aarch64__)
  return "arm64";
#else
  return "unknown";
#endif
}

std::string joined(const std::vector<std::string>& words, char separator) {
  std::string text;
  for (const std::string& w : words)
    text += (text.empty() ? "" : std::string(1, separator)) + w;
  return text;
}

} // namespace

std::vector<std::string> defaultImagePackages() {
  return {"iproute2", "iputils-ping", "iptables", "nftables", "tcpdump",  "netcat-openbsd",
          "iperf3",   "procps",       "kmod",     "ethtool",  "traceroute", "net-tools"};
}

std::vector<std::string> servicesImagePackages() {
  std::vector<std::string> p = defaultImagePackages();
  for (const char* extra : {"dnsmasq", "isc-dhcp-client", "dnsutils", "frr", "bridge-utils"})
    p.push_back(extra);
  return p;
}

ImageRecipe imageRecipeFor(std::string name, std::string kernelVersion) {
  if (findBuiltinImage(name)) {
    std::string error;
    if (auto r = flattenImage(name, {}, kernelVersion, &error))
      return *r;
  }
  return defaultImageRecipe(std::move(name), std::move(kernelVersion));
}

std::optional<ImageRecipe> flattenImage(std::string_view name, const std::vector<ImageLayer>& layers,
                                        const std::string& kernelVersion, std::string* error) {
  auto find = [&layers](std::string_view n) -> const ImageLayer* {
    for (const ImageLayer& l : layers)
      if (l.name == n)
        return &l;
    return findBuiltinImage(n);
  };
  std::vector<const ImageLayer*> chain; // leaf first
  std::string child;
  for (std::string next(name); !next.empty();) {
    const ImageLayer* layer = find(next);
    if (!layer) {
      if (error)
        *error = "image '" + next + "'" + (child.empty() ? "" : " (the parent of '" + child + "')") +
                 " is neither defined in the topology nor built in";
      return std::nullopt;
    }
    for (const ImageLayer* seen : chain)
      if (seen == layer) {
        if (error)
          *error = "the images derived from '" + next + "' form a cycle";
        return std::nullopt;
      }
    chain.push_back(layer);
    child = next;
    next = layer->from;
  }
  ImageRecipe r = defaultImageRecipe(std::string(name), kernelVersion);
  r.packages.clear();
  r.imageSize.clear();
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    for (const std::string& p : (*it)->packages)
      if (std::find(r.packages.begin(), r.packages.end(), p) == r.packages.end())
        r.packages.push_back(p);
    r.files.insert(r.files.end(), (*it)->files.begin(), (*it)->files.end());
    r.commands.insert(r.commands.end(), (*it)->commands.begin(), (*it)->commands.end());
    if (!(*it)->imageSize.empty())
      r.imageSize = (*it)->imageSize;
  }
  if (r.imageSize.empty())
    r.imageSize = "1G";
  for (size_t i = 1; i < chain.size(); ++i)
    r.from.push_back(chain[i]->name);
  return r;
}

ImageRecipe defaultImageRecipe(std::string name, std::string kernelVersion) {
  ImageRecipe r;
  r.name = std::move(name);
  r.suite = "bookworm";
  r.variant = "minbase";
  r.packages = defaultImagePackages();
  r.architecture = hostArchitecture();
  r.kernelVersion = std::move(kernelVersion);
  r.bootShim = std::string(kBootShim);
  r.imageSize = "1G";
  return r;
}

std::optional<std::string> findUmlKernelVersion(const std::string& modulesRoot, std::string* error) {
  std::vector<std::string> versions;
  std::error_code ec;
  for (fs::directory_iterator it(modulesRoot, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec))
      versions.push_back(it->path().filename().string());
  std::sort(versions.begin(), versions.end());
  if (versions.size() == 1)
    return versions[0];
  if (error) {
    if (versions.empty())
      *error = "user-mode-linux is not installed; apt-get install user-mode-linux";
    else
      *error = "several UML kernels have modules in '" + modulesRoot + "' (" + joined(versions, ' ') +
               "); remove the ones not in use";
  }
  return std::nullopt;
}

std::string recipeHash(const ImageRecipe& recipe) {
  FieldHash hash;
  auto field = [&hash](std::string_view key, std::string_view value) { hash.field(key, value); };
  field("format", std::to_string(recipe.formatVersion));
  field("name", recipe.name);
  field("suite", recipe.suite);
  field("variant", recipe.variant);
  field("packages", std::to_string(recipe.packages.size()));
  for (const std::string& p : recipe.packages)
    field("package", p);
  field("architecture", recipe.architecture);
  field("kernel", recipe.kernelVersion);
  field("boot-shim", recipe.bootShim);
  field("image-size", recipe.imageSize);
  // Derivations only: absent from the recipes that have none, whose hashes stay as they were.
  if (!recipe.from.empty()) {
    field("from", std::to_string(recipe.from.size()));
    for (const std::string& f : recipe.from)
      field("parent", f);
  }
  if (!recipe.files.empty()) {
    field("files", std::to_string(recipe.files.size()));
    for (const RecipeFile& f : recipe.files) {
      field("file", f.guestPath);
      field("file-mode", std::to_string(f.mode));
      field("file-content", f.content);
    }
  }
  if (!recipe.commands.empty()) {
    field("commands", std::to_string(recipe.commands.size()));
    for (const std::string& c : recipe.commands)
      field("command", c);
  }
  return hash.hex();
}

std::string imageDirName(const ImageRecipe& recipe) { return recipe.name + "-" + recipeHash(recipe); }

bool isValidImageName(std::string_view name) {
  if (name.empty() || name.size() > 64)
    return false;
  auto isLowerAlnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!isLowerAlnum(name[0]))
    return false;
  for (char c : name)
    if (!isLowerAlnum(c) && c != '.' && c != '_' && c != '-')
      return false;
  if (name.size() > 17 && name[name.size() - 17] == '-' &&
      std::all_of(name.end() - 16, name.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
    return false;
  return true;
}

std::string renderRecipe(const ImageRecipe& recipe) {
  std::string text;
  text += "name " + recipe.name + "\n";
  text += "suite " + recipe.suite + "\n";
  text += "variant " + recipe.variant + "\n";
  text += "packages " + joined(recipe.packages, ' ') + "\n";
  text += "architecture " + recipe.architecture + "\n";
  text += "kernel " + recipe.kernelVersion + "\n";
  text += "boot-shim-fnv1a64 " + hex64(fnv1a64(recipe.bootShim)) + "\n";
  text += "image-size " + recipe.imageSize + "\n";
  if (!recipe.from.empty())
    text += "from " + joined(recipe.from, ' ') + "\n";
  for (const RecipeFile& f : recipe.files) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", f.mode);
    text += "file " + f.guestPath + " " + mode + " fnv1a64:" + hex64(fnv1a64(f.content)) + " " + f.hostPath + "\n";
  }
  for (const std::string& c : recipe.commands) {
    std::string oneLine = c;
    std::replace(oneLine.begin(), oneLine.end(), '\n', ' ');
    text += "run " + oneLine + "\n";
  }
  text += "format " + std::to_string(recipe.formatVersion) + "\n";
  text += "hash " + recipeHash(recipe) + "\n";
  return text;
}

} // namespace umlab::kernel
