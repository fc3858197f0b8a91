#include "umlab/kernel/service_unit.hpp"

#include <algorithm>
#include <utility>

namespace umlab::kernel {

namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

/// Splits on blanks, keeping "double" or 'single' quoted words whole (without the quotes).
std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < s.size()) {
    while (at < s.size() && (s[at] == ' ' || s[at] == '\t'))
      ++at;
    if (at >= s.size())
      break;
    std::string word;
    bool inWord = true;
    while (at < s.size() && inWord) {
      const char c = s[at];
      if (c == '"' || c == '\'') {
        const size_t close = s.find(c, at + 1);
        word += s.substr(at + 1, close == std::string_view::npos ? std::string_view::npos : close - at - 1);
        at = close == std::string_view::npos ? s.size() : close + 1;
      } else if (c == ' ' || c == '\t') {
        inWord = false;
      } else {
        word += c;
        ++at;
      }
    }
    out.push_back(std::move(word));
  }
  return out;
}

void assign(std::vector<std::string>& list, std::string_view value) {
  if (value.empty())
    list.clear();
  else
    list.emplace_back(value);
}

} // namespace

std::optional<UnitVerb> parseUnitVerb(std::string_view word) {
  static const std::pair<std::string_view, UnitVerb> verbs[] = {
      {"start", UnitVerb::Start},
      {"stop", UnitVerb::Stop},
      {"restart", UnitVerb::Restart},
      {"reload", UnitVerb::Reload},
      {"try-restart", UnitVerb::TryRestart},
      {"condrestart", UnitVerb::TryRestart},
      {"reload-or-restart", UnitVerb::ReloadOrRestart},
      {"force-reload", UnitVerb::ReloadOrRestart},
      {"status", UnitVerb::Status},
      {"is-active", UnitVerb::IsActive},
      {"enable", UnitVerb::Enable},
      {"disable", UnitVerb::Disable},
      {"is-enabled", UnitVerb::IsEnabled},
      {"daemon-reload", UnitVerb::DaemonReload},
  };
  for (const auto& [name, verb] : verbs)
    if (word == name)
      return verb;
  return std::nullopt;
}

std::string initScriptAction(UnitVerb verb) {
  switch (verb) {
  case UnitVerb::Start: return "start";
  case UnitVerb::Stop: return "stop";
  case UnitVerb::Restart: return "restart";
  case UnitVerb::Reload: return "reload";
  case UnitVerb::Status:
  case UnitVerb::IsActive: return "status";
  default: return "";
  }
}

std::optional<std::string> serviceName(std::string_view arg) {
  std::string_view name = arg;
  if (name.ends_with(".service"))
    name.remove_suffix(8);
  if (name.empty() || name == "." || name == ".." || name.find_first_of("/@ \t") != std::string_view::npos)
    return std::nullopt;
  for (std::string_view other : {".socket", ".target", ".timer", ".mount", ".path", ".slice", ".scope", ".device", ".swap"})
    if (name.ends_with(other))
      return std::nullopt;
  return std::string(name);
}

UnitFile parseUnitFile(std::string_view text) {
  UnitFile unit;
  std::string section;
  std::string pending; // a line continued with '\'
  size_t at = 0;
  while (at <= text.size()) {
    const size_t newline = text.find('\n', at);
    std::string_view raw = text.substr(at, newline == std::string_view::npos ? std::string_view::npos : newline - at);
    at = newline == std::string_view::npos ? text.size() + 1 : newline + 1;
    std::string_view line = trimmed(raw);
    if (pending.empty() && (line.empty() || line.front() == '#' || line.front() == ';'))
      continue;
    if (!line.empty() && line.back() == '\\') {
      line.remove_suffix(1);
      pending += std::string(line) + " ";
      continue;
    }
    std::string full = pending + std::string(line);
    pending.clear();
    if (full.empty())
      continue;
    if (full.front() == '[') {
      section = full.substr(1, full.find(']') == std::string::npos ? std::string::npos : full.find(']') - 1);
      continue;
    }
    const size_t equals = full.find('=');
    if (equals == std::string::npos)
      continue;
    const std::string key(trimmed(std::string_view(full).substr(0, equals)));
    const std::string_view value = trimmed(std::string_view(full).substr(equals + 1));
    if (section == "Unit" && key == "Description") {
      unit.description = value;
    } else if (section == "Install" && key == "Alias") {
      if (value.empty())
        unit.aliases.clear();
      for (const std::string& alias : words(value))
        if (auto name = serviceName(alias); name && alias.ends_with(".service"))
          unit.aliases.push_back(*name);
    } else if (section == "Service") {
      if (key == "Type")
        unit.type = value;
      else if (key == "RemainAfterExit")
        unit.remainAfterExit = value == "yes" || value == "true" || value == "1" || value == "on";
      else if (key == "ExecStartPre")
        assign(unit.execStartPre, value);
      else if (key == "ExecStart")
        assign(unit.execStart, value);
      else if (key == "ExecStartPost")
        assign(unit.execStartPost, value);
      else if (key == "ExecStop")
        assign(unit.execStop, value);
      else if (key == "ExecReload")
        assign(unit.execReload, value);
      else if (key == "Environment")
        for (std::string& word : words(value))
          unit.environment.push_back(std::move(word));
      else if (key == "EnvironmentFile")
        assign(unit.environmentFiles, value);
      else if (key == "RuntimeDirectory")
        for (std::string& word : words(value))
          unit.runtimeDirectories.push_back(std::move(word));
      else if (key == "PIDFile")
        unit.pidFile = value;
      else if (key == "WorkingDirectory")
        unit.workingDirectory = value;
    }
  }
  return unit;
}

ResolvedUnit resolveUnit(const std::string& name, const UnitFileSystem& files) {
  ResolvedUnit resolved;
  auto tryInitScript = [&](const std::string& script) {
    const std::string path = "/etc/init.d/" + script;
    if (!files.isExecutable(path))
      return false;
    resolved.kind = ResolvedUnit::Kind::InitScript;
    resolved.name = script;
    resolved.initScript = path;
    return true;
  };
  if (tryInitScript(name))
    return resolved;

  // The unit file: by its file name (an alias symlink names its target), else by an Alias=.
  std::string unitName;
  for (const char* dir : kUnitDirs) {
    const std::string path = std::string(dir) + "/" + name + ".service";
    if (auto text = files.read(path)) {
      std::string target = files.targetName(path);
      unitName = target.ends_with(".service") ? target.substr(0, target.size() - 8) : name;
      resolved.unitPath = path;
      resolved.unit = parseUnitFile(*text);
      break;
    }
  }
  if (unitName.empty()) {
    for (const char* dir : kUnitDirs) {
      std::vector<std::string> entries = files.list(dir);
      std::sort(entries.begin(), entries.end());
      for (const std::string& entry : entries) {
        if (!entry.ends_with(".service"))
          continue;
        const std::string path = std::string(dir) + "/" + entry;
        auto text = files.read(path);
        if (!text)
          continue;
        UnitFile unit = parseUnitFile(*text);
        if (std::find(unit.aliases.begin(), unit.aliases.end(), name) != unit.aliases.end()) {
          const std::string target = files.targetName(path);
          unitName = target.ends_with(".service") ? target.substr(0, target.size() - 8) : entry.substr(0, entry.size() - 8);
          resolved.unitPath = path;
          resolved.unit = std::move(unit);
          break;
        }
      }
      if (!unitName.empty())
        break;
    }
  }
  if (unitName.empty())
    return resolved; // NotFound
  if (tryInitScript(unitName))
    return resolved;
  for (const std::string& alias : resolved.unit.aliases)
    if (tryInitScript(alias))
      return resolved;
  resolved.kind = ResolvedUnit::Kind::UnitFile;
  resolved.name = unitName;
  return resolved;
}

} // namespace umlab::kernel
