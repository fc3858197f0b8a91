#include "resolve_images.hpp"

#include "guest_file.hpp"

#include "umlab/base/quantity.hpp"
#include "umlab/base/spelling.hpp"
#include "umlab/kernel/builtin_images.hpp"
#include "umlab/kernel/image_recipe.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

namespace umlab::lab {

namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMinImageSize = 256ULL << 20;
constexpr uint64_t kMaxImageSize = 64ULL << 30;

std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

class ImageResolver {
public:
  ImageResolver(const RawTopology& raw, Diagnostics& diags, const ResolveOptions& options)
      : raw_(raw), diags_(diags), options_(options) {}

  std::vector<TopologyImage> run() {
    for (const RawImage& r : raw_.images)
      names_.push_back(r.name.text);
    for (const kernel::BuiltinImageInfo& b : kernel::builtinImages())
      builtinNames_.push_back(b.name);
    std::vector<TopologyImage> images;
    for (const RawImage& r : raw_.images)
      if (auto image = resolveImage(r))
        images.push_back(std::move(*image));
    checkCycles(images);
    return images;
  }

private:
  std::optional<TopologyImage> resolveImage(const RawImage& r) {
    const std::string owner = "image " + quote(r.name.text);
    bool ok = true;
    if (!kernel::isValidImageName(r.name.text)) {
      diags_.error(r.name.loc, "image name " + quote(r.name.text) +
                                   " may use only lowercase letters, digits, '.', '_' and '-', must start with a letter "
                                   "or digit, have at most 64 characters and not end in '-' and 16 hex digits");
      ok = false;
    } else if (kernel::findBuiltinImage(r.name.text)) {
      diags_.error(r.name.loc, "image " + quote(r.name.text) +
                                   " is built in and cannot be redefined; give yours another name and derive it with "
                                   "'from: " + r.name.text + "'");
      ok = false;
    }
    TopologyImage image;
    image.name = r.name.text;
    image.loc = r.name.loc;
    image.from = LocatedText{kernel::kDefaultImageName, r.loc};
    if (r.from) {
      image.from = LocatedText{r.from.text, r.from.loc};
      const bool known = kernel::findBuiltinImage(r.from.text) ||
                         std::find(names_.begin(), names_.end(), r.from.text) != names_.end();
      if (!known) {
        std::vector<std::string> candidates = builtinNames_;
        candidates.insert(candidates.end(), names_.begin(), names_.end());
        std::string hint = didYouMean(r.from.text, candidates);
        diags_.error(r.from.loc, owner + " derives from " + quote(r.from.text) +
                                     ", which is neither a built-in image nor defined under 'images'" +
                                     (hint.empty() ? " (built in: " + joined(builtinNames_) + ")" : hint));
        ok = false;
      }
    }
    for (const RawScalar& p : r.packages) {
      if (!isDebianPackageName(p.text)) {
        diags_.error(p.loc, "package " + quote(p.text) + " of " + owner +
                                " is not a Debian package name; those use lowercase letters, digits, '+', '-' and '.', "
                                "have two characters at least and start with a letter or digit");
        ok = false;
        continue;
      }
      image.packages.push_back(LocatedText{p.text, p.loc});
    }
    for (const RawFile& f : r.files) {
      if (auto g = guestFile(f, owner))
        image.files.push_back(std::move(*g));
      else
        ok = false;
    }
    for (const RawScalar& c : r.run) {
      if (c.text.find_first_not_of(" \t\n") == std::string::npos) {
        diags_.error(c.loc, "a command of " + owner + " is empty");
        ok = false;
        continue;
      }
      image.commands.push_back(LocatedText{c.text, c.loc});
    }
    if (r.size) {
      if (auto s = size(r.size, owner))
        image.size = LocatedText{*s, r.size.loc};
      else
        ok = false;
    }
    if (!ok)
      return std::nullopt;
    return image;
  }

  static std::string joined(const std::vector<std::string>& words) {
    std::string text;
    for (const std::string& w : words)
      text += (text.empty() ? "" : ", ") + w;
    return text;
  }

  /// mkfs.ext4's form of the size: "2G" or "1536M".
  std::optional<std::string> size(const RawScalar& s, const std::string& owner) {
    auto bytes = parseByteSize(s.text);
    if (!bytes || *bytes % (1ULL << 20) != 0) {
      diags_.error(s.loc, "size " + quote(s.text) + " of " + owner +
                              " is not a size in whole megabytes; write a number with M or G, as in '2G'");
      return std::nullopt;
    }
    if (*bytes < kMinImageSize || *bytes > kMaxImageSize) {
      diags_.error(s.loc, "size " + quote(s.text) + " of " + owner + " must be between 256M and 64G");
      return std::nullopt;
    }
    if (*bytes % (1ULL << 30) == 0)
      return std::to_string(*bytes >> 30) + "G";
    return std::to_string(*bytes >> 20) + "M";
  }

  std::optional<GuestFile> guestFile(const RawFile& f, const std::string& owner) {
    return resolveGuestFile(f, owner, raw_.baseDir, options_.pathExists, diags_);
  }

  /// A `from` chain inside the file that comes back to where it started, reported once per image
  /// on it, at its `from`.
  void checkCycles(std::vector<TopologyImage>& images) {
    std::map<std::string, const TopologyImage*> byName;
    for (const TopologyImage& i : images)
      byName[i.name] = &i;
    for (const TopologyImage& start : images) {
      std::vector<std::string> path{start.name};
      for (auto it = byName.find(start.from.text); it != byName.end(); it = byName.find(it->second->from.text)) {
        path.push_back(it->first);
        if (it->first == start.name) {
          std::string chain;
          for (const std::string& p : path)
            chain += (chain.empty() ? "" : " -> ") + p;
          diags_.error(start.from.loc, "image " + quote(start.name) + " derives from itself: " + chain);
          break;
        }
        if (path.size() > images.size() + 1)
          break; // a cycle that does not pass through `start`: reported at its own members
      }
    }
  }

  const RawTopology& raw_;
  Diagnostics& diags_;
  const ResolveOptions& options_;
  std::vector<std::string> names_;
  std::vector<std::string> builtinNames_;
};

} // namespace

bool isDebianPackageName(std::string_view name) {
  auto isLowerAlnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (name.size() < 2 || !isLowerAlnum(name[0]))
    return false;
  for (char c : name)
    if (!isLowerAlnum(c) && c != '+' && c != '-' && c != '.')
      return false;
  return true;
}

std::vector<TopologyImage> resolveImages(const RawTopology& raw, Diagnostics& diags, const ResolveOptions& options) {
  return ImageResolver(raw, diags, options).run();
}

} // namespace umlab::lab
