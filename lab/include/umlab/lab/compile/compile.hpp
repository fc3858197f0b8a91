#pragma once
/// The compiler front end in one call: load -> resolve -> analyze. What `umlab validate`, `plan`
/// and `graph` run, and what the GUI runs on open and on every edit.

#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/compile/analyze.hpp"
#include "umlab/lab/compile/resolve.hpp"
#include "umlab/lab/model/topology.hpp"

#include <optional>
#include <string>

namespace umlab::lab {

struct Compiled {
  Topology topology;
  Analysis analysis;
};

/// nullopt when any error was reported; warnings alone do not fail.
std::optional<Compiled> compileFile(const std::string& path, SourceManager& sources, Diagnostics& diags,
                                    const ResolveOptions& options = {});
std::optional<Compiled> compileText(const std::string& name, std::string text, SourceManager& sources,
                                    Diagnostics& diags, const ResolveOptions& options = {});

} // namespace umlab::lab
