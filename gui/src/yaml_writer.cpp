#include "umlab/gui/yaml_writer.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace umlab::gui {

namespace {

constexpr size_t kMaxFlowLine = 100; // longer elements are written in block style

bool isNullWord(std::string_view s) { return s == "~" || s == "null" || s == "Null" || s == "NULL"; }

bool isPlainSafe(std::string_view s, bool inFlow) {
  if (s.empty() || isNullWord(s))
    return false;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':')
    return false;
  if (s.starts_with("---") || s.starts_with("..."))
    return false;
  const char first = s.front();
  if (std::string_view("!&*|>'\"%@`#,[]{}").find(first) != std::string_view::npos)
    return false;
  if ((first == '-' || first == '?' || first == ':') && (s.size() == 1 || s[1] == ' '))
    return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f)
      return false;
    if (c == ':' && i + 1 < s.size() && (s[i + 1] == ' ' || (inFlow && std::string_view(",[]{}").find(s[i + 1]) != std::string_view::npos)))
      return false;
    if (c == '#' && i > 0 && s[i - 1] == ' ')
      return false;
    if (inFlow && std::string_view(",[]{}").find(static_cast<char>(c)) != std::string_view::npos)
      return false;
  }
  return true;
}

std::string doubleQuoted(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    case '\r': out += "\\r"; break;
    default:
      if (c < 0x20 || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      } else {
        out += ch;
      }
    }
  }
  return out + "\"";
}

std::vector<std::string_view> splitLines(std::string_view s) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (;;) {
    size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.push_back(s.substr(start));
      return lines;
    }
    lines.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
}

/// Whether `s` can be a literal block scalar (`|`) that reads back exactly.
bool fitsLiteralBlock(std::string_view s) {
  if (s.find('\n') == std::string_view::npos)
    return false;
  bool hasText = false;
  for (std::string_view line : splitLines(s)) {
    for (unsigned char c : line)
      if ((c < 0x20 && c != '\t') || c == 0x7f)
        return false;
    const bool blank = line.find_first_not_of(' ') == std::string_view::npos;
    if (blank && !line.empty())
      return false; // a line of spaces alone is ambiguous in a block scalar
    if (!line.empty() && line.back() == ' ')
      return false;
    if (!hasText && !line.empty() && (line.front() == ' ' || line.front() == '\t'))
      return false; // the first text line would set the indentation
    hasText = hasText || !line.empty();
  }
  return hasText;
}

class Writer {
public:
  Writer(const LabData& lab, const WriteOptions& options) : lab_(lab), options_(options) {}

  WrittenLab write() {
    for (const std::string& h : lab_.header)
      line(h);
    sectionComments("name");
    line((lab_.name.empty() ? std::string("name:") : "name: " + yamlScalar(lab_.name, false)) +
         trailing(sectionComment("name")));
    if (!lab_.description.empty()) {
      sectionComments("description");
      lineWithBlock("description: " + scalarOrBlock(lab_.description, 0) + trailing(sectionComment("description")));
    }
    if (lab_.defaults) {
      sectionComments("defaults");
      if (lab_.defaults->empty()) {
        line("defaults: {}" + trailing(sectionComment("defaults")));
      } else {
        line("defaults:" + trailing(sectionComment("defaults")));
        writeSettingsBlock(*lab_.defaults, 2, true);
      }
    }
    if (!lab_.kinds.empty()) {
      sectionComments("kinds");
      line("kinds:" + trailing(sectionComment("kinds")));
      for (const KindData& k : lab_.kinds)
        writeKind(k);
    }
    if (!lab_.images.empty()) {
      sectionComments("images");
      line("images:" + trailing(sectionComment("images")));
      for (const ImageData& i : lab_.images)
        writeImage(i);
    }
    sectionComments("nodes");
    if (lab_.nodes.empty()) {
      line("nodes: {}" + trailing(sectionComment("nodes")));
    } else {
      line("nodes:" + trailing(sectionComment("nodes")));
      for (const NodeData& n : lab_.nodes)
        writeNode(n);
    }
    if (!lab_.segments.empty()) {
      sectionComments("segments");
      line("segments:" + trailing(sectionComment("segments")));
      for (const SegmentData& s : lab_.segments)
        writeSegment(s);
    }
    if (!lab_.links.empty()) {
      sectionComments("links");
      line("links:" + trailing(sectionComment("links")));
      for (const LinkData& l : lab_.links)
        writeLink(l);
    }
    if (!lab_.monitors.empty()) {
      sectionComments("monitors");
      line("monitors:" + trailing(sectionComment("monitors")));
      for (const MonitorData& m : lab_.monitors)
        writeSimpleItem(m.id, m.comments, monitorFields(m));
    }
    if (!lab_.replays.empty()) {
      sectionComments("replays");
      line("replays:" + trailing(sectionComment("replays")));
      for (const ReplayData& r : lab_.replays)
        writeSimpleItem(r.id, r.comments, replayFields(r));
    }
    if (!lab_.timeline.empty()) {
      sectionComments("timeline");
      line("timeline:" + trailing(sectionComment("timeline")));
      for (const TimelineEntryData& t : lab_.timeline) {
        std::vector<Field> f;
        for (const auto& [key, value] : t.fields)
          f.emplace_back(key, yamlScalar(value, true));
        beforeComments(t.comments, 2);
        line("  - " + flowMap(f) + trailing(t.comments.trailing));
      }
    }
    for (const std::string& f : lab_.footer)
      line(f);
    return std::move(out_);
  }

private:
  using Field = std::pair<std::string, std::string>; // key, value already rendered for flow

  void line(const std::string& text) {
    out_.text += text;
    out_.text += '\n';
    ++lineNo_;
  }

  static std::string trailing(const std::string& comment) { return comment.empty() ? "" : "  " + comment; }

  const Comments* commentsOf(const std::string& key) const {
    auto it = lab_.sectionComments.find(key);
    return it == lab_.sectionComments.end() ? nullptr : &it->second;
  }
  std::string sectionComment(const std::string& key) const {
    const Comments* c = commentsOf(key);
    return c ? c->trailing : "";
  }
  void sectionComments(const std::string& key) {
    if (const Comments* c = commentsOf(key))
      for (const std::string& b : c->before)
        line(b);
  }
  void beforeComments(const Comments& c, size_t indent) {
    for (const std::string& b : c.before)
      line(std::string(indent, ' ') + b);
  }

  uint32_t nextLine() const { return lineNo_ + 1; }
  void span(ElementId id, uint32_t first) { out_.spans.push_back(ElementSpan{id, first, lineNo_}); }

  /// A value in block context: a literal block when multi-line text allows it. `indent` is the
  /// indentation of the key; the block's lines go two deeper.
  std::string scalarOrBlock(const std::string& s, size_t indent) {
    if (!fitsLiteralBlock(s))
      return yamlScalar(s, false);
    pendingBlock_ = s;
    pendingIndent_ = indent + 2;
    return blockHeader(s);
  }
  static std::string blockHeader(std::string_view s) {
    if (s.empty() || s.back() != '\n')
      return "|-";
    if (s.size() >= 2 && s[s.size() - 2] == '\n')
      return "|+";
    return "|";
  }
  /// Writes the lines of a literal block announced by `scalarOrBlock`, after its header line.
  void flushBlock() {
    if (pendingBlock_.empty())
      return;
    std::string_view s = pendingBlock_;
    if (!s.empty() && s.back() == '\n')
      s.remove_suffix(1); // the header's chomping says how the text ends
    for (std::string_view l : splitLines(s))
      line(l.empty() ? std::string() : std::string(pendingIndent_, ' ') + std::string(l));
    pendingBlock_.clear();
  }
  void lineWithBlock(const std::string& text) {
    line(text);
    flushBlock();
  }

  static std::string flowMap(const std::vector<Field>& fields) {
    std::string s = "{";
    for (size_t i = 0; i < fields.size(); ++i)
      s += (i ? ", " : "") + fields[i].first + ": " + fields[i].second;
    return s + "}";
  }
  static std::string flowList(const std::vector<std::string>& items) {
    std::string s = "[";
    for (size_t i = 0; i < items.size(); ++i)
      s += (i ? ", " : "") + items[i];
    return s + "]";
  }
  static std::string layoutFlow(const Position& p) {
    return "{x: " + formatCoordinate(p.x) + ", y: " + formatCoordinate(p.y) + "}";
  }
  static void addIf(std::vector<Field>& f, const char* key, const std::string& value) {
    if (!value.empty())
      f.emplace_back(key, yamlScalar(value, true));
  }

  // ---- settings, kinds, images, nodes -------------------------------------------------

  static std::string flowPairs(const KeyValueList& pairs) {
    std::vector<Field> f;
    for (const auto& [k, v] : pairs)
      f.emplace_back(yamlScalar(k, true), yamlScalar(v, true));
    return flowMap(f);
  }
  static std::string flowScalars(const std::vector<std::string>& items) {
    std::vector<std::string> out;
    for (const std::string& i : items)
      out.push_back(yamlScalar(i, true));
    return flowList(out);
  }
  static bool isOneLine(const std::vector<std::string>& items) {
    return std::none_of(items.begin(), items.end(), [](const std::string& i) { return i.find('\n') != std::string::npos; });
  }
  std::string dependsOnFlow(const std::vector<NodeRef>& refs) const {
    std::vector<std::string> names;
    for (const NodeRef& r : refs) {
      const NodeData* n = lab_.findNode(r.node);
      names.push_back(n ? n->name : r.name);
    }
    return flowScalars(names);
  }

  /// The scalar settings, and the collections short enough for flow form, in flow form. The
  /// caller checks `hasBlockOnlyParts` first.
  static std::vector<Field> flowSettings(const SettingsData& s, bool withKind, const std::string& description) {
    std::vector<Field> f;
    if (withKind)
      addIf(f, "kind", s.kind);
    addIf(f, "description", description);
    addIf(f, "memory", s.memory);
    addIf(f, "image", s.image);
    addIf(f, "kernel", s.kernel);
    addIf(f, "forwarding", s.forwarding);
    if (s.startup)
      f.emplace_back("startup", "[]");
    if (s.shutdown)
      f.emplace_back("shutdown", "[]");
    if (s.files)
      f.emplace_back("files", "{}");
    if (s.sysctls)
      f.emplace_back("sysctls", flowPairs(*s.sysctls));
    if (s.mounts)
      f.emplace_back("mounts", flowPairs(*s.mounts));
    return f;
  }
  /// Commands and files always take block style, as in the example labs.
  static bool hasBlockOnlyParts(const SettingsData& s) {
    return (s.startup && !s.startup->empty()) || (s.shutdown && !s.shutdown->empty()) || (s.files && !s.files->empty());
  }

  void writeCommands(const std::string& pad, size_t indent, const char* key, const std::vector<std::string>& commands) {
    if (commands.empty()) {
      line(pad + key + ": []");
      return;
    }
    line(pad + key + ":");
    for (const std::string& cmd : commands)
      lineWithBlock(pad + "  - " + scalarOrBlock(cmd, indent + 2));
  }
  /// A mapping in flow form when `preferFlow` and it fits on the line, else one key per line.
  void writePairs(const std::string& pad, const char* key, const KeyValueList& pairs, bool preferFlow) {
    const std::string one = pad + key + ": " + flowPairs(pairs);
    if (pairs.empty() || (preferFlow && one.size() <= kMaxFlowLine)) {
      line(one);
      return;
    }
    line(pad + key + ":");
    for (const auto& [k, v] : pairs)
      line(pad + "  " + yamlScalar(k, false) + ": " + yamlScalar(v, false));
  }

  /// Writes settings as block-style keys at `indent`.
  void writeSettingsBlock(const SettingsData& s, size_t indent, bool withKind, const std::string& description = {}) {
    const std::string pad(indent, ' ');
    auto scalarLine = [&](const char* key, const std::string& v) {
      if (!v.empty())
        lineWithBlock(pad + key + ": " + scalarOrBlock(v, indent));
    };
    if (withKind)
      scalarLine("kind", s.kind);
    scalarLine("description", description);
    scalarLine("memory", s.memory);
    scalarLine("image", s.image);
    scalarLine("kernel", s.kernel);
    scalarLine("forwarding", s.forwarding);
    if (s.startup)
      writeCommands(pad, indent, "startup", *s.startup);
    if (s.shutdown)
      writeCommands(pad, indent, "shutdown", *s.shutdown);
    if (s.files)
      writePairs(pad, "files", *s.files, false);
    if (s.sysctls)
      writePairs(pad, "sysctls", *s.sysctls, true);
    if (s.mounts)
      writePairs(pad, "mounts", *s.mounts, true);
  }

  void writeKind(const KindData& k) {
    beforeComments(k.comments, 2);
    const std::string key = "  " + yamlScalar(k.name, false) + ":";
    if (!hasBlockOnlyParts(k.settings)) {
      std::string one = key + " " + flowMap(flowSettings(k.settings, false, {}));
      if (one.size() <= kMaxFlowLine) {
        line(one + trailing(k.comments.trailing));
        return;
      }
    }
    line(key + trailing(k.comments.trailing));
    writeSettingsBlock(k.settings, 4, false);
  }

  void writeImage(const ImageData& i) {
    beforeComments(i.comments, 2);
    const std::string key = "  " + yamlScalar(i.name, false) + ":";
    std::vector<Field> f;
    addIf(f, "from", i.from);
    if (!i.packages.empty())
      f.emplace_back("packages", flowScalars(i.packages));
    if (!i.files.empty())
      f.emplace_back("files", flowPairs(i.files));
    if (!i.run.empty())
      f.emplace_back("run", flowScalars(i.run));
    addIf(f, "size", i.size);
    const std::string one = key + " " + flowMap(f);
    if (isOneLine(i.run) && one.size() <= kMaxFlowLine) {
      line(one + trailing(i.comments.trailing));
      return;
    }
    line(key + trailing(i.comments.trailing));
    if (!i.from.empty())
      line("    from: " + yamlScalar(i.from, false));
    if (!i.packages.empty()) {
      const std::string packages = "    packages: " + flowScalars(i.packages);
      if (packages.size() <= kMaxFlowLine) {
        line(packages);
      } else {
        line("    packages:");
        for (const std::string& p : i.packages)
          line("      - " + yamlScalar(p, false));
      }
    }
    if (!i.files.empty())
      writePairs("    ", "files", i.files, true);
    if (!i.run.empty())
      writeCommands("    ", 4, "run", i.run);
    if (!i.size.empty())
      line("    size: " + yamlScalar(i.size, false));
  }

  void writeNode(const NodeData& n) {
    beforeComments(n.comments, 2);
    const uint32_t first = nextLine();
    const std::string key = "  " + yamlScalar(n.name, false) + ":";
    if (!hasBlockOnlyParts(n.settings)) {
      std::vector<Field> f = flowSettings(n.settings, true, n.description);
      if (!n.dependsOn.empty())
        f.emplace_back("depends-on", dependsOnFlow(n.dependsOn));
      if (!n.routes.empty())
        f.emplace_back("routes", routesFlow(n.routes));
      if (options_.positions)
        f.emplace_back("layout", layoutFlow(n.position));
      std::string one = key + " " + flowMap(f);
      if (one.size() <= kMaxFlowLine) {
        line(one + trailing(n.comments.trailing));
        span(n.id, first);
        return;
      }
    }
    line(key + trailing(n.comments.trailing));
    writeSettingsBlock(n.settings, 4, true, n.description);
    if (!n.dependsOn.empty())
      line("    depends-on: " + dependsOnFlow(n.dependsOn));
    if (!n.routes.empty()) {
      line("    routes:");
      for (const RouteData& r : n.routes)
        line("      - " + routeFlow(r));
    }
    if (options_.positions)
      line("    layout: " + layoutFlow(n.position));
    span(n.id, first);
  }

  static std::string routeFlow(const RouteData& r) {
    std::vector<Field> f;
    addIf(f, "to", r.to);
    addIf(f, "via", r.via);
    return flowMap(f);
  }
  static std::string routesFlow(const std::vector<RouteData>& routes) {
    std::vector<std::string> items;
    for (const RouteData& r : routes)
      items.push_back(routeFlow(r));
    return flowList(items);
  }

  // ---- segments ------------------------------------------------------------------------

  void writeSegment(const SegmentData& s) {
    beforeComments(s.comments, 2);
    const uint32_t first = nextLine();
    std::vector<Field> f;
    addIf(f, "type", s.type);
    addIf(f, "transport", s.transport);
    addIf(f, "description", s.description);
    addIf(f, "injected", s.injected);
    if (options_.positions)
      f.emplace_back("layout", layoutFlow(s.position));
    const std::string key = "  " + yamlScalar(s.name, false) + ":";
    std::string one = key + " " + flowMap(f);
    if (one.size() <= kMaxFlowLine) {
      line(one + trailing(s.comments.trailing));
      span(s.id, first);
      return;
    }
    line(key + trailing(s.comments.trailing));
    if (!s.type.empty())
      line("    type: " + yamlScalar(s.type, false));
    if (!s.transport.empty())
      line("    transport: " + yamlScalar(s.transport, false));
    if (!s.description.empty())
      lineWithBlock("    description: " + scalarOrBlock(s.description, 4));
    if (!s.injected.empty())
      line("    injected: " + yamlScalar(s.injected, false));
    if (options_.positions)
      line("    layout: " + layoutFlow(s.position));
    span(s.id, first);
  }

  // ---- links ---------------------------------------------------------------------------

  std::string endpointFlow(const EndpointData& e) const {
    if (!e.isMapping || e.kind != EndpointData::Kind::Interface)
      return yamlScalar(endpointText(lab_, e), true);
    std::vector<Field> f;
    f.emplace_back("node", yamlScalar(endpointName(lab_, e), true));
    f.emplace_back("iface", yamlScalar(e.iface, true));
    addIf(f, "ip", e.ip);
    addIf(f, "gateway", e.gateway);
    addIf(f, "mac", e.mac);
    return flowMap(f);
  }

  static std::vector<Field> linkFields(const LinkData& l) {
    std::vector<Field> f;
    addIf(f, "ip", l.ip);
    addIf(f, "gateway", l.gateway);
    addIf(f, "mac", l.mac);
    addIf(f, "delay", l.conditions.delay);
    addIf(f, "jitter", l.conditions.jitter);
    addIf(f, "loss", l.conditions.loss);
    addIf(f, "rate", l.conditions.rate);
    addIf(f, "duplicate", l.conditions.duplicate);
    addIf(f, "corrupt", l.conditions.corrupt);
    return f;
  }

  void writeLink(const LinkData& l) {
    beforeComments(l.comments, 2);
    const uint32_t first = nextLine();
    const std::string a = endpointFlow(l.ends[0]), b = endpointFlow(l.ends[1]);
    std::vector<Field> f{{"endpoints", flowList({a, b})}};
    for (Field& x : linkFields(l))
      f.push_back(std::move(x));
    std::string one = "  - " + flowMap(f);
    if (one.size() <= kMaxFlowLine) {
      line(one + trailing(l.comments.trailing));
    } else {
      line("  - endpoints:" + trailing(l.comments.trailing));
      line("      - " + a);
      line("      - " + b);
      for (const Field& x : linkFields(l))
        line("    " + x.first + ": " + x.second);
    }
    span(l.id, first);
  }

  std::vector<Field> monitorFields(const MonitorData& m) const {
    std::vector<Field> f;
    const NodeData* n = lab_.findNode(m.node);
    const SegmentData* s = lab_.findSegment(m.mirror);
    addIf(f, "node", n ? n->name : m.nodeName);
    addIf(f, "iface", m.iface);
    addIf(f, "mirror", s ? s->name : m.mirrorName);
    addIf(f, "mac", m.mac);
    if (m.filter)
      f.emplace_back("filter", yamlScalar(*m.filter, true));
    return f;
  }
  std::vector<Field> replayFields(const ReplayData& r) const {
    std::vector<Field> f;
    const SegmentData* s = lab_.findSegment(r.segment);
    addIf(f, "segment", s ? s->name : r.segmentName);
    addIf(f, "pcap", r.pcap);
    addIf(f, "speed", r.speed);
    addIf(f, "loop", r.loop);
    addIf(f, "rewrite-mac", r.rewriteMac);
    return f;
  }

  void writeSimpleItem(ElementId id, const Comments& c, const std::vector<Field>& f) {
    beforeComments(c, 2);
    const uint32_t first = nextLine();
    line("  - " + flowMap(f) + trailing(c.trailing));
    span(id, first);
  }


  const LabData& lab_;
  const WriteOptions options_;
  WrittenLab out_;
  uint32_t lineNo_ = 0;
  std::string pendingBlock_;
  size_t pendingIndent_ = 0;
};

} // namespace

std::string yamlScalar(std::string_view text, bool inFlow) {
  return isPlainSafe(text, inFlow) ? std::string(text) : doubleQuoted(text);
}

std::string formatCoordinate(double v) {
  if (!std::isfinite(v))
    return "0";
  if (v == std::floor(v) && std::abs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return std::string(buf) == "-0" ? "0" : buf;
  }
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, p) : "0";
}

WrittenLab writeLabYaml(const LabData& lab, const WriteOptions& options) { return Writer(lab, options).write(); }

} // namespace umlab::gui
