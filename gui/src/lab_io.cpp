#include "umlab/gui/lab_io.hpp"

#include "umlab/gui/yaml_writer.hpp"
#include "umlab/lab/compile/analyze.hpp"
#include "umlab/lab/compile/layout.hpp"
#include "umlab/lab/compile/load.hpp"
#include "umlab/lab/compile/resolve.hpp"
#include "umlab/lab/model/kind_registry.hpp"
#include "umlab/lab/yaml/loader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

namespace umlab::gui {

namespace {

using lab::yaml::Document;
using lab::yaml::NodeKind;

// ---- the stages, as `umlab validate` runs them ---------------------------------------------

std::string plural(size_t n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); }

/// What one run of the stages produced. The SourceManager owns the text that locations name.
struct StageRun {
  SourceManager sources;
  Diagnostics diags;
  std::optional<Document> doc;
  std::optional<lab::RawTopology> raw;
  std::optional<lab::Topology> topology;
  bool ok = false;
};

/// load -> resolve -> analyze, exactly as lab::compileFile does (compile.cpp), keeping the
/// document and the raw topology that the GUI needs as well.
void runStages(StageRun& run, const std::string& path, const std::string* text) {
  const size_t before = run.diags.errorCount();
  run.doc = text ? lab::yaml::loadText(path, *text, run.sources, run.diags) : lab::yaml::loadFile(path, run.sources, run.diags);
  if (!run.doc)
    return;
  run.raw = lab::readRawTopology(*run.doc, path, run.diags);
  if (!run.raw)
    return;
  lab::GuestKindRegistry kinds;
  lab::registerBuiltinKinds(kinds);
  run.topology = lab::resolve(*run.raw, kinds, run.diags);
  if (!run.topology || run.diags.errorCount() != before)
    return;
  lab::analyze(*run.topology, run.diags);
  run.ok = true;
}

/// The report for a run; `spans` say which lines belong to which element.
ValidationReport makeReport(const StageRun& run, const std::string& path, const std::vector<ElementSpan>& spans) {
  ValidationReport r;
  r.path = path;
  r.errorCount = run.diags.errorCount();
  r.warningCount = run.diags.warningCount();
  for (const Diagnostic& d : run.diags.all()) {
    ReportEntry e;
    e.severity = d.severity;
    e.text = renderDiagnostic(d);
    while (!e.text.empty() && e.text.back() == '\n')
      e.text.pop_back();
    e.line = d.loc.line;
    if (d.loc.line > 0) {
      // The innermost span holding the line: element spans lie inside no other span.
      for (const ElementSpan& s : spans)
        if (s.firstLine <= d.loc.line && d.loc.line <= s.lastLine)
          e.element = s.id;
    }
    r.entries.push_back(std::move(e));
  }
  if (run.diags.overLimit())
    r.overLimit = "umlab: error: too many errors (" + std::to_string(run.diags.errorCount()) + " in all); only the first " +
                  std::to_string(run.diags.errorLimit()) + " are shown";
  if (!run.ok) {
    r.summary = path + ": " + plural(r.errorCount, "error", "errors");
    if (r.warningCount)
      r.summary += ", " + plural(r.warningCount, "warning", "warnings");
    return r;
  }
  // As cmdValidate counts them (lab/cli/cli.cpp).
  const lab::Topology& t = *run.topology;
  size_t links = 0, segments = 0;
  for (const lab::Segment& s : t.segments) {
    links += s.members.size();
    segments += s.type != lab::SegmentType::PointToPoint;
    if (s.type == lab::SegmentType::PointToPoint)
      --links;
  }
  links += t.trunks.size() + t.taps.size();
  r.summary = path + ": ok: lab '" + t.name + "', " + plural(t.nodes.size(), "node", "nodes") + ", " +
              plural(segments, "segment", "segments") + ", " + plural(links, "link", "links");
  if (r.warningCount)
    r.summary += ", " + plural(r.warningCount, "warning", "warnings");
  return r;
}

// ---- where each element sits in the original text --------------------------------------------

/// What a span of the original file belongs to, for comments.
struct Anchor {
  enum class Kind : uint8_t { Section, Element, KindEntry, ImageEntry, TimelineEntry } kind = Kind::Section;
  std::string section; ///< the top-level key
  ElementId id = kNoElement;
  size_t entryIndex = 0; ///< KindEntry, ImageEntry, TimelineEntry: the entry's position in its section
};

struct SourceSpan {
  uint32_t first = 0;
  uint32_t last = 0;
  Anchor anchor;
};

/// Spans of the top-level keys and of the elements inside them, in line order. `ids` gives the
/// element id for the i-th entry of each section (kNoElement when the loader left it out).
std::vector<SourceSpan> sourceSpans(const Document& doc, uint32_t lineCount,
                                    const std::map<std::string, std::vector<ElementId>>& ids) {
  std::vector<SourceSpan> out;
  const auto& root = doc.root();
  if (root.kind != NodeKind::Mapping)
    return out;
  for (size_t k = 0; k < root.entries.size(); ++k) {
    const auto& [key, valueId] = root.entries[k];
    const uint32_t first = key.loc.line;
    const uint32_t last = k + 1 < root.entries.size() ? root.entries[k + 1].first.loc.line - 1 : lineCount;
    const uint32_t sectionLast = std::max(first, last);
    out.push_back(SourceSpan{first, sectionLast, Anchor{Anchor::Kind::Section, key.text}});
    const auto& value = doc.node(valueId);
    std::vector<uint32_t> starts;
    if (value.kind == NodeKind::Mapping)
      for (const auto& e : value.entries)
        starts.push_back(e.first.loc.line);
    else if (value.kind == NodeKind::Sequence)
      for (lab::yaml::NodeId item : value.items)
        starts.push_back(doc.node(item).loc.line);
    auto it = ids.find(key.text);
    for (size_t i = 0; i < starts.size(); ++i) {
      const uint32_t end = i + 1 < starts.size() ? starts[i + 1] - 1 : sectionLast;
      Anchor a;
      if (key.text == "kinds" && value.kind == NodeKind::Mapping) {
        a = Anchor{Anchor::Kind::KindEntry, key.text, kNoElement, i};
      } else if (key.text == "images" && value.kind == NodeKind::Mapping) {
        a = Anchor{Anchor::Kind::ImageEntry, key.text, kNoElement, i};
      } else if (key.text == "timeline" && value.kind == NodeKind::Sequence) {
        a = Anchor{Anchor::Kind::TimelineEntry, key.text, kNoElement, i};
      } else if (it != ids.end() && i < it->second.size() && it->second[i] != kNoElement) {
        a = Anchor{Anchor::Kind::Element, key.text, it->second[i]};
      } else {
        continue;
      }
      out.push_back(SourceSpan{starts[i], std::max(starts[i], end), a});
    }
  }
  return out;
}

// ---- comments -------------------------------------------------------------------------------

size_t indentOf(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] == ' ')
    ++i;
  return i;
}

/// The position of a comment's '#' in a line of YAML, outside quotes; npos when none.
size_t commentStart(std::string_view line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote) {
      if (c == quote) {
        if (quote == '\'' && i + 1 < line.size() && line[i + 1] == '\'')
          ++i; // '' inside single quotes
        else
          quote = 0;
      } else if (c == '\\' && quote == '"') {
        ++i;
      }
      continue;
    }
    if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t'))
      return i;
    // A quote opens a quoted scalar only where a scalar can start.
    if ((c == '"' || c == '\'') && (i == 0 || std::string_view(" \t[{,:-").find(line[i - 1]) != std::string_view::npos))
      quote = c;
  }
  return std::string_view::npos;
}

/// Whether the line (without its comment) ends in a block scalar header such as `|`, `|-` or `>2`.
bool opensBlockScalar(std::string_view content) {
  while (!content.empty() && (content.back() == ' ' || content.back() == '\t'))
    content.remove_suffix(1);
  size_t i = content.size();
  while (i > 0 && (std::isdigit(static_cast<unsigned char>(content[i - 1])) || content[i - 1] == '+' || content[i - 1] == '-'))
    --i;
  if (i == 0 || (content[i - 1] != '|' && content[i - 1] != '>'))
    return false;
  --i;
  return i == 0 || content[i - 1] == ' ';
}

struct CommentLine {
  uint32_t line = 0;
  std::string text; ///< from the '#'
  bool wholeLine = false;
};

/// Every comment in `text`, skipping the insides of block scalars.
std::vector<CommentLine> findComments(std::string_view text, std::vector<bool>& isContent) {
  std::vector<CommentLine> out;
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= text.size();) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      if (start < text.size())
        lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  isContent.assign(lines.size() + 2, false);
  std::optional<size_t> blockParent; // indentation of the line that opened a block scalar
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    if (!l.empty() && l.back() == '\r')
      l.remove_suffix(1);
    const bool blank = l.find_first_not_of(" \t") == std::string_view::npos;
    const uint32_t lineNo = static_cast<uint32_t>(i + 1);
    if (blockParent) {
      if (blank || indentOf(l) > *blockParent) {
        isContent[lineNo] = !blank;
        continue;
      }
      blockParent.reset();
    }
    if (blank)
      continue;
    const size_t hash = commentStart(l);
    std::string_view content = hash == std::string_view::npos ? l : l.substr(0, hash);
    const bool wholeLine = content.find_first_not_of(" \t") == std::string_view::npos;
    if (hash != std::string_view::npos) {
      std::string_view c = l.substr(hash);
      while (!c.empty() && (c.back() == ' ' || c.back() == '\t'))
        c.remove_suffix(1);
      out.push_back(CommentLine{lineNo, std::string(c), wholeLine});
    }
    if (!wholeLine) {
      isContent[lineNo] = true;
      if (opensBlockScalar(content))
        blockParent = indentOf(l);
    }
  }
  return out;
}

/// Sorts the file's comments into the header, the footer, and the element or section each one
/// stands next to (a comment inside an element moves above it).
void attachComments(LabData& lab, std::string_view text, const std::vector<SourceSpan>& spans) {
  std::vector<bool> isContent;
  std::vector<CommentLine> comments = findComments(text, isContent);
  if (comments.empty())
    return;
  uint32_t firstContent = 0, lastContent = 0;
  for (uint32_t i = 1; i < isContent.size(); ++i)
    if (isContent[i]) {
      if (!firstContent)
        firstContent = i;
      lastContent = i;
    }
  auto nextContent = [&](uint32_t line) {
    for (uint32_t i = line; i < isContent.size(); ++i)
      if (isContent[i])
        return i;
    return 0u;
  };
  // The innermost span holding a line (elements follow their section in `spans`).
  auto spanAt = [&](uint32_t line) -> const SourceSpan* {
    const SourceSpan* best = nullptr;
    for (const SourceSpan& s : spans)
      if (s.first <= line && line <= s.last && (!best || s.first >= best->first))
        best = &s;
    return best;
  };
  auto commentsFor = [&](const Anchor& a) -> Comments* {
    switch (a.kind) {
    case Anchor::Kind::Section: return &lab.sectionComments[a.section];
    case Anchor::Kind::KindEntry: return a.entryIndex < lab.kinds.size() ? &lab.kinds[a.entryIndex].comments : nullptr;
    case Anchor::Kind::ImageEntry: return a.entryIndex < lab.images.size() ? &lab.images[a.entryIndex].comments : nullptr;
    case Anchor::Kind::TimelineEntry:
      for (auto& e : lab.timeline)
        if (e.number == a.entryIndex + 1)
          return &e.comments;
      return nullptr;
    case Anchor::Kind::Element:
      for (auto& e : lab.nodes) if (e.id == a.id) return &e.comments;
      for (auto& e : lab.segments) if (e.id == a.id) return &e.comments;
      for (auto& e : lab.links) if (e.id == a.id) return &e.comments;
      for (auto& e : lab.monitors) if (e.id == a.id) return &e.comments;
      for (auto& e : lab.replays) if (e.id == a.id) return &e.comments;
      return nullptr;
    }
    return nullptr;
  };
  for (const CommentLine& c : comments) {
    if (c.wholeLine && (firstContent == 0 || c.line < firstContent)) {
      lab.header.push_back(c.text);
      continue;
    }
    if (c.wholeLine && c.line > lastContent) {
      lab.footer.push_back(c.text);
      continue;
    }
    const uint32_t at = c.wholeLine ? nextContent(c.line) : c.line;
    const SourceSpan* s = spanAt(at);
    Comments* target = s ? commentsFor(s->anchor) : nullptr;
    if (!target) {
      lab.footer.push_back(c.text);
      continue;
    }
    if (!c.wholeLine && at == s->first && target->trailing.empty())
      target->trailing = c.text;
    else
      target->before.push_back(c.text);
  }
}

// ---- RawTopology -> LabData ------------------------------------------------------------------

std::string text(const lab::RawScalar& s) { return s.present ? s.text : std::string(); }

std::optional<std::vector<std::string>> commandsFrom(const std::optional<std::vector<lab::RawScalar>>& r) {
  if (!r)
    return std::nullopt;
  std::vector<std::string> out;
  for (const lab::RawScalar& c : *r)
    out.push_back(c.text);
  return out;
}

KeyValueList pairsFrom(const std::vector<lab::RawFile>& r) {
  KeyValueList out;
  for (const lab::RawFile& f : r)
    out.emplace_back(f.guestPath.text, f.hostPath.text);
  return out;
}

std::optional<KeyValueList> pairsFrom(const std::optional<std::vector<lab::RawFile>>& r) {
  return r ? std::optional<KeyValueList>(pairsFrom(*r)) : std::nullopt;
}

SettingsData settingsFrom(const lab::RawSettings& r) {
  SettingsData s;
  s.kind = text(r.kind);
  s.memory = text(r.memory);
  s.image = text(r.image);
  s.kernel = text(r.kernel);
  s.forwarding = text(r.forwarding);
  s.startup = commandsFrom(r.startup);
  s.shutdown = commandsFrom(r.shutdown);
  s.files = pairsFrom(r.files);
  s.sysctls = pairsFrom(r.sysctls);
  s.mounts = pairsFrom(r.mounts);
  return s;
}

ImageData imageFrom(const lab::RawImage& r) {
  ImageData i;
  i.name = r.name.text;
  i.from = text(r.from);
  for (const lab::RawScalar& p : r.packages)
    i.packages.push_back(p.text);
  i.files = pairsFrom(r.files);
  for (const lab::RawScalar& c : r.run)
    i.run.push_back(c.text);
  i.size = text(r.size);
  return i;
}

std::optional<Position> positionFrom(const lab::RawLayout& l) {
  if (!l.present || !l.x || !l.y)
    return std::nullopt;
  auto num = [](const std::string& t) -> std::optional<double> {
    double v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || p != t.data() + t.size() || !std::isfinite(v) || std::abs(v) > 1e7)
      return std::nullopt;
    return v;
  };
  auto x = num(l.x.text), y = num(l.y.text);
  if (!x || !y)
    return std::nullopt;
  return Position{*x, *y};
}

struct Built {
  LabData lab;
  std::vector<ElementId> pinned;
  std::map<std::string, std::vector<ElementId>> sectionIds; ///< by top-level key, by entry index
};

Built buildLab(const lab::RawTopology& raw, const Document& doc) {
  Built b;
  LabData& lab = b.lab;
  ElementId next = 1;
  lab.name = text(raw.name);
  lab.description = text(raw.description);
  lab.baseDir = raw.baseDir;
  const auto& root = doc.root();
  for (const auto& [key, id] : root.entries)
    if (key.text == "defaults")
      lab.defaults = settingsFrom(raw.defaults);
  for (const lab::RawKind& k : raw.kinds)
    lab.kinds.push_back(KindData{k.name.text, settingsFrom(k.settings), {}});
  for (const lab::RawImage& i : raw.images)
    lab.images.push_back(imageFrom(i));
  for (const lab::RawTimelineEvent& e : raw.timeline) {
    TimelineEntryData t;
    t.number = e.number;
    for (const auto& [key, value] :
         std::initializer_list<std::pair<const char*, const lab::RawScalar*>>{
             {"at", &e.at},         {"from", &e.from},       {"to", &e.to},       {"step", &e.step},
             {"every", &e.every},   {"times", &e.times},     {"link", &e.link},   {"node", &e.node},
             {"segment", &e.segment}, {"down", &e.down},     {"up", &e.up},       {"clear", &e.clear},
             {"delay", &e.delay},   {"jitter", &e.jitter},   {"loss", &e.loss},   {"rate", &e.rate},
             {"duplicate", &e.duplicate}, {"corrupt", &e.corrupt}, {"crash", &e.crash}, {"restart", &e.restart},
             {"stop", &e.stop},     {"start", &e.start},     {"run", &e.run},     {"replay", &e.replay},
             {"speed", &e.speed},   {"loop", &e.loop}})
      if (*value)
        t.fields.emplace_back(key, value->text);
    lab.timeline.push_back(std::move(t));
  }

  auto& nodeIds = b.sectionIds["nodes"];
  for (const lab::RawNode& r : raw.nodes) {
    NodeData n;
    n.id = next++;
    n.name = r.name.text;
    n.description = text(r.description);
    n.settings = settingsFrom(r.settings);
    for (const lab::RawRoute& rt : r.routes)
      n.routes.push_back(RouteData{text(rt.to), text(rt.via)});
    if (auto p = positionFrom(r.layout)) {
      n.position = *p;
      b.pinned.push_back(n.id);
    }
    nodeIds.push_back(n.id);
    lab.nodes.push_back(std::move(n));
  }
  auto& segmentIds = b.sectionIds["segments"];
  for (const lab::RawSegment& r : raw.segments) {
    SegmentData s;
    s.id = next++;
    s.name = r.name.text;
    s.type = text(r.type);
    s.transport = text(r.transport);
    s.description = text(r.description);
    s.injected = text(r.injected);
    if (auto p = positionFrom(r.layout)) {
      s.position = *p;
      b.pinned.push_back(s.id);
    }
    segmentIds.push_back(s.id);
    lab.segments.push_back(std::move(s));
  }
  auto nodeId = [&](const std::string& name) {
    const NodeData* n = lab.findNodeByName(name);
    return n ? n->id : kNoElement;
  };
  for (size_t i = 0; i < raw.nodes.size(); ++i)
    for (const lab::RawScalar& d : raw.nodes[i].dependsOn) {
      const ElementId target = nodeId(d.text);
      lab.nodes[i].dependsOn.push_back(NodeRef{target, target == kNoElement ? d.text : std::string()});
    }
  auto segmentId = [&](const std::string& name) {
    const SegmentData* s = lab.findSegmentByName(name);
    return s ? s->id : kNoElement;
  };
  auto& linkIds = b.sectionIds["links"];
  for (const lab::RawLink& r : raw.links) {
    LinkData l;
    l.id = next++;
    for (size_t i = 0; i < 2 && i < r.endpoints.size(); ++i) {
      const lab::RawEndpoint& re = r.endpoints[i];
      EndpointData& e = l.ends[i];
      if (re.isMapping) {
        e.kind = EndpointData::Kind::Interface;
        e.isMapping = true;
        e.name = re.node.text;
        e.iface = re.iface.text;
        e.ip = text(re.ip);
        e.gateway = text(re.gateway);
        e.mac = text(re.mac);
        e.target = nodeId(e.name);
        continue;
      }
      const std::string& ref = re.ref.text;
      if (ref == "host") {
        e.kind = EndpointData::Kind::Host;
      } else if (size_t colon = ref.find(':'); colon != std::string::npos) {
        e.kind = EndpointData::Kind::Interface;
        e.name = ref.substr(0, colon);
        e.iface = ref.substr(colon + 1);
        e.target = nodeId(e.name);
      } else {
        e.kind = EndpointData::Kind::Named;
        e.name = ref;
        e.target = segmentId(ref);
      }
    }
    l.ip = text(r.ip);
    l.gateway = text(r.gateway);
    l.mac = text(r.mac);
    l.conditions = LinkConditions{text(r.delay), text(r.jitter), text(r.loss), text(r.rate), text(r.duplicate), text(r.corrupt)};
    if (linkIds.size() < r.number)
      linkIds.resize(r.number, kNoElement);
    linkIds[r.number - 1] = l.id;
    lab.links.push_back(std::move(l));
  }
  auto& monitorIds = b.sectionIds["monitors"];
  for (const lab::RawMonitor& r : raw.monitors) {
    MonitorData m;
    m.id = next++;
    m.nodeName = r.node.text;
    m.node = nodeId(m.nodeName);
    m.iface = r.iface.text;
    m.mirrorName = r.mirror.text;
    m.mirror = segmentId(m.mirrorName);
    m.mac = text(r.mac);
    if (r.filter)
      m.filter = r.filter.text;
    if (monitorIds.size() < r.number)
      monitorIds.resize(r.number, kNoElement);
    monitorIds[r.number - 1] = m.id;
    lab.monitors.push_back(std::move(m));
  }
  auto& replayIds = b.sectionIds["replays"];
  for (const lab::RawReplay& r : raw.replays) {
    ReplayData p;
    p.id = next++;
    p.segmentName = r.segment.text;
    p.segment = segmentId(p.segmentName);
    p.pcap = r.pcap.text;
    p.speed = text(r.speed);
    p.loop = text(r.loop);
    p.rewriteMac = text(r.rewriteMac);
    if (replayIds.size() < r.number)
      replayIds.resize(r.number, kNoElement);
    replayIds[r.number - 1] = p.id;
    lab.replays.push_back(std::move(p));
  }
  return b;
}

std::vector<ElementSpan> elementSpans(const std::vector<SourceSpan>& spans) {
  std::vector<ElementSpan> out;
  for (const SourceSpan& s : spans)
    if (s.anchor.kind == Anchor::Kind::Element)
      out.push_back(ElementSpan{s.anchor.id, s.first, s.last});
  return out;
}

/// Reads a topology; `place` computes the positions the file does not give.
LoadedLab load(const std::string& path, const std::string* text, bool place = true) {
  StageRun run;
  runStages(run, path, text);
  LoadedLab out;
  if (!run.doc || !run.raw) {
    out.report = makeReport(run, path, {});
    return out;
  }
  Built b = buildLab(*run.raw, *run.doc);
  // The text as the loader read it; every location in the document names it.
  const SourceFile* file = run.doc->root().loc.file;
  std::vector<SourceSpan> spans = sourceSpans(*run.doc, file ? file->lineCount() : 0, b.sectionIds);
  if (file)
    attachComments(b.lab, file->text(), spans);
  out.report = makeReport(run, path, elementSpans(spans));
  std::set<ElementId> pinned(b.pinned.begin(), b.pinned.end());
  for (const NodeData& n : b.lab.nodes)
    if (!pinned.count(n.id))
      out.placed.push_back(n.id);
  for (const SegmentData& s : b.lab.segments)
    if (!pinned.count(s.id))
      out.placed.push_back(s.id);
  if (place)
    computePositions(b.lab, b.pinned);
  out.lab = std::move(b.lab);
  return out;
}

} // namespace

std::string ValidationReport::text() const {
  std::string s;
  for (const ReportEntry& e : entries)
    s += e.text + "\n";
  if (!overLimit.empty())
    s += overLimit + "\n";
  if (!summary.empty())
    s += summary + "\n";
  return s;
}

LoadedLab loadLab(const std::string& path) { return load(path, nullptr); }

LoadedLab loadLabText(const std::string& name, std::string text) { return load(name, &text); }

ValidationReport validateLabText(const std::string& path, std::string text) {
  return load(path, &text, false).report;
}

ValidationReport validateLab(const LabData& lab, const std::string& path, const WriteOptions& options) {
  WrittenLab written = writeLabYaml(lab, options);
  StageRun run;
  runStages(run, path, &written.text);
  return makeReport(run, path, written.spans);
}

void computePositions(LabData& lab, const std::vector<ElementId>& pinned) {
  const std::set<ElementId> keep(pinned.begin(), pinned.end());
  // A file the GUI saved places everything itself: no layout to run.
  if (std::all_of(lab.nodes.begin(), lab.nodes.end(), [&](const NodeData& n) { return keep.count(n.id); }) &&
      std::all_of(lab.segments.begin(), lab.segments.end(), [&](const SegmentData& s) { return keep.count(s.id); }))
    return;
  // The lab's graph as lab::resolve builds it: declared segments first, then one implicit
  // segment per point-to-point link, members in link order, monitors after them, then trunks;
  // so a valid file gets exactly the positions `umlab graph` gives it.
  lab::Topology t;
  std::map<ElementId, lab::NodeIndex> nodeIndex;
  std::map<ElementId, lab::SegmentIndex> segmentIndex;
  for (const NodeData& n : lab.nodes) {
    lab::Node node;
    node.name = n.name;
    if (keep.count(n.id))
      node.layout = lab::Layout{n.position.x, n.position.y};
    nodeIndex.emplace(n.id, static_cast<lab::NodeIndex>(t.nodes.size()));
    t.nodes.push_back(std::move(node));
  }
  for (const SegmentData& s : lab.segments) {
    lab::Segment seg;
    seg.name = s.name;
    if (keep.count(s.id))
      seg.layout = lab::Layout{s.position.x, s.position.y};
    segmentIndex.emplace(s.id, static_cast<lab::SegmentIndex>(t.segments.size()));
    t.segments.push_back(std::move(seg));
  }
  for (const LinkData& l : lab.links) {
    const EndpointData &a = l.ends[0], &b = l.ends[1];
    switch (linkShape(l)) {
    case LinkShape::PointToPoint:
      if (nodeIndex.count(a.target) && nodeIndex.count(b.target)) {
        lab::Segment p2p;
        p2p.type = lab::SegmentType::PointToPoint;
        p2p.members = {lab::Member{nodeIndex[a.target], 0}, lab::Member{nodeIndex[b.target], 0}};
        t.segments.push_back(std::move(p2p));
      }
      break;
    case LinkShape::ToSegment: {
      const EndpointData& n = a.kind == EndpointData::Kind::Interface ? a : b;
      const EndpointData& s = a.kind == EndpointData::Kind::Interface ? b : a;
      if (nodeIndex.count(n.target) && segmentIndex.count(s.target))
        t.segments[segmentIndex[s.target]].members.push_back(lab::Member{nodeIndex[n.target], 0});
      break;
    }
    case LinkShape::Trunk:
      if (segmentIndex.count(a.target) && segmentIndex.count(b.target) && a.target != b.target)
        t.trunks.push_back(lab::Trunk{segmentIndex[a.target], segmentIndex[b.target], {}, {}});
      break;
    default: break;
    }
  }
  for (const MonitorData& m : lab.monitors)
    if (nodeIndex.count(m.node) && segmentIndex.count(m.mirror))
      t.segments[segmentIndex[m.mirror]].monitors.push_back(lab::Member{nodeIndex[m.node], 0});
  lab::LabLayout layout = lab::computeLayout(t);
  for (size_t i = 0; i < lab.nodes.size(); ++i)
    lab.nodes[i].position = Position{layout.nodes[i].x, layout.nodes[i].y};
  for (size_t i = 0; i < lab.segments.size(); ++i)
    lab.segments[i].position = Position{layout.segments[i].x, layout.segments[i].y};
}

} // namespace umlab::gui
