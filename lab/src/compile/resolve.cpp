#include "umlab/lab/compile/resolve.hpp"

#include "guest_file.hpp"

#include "umlab/base/quantity.hpp"
#include "umlab/base/spelling.hpp"
#include "umlab/kernel/kernel_recipe.hpp"
#include "umlab/transports/pcap_filter.hpp"
#include "umlab/transports/transport_spec.hpp"

#include "resolve_images.hpp"
#include "replay_values.hpp"
#include "resolve_timeline.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

namespace umlab::lab {

namespace {

namespace fs = std::filesystem;

/// One settings block (defaults, a kind, a node) with its values parsed, each parsed once.
struct Settings {
  std::optional<std::string> kind;
  SourceLoc kindLoc;
  std::optional<uint64_t> memory;
  std::optional<std::string> image;
  std::optional<std::string> kernel;
  std::optional<bool> forwarding;
  std::optional<std::vector<std::string>> startup;
  std::optional<std::vector<std::string>> shutdown;
  std::optional<std::vector<Sysctl>> sysctls;
  std::optional<std::vector<GuestMount>> mounts;
  std::optional<std::vector<GuestFile>> files;
};

/// A resolved link end.
struct End {
  enum class Kind { Invalid, Iface, Segment, Host } kind = Kind::Invalid;
  NodeIndex node = 0;
  unsigned iface = 0;
  SegmentIndex segment = 0;
  const RawEndpoint* raw = nullptr;
};

struct UsedAt {
  std::string owner;
  SourceLoc loc;
};

std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }

std::optional<unsigned> parseIfaceName(std::string_view s) {
  if (s.size() < 4 || s.substr(0, 3) != "eth" || (s.size() > 4 && s[3] == '0'))
    return std::nullopt;
  unsigned n = 0;
  auto [p, ec] = std::from_chars(s.data() + 3, s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size() || n >= kMaxInterfaces)
    return std::nullopt;
  return n;
}

class Resolver {
public:
  Resolver(const RawTopology& raw, const GuestKindRegistry& kinds, Diagnostics& diags, const ResolveOptions& options)
      : raw_(raw), kinds_(kinds), diags_(diags), options_(options) {
    if (!options_.pathExists)
      options_.pathExists = [](const std::string& p) {
        std::error_code ec;
        return fs::exists(p, ec);
      };
  }

  std::optional<Topology> run() {
    const size_t errorsBefore = diags_.errorCount();
    t_.sourcePath = raw_.path;
    resolveName();
    t_.description = raw_.description.text;
    defaults_ = parseSettings(raw_.defaults, "'defaults'");
    for (const RawKind& k : raw_.kinds) {
      if (!checkName(k.name, "kind"))
        continue;
      fileKinds_.emplace(k.name.text, parseSettings(k.settings, "kind " + quote(k.name.text)));
      fileKindNames_.push_back(k.name.text);
    }
    for (const RawNode& n : raw_.nodes)
      resolveNode(n);
    resolveDependencies();
    for (const RawSegment& s : raw_.segments)
      resolveSegment(s);
    checkNameClashes();
    for (const RawLink& l : raw_.links)
      resolveLink(l);
    for (const RawMonitor& m : raw_.monitors)
      resolveMonitor(m);
    for (const RawReplay& r : raw_.replays)
      resolveReplay(r);
    t_.images = resolveImages(raw_, diags_, options_);
    for (NodeIndex i = 0; i < t_.nodes.size(); ++i)
      finishNode(i);
    t_.timeline = resolveTimeline(raw_, t_, diags_, options_);
    deriveMacs();
    checkSubnets();
    if (diags_.errorCount() != errorsBefore)
      return std::nullopt;
    return std::move(t_);
  }

private:
  // ---- names -------------------------------------------------------------------------------

  bool checkName(const RawScalar& name, std::string_view what, size_t maxLength = kMaxNameLength) {
    const std::string& s = name.text;
    if (s.empty()) {
      diags_.error(name.loc, std::string(what) + " name is empty");
      return false;
    }
    if (!hasValidNameCharacters(s)) {
      diags_.error(name.loc, std::string(what) + " name " + quote(s) +
                                 " may use only letters, digits, '-' and '_', and must start with a letter or digit");
      return false;
    }
    if (s.size() > maxLength) {
      diags_.error(name.loc, std::string(what) + " name " + quote(s) + " is " + std::to_string(s.size()) +
                                 " characters long; the limit is " + std::to_string(maxLength));
      return false;
    }
    return true;
  }

  void resolveName() {
    if (!raw_.name)
      return; // reported by load
    if (checkName(raw_.name, "lab", kMaxLabNameLength))
      t_.name = raw_.name.text;
  }

  void checkNameClashes() {
    for (const Segment& s : t_.segments)
      if (auto n = findNode(s.name)) {
        Diagnostic& d = diags_.error(s.loc, "segment " + quote(s.name) + " has the name of a node; link ends would be ambiguous");
        Diagnostics::note(d, t_.nodes[*n].loc, "the node is declared here");
      }
  }

  // ---- values ------------------------------------------------------------------------------

  std::optional<uint64_t> memory(const RawScalar& s, const std::string& owner) {
    auto v = parseByteSize(s.text);
    if (!v) {
      diags_.error(s.loc, "memory " + quote(s.text) + " of " + owner + " is not a size; write a number with K, M or G, as in '96M'");
      return std::nullopt;
    }
    if (*v < kMinMemory) {
      diags_.error(s.loc, "memory " + quote(s.text) + " of " + owner +
                              " is below the 64M minimum; UML guests panic with less");
      return std::nullopt;
    }
    if (*v > kMaxMemory) {
      diags_.error(s.loc, "memory " + quote(s.text) + " of " + owner + " is above the 64G maximum");
      return std::nullopt;
    }
    return v;
  }

  std::optional<bool> boolean(const RawScalar& s, const std::string& what) {
    if (s.text == "true")
      return true;
    if (s.text == "false")
      return false;
    diags_.error(s.loc, what + " must be true or false, not " + quote(s.text));
    return std::nullopt;
  }

  Settings parseSettings(const RawSettings& r, const std::string& owner) {
    Settings s;
    if (r.kind) {
      if (checkName(r.kind, "kind")) {
        s.kind = r.kind.text;
        s.kindLoc = r.kind.loc;
      }
    }
    if (r.memory)
      s.memory = memory(r.memory, owner);
    if (r.image) {
      bool ok = !r.image.text.empty() && std::isalnum(static_cast<unsigned char>(r.image.text[0]));
      for (char c : r.image.text)
        ok = ok && (isNameChar(c) || c == '.');
      if (ok)
        s.image = r.image.text;
      else
        diags_.error(r.image.loc, "image " + quote(r.image.text) + " of " + owner +
                                      " may use only letters, digits, '.', '-' and '_', and must start with a letter or digit");
    }
    if (r.kernel) {
      if (r.kernel.text == kernel::kDebianKernelName || r.kernel.text == kernel::kUmlabKernelName) {
        s.kernel = r.kernel.text;
      } else {
        auto hint = suggest(r.kernel.text, {kernel::kDebianKernelName, kernel::kUmlabKernelName});
        diags_.error(r.kernel.loc, "kernel " + quote(r.kernel.text) + " of " + owner + " is not known" +
                                       (hint ? "; did you mean " + quote(*hint) + "?" : "") +
                                       " ('debian' is Debian's linux.uml, 'umlab' umlab's own build: 'umlab kernel build')");
      }
    }
    if (r.forwarding)
      s.forwarding = boolean(r.forwarding, "'forwarding' of " + owner);
    if (r.startup) {
      s.startup.emplace();
      for (const RawScalar& c : *r.startup)
        s.startup->push_back(c.text);
    }
    if (r.shutdown) {
      s.shutdown.emplace();
      for (const RawScalar& c : *r.shutdown)
        s.shutdown->push_back(c.text);
    }
    if (r.files) {
      s.files.emplace();
      for (const RawFile& f : *r.files)
        if (auto g = guestFile(f, owner))
          s.files->push_back(std::move(*g));
    }
    if (r.sysctls) {
      s.sysctls.emplace();
      for (const RawFile& f : *r.sysctls)
        if (auto v = sysctl(f, owner))
          s.sysctls->push_back(std::move(*v));
    }
    if (r.mounts) {
      s.mounts.emplace();
      for (const RawFile& f : *r.mounts)
        if (auto v = guestMount(f, owner))
          s.mounts->push_back(std::move(*v));
      if (s.mounts->size() > 1)
        diags_.error(r.mounts->at(1).guestPath.loc, owner + " mounts more than one host directory; UML's hostfs gives a "
                                                   "guest one host directory, so keep one entry under 'mounts'");
    }
    return s;
  }

  /// `net.ipv4.ip_forward: 1`: a name under /proc/sys in dotted form, and a one-line value.
  std::optional<Sysctl> sysctl(const RawFile& f, const std::string& owner) {
    const std::string& name = f.guestPath.text;
    bool ok = !name.empty() && name.front() != '.' && name.back() != '.' && name.find("..") == std::string::npos &&
              name.find('.') != std::string::npos;
    for (char c : name)
      ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
    if (!ok) {
      diags_.error(f.guestPath.loc, "sysctl " + quote(name) + " of " + owner +
                                        " is not a sysctl name such as 'net.ipv4.conf.all.rp_filter' (letters, digits, "
                                        "'_', '-', separated by dots)");
      return std::nullopt;
    }
    const std::string& value = f.hostPath.text;
    if (value.empty() || value.find_first_of("\n\r") != std::string::npos) {
      diags_.error(f.hostPath.loc, "sysctl " + quote(name) + " of " + owner + " needs a value on one line, such as '1'");
      return std::nullopt;
    }
    return Sysctl{name, value};
  }

  /// `/shared: shared`: an absolute guest directory and an existing host directory, relative to
  /// the topology file.
  std::optional<GuestMount> guestMount(const RawFile& f, const std::string& owner) {
    const std::string& g = f.guestPath.text;
    fs::path gp(g);
    bool ok = gp.is_absolute() && g != "/";
    for (const auto& part : gp)
      ok = ok && part != ".." && part != ".";
    for (const char* system : {"/proc", "/sys", "/dev", "/run"})
      ok = ok && g != system && g.rfind(std::string(system) + "/", 0) != 0;
    if (!ok) {
      diags_.error(f.guestPath.loc, "mount point " + quote(g) + " of " + owner +
                                        " must be an absolute directory such as '/shared', not '/', not under /proc, "
                                        "/sys, /dev or /run, and without '.' or '..'");
      return std::nullopt;
    }
    // UML's hostfs= needs it absolute.
    std::string hostPath = fs::absolute(hostPathIn(raw_.baseDir, f.hostPath.text)).lexically_normal().string();
    if (hostPath.size() > 1 && hostPath.back() == '/')
      hostPath.pop_back();
    if (f.hostPath.text.empty() || !options_.pathExists(hostPath)) {
      diags_.error(f.hostPath.loc, "directory " + quote(f.hostPath.text) + " to mount on " + quote(g) + " of " + owner +
                                       " does not exist (looked for " + quote(hostPath) +
                                       "); paths are relative to the topology file");
      return std::nullopt;
    }
    if (hostPath.find_first_of(", \t\n=") != std::string::npos) {
      diags_.error(f.hostPath.loc, "directory " + quote(hostPath) + " of " + owner +
                                       " contains ',', '=' or white space, which UML's command line splits on; move or "
                                       "rename it");
      return std::nullopt;
    }
    return GuestMount{g, hostPath, f.guestPath.loc};
  }

  std::optional<GuestFile> guestFile(const RawFile& f, const std::string& owner) {
    return resolveGuestFile(f, owner, raw_.baseDir, options_.pathExists, diags_);
  }

  std::optional<IpPrefix> prefix(const RawScalar& s, const std::string& owner) {
    const std::string& text = s.text;
    size_t slash = text.find('/');
    if (slash == std::string::npos) {
      if (auto a = IpAddress::parse(text))
        diags_.error(s.loc, "address " + quote(text) + " of " + owner + " has no prefix length; write it as " +
                                quote(text + (a->isV4() ? "/24" : "/64")) + " or with the prefix of its network");
      else
        diags_.error(s.loc, quote(text) + " of " + owner + " is not an IP address with a prefix, such as '10.0.0.1/24'");
      return std::nullopt;
    }
    auto addr = IpAddress::parse(std::string_view(text).substr(0, slash));
    if (!addr) {
      diags_.error(s.loc, quote(text) + " of " + owner + " is not an IP address with a prefix, such as '10.0.0.1/24'");
      return std::nullopt;
    }
    auto p = IpPrefix::parse(text);
    if (!p) {
      diags_.error(s.loc, "prefix length in " + quote(text) + " of " + owner + " must be a number from 1 to " +
                              std::to_string(addr->bitCount()));
      return std::nullopt;
    }
    const IpAddress& a = p->address();
    const unsigned len = p->length();
    if (len == 0) {
      diags_.error(s.loc, "prefix length 0 in " + quote(text) + " of " + owner + " makes every address local");
      return std::nullopt;
    }
    if (a.isUnspecified() || a.isLoopback() || a.isMulticast() || a.isLimitedBroadcast()) {
      const char* why = a.isUnspecified() ? "the unspecified address"
                        : a.isLoopback()  ? "a loopback address"
                        : a.isMulticast() ? "a multicast address"
                                          : "the broadcast address";
      diags_.error(s.loc, "address " + quote(text) + " of " + owner + " is " + why + "; use a unicast address such as '10.0.0.1/24'");
      return std::nullopt;
    }
    const bool hasHostRange = a.isV4() ? len <= 30 : len <= 126;
    if (hasHostRange && a == p->network()) {
      diags_.error(s.loc, "address " + quote(text) + " of " + owner +
                              " is the network address of its prefix; use a host address such as " +
                              quote(firstHost(*p).str() + "/" + std::to_string(len)));
      return std::nullopt;
    }
    if (a.isV4() && hasHostRange && a == p->broadcast()) {
      diags_.error(s.loc, "address " + quote(text) + " of " + owner +
                              " is the broadcast address of its prefix; use a host address such as " +
                              quote(firstHost(*p).str() + "/" + std::to_string(len)));
      return std::nullopt;
    }
    return p;
  }

  static IpAddress firstHost(const IpPrefix& p) { return p.network().next(); }

  std::optional<IpAddress> address(const RawScalar& s, const std::string& what) {
    auto a = IpAddress::parse(s.text);
    if (!a) {
      std::string hint = s.text.find('/') != std::string::npos ? "; a gateway is an address without a prefix length" : "";
      diags_.error(s.loc, what + " " + quote(s.text) + " is not an IP address" + hint);
      return std::nullopt;
    }
    return a;
  }

  std::optional<MacAddress> mac(const RawScalar& s, const std::string& owner) {
    auto m = MacAddress::parse(s.text);
    if (!m) {
      diags_.error(s.loc, "MAC address " + quote(s.text) + " of " + owner +
                              " is malformed; write six hex pairs such as '02:00:00:00:00:01'");
      return std::nullopt;
    }
    if (m->isZero()) {
      diags_.error(s.loc, "MAC address " + quote(s.text) + " of " + owner + " is all zeros; guests need a unicast MAC such as '02:00:00:00:00:01'");
      return std::nullopt;
    }
    if (m->isMulticast()) {
      diags_.error(s.loc, "MAC address " + quote(s.text) + " of " + owner +
                              " is a multicast address (the low bit of its first byte is set); guests need a unicast MAC such as '02:00:00:00:00:01'");
      return std::nullopt;
    }
    return m;
  }

  std::optional<std::chrono::nanoseconds> duration(const RawScalar& s, const std::string& what) {
    auto d = parseDuration(s.text);
    if (!d)
      diags_.error(s.loc, what + " " + quote(s.text) + " is not a duration; write a number with a unit, as in '5ms' or '1.5s'");
    return d;
  }

  std::optional<double> percent(const RawScalar& s, const std::string& what) {
    auto p = parsePercent(s.text);
    if (!p) {
      diags_.error(s.loc, what + " " + quote(s.text) + " is not a percentage; write it as in '0.5%'");
      return std::nullopt;
    }
    if (*p > 100) {
      diags_.error(s.loc, what + " " + quote(s.text) + " must be between 0% and 100%");
      return std::nullopt;
    }
    return p;
  }

  std::optional<LinkConditions> conditions(const RawLink& l, const std::string& what) {
    LinkConditions im;
    if (l.delay)
      im.delay = duration(l.delay, "delay of " + what);
    if (l.jitter) {
      im.jitter = duration(l.jitter, "jitter of " + what);
      if (im.jitter && !l.delay)
        diags_.error(l.jitter.loc, "jitter of " + what + " needs a 'delay' to vary around");
    }
    if (l.loss)
      im.lossPercent = percent(l.loss, "loss of " + what);
    if (l.duplicate)
      im.duplicatePercent = percent(l.duplicate, "duplicate of " + what);
    if (l.corrupt)
      im.corruptPercent = percent(l.corrupt, "corrupt of " + what);
    if (l.rate) {
      im.rateBitsPerSecond = parseBitRate(l.rate.text);
      if (!im.rateBitsPerSecond) {
        std::string hint = l.rate.text.size() > 3 && l.rate.text.substr(l.rate.text.size() - 3) == "bps"
                               ? "; rates are in bits per second, as in '10mbit'"
                               : "; write it as in '10mbit', '512kbit' or '1gbit'";
        diags_.error(l.rate.loc, "rate " + quote(l.rate.text) + " of " + what + " is not a bit rate" + hint);
      } else if (*im.rateBitsPerSecond == 0) {
        diags_.error(l.rate.loc, "rate of " + what + " must be above zero; to cut a link, take it down instead");
      }
    }
    return im;
  }

  // ---- nodes and segments -------------------------------------------------------------------

  void resolveNode(const RawNode& r) {
    Node n;
    n.name = r.name.text;
    n.loc = r.name.loc;
    n.description = r.description.text;
    // A node with a bad name is still entered, so that its links do not cascade into errors.
    if (checkName(r.name, "node") && n.name == "host")
      diags_.error(r.name.loc, "node name 'host' is reserved for links to the host, as in 'endpoints: [r1:eth1, host]'");
    const std::string owner = "node " + quote(r.name.text);
    Settings own = parseSettings(r.settings, owner);
    // Precedence: node > kinds.<kind> > defaults > built-in kind > built-in default.
    n.kind = own.kind ? *own.kind : defaults_.kind ? *defaults_.kind : kDefaultKind;
    const Settings* kind = nullptr;
    if (auto it = fileKinds_.find(n.kind); it != fileKinds_.end())
      kind = &it->second;
    const KindDefaults* builtin = kinds_.find(n.kind);
    if (!kind && !builtin && own.kind) {
      std::vector<std::string> known = fileKindNames_;
      for (const std::string& k : kinds_.names())
        known.push_back(k);
      if (auto s = suggest(n.kind, known))
        diags_.warning(own.kindLoc, "kind " + quote(n.kind) + " of " + owner + " is not defined; did you mean " + quote(*s) +
                                        "? (other kinds are allowed, but have no defaults)");
    }
    auto pick = [&](auto member) {
      if ((own.*member))
        return own.*member;
      if (kind && (kind->*member))
        return kind->*member;
      return defaults_.*member;
    };
    n.memoryBytes = pick(&Settings::memory).value_or(kDefaultMemory);
    n.image = pick(&Settings::image).value_or(kDefaultImage);
    n.kernel = pick(&Settings::kernel).value_or(kernel::kDebianKernelName);
    auto fwd = pick(&Settings::forwarding);
    n.forwarding = fwd ? *fwd : builtin && builtin->forwarding ? *builtin->forwarding : false;
    n.startup = pick(&Settings::startup).value_or(std::vector<std::string>{});
    n.shutdown = pick(&Settings::shutdown).value_or(std::vector<std::string>{});
    if (auto mounts = pick(&Settings::mounts); mounts && !mounts->empty())
      n.mount = mounts->front();
    // sysctls merge by name: the defaults', then the kind's, then the node's own win; a name
    // keeps the place it was first given.
    for (const Settings* s : std::initializer_list<const Settings*>{&defaults_, kind, &own})
      if (s && s->sysctls)
        for (const Sysctl& v : *s->sysctls) {
          auto it = std::find_if(n.sysctls.begin(), n.sysctls.end(), [&](const Sysctl& e) { return e.name == v.name; });
          if (it == n.sysctls.end())
            n.sysctls.push_back(v);
          else
            it->value = v.value;
        }
    // files merge by guest path: defaults, then the kind's, then the node's own win.
    std::map<std::string, GuestFile> files;
    for (const Settings* s : std::initializer_list<const Settings*>{&defaults_, kind, &own})
      if (s && s->files)
        for (const GuestFile& f : *s->files)
          files[f.guestPath] = f;
    for (auto& [path, f] : files)
      n.files.push_back(f);
    if (r.layout.present)
      n.layout = layout(r.layout, owner);
    rawRoutes_.push_back(&r.routes);
    nodeIndex_.emplace(n.name, static_cast<NodeIndex>(t_.nodes.size()));
    t_.nodes.push_back(std::move(n));
    usedIfaces_.emplace_back();
  }

  /// `depends-on`: known nodes, not the node itself, and no cycle (reported once, at the node
  /// whose entry closes it).
  void resolveDependencies() {
    std::vector<std::string> names;
    for (const Node& n : t_.nodes)
      names.push_back(n.name);
    for (size_t i = 0; i < raw_.nodes.size() && i < t_.nodes.size(); ++i) {
      Node& n = t_.nodes[i];
      for (const RawScalar& d : raw_.nodes[i].dependsOn) {
        if (!nodeIndex_.count(d.text)) {
          diags_.error(d.loc, "node " + quote(n.name) + " depends on unknown node " + quote(d.text) + didYouMean(d.text, names));
          continue;
        }
        if (d.text == n.name) {
          diags_.error(d.loc, "node " + quote(n.name) + " depends on itself");
          continue;
        }
        if (std::find(n.dependsOn.begin(), n.dependsOn.end(), d.text) == n.dependsOn.end())
          n.dependsOn.push_back(d.text);
      }
    }
    // Depth-first search for a cycle: 0 unvisited, 1 on the stack, 2 done.
    std::vector<int> state(t_.nodes.size(), 0);
    std::vector<std::string> stack;
    std::function<bool(size_t)> visit = [&](size_t i) {
      state[i] = 1;
      stack.push_back(t_.nodes[i].name);
      for (size_t k = 0; k < t_.nodes[i].dependsOn.size(); ++k) {
        const size_t j = nodeIndex_.at(t_.nodes[i].dependsOn[k]);
        if (state[j] == 1) {
          std::string cycle;
          auto from = std::find(stack.begin(), stack.end(), t_.nodes[j].name);
          for (auto it = from; it != stack.end(); ++it)
            cycle += *it + " -> ";
          cycle += t_.nodes[j].name;
          const auto& raw = raw_.nodes[i].dependsOn;
          auto at = std::find_if(raw.begin(), raw.end(), [&](const RawScalar& d) { return d.text == t_.nodes[j].name; });
          diags_.error(at != raw.end() ? at->loc : t_.nodes[i].loc,
                       "the nodes' 'depends-on' form a cycle (" + cycle + "), so none of them could boot first");
          return true;
        }
        if (state[j] == 0 && visit(j))
          return true;
      }
      stack.pop_back();
      state[i] = 2;
      return false;
    };
    for (size_t i = 0; i < t_.nodes.size(); ++i)
      if (state[i] == 0 && visit(i))
        break;
  }

  std::optional<Layout> layout(const RawLayout& l, const std::string& owner) {
    auto num = [&](const RawScalar& s, const char* axis) -> std::optional<double> {
      if (!s) {
        diags_.error(l.loc, "layout of " + owner + " needs '" + axis + "'");
        return std::nullopt;
      }
      double v = 0;
      auto [p, ec] = std::from_chars(s.text.data(), s.text.data() + s.text.size(), v);
      if (ec != std::errc() || p != s.text.data() + s.text.size() || !std::isfinite(v) || std::abs(v) > 1e7) {
        diags_.error(s.loc, std::string(axis) + " of the layout of " + owner + " must be a number, not " + quote(s.text));
        return std::nullopt;
      }
      return v;
    };
    auto x = num(l.x, "x");
    auto y = num(l.y, "y");
    if (!x || !y)
      return std::nullopt;
    return Layout{*x, *y};
  }

  void resolveSegment(const RawSegment& r) {
    Segment s;
    s.name = r.name.text;
    s.loc = r.name.loc;
    s.description = r.description.text;
    if (checkName(r.name, "segment") && s.name == "host")
      diags_.error(r.name.loc, "segment name 'host' is reserved for links to the host");
    const std::string owner = "segment " + quote(r.name.text);
    if (r.type) {
      static const std::vector<std::string> kTypes{"switch", "hub", "mcast"};
      if (r.type.text == "switch") s.type = SegmentType::Switch;
      else if (r.type.text == "hub") s.type = SegmentType::Hub;
      else if (r.type.text == "mcast") s.type = SegmentType::Mcast;
      else
        diags_.error(r.type.loc, "type " + quote(r.type.text) + " of " + owner + " is not one of 'switch', 'hub' or 'mcast'" +
                                     didYouMean(r.type.text, kTypes));
    }
    if (r.transport) {
      if (r.transport.text == "daemon") s.transport = SwitchTransport::Daemon;
      else if (r.transport.text == "bess") s.transport = SwitchTransport::Bess;
      else
        diags_.error(r.transport.loc, "transport " + quote(r.transport.text) + " of " + owner + " is not 'daemon' or 'bess'" +
                                          didYouMean(r.transport.text, {"daemon", "bess"}));
      if (s.type == SegmentType::Mcast)
        diags_.error(r.transport.loc, owner + " is an mcast segment, which always uses UML's mcast transport; remove 'transport'");
    }
    if (r.injected) {
      if (auto b = boolean(r.injected, "'injected' of " + owner))
        s.injected = *b;
      if (s.type == SegmentType::Mcast && s.injected)
        diags_.error(r.injected.loc, owner + " is an mcast segment, where nothing can be injected; remove 'injected'");
    }
    if (r.layout.present)
      s.layout = layout(r.layout, owner);
    segmentIndex_.emplace(s.name, static_cast<SegmentIndex>(t_.segments.size()));
    t_.segments.push_back(std::move(s));
  }

  // ---- links ------------------------------------------------------------------------------

  std::vector<std::string> nodeNames() const {
    std::vector<std::string> v;
    for (const Node& n : t_.nodes)
      v.push_back(n.name);
    return v;
  }
  std::vector<std::string> segmentNames() const {
    std::vector<std::string> v;
    for (size_t i = 0; i < declaredSegments(); ++i)
      v.push_back(t_.segments[i].name);
    return v;
  }
  size_t declaredSegments() const { return raw_.segments.size(); }

  std::optional<NodeIndex> findNode(const std::string& name) const {
    auto it = nodeIndex_.find(name);
    return it == nodeIndex_.end() ? std::nullopt : std::optional<NodeIndex>(it->second);
  }
  /// Declared segments only: implicit point-to-point segments cannot be named.
  std::optional<SegmentIndex> findSegment(const std::string& name) const {
    auto it = segmentIndex_.find(name);
    return it == segmentIndex_.end() ? std::nullopt : std::optional<SegmentIndex>(it->second);
  }

  void noteDeclared(Diagnostic& d, bool nodes) {
    SourceLoc where = nodes ? raw_.nodesLoc : raw_.segmentsLoc;
    if (where.isValid())
      Diagnostics::note(d, where, nodes ? "nodes are declared here" : "segments are declared here");
  }

  End nodeIface(const RawScalar& nodeName, const RawScalar& ifaceName, const std::string& shown, SourceLoc loc,
                const std::string& role = "link endpoint") {
    End e;
    auto n = findNode(nodeName.text);
    if (!n) {
      std::string msg = quote(shown) + " names unknown node " + quote(nodeName.text);
      if (auto s = suggest(nodeName.text, nodeNames()))
        msg += "; did you mean " + quote(*s) + "?";
      Diagnostic& d = diags_.error(loc, role + " " + msg);
      noteDeclared(d, true);
      return e;
    }
    auto idx = parseIfaceName(ifaceName.text);
    if (!idx) {
      diags_.error(ifaceName.loc.isValid() ? ifaceName.loc : loc,
                   "interface " + quote(ifaceName.text) + " of node " + quote(nodeName.text) +
                       " must be named ethN, with N from 0 to " + std::to_string(kMaxInterfaces - 1));
      return e;
    }
    e.kind = End::Kind::Iface;
    e.node = *n;
    e.iface = *idx;
    return e;
  }

  End resolveEnd(const RawEndpoint& r) {
    if (r.isMapping) {
      End e = nodeIface(r.node, r.iface, r.node.text + ":" + r.iface.text, r.node.loc);
      e.raw = &r;
      return e;
    }
    const std::string& s = r.ref.text;
    size_t colon = s.find(':');
    if (colon != std::string::npos) {
      RawScalar node{s.substr(0, colon), r.ref.loc, true, false};
      RawScalar iface{s.substr(colon + 1), r.ref.loc, true, false};
      iface.loc.column += static_cast<uint32_t>(colon + 1 + (r.ref.quoted ? 1 : 0));
      End e = nodeIface(node, iface, s, r.ref.loc);
      e.raw = &r;
      return e;
    }
    End e;
    e.raw = &r;
    if (s == "host") {
      e.kind = End::Kind::Host;
      return e;
    }
    if (auto seg = findSegment(s)) {
      e.kind = End::Kind::Segment;
      e.segment = *seg;
      return e;
    }
    if (findNode(s)) {
      diags_.error(r.ref.loc, "link endpoint " + quote(s) + " is a node; name one of its interfaces, as in " + quote(s + ":eth0"));
      return e;
    }
    std::string msg = "link endpoint " + quote(s) + " names no segment or node";
    std::vector<std::string> all = segmentNames();
    if (auto sug = suggest(s, all))
      msg += "; did you mean segment " + quote(*sug) + "?";
    else if (auto sugN = suggest(s, nodeNames()))
      msg += "; did you mean " + quote(*sugN + ":eth0") + "?";
    else
      msg += "; a link end is 'node:ethN', a segment name, or 'host'";
    Diagnostic& d = diags_.error(r.ref.loc, msg);
    noteDeclared(d, false);
    return e;
  }

  /// Claims node:ethN for one use; a second use is an error.
  bool claim(NodeIndex node, unsigned iface, SourceLoc loc) {
    auto [it, inserted] = usedIfaces_[node].emplace(iface, loc);
    if (!inserted) {
      Diagnostic& d = diags_.error(loc, "interface " + quote(t_.nodes[node].name + ":eth" + std::to_string(iface)) +
                                            " is connected twice; give the second link another interface");
      Diagnostics::note(d, it->second, "first connected here");
    }
    return inserted;
  }

  Interface& addInterface(NodeIndex node, unsigned iface, SourceLoc loc) {
    Interface i;
    i.name = "eth" + std::to_string(iface);
    i.index = iface;
    i.loc = loc;
    t_.nodes[node].interfaces.push_back(std::move(i));
    return t_.nodes[node].interfaces.back();
  }

  /// Addresses of one interface, from the endpoint mapping or (for single-node links) the link.
  void addressing(Interface& i, NodeIndex node, const RawScalar& ip, const RawScalar& gw, const RawScalar& m) {
    const std::string owner = quote(t_.nodes[node].name + ":" + i.name);
    if (ip)
      i.ip = prefix(ip, owner);
    if (ip && i.ip) {
      auto [it, inserted] = usedIps_.emplace(i.ip->address(), UsedAt{owner, ip.loc});
      if (!inserted) {
        Diagnostic& d = diags_.error(ip.loc, "address " + i.ip->address().str() + " of " + owner + " is already used by " + it->second.owner);
        Diagnostics::note(d, it->second.loc, "first used here");
      }
    }
    if (gw) {
      if (auto g = address(gw, "gateway")) {
        if (!ip)
          diags_.error(gw.loc, "gateway of " + owner + " needs an 'ip' on the same interface");
        else if (i.ip && g->family() != i.ip->address().family())
          diags_.error(gw.loc, "gateway " + g->str() + " of " + owner + " is not of the same IP version as " + i.ip->str());
        else if (i.ip && *g == i.ip->address())
          diags_.error(gw.loc, "gateway " + g->str() + " of " + owner + " is the interface's own address");
        else if (i.ip && !i.ip->contains(*g))
          diags_.error(gw.loc, "gateway " + g->str() + " of " + owner + " is not inside " + i.ip->network().str() + "/" +
                                   std::to_string(i.ip->length()) + ", the network of " + i.ip->str());
        else if (i.ip)
          i.gateway = g;
        if (i.gateway)
          gatewayLocs_[{node, i.index}] = gw.loc;
      }
    }
    if (m) {
      if (auto mm = mac(m, owner)) {
        i.mac = *mm;
        i.macDerived = false;
        auto [it, inserted] = usedMacs_.emplace(*mm, UsedAt{owner, m.loc});
        if (!inserted) {
          Diagnostic& d = diags_.error(m.loc, "MAC address " + mm->str() + " of " + owner + " is already used by " + it->second.owner);
          Diagnostics::note(d, it->second.loc, "first used here");
        }
      }
    }
  }

  void resolveLink(const RawLink& l) {
    const std::string what = "link " + std::to_string(l.number);
    End a = resolveEnd(l.endpoints[0]);
    End b = resolveEnd(l.endpoints[1]);
    auto im = conditions(l, what);
    if (a.kind == End::Kind::Invalid || b.kind == End::Kind::Invalid)
      return;
    // Put the interface end first where there is one.
    if (a.kind != End::Kind::Iface && b.kind == End::Kind::Iface)
      std::swap(a, b);
    const bool linkAddressing = l.ip || l.gateway || l.mac;
    auto endAddressing = [&](const End& e) { return e.raw->ip || e.raw->gateway || e.raw->mac; };

    if (a.kind == End::Kind::Iface && b.kind == End::Kind::Iface) {
      if (a.node == b.node && a.iface == b.iface) {
        diags_.error(l.endpointsLoc, what + " joins " + quote(t_.nodes[a.node].name + ":eth" + std::to_string(a.iface)) + " to itself");
        return;
      }
      if (linkAddressing)
        diags_.error((l.ip ? l.ip : l.gateway ? l.gateway : l.mac).loc,
                     what + " joins two interfaces; give 'ip', 'gateway' and 'mac' per end, as in "
                            "'endpoints: [{node: a, iface: eth0, ip: 10.0.9.1/30}, {node: b, iface: eth0, ip: 10.0.9.2/30}]'");
      bool okA = claim(a.node, a.iface, a.raw->loc);
      bool okB = claim(b.node, b.iface, b.raw->loc);
      if (!okA || !okB)
        return;
      Segment s;
      s.name = "p2p." + std::to_string(l.number); // '.' is not allowed in declared names: no clash
      s.type = SegmentType::PointToPoint;
      s.loc = l.loc;
      const SegmentIndex si = static_cast<SegmentIndex>(t_.segments.size());
      for (const End* e : {&a, &b}) {
        Interface& i = addInterface(e->node, e->iface, e->raw->loc);
        i.attachment = Attachment{Attachment::Kind::Segment, si, 0};
        if (im)
          i.conditions = *im;
        addressing(i, e->node, e->raw->ip, e->raw->gateway, e->raw->mac);
        s.members.push_back(Member{e->node, e->iface});
      }
      t_.segments.push_back(std::move(s));
      return;
    }

    if (a.kind == End::Kind::Iface) {
      if (endAddressing(a) && linkAddressing)
        diags_.error(l.ip ? l.ip.loc : l.gateway ? l.gateway.loc : l.mac.loc,
                     what + " gives addresses both on the link and on its endpoint; keep one");
      if (b.kind == End::Kind::Host) {
        if (im && !im->empty())
          diags_.error(l.loc, what + " goes to the host, which has no switch to impose delay, loss or rate");
        if (!claim(a.node, a.iface, a.raw->loc))
          return;
        Interface& i = addInterface(a.node, a.iface, a.raw->loc);
        i.attachment = Attachment{Attachment::Kind::Tap, 0, static_cast<uint32_t>(t_.taps.size())};
        t_.taps.push_back(Tap{a.node, a.iface, l.loc});
        if (endAddressing(a))
          addressing(i, a.node, a.raw->ip, a.raw->gateway, a.raw->mac);
        else
          addressing(i, a.node, l.ip, l.gateway, l.mac);
        return;
      }
      Segment& seg = t_.segments[b.segment];
      if (seg.type == SegmentType::Mcast && im && !im->empty())
        diags_.error(l.loc, what + " joins mcast segment " + quote(seg.name) +
                                ", which has no switch to impose delay, loss or rate; make it a 'switch' segment");
      if (!claim(a.node, a.iface, a.raw->loc))
        return;
      Interface& i = addInterface(a.node, a.iface, a.raw->loc);
      i.attachment = Attachment{Attachment::Kind::Segment, b.segment, 0};
      if (im)
        i.conditions = *im;
      if (endAddressing(a))
        addressing(i, a.node, a.raw->ip, a.raw->gateway, a.raw->mac);
      else
        addressing(i, a.node, l.ip, l.gateway, l.mac);
      seg.members.push_back(Member{a.node, a.iface});
      return;
    }

    // No interface end: segment-segment, segment-host or host-host.
    if (a.kind == End::Kind::Segment && b.kind == End::Kind::Segment) {
      const Segment& sa = t_.segments[a.segment];
      const Segment& sb = t_.segments[b.segment];
      if (a.segment == b.segment) {
        diags_.error(l.endpointsLoc, what + " joins segment " + quote(sa.name) + " to itself");
        return;
      }
      if (linkAddressing)
        diags_.error(l.loc, what + " joins two segments; addresses belong to node interfaces, not to segments");
      if (sa.type == SegmentType::Mcast || sb.type == SegmentType::Mcast) {
        const Segment& m = sa.type == SegmentType::Mcast ? sa : sb;
        const Segment& o = sa.type == SegmentType::Mcast ? sb : sa;
        diags_.error(l.endpointsLoc, what + " joins mcast segment " + quote(m.name) + " to " + segmentTypeName(o.type) +
                                         " segment " + quote(o.name) +
                                         "; an mcast segment has no switch to join, so connect the two through a node such as a router");
        return;
      }
      t_.trunks.push_back(Trunk{a.segment, b.segment, im ? *im : LinkConditions{}, l.loc});
      return;
    }
    diags_.error(l.endpointsLoc, what + " must have a node interface at one end to reach the host, as in '[r1:eth1, host]'");
  }

  void resolveMonitor(const RawMonitor& r) {
    const std::string what = "monitor " + std::to_string(r.number);
    End e = nodeIface(r.node, r.iface, r.node.text + ":" + r.iface.text, r.node.loc, what + " interface");
    auto seg = findSegment(r.mirror.text);
    if (!seg) {
      Diagnostic& d = diags_.error(r.mirror.loc, what + " mirrors unknown segment " + quote(r.mirror.text) +
                                                     didYouMean(r.mirror.text, segmentNames()));
      noteDeclared(d, false);
      return;
    }
    Segment& s = t_.segments[*seg];
    if (s.type == SegmentType::Mcast) {
      diags_.error(r.mirror.loc, what + " mirrors mcast segment " + quote(s.name) +
                                     "; monitors are served by a switch, so mirror a 'switch' or 'hub' segment");
      return;
    }
    if (e.kind != End::Kind::Iface || !claim(e.node, e.iface, r.node.loc))
      return;
    Interface& i = addInterface(e.node, e.iface, r.node.loc);
    i.attachment = Attachment{Attachment::Kind::Segment, *seg, 0};
    i.isMonitor = true;
    if (r.filter) {
      const Node& node = t_.nodes[e.node];
      if (!transports::isSafePcapFilter(r.filter.text))
        diags_.error(r.filter.loc, what + " filter " + quote(r.filter.text) +
                                       " may not contain ',' or '\"' (UML's command line splits on them), control "
                                       "characters, or leading or trailing spaces");
      else if (node.kernel != kernel::kUmlabKernelName)
        diags_.error(r.filter.loc, what + " has a filter, so it uses UML's pcap transport, which Debian's linux.uml "
                                       "lacks; give node " + quote(node.name) +
                                       " 'kernel: umlab' (umlab's own kernel: 'umlab kernel build')");
      else if (std::string why; !transports::PcapFilter::compile(r.filter.text, why))
        diags_.error(r.filter.loc, what + " filter " + quote(r.filter.text) + " is not a pcap filter: " + why);
      else
        i.pcapFilter = r.filter.text;
    }
    addressing(i, e.node, RawScalar{}, RawScalar{}, r.mac);
    s.monitors.push_back(Member{e.node, e.iface});
  }

  void resolveReplay(const RawReplay& r) {
    const std::string what = "replay " + std::to_string(r.number);
    Replay rp;
    rp.loc = r.loc;
    bool ok = false;
    if (auto seg = findSegment(r.segment.text); !seg) {
      Diagnostic& d = diags_.error(r.segment.loc, what + " names unknown segment " + quote(r.segment.text) +
                                                      didYouMean(r.segment.text, segmentNames()));
      noteDeclared(d, false);
    } else if (t_.segments[*seg].type == SegmentType::Mcast) {
      diags_.error(r.segment.loc, what + " targets mcast segment " + quote(r.segment.text) +
                                      "; replays are injected by a switch, so target a 'switch' or 'hub' segment");
    } else {
      rp.segment = *seg;
      ok = true;
    }
    rp.pcapPath = hostPathIn(raw_.baseDir, r.pcap.text);
    if (r.pcap.text.empty() || !options_.pathExists(rp.pcapPath)) {
      diags_.error(r.pcap.loc, "capture " + quote(r.pcap.text) + " of " + what + " does not exist (looked for " +
                                   quote(rp.pcapPath) + "); paths are relative to the topology file");
      ok = false;
    }
    ok = readReplaySpeed(r.speed, what, diags_, rp.speed) && ok;
    ok = readReplayLoop(r.loop, what, diags_, rp.loop) && ok;
    if (r.rewriteMac) {
      auto b = boolean(r.rewriteMac, "'rewrite-mac' of " + what);
      ok = ok && b.has_value();
      rp.rewriteMac = b.value_or(false);
    }
    if (ok)
      t_.replays.push_back(std::move(rp));
  }

  // ---- per-node checks after all links ----------------------------------------------------

  void finishNode(NodeIndex ni) {
    Node& n = t_.nodes[ni];
    std::sort(n.interfaces.begin(), n.interfaces.end(), [](const Interface& a, const Interface& b) { return a.index < b.index; });
    const std::string owner = "node " + quote(n.name);
    // One default route per IP version.
    std::map<IpAddress::Family, SourceLoc> defaults;
    auto claimDefault = [&](IpAddress::Family f, SourceLoc loc) {
      auto [it, inserted] = defaults.emplace(f, loc);
      if (!inserted) {
        Diagnostic& d = diags_.error(loc, owner + " has a second default route; a node has one gateway per IP version");
        Diagnostics::note(d, it->second, "the first is here");
      }
    };
    for (const Interface& i : n.interfaces)
      if (i.gateway)
        claimDefault(i.gateway->family(), gatewayLocs_[{ni, i.index}]);
    for (const RawRoute& rr : *rawRoutes_[ni]) {
      if (!rr.to || !rr.via)
        continue;
      Route route;
      route.loc = rr.loc;
      bool ok = true;
      if (rr.to.text != "default") {
        auto p = IpPrefix::parse(rr.to.text);
        if (!p) {
          diags_.error(rr.to.loc, "route destination " + quote(rr.to.text) + " of " + owner +
                                      " is not a prefix such as '10.0.2.0/24', nor 'default'");
          ok = false;
        } else if (p->address() != p->network()) {
          diags_.error(rr.to.loc, "route destination " + quote(rr.to.text) + " of " + owner +
                                      " has host bits set; did you mean " + quote(p->network().str() + "/" + std::to_string(p->length())) + "?");
          ok = false;
        } else if (p->length() != 0) {
          route.to = p; // a /0 destination is the default route, written another way
        }
      }
      auto via = address(rr.via, "route gateway");
      if (!via)
        continue;
      route.via = *via;
      bool reachable = false;
      for (const Interface& i : n.interfaces)
        reachable = reachable || (i.ip && i.ip->contains(*via) && i.ip->address() != *via);
      if (!reachable) {
        diags_.error(rr.via.loc, "route gateway " + via->str() + " of " + owner + " is not on any network of the node's interfaces");
        ok = false;
      }
      if (route.to && route.to->address().family() != via->family()) {
        diags_.error(rr.via.loc, "route gateway " + via->str() + " of " + owner + " is not of the same IP version as " + rr.to.text);
        ok = false;
      }
      if (ok && !route.to)
        claimDefault(via->family(), rr.loc);
      if (ok)
        n.routes.push_back(route);
    }
  }

  void deriveMacs() {
    for (Node& n : t_.nodes)
      for (Interface& i : n.interfaces) {
        if (!i.macDerived)
          continue;
        const std::string key = t_.name + "/" + n.name + "/" + i.name;
        uint32_t salt = 0;
        MacAddress m = MacAddress::derive(key);
        while (usedMacs_.count(m))
          m = MacAddress::derive(key, ++salt);
        i.mac = m;
        usedMacs_.emplace(m, UsedAt{quote(n.name + ":" + i.name), i.loc});
      }
  }

  /// A warning when the interfaces on one segment sit in different subnets: a classic mistake.
  void checkSubnets() {
    for (const Segment& s : t_.segments) {
      const Interface* first = nullptr;
      const Node* firstNode = nullptr;
      for (const Member& m : s.members) {
        const Node& n = t_.nodes[m.node];
        const Interface* i = n.findInterface(m.interface);
        if (!i || !i->ip)
          continue;
        if (!first) {
          first = i;
          firstNode = &n;
          continue;
        }
        if (i->ip->address().family() == first->ip->address().family() &&
            (i->ip->network() != first->ip->network() || i->ip->length() != first->ip->length())) {
          const std::string segName = s.type == SegmentType::PointToPoint ? "this point-to-point link" : "segment " + quote(s.name);
          Diagnostic& d = diags_.warning(i->loc, quote(n.name + ":" + i->name) + " (" + i->ip->str() + ") and " +
                                                     quote(firstNode->name + ":" + first->name) + " (" + first->ip->str() +
                                                     ") are on " + segName + " but in different subnets");
          Diagnostics::note(d, first->loc, "the other interface is here");
          break;
        }
      }
    }
  }

  const RawTopology& raw_;
  const GuestKindRegistry& kinds_;
  Diagnostics& diags_;
  ResolveOptions options_;
  Topology t_;
  Settings defaults_;
  std::map<std::string, Settings> fileKinds_;
  std::vector<std::string> fileKindNames_;
  std::vector<const std::vector<RawRoute>*> rawRoutes_;
  std::vector<std::map<unsigned, SourceLoc>> usedIfaces_;
  std::map<IpAddress, UsedAt> usedIps_;
  std::map<MacAddress, UsedAt> usedMacs_;
  std::map<std::pair<NodeIndex, unsigned>, SourceLoc> gatewayLocs_;
  std::unordered_map<std::string, NodeIndex> nodeIndex_;
  std::unordered_map<std::string, SegmentIndex> segmentIndex_;
};

} // namespace

bool hasValidNameCharacters(std::string_view name) {
  if (name.empty() || !std::isalnum(static_cast<unsigned char>(name[0])))
    return false;
  for (char c : name)
    if (!isNameChar(c))
      return false;
  return true;
}

std::optional<Topology> resolve(const RawTopology& raw, const GuestKindRegistry& kinds, Diagnostics& diags,
                                const ResolveOptions& options) {
  return Resolver(raw, kinds, diags, options).run();
}

} // namespace umlab::lab
