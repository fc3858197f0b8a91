#include "load_images.hpp"

#include "umlab/base/spelling.hpp"

namespace umlab::lab {

namespace {

using yaml::Node;
using yaml::NodeKind;

const std::vector<std::string> kImageKeys{"from", "packages", "files", "run", "size"};

class ImageReader {
public:
  ImageReader(const yaml::Document& doc, Diagnostics& diags) : doc_(doc), diags_(diags) {}

  RawImage read(const yaml::Key& key, const Node& n) {
    RawImage image;
    image.name = RawScalar{key.text, key.loc, true, false};
    image.loc = key.loc;
    const std::string what = "image '" + key.text + "'";
    if (n.kind == NodeKind::Null)
      return image;
    if (n.kind != NodeKind::Mapping) {
      expected(n, what, "a mapping such as '{from: debian, packages: [curl]}' (use '{}' for none)");
      return image;
    }
    for (const auto& [k, id] : n.entries) {
      const Node& v = doc_.node(id);
      if (k.text == "from")
        image.from = scalar(v, "'from' of " + what, "an image name such as 'kathara-base'");
      else if (k.text == "size")
        image.size = scalar(v, "'size' of " + what, "a size such as '2G'");
      else if (k.text == "packages")
        image.packages = scalars(v, "'packages' of " + what, "a list of Debian packages such as '[curl, apache2]'",
                                 "a package of " + what, "a package name");
      else if (k.text == "run")
        image.run = scalars(v, "'run' of " + what, "a list of shell commands", "a command of " + what, "a string");
      else if (k.text == "files")
        image.files = files(v, what);
      else
        diags_.error(k.loc, "unknown key '" + k.text + "' in " + what + didYouMean(k.text, kImageKeys));
    }
    return image;
  }

private:
  void expected(const Node& n, const std::string& what, std::string_view expect) {
    diags_.error(n.loc, what + " must be " + std::string(expect) + ", not " + describe(n));
  }

  RawScalar scalar(const Node& n, const std::string& what, std::string_view expect) {
    if (n.kind == NodeKind::Null)
      return {};
    if (n.kind != NodeKind::Scalar) {
      expected(n, what, expect);
      return {};
    }
    return RawScalar{n.scalar, n.loc, true, n.quoted};
  }

  /// A list of strings; a single string counts as a list of one.
  std::vector<RawScalar> scalars(const Node& n, const std::string& what, std::string_view expect,
                                 const std::string& itemWhat, std::string_view itemExpect) {
    std::vector<RawScalar> list;
    if (n.kind == NodeKind::Scalar) {
      list.push_back(RawScalar{n.scalar, n.loc, true, n.quoted});
    } else if (n.kind == NodeKind::Sequence) {
      for (yaml::NodeId id : n.items) {
        const Node& item = doc_.node(id);
        if (item.kind == NodeKind::Scalar)
          list.push_back(RawScalar{item.scalar, item.loc, true, item.quoted});
        else
          expected(item, itemWhat, itemExpect);
      }
    } else if (n.kind != NodeKind::Null) {
      expected(n, what, expect);
    }
    return list;
  }

  std::vector<RawFile> files(const Node& n, const std::string& what) {
    std::vector<RawFile> list;
    if (n.kind == NodeKind::Null)
      return list;
    if (n.kind != NodeKind::Mapping) {
      expected(n, "'files' of " + what, "a mapping of guest paths to host paths");
      return list;
    }
    for (const auto& [key, id] : n.entries) {
      const Node& v = doc_.node(id);
      if (v.kind != NodeKind::Scalar) {
        expected(v, "file '" + key.text + "' of " + what, "a path on the host");
        continue;
      }
      list.push_back(RawFile{RawScalar{key.text, key.loc, true, false}, RawScalar{v.scalar, v.loc, true, v.quoted}});
    }
    return list;
  }

  const yaml::Document& doc_;
  Diagnostics& diags_;
};

} // namespace

void readRawImages(const yaml::Document& doc, const yaml::Node& section, Diagnostics& diags,
                   std::vector<RawImage>& images) {
  if (section.kind == NodeKind::Null)
    return;
  if (section.kind != NodeKind::Mapping) {
    diags.error(section.loc, std::string("'images' must be a mapping of image names to recipes, as in "
                                         "'images: {web: {packages: [apache2]}}', not ") +
                                 describe(section));
    return;
  }
  ImageReader reader(doc, diags);
  for (const auto& [key, id] : section.entries)
    images.push_back(reader.read(key, doc.node(id)));
}

} // namespace umlab::lab
