#include "umlab/gui/lab_editor.hpp"

#include "umlab/base/ip_address.hpp"
#include "umlab/gui/lab_fragment.hpp"
#include "umlab/gui/address_hints.hpp"
#include "umlab/gui/yaml_writer.hpp"

#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

namespace umlab::gui {

namespace {

constexpr int kValidateDelayMs = 250;

Position snapped(QPointF p) { return Position{std::round(p.x()), std::round(p.y())}; }

} // namespace

LabEditor::LabEditor(QObject* parent) : QObject(parent) {
  validateTimer_.setSingleShot(true);
  validateTimer_.setInterval(kValidateDelayMs);
  connect(&validateTimer_, &QTimer::timeout, this, &LabEditor::validateNow);
  connect(&document_, &LabDocument::changed, &validateTimer_, qOverload<>(&QTimer::start));
  connect(&undoStack_, &QUndoStack::cleanChanged, this, [this](bool clean) { emit modifiedChanged(!clean); });
}

QString LabEditor::displayPath() const { return path_.isEmpty() ? QStringLiteral("untitled.yaml") : path_; }

void LabEditor::setPath(const QString& path) {
  if (path == path_)
    return;
  path_ = path;
  emit pathChanged(path_);
}

void LabEditor::setReport(ValidationReport report) {
  report_ = std::move(report);
  emit reportChanged();
}

void LabEditor::push(QUndoCommand* command) { undoStack_.push(command); }

void LabEditor::newLab() {
  LabData lab;
  lab.name = "lab";
  undoStack_.clear();
  openedText_.reset();
  document_.reset(std::move(lab));
  setPath(QString());
  validateTimer_.stop();
  validateNow();
  emit labOpened();
}

bool LabEditor::open(const QString& path) {
  // The text is read once: the document, and the report while the document is what it says.
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) {
    openFailure_ = loadLab(path.toStdString()).report; // the loader says why, in umlab validate's words
    return false;
  }
  const QByteArray bytes = file.readAll();
  std::string text(bytes.constData(), size_t(bytes.size()));
  LoadedLab loaded = loadLabText(path.toStdString(), text);
  if (!loaded.lab) {
    openFailure_ = std::move(loaded.report); // the lab shown and its report stay as they are
    return false;
  }
  undoStack_.clear();
  openedText_ = std::move(text);
  document_.reset(std::move(*loaded.lab));
  validateTimer_.stop(); // the file's own report is umlab validate's, to the letter
  setPath(path);
  setReport(std::move(loaded.report));
  emit labOpened();
  return true;
}

bool LabEditor::save(const QString& path, QString* error) {
  namespace fs = std::filesystem;
  const std::string dir = fs::path(path.toStdString()).parent_path().string();
  const std::string newBase = dir.empty() ? "." : dir;
  const bool moved = fs::absolute(newBase).lexically_normal() != fs::absolute(document_.data().baseDir).lexically_normal();
  if (moved && document_.rebase(newBase))
    undoStack_.clear(); // its snapshots hold paths relative to the old directory
  const std::string text = writeLabYaml(document_.data()).text;
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly) || file.write(text.data(), static_cast<qint64>(text.size())) != qint64(text.size()) ||
      !file.commit()) {
    if (error)
      *error = QStringLiteral("cannot write '%1': %2").arg(path, file.errorString());
    return false;
  }
  setPath(path);
  undoStack_.setClean();
  openedText_.reset(); // the file now says what Save wrote
  validateTimer_.stop();
  validateNow();
  return true;
}

ValidationReport LabEditor::freshReport() const {
  const LabData& lab = document_.data();
  const std::string path = displayPath().toStdString();
  if (path_.isEmpty() && lab.nodes.empty() && lab.segments.empty() && lab.links.empty()) {
    ValidationReport empty;
    empty.path = path;
    empty.entries.push_back(ReportEntry{Severity::Note,
                                        path + ": note: the lab is empty; add a node with the tools above, "
                                               "then link it to others",
                                        kNoElement, 0});
    return empty;
  }
  const bool asOnDisk = !path_.isEmpty() && !isModified();
  if (asOnDisk && openedText_)
    return validateLabText(path, *openedText_);
  // Saved since: the file holds exactly what the writer writes, positions included.
  return validateLab(lab, path, WriteOptions{.positions = asOnDisk});
}

void LabEditor::validateNow() {
  validateTimer_.stop();
  setReport(freshReport());
}

// ---- edits ------------------------------------------------------------------------------------

ElementId LabEditor::addNode(const QString& kind, QPointF pos) {
  NodeData n;
  n.id = document_.newId();
  n.name = firstFreeName(document_.data(), namePrefix(kind.toStdString()));
  if (kind != "host")
    n.settings.kind = kind.toStdString();
  n.position = snapped(pos);
  push(new ElementsCommand(document_, {ElementSnapshot{n, document_.data().nodes.size()}}, false,
                           QStringLiteral("Add %1").arg(QString::fromStdString(n.name))));
  return n.id;
}

ElementId LabEditor::addSegment(const QString& type, QPointF pos) {
  SegmentData s;
  s.id = document_.newId();
  s.name = firstFreeName(document_.data(), namePrefix(type.toStdString()));
  s.type = type.toStdString();
  s.position = snapped(pos);
  push(new ElementsCommand(document_, {ElementSnapshot{s, document_.data().segments.size()}}, false,
                           QStringLiteral("Add %1").arg(QString::fromStdString(s.name))));
  return s.id;
}

ElementId LabEditor::addLink(ElementId a, ElementId b) {
  const ElementKind ka = document_.kindOf(a), kb = document_.kindOf(b);
  auto linkable = [](ElementKind k) { return k == ElementKind::Node || k == ElementKind::Segment; };
  if (a == b || !linkable(ka) || !linkable(kb))
    return kNoElement;
  if (ka == ElementKind::Segment && kb == ElementKind::Node)
    std::swap(a, b); // the node end first, as the example labs write it
  LinkData l;
  l.id = document_.newId();
  auto end = [&](ElementId id) {
    EndpointData e;
    if (document_.kindOf(id) == ElementKind::Node) {
      e.kind = EndpointData::Kind::Interface;
      e.target = id;
      e.iface = firstFreeInterface(document_.data(), id);
    } else {
      e.kind = EndpointData::Kind::Named;
      e.target = id;
    }
    return e;
  };
  l.ends[0] = end(a);
  l.ends[1] = end(b);
  // Two ends on the same node need two interfaces.
  if (l.ends[0].kind == EndpointData::Kind::Interface && l.ends[1].kind == EndpointData::Kind::Interface &&
      l.ends[0].target == l.ends[1].target)
    return kNoElement;
  if (linkShape(l) == LinkShape::ToSegment)
    l.ip = nextFreeAddress(document_.data(), l.ends[1].target);
  const std::string text = endpointText(document_.data(), l.ends[0]) + " - " + endpointText(document_.data(), l.ends[1]);
  push(new ElementsCommand(document_, {ElementSnapshot{l, document_.data().links.size()}}, false,
                           QStringLiteral("Link %1").arg(QString::fromStdString(text))));
  return l.id;
}

void LabEditor::remove(const std::vector<ElementId>& ids) {
  if (ids.empty())
    return;
  push(ElementsCommand::removal(document_, ids));
}

void LabEditor::move(std::vector<Move> moves) {
  std::erase_if(moves, [](const Move& m) { return m.from == m.to; });
  if (moves.empty())
    return;
  for (Move& m : moves)
    m.to = Position{std::clamp(m.to.x, -1e7, 1e7), std::clamp(m.to.y, -1e7, 1e7)};
  const QString text = moves.size() == 1 ? QStringLiteral("Move") : QStringLiteral("Move %1 items").arg(moves.size());
  push(new MoveCommand(document_, std::move(moves), text));
}

namespace {
template <typename T>
void replaceIfChanged(LabDocument& doc, QUndoStack& stack, const T& now, const QString& text) {
  auto before = doc.snapshot(now.id);
  if (!before || std::get_if<T>(&before->data) == nullptr || *std::get_if<T>(&before->data) == now)
    return;
  stack.push(new ReplaceCommand(doc, *before, ElementSnapshot{now, before->index}, text));
}
} // namespace

void LabEditor::updateNode(const NodeData& node) {
  replaceIfChanged(document_, undoStack_, node, QStringLiteral("Edit %1").arg(QString::fromStdString(node.name)));
}
void LabEditor::updateSegment(const SegmentData& segment) {
  replaceIfChanged(document_, undoStack_, segment, QStringLiteral("Edit %1").arg(QString::fromStdString(segment.name)));
}
void LabEditor::updateLink(const LinkData& link) {
  replaceIfChanged(document_, undoStack_, link, QStringLiteral("Edit link"));
}
void LabEditor::updateMonitor(const MonitorData& monitor) {
  replaceIfChanged(document_, undoStack_, monitor, QStringLiteral("Edit monitor"));
}
void LabEditor::updateReplay(const ReplayData& replay) {
  replaceIfChanged(document_, undoStack_, replay, QStringLiteral("Edit replay"));
}

void LabEditor::updateProperties(const LabProperties& properties, const QString& text) {
  const LabProperties before = document_.properties();
  if (before == properties)
    return;
  push(new PropertiesCommand(document_, before, properties, text));
}

namespace {
/// Pushes a change of the lab's properties and of some nodes as one undo step.
void pushLabAndNodes(LabDocument& doc, QUndoStack& stack, const LabProperties& after, const std::vector<NodeData>& nodes,
                     const QString& text) {
  stack.beginMacro(text);
  if (!(after == doc.properties()))
    stack.push(new PropertiesCommand(doc, doc.properties(), after, text));
  for (const NodeData& n : nodes)
    if (auto before = doc.snapshot(n.id))
      stack.push(new ReplaceCommand(doc, *before, ElementSnapshot{n, before->index}, text));
  stack.endMacro();
}
} // namespace

void LabEditor::renameKind(const std::string& from, const std::string& to) {
  if (from == to)
    return;
  LabProperties p = document_.properties();
  for (KindData& k : p.kinds)
    if (k.name == from)
      k.name = to;
  if (p.defaults && p.defaults->kind == from)
    p.defaults->kind = to;
  std::vector<NodeData> nodes;
  for (const NodeData& n : document_.data().nodes)
    if (n.settings.kind == from) {
      nodes.push_back(n);
      nodes.back().settings.kind = to;
    }
  pushLabAndNodes(document_, undoStack_, p, nodes,
                  QStringLiteral("Rename kind %1 to %2").arg(QString::fromStdString(from), QString::fromStdString(to)));
}

void LabEditor::renameImage(const std::string& from, const std::string& to) {
  if (from == to)
    return;
  LabProperties p = document_.properties();
  for (ImageData& i : p.images) {
    if (i.name == from)
      i.name = to;
    if (i.from == from)
      i.from = to;
  }
  if (p.defaults && p.defaults->image == from)
    p.defaults->image = to;
  for (KindData& k : p.kinds)
    if (k.settings.image == from)
      k.settings.image = to;
  std::vector<NodeData> nodes;
  for (const NodeData& n : document_.data().nodes)
    if (n.settings.image == from) {
      nodes.push_back(n);
      nodes.back().settings.image = to;
    }
  pushLabAndNodes(document_, undoStack_, p, nodes,
                  QStringLiteral("Rename image %1 to %2").arg(QString::fromStdString(from), QString::fromStdString(to)));
}

ElementId LabEditor::addMonitor(ElementId segment) {
  const SegmentData* s = document_.segment(segment);
  if (!s)
    return kNoElement;
  const LabData& lab = document_.data();
  MonitorData m;
  m.id = document_.newId();
  m.mirror = segment;
  auto linkedToSegment = [&](ElementId node) {
    for (const LinkData& l : lab.links)
      if ((l.ends[0].target == node && l.ends[1].target == segment) || (l.ends[1].target == node && l.ends[0].target == segment))
        return true;
    return false;
  };
  for (const NodeData& n : lab.nodes)
    if (!linkedToSegment(n.id)) {
      m.node = n.id;
      break;
    }
  if (m.node == kNoElement && !lab.nodes.empty())
    m.node = lab.nodes.front().id;
  if (m.node != kNoElement)
    m.iface = firstFreeInterface(lab, m.node);
  push(new ElementsCommand(document_, {ElementSnapshot{m, lab.monitors.size()}}, false,
                           QStringLiteral("Add monitor of %1").arg(QString::fromStdString(s->name))));
  return m.id;
}

ElementId LabEditor::addReplay(ElementId segment, const std::string& pcap) {
  const SegmentData* s = document_.segment(segment);
  if (!s)
    return kNoElement;
  ReplayData r;
  r.id = document_.newId();
  r.segment = segment;
  r.pcap = pcap;
  push(new ElementsCommand(document_, {ElementSnapshot{r, document_.data().replays.size()}}, false,
                           QStringLiteral("Add replay into %1").arg(QString::fromStdString(s->name))));
  return r.id;
}

void LabEditor::arrange(const std::vector<ElementId>& only) {
  const LabData& lab = document_.data();
  LabData copy = lab;
  std::set<ElementId> chosen;
  for (ElementId id : only) {
    if (document_.node(id) || document_.segment(id))
      chosen.insert(id);
    else if (const LinkData* l = document_.link(id)) // a selected link stands for its ends
      for (const EndpointData& e : l->ends)
        if (document_.node(e.target) || document_.segment(e.target))
          chosen.insert(e.target);
  }
  if (!only.empty() && chosen.empty())
    return; // only monitors or replays selected: nothing of theirs is placed by the layout
  if (!chosen.empty()) {
    // A selection is laid out on its own, with the hosts of what it holds (a node whose every
    // link goes to one chosen element), and put back where it was: centred on its old centre.
    std::map<ElementId, std::set<ElementId>> linkedTo;
    for (const LinkData& l : lab.links)
      for (int i = 0; i < 2; ++i)
        if (l.ends[i].kind == EndpointData::Kind::Interface && l.ends[i].target != kNoElement)
          linkedTo[l.ends[i].target].insert(l.ends[1 - i].kind == EndpointData::Kind::Host ? kNoElement : l.ends[1 - i].target);
    for (const auto& [node, to] : linkedTo)
      if (to.size() == 1 && chosen.count(*to.begin()))
        chosen.insert(node);
    auto isChosen = [&](ElementId id) { return chosen.count(id) > 0; };
    std::erase_if(copy.nodes, [&](const NodeData& n) { return !isChosen(n.id); });
    std::erase_if(copy.segments, [&](const SegmentData& s) { return !isChosen(s.id); });
    std::erase_if(copy.links, [&](const LinkData& l) {
      return std::any_of(std::begin(l.ends), std::end(l.ends), [&](const EndpointData& e) { return !isChosen(e.target); });
    });
    std::erase_if(copy.monitors, [&](const MonitorData& m) { return !isChosen(m.node) || !isChosen(m.mirror); });
  }
  struct Box {
    double minX = 1e300, minY = 1e300, maxX = -1e300, maxY = -1e300;
    void add(const Position& p) {
      minX = std::min(minX, p.x);
      minY = std::min(minY, p.y);
      maxX = std::max(maxX, p.x);
      maxY = std::max(maxY, p.y);
    }
  } before, after;
  for (const NodeData& n : copy.nodes)
    before.add(n.position);
  for (const SegmentData& s : copy.segments)
    before.add(s.position);
  computePositions(copy, {});
  for (const NodeData& n : copy.nodes)
    after.add(n.position);
  for (const SegmentData& s : copy.segments)
    after.add(s.position);
  double dx = 0, dy = 0;
  if (!chosen.empty() && before.minX <= before.maxX) {
    dx = std::round((before.minX + before.maxX) / 2 - (after.minX + after.maxX) / 2);
    dy = std::round((before.minY + before.maxY) / 2 - (after.minY + after.maxY) / 2);
  }
  std::vector<Move> moves;
  for (const NodeData& n : copy.nodes)
    moves.push_back(Move{n.id, document_.node(n.id)->position, Position{n.position.x + dx, n.position.y + dy}});
  for (const SegmentData& s : copy.segments)
    moves.push_back(Move{s.id, document_.segment(s.id)->position, Position{s.position.x + dx, s.position.y + dy}});
  std::erase_if(moves, [](const Move& m) { return m.from == m.to; });
  if (!moves.empty())
    push(new MoveCommand(document_, std::move(moves), chosen.empty() ? QStringLiteral("Arrange") : QStringLiteral("Arrange selection")));
}

std::vector<ElementId> LabEditor::paste(const LabData& fragment, std::optional<QPointF> centre, const QString& verb) {
  std::optional<Position> at;
  if (centre)
    at = snapped(*centre);
  const LabData placed = placeFragment(document_.data(), fragment, [this] { return document_.newId(); }, at);
  const LabData& lab = document_.data();
  std::vector<ElementSnapshot> snapshots;
  std::vector<ElementId> ids;
  auto add = [&](const auto& elements, size_t end) {
    for (size_t i = 0; i < elements.size(); ++i) {
      snapshots.push_back(ElementSnapshot{elements[i], end + i});
      ids.push_back(elements[i].id);
    }
  };
  add(placed.nodes, lab.nodes.size());
  add(placed.segments, lab.segments.size());
  add(placed.links, lab.links.size());
  add(placed.monitors, lab.monitors.size());
  add(placed.replays, lab.replays.size());
  if (snapshots.empty())
    return {};
  const QString text = snapshots.size() == 1 ? verb : QStringLiteral("%1 %2 items").arg(verb).arg(snapshots.size());
  push(new ElementsCommand(document_, std::move(snapshots), false, text));
  return ids;
}

} // namespace umlab::gui
