#pragma once
/// From a topology's `images:` to the image cache: each `TopologyImage` becomes a
/// `kernel::ImageLayer` (its files' contents read now, so that the recipe hash covers them),
/// and its chain is flattened over the built-in images into the `kernel::ImageRecipe` that
/// `umlab image build FILE` builds.
///
/// Where a lab finds a topology's image: `<images>/<name>-<hash>/rootfs.img`, the build of the
/// recipe as the file says it *now*, not the `<images>/<name>` link. The link names the newest
/// build of any recipe of that name — another topology's `web`, or this one's before an edit — so
/// booting through it would silently run an image the file no longer describes. With the hash
/// in the path, an edited recipe has no build until `umlab image build FILE` makes one, and
/// `umlab up` says so (launcher.hpp `checkHost`). Built-in images keep the link, as before.
///
/// Either kind is looked up in the user's own cache, then in the system's shared directory
/// (`umlab image build --system`); the plan names the build found.

#include "umlab/kernel/image_recipe.hpp"
#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/model/topology.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace umlab::lab {

/// The topology's images as kernel layers, host files read (mode 0755 when executable by their
/// owner, else 0644). nullopt with `error` set when a file cannot be read.
std::optional<std::vector<kernel::ImageLayer>> topologyImageLayers(const Topology& topology, std::string* error);

/// The flattened recipe of `name` (one of the topology's images, or a built-in one).
std::optional<kernel::ImageRecipe> topologyImageRecipe(const Topology& topology, std::string_view name,
                                                       const std::string& kernelVersion, std::string* error);

/// Fills `host.imageDirs` with "<name>-<hash>" for every image the topology defines, for the UML
/// kernel whose modules are in `modulesRoot`, and `host.imageRoots` with the directory holding
/// each build its nodes boot: `host.imageDir` first, then `host.systemImageDir`
/// (kernel/system_images.hpp). Returns an empty string, or why the topology's own images could
/// not be located (no UML kernel, an unreadable file); then `plan` uses the `<name>` link for
/// those images, still looked up in both directories.
std::string locateTopologyImages(const Topology& topology, HostLayout& host,
                                 const std::string& modulesRoot = kernel::kUmlModulesRoot);

} // namespace umlab::lab
