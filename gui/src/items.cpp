#include "umlab/gui/items.hpp"

#include "umlab/gui/icons.hpp"
#include "umlab/gui/link_port.hpp"
#include "umlab/gui/topology_scene.hpp"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>
#include <QPainterPathStroker>
#include <QStyleOptionGraphicsItem>

#include <algorithm>
#include <cmath>

namespace umlab::gui {

namespace {

const QColor kInk(0x1f, 0x29, 0x37);
const QColor kMuted(0x64, 0x74, 0x8b);
const QColor kSelect(0x25, 0x63, 0xeb);
const QColor kConditions(0x9d, 0x17, 0x4d);
constexpr qreal kLabelLod = kLabelZoom;
constexpr qreal kOverviewPixels = 12; // an overview name's height on screen

QString q(const std::string& s) { return QString::fromStdString(s); }

QColor stateColor(const std::string& state) {
  if (state == "ready")
    return QColor(0x22, 0xc5, 0x5e);
  if (state == "booting")
    return QColor(0xf5, 0x9e, 0x0b);
  if (state.rfind("dead", 0) == 0) // "dead (signal 9)", "dead (exit 1)"
    return QColor(0xef, 0x44, 0x44);
  return QColor(0x94, 0xa3, 0xb8);
}

void paintBadge(QPainter& p, QPointF at, Severity s) {
  p.save();
  p.setRenderHint(QPainter::Antialiasing);
  p.setPen(QPen(Qt::white, 1.5));
  p.setBrush(s == Severity::Error ? QColor(0xdc, 0x26, 0x26) : QColor(0xf5, 0x9e, 0x0b));
  p.drawEllipse(at, 8, 8);
  QFont f = smallFont();
  f.setBold(true);
  p.setFont(f);
  p.setPen(Qt::white);
  p.drawText(QRectF(at.x() - 8, at.y() - 8, 16, 16), Qt::AlignCenter, QStringLiteral("!"));
  p.restore();
}

/// The mark of a running capture: a red "● REC" tag, drawn at every zoom.
constexpr qreal kRecWidth = 38, kRecHeight = 15;

void paintCaptureBadge(QPainter& p, const QRectF& r) {
  p.save();
  p.setRenderHint(QPainter::Antialiasing);
  p.setPen(QPen(Qt::white, 1.5));
  p.setBrush(QColor(0xdc, 0x26, 0x26));
  p.drawRoundedRect(r, r.height() / 2, r.height() / 2);
  p.setPen(Qt::NoPen);
  p.setBrush(Qt::white);
  p.drawEllipse(QPointF(r.left() + 8, r.center().y()), 3, 3);
  QFont f = smallFont();
  f.setBold(true);
  p.setFont(f);
  p.setPen(Qt::white);
  p.drawText(r.adjusted(13, 0, -3, 0), Qt::AlignCenter, QStringLiteral("REC"));
  p.restore();
}

/// The tool tip's line about a running capture, or nothing.
QString captureTip(const TopologyScene* scene, ElementId id) {
  const QString target = scene ? scene->captureOf(id) : QString();
  if (target.isEmpty())
    return {};
  const QString where = target == QStringLiteral("wireshark") ? QStringLiteral("live into Wireshark")
                                                             : QStringLiteral("to ") + target.toHtmlEscaped();
  return QStringLiteral("<br><span style=\"color:#b91c1c\">● capturing %1</span> (right-click to stop)").arg(where);
}

/// A label's lines on a pale rounded box, readable over lines.
void paintLabel(QPainter& p, const LinkLabel& l) {
  p.save();
  p.setPen(Qt::NoPen);
  p.setBrush(QColor(255, 255, 255, 225));
  p.drawRoundedRect(l.rect, 3, 3);
  p.setFont(smallFont());
  qreal y = l.rect.top() + 1;
  for (size_t i = 0; i < l.lines.size(); ++i) {
    const QStaticText& t = l.lines[i];
    p.setPen(i < l.colors.size() ? l.colors[i] : l.color);
    const QSizeF size = t.size();
    p.drawStaticText(QPointF(l.rect.center().x() - size.width() / 2, y), t);
    y += size.height();
  }
  p.restore();
}

/// A backbone element's name below `iconBottom` at a fixed size on screen, on a pale box, when
/// the zoom `lod` leaves the usual names out.
void paintOverviewName(QPainter& p, qreal lod, qreal iconBottom, const QString& name) {
  if (lod >= kLabelLod || lod < kOverviewZoom)
    return;
  QFont f = labelFont();
  f.setPixelSize(qMax(1, qRound(kOverviewPixels / lod)));
  const QFontMetricsF m(f);
  const QRectF r(-m.horizontalAdvance(name) / 2 - 3 / lod, iconBottom + 2 / lod, m.horizontalAdvance(name) + 6 / lod, m.height());
  p.save();
  p.setPen(Qt::NoPen);
  p.setBrush(QColor(255, 255, 255, 215));
  p.drawRoundedRect(r, 3 / lod, 3 / lod);
  p.setFont(f);
  p.setPen(kInk);
  p.drawText(r, Qt::AlignCenter, name);
  p.restore();
}

QString tooltipWithMessages(QString html, const TopologyScene* scene, ElementId id) {
  if (scene) {
    const QString messages = scene->messagesOf(id);
    if (!messages.isEmpty())
      html += "<pre>" + messages.toHtmlEscaped() + "</pre>";
  }
  return html;
}

/// How far from an item's centre a line towards `dir` leaves its symbol.
/// `rect` holds the item's centre (0,0); `dir` is a unit vector.
qreal exitDistance(const QRectF& rect, QPointF dir) {
  qreal t = 1e9;
  if (dir.x() > 1e-9)
    t = std::min(t, rect.right() / dir.x());
  else if (dir.x() < -1e-9)
    t = std::min(t, rect.left() / dir.x());
  if (dir.y() > 1e-9)
    t = std::min(t, rect.bottom() / dir.y());
  else if (dir.y() < -1e-9)
    t = std::min(t, rect.top() / dir.y());
  return t == 1e9 ? 0 : t + 2;
}

QRectF iconRectOf(const QGraphicsItem* item) {
  switch (item->type()) {
  case NodeItem::Type: return NodeItem::iconRect();
  case SegmentItem::Type: return SegmentItem::iconRect();
  case HostItem::Type: return HostItem::iconRect();
  }
  return QRectF();
}

std::string conditionsText(const LinkConditions& c) {
  std::string s;
  auto add = [&](const char* what, const std::string& v) {
    if (!v.empty())
      s += (s.empty() ? "" : " · ") + std::string(what) + " " + v;
  };
  add("delay", c.delay);
  add("jitter", c.jitter);
  add("loss", c.loss);
  add("rate", c.rate);
  add("dup", c.duplicate);
  add("corrupt", c.corrupt);
  return s;
}

QString counterText(const LabStatus& status, const SwitchStatus& s) {
  if (!s.hasCounters)
    return s.state == "up" ? QStringLiteral("up") : q(s.state);
  // The traffic into the switch per second, once two counters events measured it; the
  // totals until then.
  if (const std::optional<TrafficRate> r = status.rateOf(s.segment))
    return q(describeRate(r->framesPerSecond, r->bytesPerSecond));
  const SwitchTotals t = totalsOf(s);
  return QStringLiteral("%1 in · %2 out").arg(t.framesIn).arg(t.framesOut);
}

} // namespace

QFont labelFont() {
  QFont f(QStringLiteral("DejaVu Sans"));
  f.setPixelSize(12);
  f.setBold(true);
  return f;
}

QFont smallFont() {
  QFont f(QStringLiteral("DejaVu Sans"));
  f.setPixelSize(10);
  return f;
}

TopologyScene* ElementItem::topologyScene() const { return static_cast<TopologyScene*>(scene()); }

// ---- NodeItem -----------------------------------------------------------------------------------

NodeItem::NodeItem(ElementId id) : ElementItem(id) {
  setFlags(ItemIsMovable | ItemIsSelectable | ItemSendsGeometryChanges);
  setZValue(2);
}

QRectF NodeItem::boundingRect() const { return iconRect().adjusted(-12, -12, 12, 12).united(labelRect_); }

QPainterPath NodeItem::shape() const {
  QPainterPath p;
  p.addRect(iconRect().adjusted(-4, -4, 4, 4));
  p.addRect(labelRect_);
  return p;
}

void NodeItem::refresh() {
  const TopologyScene* s = topologyScene();
  const NodeData* n = s ? s->document().node(elementId()) : nullptr;
  if (!n)
    return;
  prepareGeometryChange();
  const qreal nameWidth = QFontMetricsF(labelFont()).horizontalAdvance(q(n->name));
  const qreal w = std::max(nameWidth + 8, 96.0);
  labelRect_ = QRectF(-w / 2, kIconSize / 2 + 4, w, 30);
  const LabData& lab = s->document().data();
  QString tip = "<b>" + q(n->name).toHtmlEscaped() + "</b> (" + q(effectiveKind(lab, *n)).toHtmlEscaped() + ")";
  if (!n->description.empty())
    tip += "<br>" + q(n->description).toHtmlEscaped();
  if (!n->settings.memory.empty())
    tip += "<br>memory " + q(n->settings.memory).toHtmlEscaped();
  for (const LinkData& l : lab.links)
    for (int i = 0; i < 2; ++i)
      if (l.ends[i].kind == EndpointData::Kind::Interface && l.ends[i].target == n->id) {
        const std::string ip = endAddress(l, i);
        tip += "<br>" + q(l.ends[i].iface).toHtmlEscaped() + " → " + q(endpointText(lab, l.ends[1 - i])).toHtmlEscaped() +
               (ip.empty() ? QString() : "  " + q(ip));
      }
  setToolTip(tooltipWithMessages(tip, s, elementId()));
  update();
}

QString NodeItem::stateLine() const {
  const TopologyScene* s = topologyScene();
  const NodeData* n = s ? s->document().node(elementId()) : nullptr;
  if (!n)
    return {};
  if (s->status()) {
    const NodeStatus* st = s->status()->node(n->name);
    if (!st)
      return QStringLiteral("not in the running lab"); // drawn after the lab started: Apply adds it
    return q(st->state) + (st->state == "ready" ? QStringLiteral(" · %1 s").arg(s->status()->uptimeOf(*st)) : QString());
  }
  const std::string kind = effectiveKind(s->document().data(), *n);
  const NodeSymbol symbol = nodeSymbolFor(q(kind));
  return symbol == NodeSymbol::Other || symbol == NodeSymbol::Server ? q(kind) : QString();
}

void NodeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
  const TopologyScene* s = topologyScene();
  const NodeData* n = s ? s->document().node(elementId()) : nullptr;
  if (!n)
    return;
  painter->setRenderHint(QPainter::Antialiasing);
  const std::string kind = effectiveKind(s->document().data(), *n);
  const NodeStatus* st = s->status() ? s->status()->node(n->name) : nullptr;
  if (s->status()) {
    QColor c = stateColor(st ? st->state : std::string());
    c.setAlpha(110);
    painter->setPen(QPen(stateColor(st ? st->state : std::string()), 2));
    painter->setBrush(c);
    painter->drawEllipse(iconRect().adjusted(-9, -9, 9, 9));
  }
  if (isSelected()) {
    painter->setPen(QPen(kSelect, 2, Qt::DashLine));
    painter->setBrush(QColor(0x25, 0x63, 0xeb, 28));
    painter->drawRoundedRect(iconRect().adjusted(-6, -6, 6, 6), 6, 6);
  }
  paintNodeSymbol(*painter, nodeSymbolFor(q(kind)), iconRect());
  if (option->levelOfDetailFromTransform(painter->worldTransform()) >= kLabelLod) {
    const qreal lineH = 15;
    QRectF nameRect(labelRect_.left(), labelRect_.top(), labelRect_.width(), lineH);
    painter->setFont(labelFont());
    painter->setPen(isSelected() ? kSelect : kInk);
    painter->drawText(nameRect, Qt::AlignHCenter | Qt::AlignVCenter, q(n->name));
    if (const QString second = stateLine(); !second.isEmpty()) {
      painter->setFont(smallFont());
      painter->setPen(kMuted);
      painter->drawText(QRectF(labelRect_.left(), labelRect_.top() + lineH, labelRect_.width(), lineH),
                        Qt::AlignHCenter | Qt::AlignVCenter, second);
    }
  } else if (const NodeSymbol symbol = nodeSymbolFor(q(kind)); symbol == NodeSymbol::Router || symbol == NodeSymbol::Firewall) {
    paintOverviewName(*painter, option->levelOfDetailFromTransform(painter->worldTransform()), iconRect().bottom(), q(n->name));
  }
  if (auto m = s->markOf(elementId()))
    paintBadge(*painter, iconRect().topRight() + QPointF(2, -2), *m);
}

QVariant NodeItem::itemChange(GraphicsItemChange change, const QVariant& value) {
  if (change == ItemPositionHasChanged && topologyScene())
    topologyScene()->itemMoved(elementId());
  return QGraphicsItem::itemChange(change, value);
}

// ---- SegmentItem --------------------------------------------------------------------------------

SegmentItem::SegmentItem(ElementId id) : ElementItem(id) {
  setFlags(ItemIsMovable | ItemIsSelectable | ItemSendsGeometryChanges);
  setZValue(1);
}

QRectF SegmentItem::boundingRect() const { return iconRect().adjusted(-12, -12, 12, 12).united(labelRect_); }

QPainterPath SegmentItem::shape() const {
  QPainterPath p;
  p.addRect(iconRect().adjusted(-4, -4, 4, 4));
  p.addRect(labelRect_);
  return p;
}

void SegmentItem::refresh() {
  const TopologyScene* s = topologyScene();
  const SegmentData* seg = s ? s->document().segment(elementId()) : nullptr;
  if (!seg)
    return;
  prepareGeometryChange();
  const qreal nameWidth = QFontMetricsF(labelFont()).horizontalAdvance(q(seg->name));
  const qreal w = std::max(nameWidth + 8, 170.0);
  labelRect_ = QRectF(-w / 2, iconRect().bottom() + 4, w, 30);
  QString tip = "<b>" + q(seg->name).toHtmlEscaped() + "</b> (" + q(seg->type.empty() ? "switch" : seg->type) + ")";
  if (!seg->description.empty())
    tip += "<br>" + q(seg->description).toHtmlEscaped();
  tip += captureTip(s, elementId());
  setToolTip(tooltipWithMessages(tip, s, elementId()));
  update();
}

void SegmentItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
  const TopologyScene* s = topologyScene();
  const SegmentData* seg = s ? s->document().segment(elementId()) : nullptr;
  if (!seg)
    return;
  painter->setRenderHint(QPainter::Antialiasing);
  if (isSelected()) {
    painter->setPen(QPen(kSelect, 2, Qt::DashLine));
    painter->setBrush(QColor(0x25, 0x63, 0xeb, 28));
    painter->drawRoundedRect(iconRect().adjusted(-6, -6, 6, 6), 8, 8);
  }
  paintSegmentSymbol(*painter, segmentSymbolFor(q(seg->type)), iconRect());
  if (option->levelOfDetailFromTransform(painter->worldTransform()) >= kLabelLod) {
    const qreal lineH = 15;
    painter->setFont(labelFont());
    painter->setPen(isSelected() ? kSelect : kInk);
    painter->drawText(QRectF(labelRect_.left(), labelRect_.top(), labelRect_.width(), lineH), Qt::AlignCenter, q(seg->name));
    QString second = q(seg->type.empty() ? "switch" : seg->type);
    if (seg->transport == "bess")
      second += QStringLiteral(" · bess");
    for (const ReplayData& r : s->document().data().replays)
      if (r.segment == seg->id) {
        second += QStringLiteral(" · ▶ replay");
        break;
      }
    if (s->status()) {
      const SwitchStatus* sw = s->status()->switchOf(seg->name);
      second = sw ? counterText(*s->status(), *sw) : (seg->type == "mcast" ? QStringLiteral("mcast") : QStringLiteral("not in the running lab"));
    }
    painter->setFont(smallFont());
    painter->setPen(s->status() ? QColor(0x0f, 0x76, 0x6e) : kMuted);
    painter->drawText(QRectF(labelRect_.left(), labelRect_.top() + lineH, labelRect_.width(), lineH), Qt::AlignCenter,
                      second);
  } else {
    paintOverviewName(*painter, option->levelOfDetailFromTransform(painter->worldTransform()), iconRect().bottom(), q(seg->name));
  }
  if (!s->captureOf(elementId()).isEmpty())
    paintCaptureBadge(*painter, QRectF(iconRect().left() - 10, iconRect().top() - 10, kRecWidth, kRecHeight));
  if (auto m = s->markOf(elementId()))
    paintBadge(*painter, iconRect().topRight() + QPointF(2, -2), *m);
}

QVariant SegmentItem::itemChange(GraphicsItemChange change, const QVariant& value) {
  if (change == ItemPositionHasChanged && topologyScene())
    topologyScene()->itemMoved(elementId());
  return QGraphicsItem::itemChange(change, value);
}

// ---- LinkItem -----------------------------------------------------------------------------------

namespace {

const QColor kTraffic(0x0f, 0x76, 0x6e);
const QColor kDrops(0xdc, 0x26, 0x26);
const QColor kIdleLine(0x47, 0x55, 0x69);
const QColor kBackbone(0x1e, 0x3a, 0x8a);

/// A label centred on `centre`, one static text per line, each line in its colour (the last
/// colour for lines beyond `colors`).
LinkLabel makeLabel(const QStringList& lines, QPointF centre, const std::vector<QColor>& colors) {
  LinkLabel l;
  l.color = colors.empty() ? kInk : colors.back();
  l.colors = colors;
  const QFont font = smallFont();
  qreal w = 0, h = 0;
  for (const QString& line : lines) {
    QStaticText t(line);
    t.setTextFormat(Qt::PlainText);
    t.setPerformanceHint(QStaticText::AggressiveCaching);
    t.prepare(QTransform(), font);
    w = std::max(w, t.size().width());
    h += t.size().height();
    l.lines.push_back(std::move(t));
  }
  l.rect = QRectF(centre.x() - w / 2 - 3, centre.y() - h / 2 - 1, w + 6, h + 2);
  return l;
}

LinkLabel makeLabel(const QString& text, QPointF centre, const QColor& color) {
  return makeLabel(text.split('\n'), centre, {color});
}

/// The colour of a link carrying `load` (0 idle .. 1 full): teal up to 60 %, then through amber
/// (80 %) to red. On the log scale of links without a rate, 60 % is about 4 Mbit/s.
QColor loadColor(double load) {
  auto mix = [](const QColor& a, const QColor& b, double t) {
    return QColor::fromRgbF(a.redF() + (b.redF() - a.redF()) * t, a.greenF() + (b.greenF() - a.greenF()) * t,
                            a.blueF() + (b.blueF() - a.blueF()) * t);
  };
  const QColor teal(0x0d, 0x94, 0x88), amber(0xd9, 0x77, 0x06), red(0xdc, 0x26, 0x26);
  if (load < 0.6)
    return teal;
  return load < 0.8 ? mix(teal, amber, (load - 0.6) / 0.2) : mix(amber, red, std::min(1.0, (load - 0.8) / 0.2));
}

/// What the running lab says about a link: its conditions, its traffic both ways, its drops.
/// The port is the switch port of the link's node end (for a trunk, of its first segment on the
/// second's switch); "rx" on it runs from `owner` to `other`, "tx" back.
LiveLink liveLinkOf(const TopologyScene& scene, const LinkData& l) {
  LiveLink live;
  const LabStatus* status = scene.status() ? &*scene.status() : nullptr;
  if (!status)
    return live;
  const LivePort lp = findLivePort(*status, scene.document().data(), l, scene.switchNameOf(l.id));
  if (!lp.port)
    return live;
  const SwitchStatus* sw = lp.sw;
  const PortStatus* p = lp.port;
  const std::string& port = lp.name;
  const std::string& owner = lp.owner;
  const std::string& other = lp.other;
  live.hasPort = true;
  live.isDown = isPortDown(*p);
  const std::string conditions = describeLiveConditions(p->conditionsIn, p->conditionsOut);
  live.isImpaired = !live.isDown && !conditions.empty();
  if (!conditions.empty()) {
    live.lines << q(conditions);
    live.colors.push_back(kConditions);
  }
  if (const PortRate* r = status->portRateOf(sw->segment, port)) {
    if (r->rxFramesPerSecond > 0) {
      live.lines << q("→ " + other + "  " + describeRate(r->rxFramesPerSecond, r->rxBytesPerSecond));
      live.colors.push_back(kTraffic);
    }
    if (r->txFramesPerSecond > 0) {
      live.lines << q("→ " + owner + "  " + describeRate(r->txFramesPerSecond, r->txBytesPerSecond));
      live.colors.push_back(kTraffic);
    }
    if (r->dropsPerSecond > 0) {
      live.hasDrops = true;
      live.lines << QStringLiteral("✕ %1 drops/s").arg(r->dropsPerSecond, 0, 'f', r->dropsPerSecond < 10 ? 1 : 0);
      live.colors.push_back(kDrops);
    }
    const double bits = 8 * std::max(r->rxBytesPerSecond, r->txBytesPerSecond);
    const double limit = std::max(conditionRateBits(p->conditionsIn), conditionRateBits(p->conditionsOut));
    if (bits > 0)
      live.load = limit > 0 ? std::min(1.0, bits / limit) : std::min(1.0, std::log10(1 + bits) / 9); // 1 Gbit/s is full
  }
  return live;
}

/// The label in a link's middle: the conditions as written, or, while the lab runs, what its
/// switch says now (conditions, traffic both ways, drops).
void setCentreLabel(LinkGeometry& g) {
  g.centre.reset();
  if (g.live.hasPort) {
    if (!g.live.lines.isEmpty())
      g.centre = makeLabel(g.live.lines, g.line.center(), g.live.colors);
  } else if (!g.written.isEmpty()) {
    g.centre = makeLabel(g.written, g.line.center(), kConditions);
  }
  if (!g.centre || g.line.length() < 1)
    return;
  // On a short link the interface labels reach the middle: move the label sideways, off the
  // line, until it is clear of them (the nearer side first).
  auto isClear = [&](const QRectF& r) {
    return std::none_of(g.labels.begin(), g.labels.end(), [&](const LinkLabel& l) { return l.rect.intersects(r); });
  };
  if (isClear(g.centre->rect))
    return;
  const QPointF normal(-g.line.dy() / g.line.length(), g.line.dx() / g.line.length());
  for (qreal step = 6; step <= 120; step += 6)
    for (qreal side : {1.0, -1.0})
      if (const QRectF moved = g.centre->rect.translated(normal * step * side); isClear(moved)) {
        g.centre->rect = moved;
        return;
      }
}

/// A running capture's badge sits on the line's middle, above the middle label when there is one.
void placeCaptureBadge(LinkGeometry& g, bool isCaptured) {
  g.captureBadge.reset();
  if (!isCaptured || !g.visible)
    return;
  const QPointF c = g.line.center();
  const qreal y = g.centre ? g.centre->rect.top() - kRecHeight / 2 - 2 : c.y() - kRecHeight; // clear of a validation badge
  g.captureBadge = QRectF(c.x() - kRecWidth / 2, y - kRecHeight / 2, kRecWidth, kRecHeight);
}

/// Where a link is drawn and what its labels say, from the document and the run state.
LinkGeometry linkGeometry(const TopologyScene& scene, ElementId id) {
  LinkGeometry g;
  const LabDocument& doc = scene.document();
  const LabData& lab = doc.data();
  std::array<const QGraphicsItem*, 2> items{};
  std::array<QString, 2> endText;
  QString middle;
  if (const LinkData* l = doc.link(id)) {
    items[0] = scene.endpointItem(l->ends[0]);
    items[1] = scene.endpointItem(l->ends[1]);
    const LinkShape shape = linkShape(*l);
    g.isTrunk = shape == LinkShape::Trunk;
    // A point-to-point link between two routers or firewalls is the lab's backbone.
    auto isBackboneEnd = [&](const EndpointData& e) {
      const NodeData* n = e.kind == EndpointData::Kind::Interface ? doc.node(e.target) : nullptr;
      const NodeSymbol symbol = n ? nodeSymbolFor(q(effectiveKind(lab, *n))) : NodeSymbol::Host;
      return symbol == NodeSymbol::Router || symbol == NodeSymbol::Firewall;
    };
    g.isBackbone = shape == LinkShape::PointToPoint && isBackboneEnd(l->ends[0]) && isBackboneEnd(l->ends[1]);
    g.isHost = shape == LinkShape::ToHost;
    for (int i = 0; i < 2; ++i)
      if (l->ends[i].kind == EndpointData::Kind::Interface) {
        const std::string ip = endAddress(*l, i);
        endText[i] = q(l->ends[i].iface) + (ip.empty() ? QString() : "\n" + q(ip));
      }
    middle = q(conditionsText(l->conditions));
    g.live = liveLinkOf(scene, *l);
  } else if (const MonitorData* m = doc.monitor(id)) {
    g.isMonitor = true;
    items[0] = scene.nodeItem(m->node);
    items[1] = scene.segmentItem(m->mirror);
    endText[0] = q(m->iface) + QStringLiteral(" (monitor)");
  }
  if (!items[0] || !items[1] || items[0] == items[1])
    return g;
  const QPointF a = items[0]->scenePos(), b = items[1]->scenePos();
  const QPointF d = b - a;
  const qreal len = std::hypot(d.x(), d.y());
  if (len < 1)
    return g;
  const QPointF u = d / len;
  const qreal ea = exitDistance(iconRectOf(items[0]), u), eb = exitDistance(iconRectOf(items[1]), u);
  g.visible = true;
  g.line = len > ea + eb ? QLineF(a + u * ea, b - u * eb) : QLineF(a, b);

  // Interface labels sit just outside their node's symbol and name, but no further than
  // 40 % of the way along the link, so that they stay on their own side of it.
  for (int i = 0; i < 2; ++i) {
    if (endText[i].isEmpty())
      continue;
    const QPointF dir = i == 0 ? u : -u;
    const QPointF centre = i == 0 ? a : b;
    const auto* node = qgraphicsitem_cast<const NodeItem*>(items[i]);
    LinkLabel label = makeLabel(endText[i], centre, QColor(0x33, 0x41, 0x55));
    const qreal clear = exitDistance(node ? node->footprint() : iconRectOf(items[i]), dir);
    const qreal half = std::abs(dir.x()) * label.rect.width() / 2 + std::abs(dir.y()) * label.rect.height() / 2;
    const qreal along = std::min(clear + half + 2, len * 0.4);
    label.rect.translate(dir * along);
    g.labels.push_back(std::move(label));
  }
  // A badge sits between the labels: past the middle when only the first end has one.
  const qreal badgeT = !endText[0].isEmpty() && endText[1].isEmpty() ? 0.62 : !endText[1].isEmpty() && endText[0].isEmpty() ? 0.38 : 0.5;
  g.badgeAt = g.line.pointAt(badgeT);
  g.written = middle;
  setCentreLabel(g);
  placeCaptureBadge(g, !scene.captureOf(id).isEmpty());
  return g;
}

} // namespace

namespace {

QRectF boundsOf(const LinkGeometry& g) {
  if (!g.visible)
    return QRectF();
  QRectF r = QRectF(g.line.p1(), g.line.p2()).normalized().adjusted(-8, -8, 8, 8); // the widest line, the drop cross
  for (const LinkLabel& l : g.labels)
    r = r.united(l.rect.adjusted(-2, -2, 2, 2));
  if (g.centre)
    r = r.united(g.centre->rect.adjusted(-2, -2, 2, 2));
  if (g.captureBadge)
    r = r.united(g.captureBadge->adjusted(-2, -2, 2, 2));
  return r;
}

} // namespace

LinkItem::LinkItem(ElementId id) : ElementItem(id) {
  setFlags(ItemIsSelectable);
  setZValue(0);
}

QRectF LinkItem::boundingRect() const { return bounds_; }

QPainterPath LinkItem::shape() const {
  QPainterPath path;
  if (!geometry_.visible)
    return path;
  path.moveTo(geometry_.line.p1());
  path.lineTo(geometry_.line.p2());
  QPainterPathStroker stroker;
  stroker.setWidth(10);
  return stroker.createStroke(path);
}

void LinkItem::adjust() {
  const TopologyScene* s = topologyScene();
  if (!s)
    return;
  prepareGeometryChange();
  geometry_ = linkGeometry(*s, elementId());
  bounds_ = boundsOf(geometry_);
  setVisible(geometry_.visible);
  const LabDocument& doc = s->document();
  QString tip;
  if (const LinkData* l = doc.link(elementId()))
    tip = q(endpointText(doc.data(), l->ends[0]) + " — " + endpointText(doc.data(), l->ends[1])).toHtmlEscaped();
  else if (const MonitorData* m = doc.monitor(elementId()))
    tip = QStringLiteral("monitor %1 mirrors %2").arg(q(m->iface), q(m->mirrorName)).toHtmlEscaped();
  tip += captureTip(s, elementId());
  setToolTip(tooltipWithMessages(tip, s, elementId()));
  update();
}

void LinkItem::adjustLive() {
  const TopologyScene* s = topologyScene();
  const LinkData* l = s ? s->document().link(elementId()) : nullptr;
  if (!l) // a monitor shows nothing of the run
    return;
  LiveLink live = liveLinkOf(*s, *l);
  if (live == geometry_.live)
    return;
  // Only the middle label and the line's look change: the ends and their labels stay.
  prepareGeometryChange();
  geometry_.live = std::move(live);
  setCentreLabel(geometry_);
  placeCaptureBadge(geometry_, geometry_.captureBadge.has_value());
  bounds_ = boundsOf(geometry_);
  update();
}

void LinkItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
  const TopologyScene* s = topologyScene();
  const LinkGeometry& g = geometry_;
  if (!s || !g.visible)
    return;
  painter->setRenderHint(QPainter::Antialiasing);
  // Flat caps: Qt's raster engine strokes round caps on long antialiased lines twenty times
  // slower, which alone made a 500-node lab's view crawl (bench_gui "zoom").
  if (isSelected()) {
    painter->setPen(QPen(QColor(0x93, 0xc5, 0xfd), 9, Qt::SolidLine, Qt::FlatCap));
    painter->drawLine(g.line);
  }
  // Width and colour follow the load; an impaired link is amber and dash-dotted, a link taken
  // down red and dashed.
  // Trunks and the backbone are drawn wider, the backbone at least 2.5 px on screen at any zoom.
  const qreal lod = option->levelOfDetailFromTransform(painter->worldTransform());
  qreal width = (g.isTrunk || g.isBackbone ? 4 : 2) + 5 * g.live.load;
  if (g.isBackbone && lod > 0)
    width = std::max(width, 2.5 / lod);
  QPen pen(g.live.load > 0 ? loadColor(g.live.load) : g.isBackbone ? kBackbone : kIdleLine, width, Qt::SolidLine, Qt::FlatCap);
  if (g.isMonitor)
    pen = QPen(QColor(0x7c, 0x3a, 0xed), 2, Qt::DashLine, Qt::FlatCap);
  if (g.isHost)
    pen.setStyle(Qt::DotLine);
  if (g.live.isImpaired) {
    pen.setStyle(Qt::DashDotLine);
    if (g.live.load <= 0)
      pen.setColor(QColor(0xd9, 0x77, 0x06));
  }
  if (g.live.isDown)
    pen = QPen(QColor(0xdc, 0x26, 0x26), 2.5, Qt::DashLine, Qt::FlatCap);
  if (auto m = s->markOf(elementId()); m && *m == Severity::Error)
    pen.setColor(QColor(0xdc, 0x26, 0x26));
  painter->setPen(pen);
  painter->drawLine(g.line);
  if (g.live.hasDrops) { // a red cross on the line, seen at every zoom
    const QPointF c = g.line.center();
    painter->setPen(QPen(kDrops, 3, Qt::SolidLine, Qt::RoundCap));
    painter->drawLine(c + QPointF(-6, -6), c + QPointF(6, 6));
    painter->drawLine(c + QPointF(-6, 6), c + QPointF(6, -6));
  }
  if (lod >= kLabelLod)
  {
    for (const LinkLabel& l : g.labels)
      paintLabel(*painter, l);
    if (g.centre)
      paintLabel(*painter, *g.centre);
  }
  if (g.captureBadge)
    paintCaptureBadge(*painter, *g.captureBadge);
  if (auto m = s->markOf(elementId()))
    paintBadge(*painter, g.badgeAt, *m);
}

// ---- HostItem -----------------------------------------------------------------------------------

void HostItem::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
  painter->setRenderHint(QPainter::Antialiasing);
  QPainterPath cloud;
  const QRectF r = iconRect();
  cloud.addEllipse(QRectF(r.left(), r.top() + 12, 26, 24));
  cloud.addEllipse(QRectF(r.left() + 12, r.top(), 30, 30));
  cloud.addEllipse(QRectF(r.left() + 30, r.top() + 8, 30, 28));
  cloud.addRoundedRect(QRectF(r.left() + 8, r.top() + 18, 46, 22), 8, 8);
  painter->setPen(QPen(kInk, 2));
  painter->setBrush(QColor(0xf1, 0xf5, 0xf9));
  painter->drawPath(cloud.simplified());
  painter->setFont(labelFont());
  painter->setPen(kInk);
  painter->drawText(r.adjusted(0, 10, 0, 4), Qt::AlignCenter, QStringLiteral("host"));
}

} // namespace umlab::gui
