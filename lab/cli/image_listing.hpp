#pragma once
// What `umlab image ls` prints (image_command.cpp), as a pure function of the recipes it knows
// and the builds in the cache, so that the table is tested without a cache or a kernel.

#include "umlab/kernel/image_store.hpp"

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
/// then a summary line naming `imagesDir`.
std::string renderImageListing(const std::vector<ListedRecipe>& recipes, const std::vector<kernel::BuiltImage>& builds,
                               const std::string& imagesDir);

} // namespace umlab::cli
