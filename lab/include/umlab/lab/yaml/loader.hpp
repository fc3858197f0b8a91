#pragma once
/// Reading a topology file into a `yaml::Document`, with every failure a diagnostic:
///
/// - the file is missing, a directory, empty, larger than `kMaxFileSize`, not UTF-8 text;
/// - YAML syntax errors (yaml-cpp's 0-based marks re-emitted 1-based, with a hint for the
///   common ones);
/// - duplicate keys (YAML forbids them; yaml-cpp keeps them silently), non-text keys;
/// - nesting deeper than `kMaxDepth`, and aliases that expand past `kMaxExpandedNodes`
///   ("billion laughs"): the tree is never expanded, but its expanded size is counted.
///
/// Only the first document of a stream is read; a second one is an error.

#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/yaml/document.hpp"

#include <optional>
#include <string>

namespace umlab::lab::yaml {

constexpr size_t kMaxFileSize = 4u << 20;        // 4 MiB: a 10 000-node lab is about 1 MiB
constexpr size_t kMaxDepth = 64;
constexpr uint64_t kMaxExpandedNodes = 1000000;

/// Reads and parses `path`. The file's text is kept in `sources` for diagnostics.
std::optional<Document> loadFile(const std::string& path, SourceManager& sources, Diagnostics& diags);

/// Parses `text` as if read from a file named `name` (tests, the fuzzer, the GUI's editor).
std::optional<Document> loadText(const std::string& name, std::string text, SourceManager& sources,
                                 Diagnostics& diags);

} // namespace umlab::lab::yaml
