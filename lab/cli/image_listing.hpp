#pragma once
// What `umlab image ls` and `umlab kernel ls` print (image_command.cpp, kernel_command.cpp), as pure
// functions of the recipes they know and the builds in the cache, so that the tables are tested
// without a cache or a kernel.

#include "umlab/kernel/image_store.hpp"
#include "umlab/kernel/kernel_store.hpp"

#include <string>
#include <vector>

namespace umlab::cli {

struct ListedRecipe {
  std::string name;
  std::string from;   ///< the parent, "-" for a root
  std::string source; ///< "built in", or the topology file that defines it
  std::string hash;   ///< empty when unknown (no UML kernel installed)
};

/// One table of recipes (hash, whether `<name>-<hash>` is built, its sizes), then one of the
/// builds that no listed recipe names ("orphans", with the topologies recorded as their users),
/// then a summary line naming `imagesDir`. `systemBuilds`, those of the system's read-only
/// directory `systemDir` (kernel/system_images.hpp), count as built too: BUILT says "system" when
/// only it has a recipe's build ("yes" when the user's own cache has one, which labs boot first;
/// the sizes are of that build), its orphans are marked "(system)", and a second summary line
/// names `systemDir` when it has builds.
std::string renderImageListing(const std::vector<ListedRecipe>& recipes, const std::vector<kernel::BuiltImage>& builds,
                               const std::string& imagesDir, const std::vector<kernel::BuiltImage>& systemBuilds = {},
                               const std::string& systemDir = "");

/// Debian's packaged kernel as `umlab kernel ls` shows it beside the builds.
struct PackagedKernel {
  std::string path;    ///< /usr/bin/linux.uml (or $UMLAB_KERNEL)
  std::string release; ///< "6.1.176"; empty when it is not installed
  uint64_t size = 0;
};

/// The kernels a topology's `kernel:` can name: `debian` (the packaged one), then every build in
/// the cache (name, hash, release, size, build date in UTC, and whether it is the build of the
/// recipe this umlab carries, `currentHash`, and the one `kernel: <name>` boots), then a summary
/// naming `kernelsDir` and, when the current recipe is not built, the command that builds it.
std::string renderKernelListing(const PackagedKernel& debian, const std::vector<kernel::BuiltKernel>& builds,
                                const std::string& currentHash, const std::string& kernelsDir);

} // namespace umlab::cli
