#include "umlab/gui/inherited_settings.hpp"

#include "umlab/base/quantity.hpp"
#include "umlab/kernel/kernel_recipe.hpp"
#include "umlab/lab/compile/resolve.hpp"
#include "umlab/lab/model/kind_registry.hpp"

#include <algorithm>

namespace umlab::gui {

namespace {

struct Source {
  const SettingsData* settings = nullptr;
  std::string name;
};

/// The sources below `scope`, most specific first.
std::vector<Source> sourcesFor(const LabData& lab, SettingsScope scope, const std::string& kind) {
  std::vector<Source> out;
  if (scope == SettingsScope::Node)
    for (const KindData& k : lab.kinds)
      if (k.name == kind) {
        out.push_back(Source{&k.settings, "kind '" + kind + "'"});
        break;
      }
  if (scope != SettingsScope::Defaults && lab.defaults)
    out.push_back(Source{&*lab.defaults, "defaults"});
  return out;
}

InheritedValue pickScalar(const std::vector<Source>& sources, std::string SettingsData::*member, std::string builtin) {
  for (const Source& s : sources)
    if (!(s.settings->*member).empty())
      return InheritedValue{s.settings->*member, s.name};
  return InheritedValue{std::move(builtin), "built-in"};
}

InheritedList pickList(const std::vector<Source>& sources, std::optional<std::vector<std::string>> SettingsData::*member) {
  for (const Source& s : sources)
    if (s.settings->*member)
      return InheritedList{*(s.settings->*member), s.name};
  return {};
}

/// Merged by key: the least specific source first, a more specific one overriding its value.
InheritedPairs mergePairs(const std::vector<Source>& sources, std::optional<KeyValueList> SettingsData::*member) {
  InheritedPairs out;
  for (auto s = sources.rbegin(); s != sources.rend(); ++s) {
    if (!(s->settings->*member))
      continue;
    for (const auto& [key, value] : *(s->settings->*member)) {
      auto it = std::find_if(out.pairs.begin(), out.pairs.end(), [&](const auto& p) { return p.first == key; });
      if (it == out.pairs.end()) {
        out.pairs.emplace_back(key, value);
        out.sources.push_back(s->name);
      } else {
        it->second = value;
        out.sources[size_t(it - out.pairs.begin())] = s->name;
      }
    }
  }
  return out;
}

InheritedPairs pickPairs(const std::vector<Source>& sources, std::optional<KeyValueList> SettingsData::*member) {
  for (const Source& s : sources)
    if (s.settings->*member)
      return InheritedPairs{*(s.settings->*member), std::vector<std::string>((s.settings->*member)->size(), s.name)};
  return {};
}

} // namespace

std::vector<std::string> builtinKindNames() {
  lab::GuestKindRegistry registry;
  lab::registerBuiltinKinds(registry);
  std::vector<std::string> names{lab::kDefaultKind};
  for (std::string& n : registry.names())
    if (n != lab::kDefaultKind)
      names.push_back(std::move(n));
  return names;
}

std::string effectiveKindOf(const LabData& lab, const SettingsData& node) {
  if (!node.kind.empty())
    return node.kind;
  if (lab.defaults && !lab.defaults->kind.empty())
    return lab.defaults->kind;
  return lab::kDefaultKind;
}

InheritedSettings inheritedSettings(const LabData& lab, SettingsScope scope, const std::string& kind) {
  const std::vector<Source> sources = sourcesFor(lab, scope, kind);
  InheritedSettings in;
  if (scope == SettingsScope::Node)
    in.kind = pickScalar(sources, &SettingsData::kind, lab::kDefaultKind);
  in.memory = pickScalar(sources, &SettingsData::memory, formatByteSize(lab::kDefaultMemory));
  in.image = pickScalar(sources, &SettingsData::image, lab::kDefaultImage);
  in.kernel = pickScalar(sources, &SettingsData::kernel, kernel::kDebianKernelName);
  if (scope != SettingsScope::Defaults) {
    lab::GuestKindRegistry registry;
    lab::registerBuiltinKinds(registry);
    const lab::KindDefaults* builtin = registry.find(kind);
    const bool on = builtin && builtin->forwarding && *builtin->forwarding;
    in.forwarding = pickScalar(sources, &SettingsData::forwarding, on ? "true" : "false");
    if (in.forwarding.source == "built-in" && builtin)
      in.forwarding.source = "built-in kind '" + kind + "'";
  }
  in.startup = pickList(sources, &SettingsData::startup);
  in.shutdown = pickList(sources, &SettingsData::shutdown);
  in.files = mergePairs(sources, &SettingsData::files);
  in.sysctls = mergePairs(sources, &SettingsData::sysctls);
  in.mounts = pickPairs(sources, &SettingsData::mounts);
  return in;
}

} // namespace umlab::gui
