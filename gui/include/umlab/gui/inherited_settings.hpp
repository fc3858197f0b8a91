#pragma once
/// What a node, a kind or the defaults inherit when they leave a setting out, and from where:
/// the panel's hints ("128M (kind 'firewall')") instead of a hard-coded default.
///
/// The precedence is the one `lab::resolve` applies (docs/topology.md, Precedence): the node's
/// own key, then `kinds.<kind>` of the node's kind (its own `kind`, else `defaults.kind`, else
/// `host`), then `defaults`, then, for `forwarding` only, the built-in kind (router and firewall
/// on), then the built-in default (memory 96M, image `debian`, kernel `debian`). Lists are taken
/// whole from the first source that has them (`startup`, `shutdown`, `mounts`), except `files`
/// and `sysctls`, which merge by key. Values are text as written; nothing here judges them.

#include "umlab/gui/lab_data.hpp"

#include <optional>
#include <string>
#include <vector>

namespace umlab::gui {

/// Which settings a `SettingsData` holds.
enum class SettingsScope : uint8_t { Defaults, Kind, Node };

/// One inherited value and where it comes from: "kind 'router'", "defaults" or "built-in".
struct InheritedValue {
  std::string value;
  std::string source;
  friend bool operator==(const InheritedValue&, const InheritedValue&) = default;
};

/// An inherited list: its entries and where it comes from. For a merged list (`files`,
/// `sysctls`) each entry has its own source, in `sources`.
struct InheritedList {
  std::vector<std::string> items;
  std::string source; ///< empty when nothing is inherited
};

struct InheritedPairs {
  KeyValueList pairs;
  std::vector<std::string> sources; ///< one per pair
};

struct InheritedSettings {
  InheritedValue kind; ///< Node: `defaults.kind` or the built-in `host`
  InheritedValue memory;
  InheritedValue image;
  InheritedValue kernel;
  InheritedValue forwarding; ///< "true" or "false"; Defaults: empty (it depends on each node's kind)
  InheritedList startup;
  InheritedList shutdown;
  InheritedPairs files;
  InheritedPairs sysctls;
  InheritedPairs mounts; ///< taken whole from one source
};

/// What settings at `scope` inherit. `kind` is the kind they belong to: the kind's own name
/// (Kind), or the node's effective kind (Node; see `effectiveKind`); unused for Defaults.
InheritedSettings inheritedSettings(const LabData& lab, SettingsScope scope, const std::string& kind);

/// The effective kind of settings at node scope: their own `kind`, else `defaults.kind`, else
/// "host" (the same as `effectiveKind` for a node).
std::string effectiveKindOf(const LabData& lab, const SettingsData& node);

/// The built-in kinds, as `lab::registerBuiltinKinds` registers them: the default kind (host)
/// first, then the others by name (firewall, router).
std::vector<std::string> builtinKindNames();

} // namespace umlab::gui
