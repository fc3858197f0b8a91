#include "umlab/lab/import/netkit_import.hpp"

#include "umlab/lab/import/kathara_images.hpp"

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
  std::vector<std::pair<std::string, std::string>> sysctls; ///< [sysctl] lines, in order
  std::optional<bool> ipv6;
  std::vector<std::string> exec;
  std::vector<std::string> env;
  bool bridged = false;
  std::string dockerImage; ///< as written; empty: Kathará's default
  SourceLoc imageLoc;
  SourceLoc loc;
};

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string trim(std::string v) {
  const size_t first = v.find_first_not_of(" \t\r");
  if (first == std::string::npos)
    return "";
  v = v.substr(first);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r'))
    v.pop_back();
  return v;
}

std::string unquote(std::string v) {
  v = trim(std::move(v));
  if (v.size() >= 2 && ((v.front() == '"' && v.back() == '"') || (v.front() == '\'' && v.back() == '\'')))
    return v.substr(1, v.size() - 2);
  return v;
}

std::optional<bool> truth(std::string v) {
  std::transform(v.begin(), v.end(), v.begin(), ::tolower);
  if (v == "true" || v == "yes" || v == "1" || v == "on")
    return true;
  if (v == "false" || v == "no" || v == "0" || v == "off")
    return false;
  return std::nullopt;
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
  if (plain && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-'; }))
    plain = false; // keep numbers text, as sysctl values are
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

/// A block literal (`|`) for a script, indented by `indent` spaces. A last line without a
/// newline is a line like the others (Kathará's shell runs it too).
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

/// A list item holding a script or a command.
std::string commandItem(const std::string& s, size_t indent) {
  return std::string(indent, ' ') + "- " + (s.find('\n') != std::string::npos ? block(s, indent + 2) : scalar(s) + "\n");
}

/// Every regular file below `root` (symlinks followed, as Kathará's `tar h` does), as (guest
/// path, host path), sorted.
std::vector<std::pair<std::string, fs::path>> treeFiles(const fs::path& root) {
  std::vector<std::pair<std::string, fs::path>> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    return out;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::follow_directory_symlink, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file())
      out.emplace_back("/" + fs::relative(it->path(), root).generic_string(), it->path());
  std::sort(out.begin(), out.end());
  return out;
}

/// "512", "512m", "1G" (Docker's units; a bare number is MiB, as in Netkit) -> "512M"; nullopt
/// when it is not a size.
std::optional<uint64_t> memoryMiB(std::string v) {
  const char unit = v.empty() ? '\0' : static_cast<char>(std::tolower(static_cast<unsigned char>(v.back())));
  if (unit == 'm' || unit == 'g')
    v.pop_back();
  const std::optional<uint64_t> n = parseUnsigned(v);
  if (!n)
    return std::nullopt;
  return unit == 'g' ? *n * 1024 : *n;
}

/// Kathará's device defaults (DockerMachine.py): every device forwards IPv4, does no reverse
/// path filtering and no ICMP rate limiting; IPv6 is off unless the lab turns it on.
std::vector<std::pair<std::string, std::string>> katharaSysctls(bool ipv6) {
  std::vector<std::pair<std::string, std::string>> s{
      {"net.ipv4.ip_forward", "1"},
      {"net.ipv4.conf.all.rp_filter", "0"},
      {"net.ipv4.conf.default.rp_filter", "0"},
      {"net.ipv4.conf.lo.rp_filter", "0"},
      {"net.ipv4.icmp_ratelimit", "0"},
  };
  if (ipv6) {
    for (const auto& kv : std::initializer_list<std::pair<const char*, const char*>>{
             {"net.ipv6.conf.all.disable_ipv6", "0"}, {"net.ipv6.conf.default.disable_ipv6", "0"},
             {"net.ipv6.conf.all.forwarding", "1"}, {"net.ipv6.conf.all.accept_ra", "0"},
             {"net.ipv6.icmp.ratelimit", "0"}})
      s.emplace_back(kv.first, kv.second);
  } else {
    for (const auto& kv : std::initializer_list<std::pair<const char*, const char*>>{
             {"net.ipv6.conf.all.disable_ipv6", "1"}, {"net.ipv6.conf.default.disable_ipv6", "1"},
             {"net.ipv6.conf.all.forwarding", "0"}, {"net.ipv6.conf.default.forwarding", "0"}})
      s.emplace_back(kv.first, kv.second);
  }
  return s;
}

/// What Kathará does in every device before its startup files (STARTUP_COMMANDS in
/// DockerMachine.py), for the directories this device has.
std::vector<std::string> katharaPrelude(bool hasFrr, bool hasWww) {
  std::vector<std::string> p;
  if (hasWww)
    p.push_back("if [ -d /var/www ]; then chmod -R 777 /var/www/*; fi");
  if (hasFrr)
    p.push_back("if [ -d /etc/frr ]; then chown -R frr:frr /etc/frr/; chmod 640 /etc/frr/*; fi");
  return p;
}

/// True when a startup script starts Quagga itself (`/etc/init.d/quagga start`, `systemctl
/// restart quagga`, `service quagga start`).
bool startsQuagga(const std::string& script) {
  std::istringstream in(script);
  for (std::string line; std::getline(in, line);) {
    line = trim(line.substr(0, line.find('#')));
    if ((line.find("quagga") != std::string::npos || line.find("init.d/zebra") != std::string::npos) &&
        (line.find("start") != std::string::npos || line.find("restart") != std::string::npos))
      return true;
  }
  return false;
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
  auto notCarriedLine = [&](uint32_t lineNo, const std::string& line, const std::string& why) {
    notCarried.push_back(conf.path() + ":" + std::to_string(lineNo) + ": " + line + "  (" + why + ")");
  };
  std::istringstream lines(std::string(conf.text()));
  uint32_t lineNo = 0;
  for (std::string line; std::getline(lines, line);) {
    ++lineNo;
    const SourceLoc loc{&conf, lineNo, 1};
    if (size_t hash = line.find('#'); hash != std::string::npos && line.find('"') > hash)
      line.resize(hash);
    line = trim(line);
    if (line.empty())
      continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) {
      diags.error(loc, "expected 'node[option]=value' or 'LAB_...=value', got '" + line + "'");
      continue;
    }
    const std::string key = trim(line.substr(0, eq));
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
      std::optional<uint64_t> mib = memoryMiB(value);
      if (!mib) {
        diags.error(loc, "'" + value + "' is not a memory size in MiB");
        continue;
      }
      if (*mib < 64) {
        diags.warning(loc, node + "[mem]=" + value + " is below the 64M that a UML guest needs; the guest gets 64M");
        *mib = 64;
      }
      n.memory = std::to_string(*mib) + "M";
    } else if (option == "sysctl") {
      const size_t e = value.find('=');
      if (e == std::string::npos || e == 0) {
        diags.error(loc, "'" + value + "' is not a sysctl setting such as 'net.ipv4.ip_forward=1'");
        continue;
      }
      n.sysctls.emplace_back(trim(value.substr(0, e)), trim(value.substr(e + 1)));
    } else if (option == "ipv6") {
      n.ipv6 = truth(value);
      if (!n.ipv6)
        diags.error(loc, "'" + value + "' is not true or false");
    } else if (option == "image") {
      n.dockerImage = value;
      n.imageLoc = loc;
    } else if (option == "exec") {
      n.exec.push_back(value);
    } else if (option == "env") {
      if (value.find('=') == std::string::npos || value.front() == '=') {
        diags.error(loc, "'" + value + "' is not a variable setting such as 'NAME=value'");
        continue;
      }
      n.env.push_back(value);
    } else if (option == "bridged") {
      n.bridged = truth(value).value_or(false);
    } else if (option == "port") {
      diags.warning(loc, node + "[port]=" + value + " is refused: umlab publishes no guest port on the host; reach the "
                                                   "service with 'umlab exec', or from the host through a host link");
      notCarriedLine(lineNo, line, "refused: no published ports");
    } else if (option == "cpus" || option == "num_terms" || option == "shell" || option == "ulimit" ||
               option == "privileged") {
      const char* why = option == "cpus"        ? "a UML guest has one CPU"
                        : option == "num_terms" ? "'umlab console' opens terminals on demand"
                        : option == "shell"     ? "'umlab exec' and 'umlab console' use the guest's /bin/sh and login"
                        : option == "ulimit"    ? "a UML guest has its own kernel and limits"
                                                : "a UML guest's root already has every privilege in its own kernel";
      diags.warning(loc, node + "[" + option + "]=" + value + " is ignored: " + why);
      notCarriedLine(lineNo, line, std::string("ignored: ") + why);
    } else {
      diags.warning(loc, node + "[" + option + "]=" + value + " is not carried over: umlab has no '" + option +
                             "' for devices");
      notCarriedLine(lineNo, line, "unknown option");
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
  if (fs::exists(root / "lab.ext", ec)) {
    const SourceFile& ext = sources.add((root / "lab.ext").string(), readFile(root / "lab.ext"));
    diags.error(SourceLoc{&ext, 1, 1}, "lab.ext attaches collision domains to the host's network interfaces; umlab "
                                       "refuses it, because its labs never send outside this machine. A link to the "
                                       "host itself is '[bridged]=true' on a device");
  }
  const bool labIpv6 = truth(meta.count("LAB_IPV6_ENABLED") ? meta["LAB_IPV6_ENABLED"] : "false").value_or(false);

  // Images: mapped, omitted (the Wireshark viewer) or refused, each at its lab.conf line.
  std::map<std::string, KatharaImageMapping> images;
  for (auto it = nodes.begin(); it != nodes.end();) {
    const std::string name = it->first;
    const NodeSpec& spec = it->second;
    KatharaImageMapping m = mapKatharaImage(spec.dockerImage, options.imageMap);
    const SourceLoc loc = spec.imageLoc.isValid() ? spec.imageLoc : spec.loc;
    if (m.outcome == KatharaImageMapping::Outcome::Refuse) {
      diags.error(loc, "device '" + name + "' uses image '" + spec.dockerImage + "', which umlab refuses: " + m.note);
    } else if (m.outcome == KatharaImageMapping::Outcome::Omit) {
      diags.warning(loc, "device '" + name + "' (image '" + spec.dockerImage + "') is left out: " + m.note);
      notCarried.push_back(conf.path() + ": device " + name + " (" + spec.dockerImage + ") left out: " + m.note);
      it = nodes.erase(it);
      continue;
    }
    images[name] = m;
    ++it;
  }

  // lab.dep: "NODE: NODE NODE ..." — the device boots after the ones it names are ready.
  std::map<std::string, std::vector<std::string>> dependsOn;
  if (fs::exists(root / "lab.dep", ec)) {
    const SourceFile& dep = sources.add((root / "lab.dep").string(), readFile(root / "lab.dep"));
    std::istringstream depLines{std::string(dep.text())};
    uint32_t n = 0;
    for (std::string line; std::getline(depLines, line);) {
      ++n;
      line = trim(line.substr(0, line.find('#')));
      if (line.empty())
        continue;
      const size_t colon = line.find(':');
      if (colon == std::string::npos) {
        diags.error(SourceLoc{&dep, n, 1}, "expected 'DEVICE: DEVICE...', got '" + line + "'");
        continue;
      }
      const std::string node = trim(line.substr(0, colon));
      if (!nodes.count(node)) {
        diags.error(SourceLoc{&dep, n, 1}, "lab.dep names device '" + node + "', which the lab does not have");
        continue;
      }
      std::istringstream words(line.substr(colon + 1));
      for (std::string w; words >> w;) {
        if (!nodes.count(w))
          diags.error(SourceLoc{&dep, n, static_cast<uint32_t>(colon + 2)},
                      "lab.dep: '" + node + "' depends on device '" + w + "', which the lab does not have");
        else
          dependsOn[node].push_back(w);
      }
    }
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
  // The catalogues name directories "kathara-lab_ospf"; the prefix would eat the 24 characters
  // a lab name has, and every lab would start alike.
  std::string dirName = root.filename().string();
  for (const char* prefix : {"kathara-lab_", "kathara-lab-", "netkit-lab_", "netkit-lab-"})
    if (dirName.rfind(prefix, 0) == 0 && dirName.size() > std::string(prefix).size())
      dirName = dirName.substr(std::string(prefix).size());
  std::string labName = options.name.empty() ? sanitize(dirName) : options.name;
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
  y << "# Devices behave as Kathara's (docs/import.md): the defaults' sysctls, node trees copied\n"
       "# before startup, shared.startup then NODE.startup, shared/ mounted at /shared.\n";
  if (!notCarried.empty()) {
    y << "# Not carried over:\n";
    for (const std::string& l : notCarried)
      y << "#   " << l << "\n";
  }
  y << "name: " << scalar(labName) << "\n";
  if (meta.count("LAB_DESCRIPTION"))
    y << "description: " << scalar(meta["LAB_DESCRIPTION"]) << "\n";
  y << "defaults:\n";
  y << "  image: " << kKatharaDefaultImage << "\n";
  y << "  sysctls:\n";
  for (const auto& [k, v] : katharaSysctls(labIpv6))
    y << "    " << k << ": " << scalar(v) << "\n";
  if (fs::is_directory(root / "shared", ec))
    y << "  mounts: {/shared: " << scalar(hostPath(root / "shared")) << "}\n";

  const std::string sharedStartup = fs::exists(root / "shared.startup") ? readFile(root / "shared.startup") : "";
  const std::string sharedShutdown = fs::exists(root / "shared.shutdown") ? readFile(root / "shared.shutdown") : "";
  y << "nodes:\n";
  for (const auto& [n, spec] : nodes) {
    std::ostringstream body;
    const KatharaImageMapping& image = images[n];
    if (image.image != kKatharaDefaultImage)
      body << "    image: " << image.image << (image.startsQuagga ? "  # kathara/quagga: Quagga's configuration on FRR" : "")
           << "\n";
    if (!spec.memory.empty())
      body << "    memory: " << spec.memory << "\n";
    if (auto d = dependsOn.find(n); d != dependsOn.end()) {
      body << "    depends-on: [";
      for (size_t i = 0; i < d->second.size(); ++i)
        body << (i ? ", " : "") << nodeName[d->second[i]];
      body << "]\n";
    }
    std::vector<std::pair<std::string, std::string>> sysctls;
    if (spec.ipv6 && *spec.ipv6 != labIpv6)
      for (const auto& kv : katharaSysctls(*spec.ipv6))
        if (kv.first.rfind("net.ipv6.", 0) == 0)
          sysctls.push_back(kv);
    for (const auto& kv : spec.sysctls)
      sysctls.push_back(kv);
    if (!sysctls.empty()) {
      body << "    sysctls:\n";
      for (const auto& [k, v] : sysctls)
        body << "      " << scalar(k) << ": " << scalar(v) << "\n";
    }
    const std::string own = fs::exists(root / (n + ".startup")) ? readFile(root / (n + ".startup")) : "";
    std::map<std::string, fs::path> files;
    for (const auto& [guest, host] : treeFiles(root / n))
      files[guest] = host;
    const bool hasWww = image.image == kKatharaDefaultImage || image.image == "kathara-frr" ||
                        std::any_of(files.begin(), files.end(), [](const auto& f) { return f.first.rfind("/var/www/", 0) == 0; });
    std::vector<std::string> startup;
    for (const std::string& v : spec.env)
      startup.push_back("export " + v);
    for (std::string& c : katharaPrelude(image.image == "kathara-frr", hasWww))
      startup.push_back(std::move(c));
    if (image.isBind911) // kathara/bind:9.11's configurations on Debian 12's BIND 9.18
      startup.push_back("sed -i -E 's/^([[:space:]]*)((dnssec-enable|dnssec-lookaside|filter-aaaa-on-v4)[[:space:]].*)$/\\1# "
                        "not in BIND 9.18: \\2/' /etc/bind/named.conf* 2>/dev/null; true");
    if (!sharedStartup.empty())
      startup.push_back(sharedStartup);
    if (!own.empty())
      startup.push_back(own);
    for (const std::string& c : spec.exec)
      startup.push_back(c);
    if (image.startsQuagga && !startsQuagga(sharedStartup + "\n" + own))
      startup.push_back("/etc/init.d/quagga start");
    if (!startup.empty()) {
      body << "    startup:\n";
      for (const std::string& s : startup)
        body << commandItem(s, 6);
    }
    std::vector<std::string> shutdown;
    if (fs::exists(root / (n + ".shutdown")))
      shutdown.push_back(readFile(root / (n + ".shutdown")));
    if (!sharedShutdown.empty())
      shutdown.push_back(sharedShutdown);
    if (!shutdown.empty()) {
      body << "    shutdown:\n";
      for (const std::string& s : shutdown)
        body << commandItem(s, 6);
    }
    if (!files.empty()) {
      body << "    files:\n";
      for (const auto& [guest, host] : files)
        body << "      " << scalar(guest) << ": " << scalar(hostPath(host)) << "\n";
    }
    const std::string text = body.str();
    y << "  " << nodeName[n] << ":" << (text.empty() ? " {}\n" : "\n" + text);
  }
  const bool anyBridged = std::any_of(nodes.begin(), nodes.end(), [](const auto& n) { return n.second.bridged; });
  if (!domainName.empty() || anyBridged) {
    if (!domainName.empty()) {
      y << "segments:\n";
      for (const auto& [d, name] : domainName)
        y << "  " << name << ": {type: switch}\n";
    }
    y << "links:\n";
    for (const auto& [n, spec] : nodes) {
      for (const auto& [i, dm] : spec.interfaces) {
        y << "  - {endpoints: [" << nodeName[n] << ":eth" << i << ", " << domainName[dm.first] << "]";
        if (!dm.second.empty())
          y << ", mac: \"" << dm.second << "\"";
        y << "}\n";
      }
      if (spec.bridged) // Kathará's bridged interface comes after the lab's
        y << "  - {endpoints: [" << nodeName[n] << ":eth" << (spec.interfaces.empty() ? 0 : spec.interfaces.rbegin()->first + 1)
          << ", host]}  # [bridged]: a tap in the lab's network namespace, not the Internet\n";
    }
  }
  return y.str();
}

} // namespace umlab::lab
