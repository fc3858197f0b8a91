#pragma once
/// Stage 2, resolve: `RawTopology` -> `Topology`. Parses every value into its type, applies the
/// precedence node > kinds.<kind> > defaults > built-in kind > built-in default once, derives
/// MAC addresses that were not given, and checks everything that can be checked without
/// starting a process. Every error in the file is reported in one pass.
///
/// Derived MACs: `MacAddress::derive("<lab>/<node>/<iface>")`, locally administered unicast,
/// re-derived with a salt in the rare case it collides with another interface's MAC. The same
/// topology always gets the same MACs.

#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/model/kind_registry.hpp"
#include "umlab/lab/model/raw_topology.hpp"
#include "umlab/lab/model/topology.hpp"

#include <functional>
#include <optional>

namespace umlab::lab {

constexpr uint64_t kMinMemory = 64ULL << 20;     // mem=32M panics (DESIGN.md §1)
constexpr uint64_t kDefaultMemory = 96ULL << 20;
constexpr uint64_t kMaxMemory = 64ULL << 30;
constexpr unsigned kMaxInterfaces = 32;          // eth0 .. eth31
constexpr size_t kMaxLabNameLength = 24;         // umid "<lab>.<node>" must fit UML's 64 bytes
constexpr size_t kMaxNameLength = 31;
inline constexpr const char* kDefaultImage = "debian";
inline constexpr const char* kDefaultKind = "host";

/// The rule for lab, node, segment and kind names: letters, digits, '-' and '_', starting with
/// a letter or digit (no '/', '.', ':' or white space, so names are safe in paths, umids and
/// link ends). Length is checked separately.
bool hasValidNameCharacters(std::string_view name);

struct ResolveOptions {
  /// Whether a host path named by `files` or `replays` exists; the default asks the file
  /// system. Tests and the GUI may substitute their own.
  std::function<bool(const std::string& path)> pathExists;
};

std::optional<Topology> resolve(const RawTopology& raw, const GuestKindRegistry& kinds, Diagnostics& diags,
                                const ResolveOptions& options = {});

} // namespace umlab::lab
