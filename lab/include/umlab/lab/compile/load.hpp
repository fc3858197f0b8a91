#pragma once
/// Stage 1, load: a YAML file -> `RawTopology`. Checks the shape only (known keys with "did you
/// mean" suggestions, mappings and lists where they belong) and reports every shape error.

#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/model/raw_topology.hpp"
#include "umlab/lab/yaml/document.hpp"

#include <optional>
#include <string>

namespace umlab::lab {

/// Reads the shape of a parsed document. `path` is recorded, and its directory becomes the base
/// of relative paths in the topology. Returns nullopt only when the document is not a mapping;
/// otherwise parts with shape errors are left out (and reported) and the rest is returned, so
/// that resolve can report its own errors in the same run.
std::optional<RawTopology> readRawTopology(const yaml::Document& doc, const std::string& path, Diagnostics& diags);

/// loadFile + readRawTopology.
std::optional<RawTopology> loadTopology(const std::string& path, SourceManager& sources, Diagnostics& diags);
/// loadText + readRawTopology, for text that is not (or not yet) a file.
std::optional<RawTopology> loadTopologyText(const std::string& name, std::string text, SourceManager& sources,
                                            Diagnostics& diags);

} // namespace umlab::lab
