#include "umlab/lab/compile/topology_images.hpp"

#include "umlab/kernel/system_images.hpp"

#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace umlab::lab {

std::optional<std::vector<kernel::ImageLayer>> topologyImageLayers(const Topology& topology, std::string* error) {
  std::vector<kernel::ImageLayer> layers;
  for (const TopologyImage& image : topology.images) {
    kernel::ImageLayer l;
    l.name = image.name;
    l.from = image.from.text;
    for (const LocatedText& p : image.packages)
      l.packages.push_back(p.text);
    for (const GuestFile& f : image.files) {
      std::ifstream in(f.hostPath, std::ios::binary);
      std::ostringstream content;
      content << in.rdbuf();
      struct stat st {};
      if (!in || ::stat(f.hostPath.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        if (error)
          *error = "cannot read '" + f.hostPath + "' (file '" + f.guestPath + "' of image '" + image.name + "')";
        return std::nullopt;
      }
      l.files.push_back(kernel::RecipeFile{f.guestPath, f.hostPath, content.str(),
                                           (st.st_mode & S_IXUSR) ? 0755u : 0644u});
    }
    for (const LocatedText& c : image.commands)
      l.commands.push_back(c.text);
    l.imageSize = image.size.text;
    layers.push_back(std::move(l));
  }
  return layers;
}

std::optional<kernel::ImageRecipe> topologyImageRecipe(const Topology& topology, std::string_view name,
                                                       const std::string& kernelVersion, std::string* error) {
  auto layers = topologyImageLayers(topology, error);
  if (!layers)
    return std::nullopt;
  return kernel::flattenImage(name, *layers, kernelVersion, error);
}

namespace {

/// Fills `host.imageRoots` for every image a node boots: the user's own cache when it holds the
/// build, else the system's directory when that does; neither leaves the image in `imageDir`.
void locateBuilds(const Topology& topology, HostLayout& host) {
  for (const Node& n : topology.nodes) {
    const auto built = host.imageDirs.find(n.image);
    const std::string build = built == host.imageDirs.end() ? n.image : built->second;
    const std::string root = kernel::findImageBuild({host.imageDir, host.systemImageDir}, build);
    if (!root.empty() && root != host.imageDir)
      host.imageRoots[n.image] = root;
    else
      host.imageRoots.erase(n.image);
  }
}

std::string locateOwnImages(const Topology& topology, HostLayout& host, const std::string& modulesRoot) {
  if (topology.images.empty())
    return "";
  std::string error;
  auto version = kernel::findUmlKernelVersion(modulesRoot, &error);
  if (!version)
    return error;
  auto layers = topologyImageLayers(topology, &error);
  if (!layers)
    return error;
  for (const TopologyImage& image : topology.images) {
    auto recipe = kernel::flattenImage(image.name, *layers, *version, &error);
    if (!recipe)
      return error;
    host.imageDirs[image.name] = kernel::imageDirName(*recipe);
  }
  return "";
}

} // namespace

std::string locateTopologyImages(const Topology& topology, HostLayout& host, const std::string& modulesRoot) {
  const std::string problem = locateOwnImages(topology, host, modulesRoot);
  locateBuilds(topology, host);
  return problem;
}

} // namespace umlab::lab
