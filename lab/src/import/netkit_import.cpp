#include "umlab/lab/import/netkit_import.hpp"

#include "umlab/base/mac_address.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/lab/compile/resolve.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace umlab::lab {
namespace {

namespace fs = std::filesystem;

struct NodeSpec {
  std::map<unsigned, std::pair<std::string, std::string>> interfaces; ///< N -> (domain, MAC)
  std::string memory;
  bool forwarding = false;
  std::vector<std::string> sysctls;
  SourceLoc loc;
};

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string unquote(std::string v) {
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r'))
    v.pop_back();
  if (v.size() >= 2 && ((v.front() == '"' && v.back() == '"') || (v.front() == '\'' && v.back() == '\'')))
    return v.substr(1, v.size() - 2);
  return v;
}

/// A name under umlab's rules, from a Netkit name ("lan.A" -> "lan-A").
std::string sanitize(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      c = '-';
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s.front())))
    s = "n" + s;
  return s.substr(0, 31);
}

/// A YAML scalar that reads back as exactly `s`: plain when safe, else double-quoted.
std::string scalar(const std::string& s) {
  bool plain = !s.empty() && s.find_first_of(":#{}[],&*!|>'\"%@`\n\t\\") == std::string::npos &&
               s.front() != ' ' && s.back() != ' ' && s.front() != '-' && s.front() != '?';
  static const std::set<std::string> kReserved{"true", "false", "yes", "no", "on", "off", "null", "~"};
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (kReserved.count(lower))
    plain = false;
  if (plain)
    return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      q += '\\';
    if (c == '\n') {
      q += "\\n";
      continue;
    }
    if (c == '\t') {
      q += "\\t";
      continue;
    }
    q += c;
  }
  return q + "\"";
}

/// A block literal (`|`) for a script, indented by `indent` spaces.
std::string block(const std::string& text, size_t indent) {
  std::string out = "|\n";
  std::istringstream in(text);
  const std::string pad(indent, ' ');
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && line.back() == '\r')
      line.pop_back();
    out += line.empty() ? "\n" : pad + line + "\n";
  }
  return out;
}

/// Every regular file below `root`, as (guest path, host path), sorted.
std::vector<std::pair<std::string, fs::path>> treeFiles(const fs::path& root) {
  std::vector<std::pair<std::string, fs::path>> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    return out;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file())
      out.emplace_back("/" + fs::relative(it->path(), root).generic_string(), it->path());
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

std::optional<std::string> importNetkitLab(const std::string& dir, const ImportOptions& options, SourceManager& sources,
                                           Diagnostics& diags) {
  const fs::path root = fs::absolute(dir).lexically_normal();
  const fs::path confPath = root / "lab.conf";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    diags.error(SourceLoc{}, dir + ": not a directory; umlab import reads a Netkit or Kathara lab directory");
    return std::nullopt;
  }
  if (!fs::exists(confPath, ec)) {
    diags.error(SourceLoc{}, dir + ": no lab.conf here; a Netkit or Kathara lab directory has one");
    return std::nullopt;
  }
  const SourceFile& conf = sources.add(confPath.string(), readFile(confPath));
  std::map<std::string, std::string> meta;
  std::map<std::string, NodeSpec> nodes;
  std::vector<std::string> notCarried;
  std::istringstream lines(std::string(conf.text()));
  uint32_t lineNo = 0;
  for (std::string line; std::getline(lines, line);) {
    ++lineNo;
    const SourceLoc loc{&conf, lineNo, 1};
    if (size_t hash = line.find('#'); hash != std::string::npos && line.find('"') > hash)
      line.resize(hash);
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos)
      continue;
    line = line.substr(first);
    const size_t eq = line.find('=');
    if (eq == std::string::npos) {
      diags.error(loc, "expected 'node[option]=value' or 'LAB_...=value', got '" + line + "'");
      continue;
    }
    const std::string key = line.substr(0, eq);
    const std::string value = unquote(line.substr(eq + 1));
    const size_t open = key.find('[');
    if (open == std::string::npos) {
      if (key.rfind("LAB_", 0) == 0)
        meta[key] = value;
      else
        diags.warning(loc, "'" + key + "' is not a lab.conf setting umlab knows; ignored");
      continue;
    }
    if (key.back() != ']') {
      diags.error(loc, "expected 'node[option]=value', got '" + line + "'");
      continue;
    }
    const std::string node = key.substr(0, open);
    const std::string option = key.substr(open + 1, key.size() - open - 2);
    NodeSpec& n = nodes[node];
    if (!n.loc.isValid())
      n.loc = loc;
    if (std::optional<uint64_t> index = parseUnsigned(option, 63)) {
      std::string domain = value, mac;
      if (size_t slash = value.find('/'); slash != std::string::npos) {
        domain = value.substr(0, slash);
        mac = value.substr(slash + 1);
        if (!MacAddress::parse(mac)) {
          diags.error(loc, "'" + mac + "' is not a MAC address");
          continue;
        }
      }
      if (domain.empty()) {
        diags.error(loc, node + "[" + option + "] names no collision domain");
        continue;
      }
      n.interfaces[unsigned(*index)] = {domain, mac};
    } else if (option == "mem") {
      std::string m = value;
      if (!m.empty() && (m.back() == 'm' || m.back() == 'M'))
        m.pop_back();
      if (!parseUnsigned(m)) {
        diags.error(loc, "'" + value + "' is not a memory size in MiB");
        continue;
      }
      n.memory = m + "M";
    } else if (option == "sysctl") {
      if (value == "net.ipv4.ip_forward=1")
        n.forwarding = true;
      else
        n.sysctls.push_back(value);
    } else {
      diags.warning(loc, node + "[" + option + "]=" + value + " is not carried over: umlab has no '" + option +
                             "' for nodes" + (option == "image" ? " (guests boot the debian base image)" : ""));
      notCarried.push_back(conf.path() + ":" + std::to_string(lineNo) + ": " + line);
    }
  }
  // Kathara: a directory or a startup script alone makes a node too.
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const std::string fname = e.path().filename().string();
    if (fname == "shared" || fname == "shared.startup" || fname == "shared.shutdown" || fname.front() == '.' ||
        fname == "lab.conf" || fname == "lab.dep" || fname == "lab.ext" || fname == "_test")
      continue;
    if (e.is_directory())
      nodes[fname];
    else if (e.path().extension() == ".startup")
      nodes[e.path().stem().string()];
  }
  if (diags.hasErrors())
    return std::nullopt;
  if (nodes.empty()) {
    diags.error(SourceLoc{&conf, 0, 0}, "the lab defines no node");
    return std::nullopt;
  }

  // Names: sanitized, and segments never clash with nodes.
  std::map<std::string, std::string> nodeName, domainName;
  std::set<std::string> used;
  for (const auto& [n, spec] : nodes)
    used.insert(nodeName[n] = sanitize(n) == "host" ? "host-node" : sanitize(n));
  for (const auto& [n, spec] : nodes)
    for (const auto& [i, dm] : spec.interfaces)
      if (!domainName.count(dm.first)) {
        std::string s = sanitize(dm.first);
        if (used.count(s) || s == "host")
          s = "cd-" + s;
        used.insert(s);
        domainName[dm.first] = s;
      }
  std::string labName = options.name.empty() ? sanitize(root.filename().string()) : options.name;
  labName = labName.substr(0, kMaxLabNameLength);

  auto hostPath = [&](const fs::path& p) {
    if (options.relativeTo.empty())
      return p.string();
    return fs::relative(p, fs::absolute(options.relativeTo)).generic_string();
  };

  std::ostringstream y;
  y << "# Imported by 'umlab import' from the Netkit/Kathara lab in " << root.string() << ".\n";
  for (const char* k : {"LAB_DESCRIPTION", "LAB_VERSION", "LAB_AUTHOR", "LAB_EMAIL", "LAB_WEB"})
    if (meta.count(k))
      y << "# " << k << ": " << meta[k] << "\n";
  if (!notCarried.empty()) {
    y << "# Not carried over (umlab has no equivalent):\n";
    for (const std::string& l : notCarried)
      y << "#   " << l << "\n";
  }
  y << "name: " << scalar(labName) << "\n";
  if (meta.count("LAB_DESCRIPTION"))
    y << "description: " << scalar(meta["LAB_DESCRIPTION"]) << "\n";
  const std::string sharedStartup = fs::exists(root / "shared.startup") ? readFile(root / "shared.startup") : "";
  const auto sharedFiles = treeFiles(root / "shared");
  y << "nodes:\n";
  for (const auto& [n, spec] : nodes) {
    y << "  " << nodeName[n] << ":\n";
    if (!spec.memory.empty())
      y << "    memory: " << spec.memory << "\n";
    if (spec.forwarding)
      y << "    forwarding: true\n";
    std::vector<std::string> startup;
    for (const std::string& s : spec.sysctls)
      startup.push_back("sysctl -w " + s);
    if (!sharedStartup.empty())
      startup.push_back(sharedStartup);
    if (fs::exists(root / (n + ".startup")))
      startup.push_back(readFile(root / (n + ".startup")));
    if (!startup.empty()) {
      y << "    startup:\n";
      for (const std::string& s : startup)
        y << "      - " << (s.find('\n') != std::string::npos ? block(s, 8) : scalar(s) + "\n");
    }
    std::map<std::string, fs::path> files;
    for (const auto& [guest, host] : sharedFiles)
      files[guest] = host;
    for (const auto& [guest, host] : treeFiles(root / n))
      files[guest] = host; // the node's own tree wins over shared/
    if (!files.empty()) {
      y << "    files:\n";
      for (const auto& [guest, host] : files)
        y << "      " << scalar(guest) << ": " << scalar(hostPath(host)) << "\n";
    }
    if (spec.memory.empty() && !spec.forwarding && startup.empty() && files.empty())
      y << "    {}\n";
  }
  if (!domainName.empty()) {
    y << "segments:\n";
    for (const auto& [d, name] : domainName)
      y << "  " << name << ": {type: switch}\n";
    y << "links:\n";
    for (const auto& [n, spec] : nodes)
      for (const auto& [i, dm] : spec.interfaces) {
        y << "  - {endpoints: [" << nodeName[n] << ":eth" << i << ", " << domainName[dm.first] << "]";
        if (!dm.second.empty())
          y << ", mac: \"" << dm.second << "\"";
        y << "}\n";
      }
  }
  std::string text = y.str();
  // "    {}\n" after "pc1:\n" must be on the key's line: "pc1: {}".
  for (size_t at; (at = text.find(":\n    {}\n")) != std::string::npos;)
    text.replace(at, 9, ": {}\n");
  return text;
}

} // namespace umlab::lab
