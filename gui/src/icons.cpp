#include "umlab/gui/icons.hpp"

#include <QPainterPath>
#include <QPixmap>

#include <cmath>

namespace umlab::gui {

namespace {

const QColor kInk(0x33, 0x41, 0x55);

/// An arrow from `from` to `to` with a filled head.
void arrow(QPainter& p, QPointF from, QPointF to, qreal head) {
  p.drawLine(from, to);
  const QPointF d = to - from;
  const qreal len = std::hypot(d.x(), d.y());
  if (len <= 0)
    return;
  const QPointF u = d / len, n(-u.y(), u.x());
  QPolygonF tip{to, to - u * head + n * head * 0.6, to - u * head - n * head * 0.6};
  p.save();
  p.setBrush(p.pen().color());
  p.drawPolygon(tip);
  p.restore();
}

void paintHost(QPainter& p, const QRectF& r, const QColor& fill) {
  const qreal w = r.width(), h = r.height();
  QRectF screen(r.left() + w * 0.08, r.top() + h * 0.1, w * 0.84, h * 0.6);
  p.setPen(QPen(kInk, w * 0.045));
  p.setBrush(fill);
  p.drawRoundedRect(screen, w * 0.06, w * 0.06);
  p.setBrush(QColor(0xe0, 0xf2, 0xfe));
  p.setPen(Qt::NoPen);
  p.drawRect(screen.adjusted(w * 0.07, h * 0.07, -w * 0.07, -h * 0.07));
  p.setPen(QPen(kInk, w * 0.045));
  p.setBrush(fill);
  QPolygonF stand{QPointF(r.center().x() - w * 0.08, screen.bottom()), QPointF(r.center().x() + w * 0.08, screen.bottom()),
                  QPointF(r.center().x() + w * 0.12, r.top() + h * 0.84), QPointF(r.center().x() - w * 0.12, r.top() + h * 0.84)};
  p.drawPolygon(stand);
  p.drawRoundedRect(QRectF(r.left() + w * 0.22, r.top() + h * 0.84, w * 0.56, h * 0.08), w * 0.03, w * 0.03);
}

void paintRouter(QPainter& p, const QRectF& r) {
  const qreal w = r.width();
  QRectF disc = r.adjusted(w * 0.06, w * 0.06, -w * 0.06, -w * 0.06);
  p.setPen(QPen(kInk, w * 0.045));
  p.setBrush(QColor(0x25, 0x63, 0xeb));
  p.drawEllipse(disc);
  p.setPen(QPen(Qt::white, w * 0.06, Qt::SolidLine, Qt::RoundCap));
  const QPointF c = disc.center();
  const qreal a = disc.width() * 0.36, b = disc.width() * 0.1, head = w * 0.11;
  // Two arrows in, two out, as on the usual router symbol.
  arrow(p, c + QPointF(-a, 0), c + QPointF(-b, 0), head);
  arrow(p, c + QPointF(a, 0), c + QPointF(b, 0), head);
  arrow(p, c + QPointF(0, -b), c + QPointF(0, -a), head);
  arrow(p, c + QPointF(0, b), c + QPointF(0, a), head);
}

void paintFirewall(QPainter& p, const QRectF& r) {
  const qreal w = r.width(), h = r.height();
  QRectF wall(r.left() + w * 0.06, r.top() + h * 0.14, w * 0.88, h * 0.72);
  p.setPen(QPen(kInk, w * 0.045));
  p.setBrush(QColor(0xdc, 0x4a, 0x2f));
  p.drawRect(wall);
  p.setPen(QPen(QColor(0xfd, 0xe6, 0xd8), w * 0.035));
  const int rows = 4;
  const qreal rowH = wall.height() / rows;
  for (int i = 1; i < rows; ++i)
    p.drawLine(QPointF(wall.left(), wall.top() + i * rowH), QPointF(wall.right(), wall.top() + i * rowH));
  for (int i = 0; i < rows; ++i) {
    const qreal y0 = wall.top() + i * rowH, y1 = y0 + rowH;
    const qreal offset = (i % 2) ? wall.width() / 4 : 0;
    for (qreal x = wall.left() + wall.width() / 2 - offset; x < wall.right() - 1; x += wall.width() / 2)
      if (x > wall.left() + 1)
        p.drawLine(QPointF(x, y0), QPointF(x, y1));
  }
  p.setPen(QPen(kInk, w * 0.045));
  p.setBrush(Qt::NoBrush);
  p.drawRect(wall);
}

void paintServer(QPainter& p, const QRectF& r) {
  const qreal w = r.width(), h = r.height();
  QRectF tower(r.left() + w * 0.24, r.top() + h * 0.06, w * 0.52, h * 0.88);
  p.setPen(QPen(kInk, w * 0.045));
  p.setBrush(QColor(0x47, 0x55, 0x69));
  p.drawRoundedRect(tower, w * 0.05, w * 0.05);
  p.setPen(QPen(QColor(0xcb, 0xd5, 0xe1), w * 0.04));
  for (int i = 0; i < 3; ++i) {
    const qreal y = tower.top() + tower.height() * (0.2 + 0.16 * i);
    p.drawLine(QPointF(tower.left() + w * 0.08, y), QPointF(tower.right() - w * 0.08, y));
  }
  p.setPen(Qt::NoPen);
  p.setBrush(QColor(0x4a, 0xde, 0x80));
  p.drawEllipse(QPointF(tower.center().x(), tower.bottom() - h * 0.14), w * 0.045, w * 0.045);
}

} // namespace

NodeSymbol nodeSymbolFor(const QString& kind) {
  if (kind == "host" || kind.isEmpty())
    return NodeSymbol::Host;
  if (kind == "router")
    return NodeSymbol::Router;
  if (kind == "firewall")
    return NodeSymbol::Firewall;
  if (kind == "server" || kind == "web")
    return NodeSymbol::Server;
  return NodeSymbol::Other;
}

SegmentSymbol segmentSymbolFor(const QString& type) {
  if (type == "hub")
    return SegmentSymbol::Hub;
  if (type == "mcast")
    return SegmentSymbol::Mcast;
  return SegmentSymbol::Switch;
}

void paintNodeSymbol(QPainter& p, NodeSymbol symbol, const QRectF& r) {
  p.save();
  p.setRenderHint(QPainter::Antialiasing);
  switch (symbol) {
  case NodeSymbol::Host: paintHost(p, r, QColor(0xe2, 0xe8, 0xf0)); break;
  case NodeSymbol::Router: paintRouter(p, r); break;
  case NodeSymbol::Firewall: paintFirewall(p, r); break;
  case NodeSymbol::Server: paintServer(p, r); break;
  case NodeSymbol::Other: paintHost(p, r, QColor(0xfe, 0xf3, 0xc7)); break;
  }
  p.restore();
}

void paintSegmentSymbol(QPainter& p, SegmentSymbol symbol, const QRectF& r) {
  p.save();
  p.setRenderHint(QPainter::Antialiasing);
  const qreal h = r.height();
  switch (symbol) {
  case SegmentSymbol::Switch: {
    p.setPen(QPen(kInk, h * 0.06));
    p.setBrush(QColor(0x0d, 0x94, 0x88));
    p.drawRoundedRect(r, h * 0.18, h * 0.18);
    p.setPen(QPen(Qt::white, h * 0.08, Qt::SolidLine, Qt::RoundCap));
    const qreal x0 = r.left() + r.width() * 0.2, x1 = r.right() - r.width() * 0.2, head = h * 0.16;
    const qreal y0 = r.top() + h * 0.33, y1 = r.bottom() - h * 0.33;
    // Crossing traffic: two arrows each way.
    arrow(p, QPointF(x0, y0), QPointF(x1, y0), head);
    arrow(p, QPointF(x1, y1), QPointF(x0, y1), head);
    break;
  }
  case SegmentSymbol::Hub: {
    p.setPen(QPen(kInk, h * 0.06));
    p.setBrush(QColor(0xca, 0x8a, 0x04));
    p.drawRoundedRect(r, h * 0.18, h * 0.18);
    p.setPen(Qt::NoPen);
    p.setBrush(Qt::white);
    const int dots = 5;
    for (int i = 0; i < dots; ++i)
      p.drawEllipse(QPointF(r.left() + r.width() * (0.18 + 0.16 * i), r.center().y()), h * 0.09, h * 0.09);
    break;
  }
  case SegmentSymbol::Mcast: {
    QRectF bus(r.left(), r.center().y() - h * 0.2, r.width(), h * 0.4);
    p.setPen(QPen(kInk, h * 0.06));
    p.setBrush(QColor(0x7c, 0x3a, 0xed));
    p.drawRoundedRect(bus, h * 0.2, h * 0.2);
    p.setPen(QPen(QColor(0x7c, 0x3a, 0xed), h * 0.06));
    p.setBrush(Qt::NoBrush);
    for (int i = 1; i <= 2; ++i) {
      const qreal s = h * 0.2 * i;
      p.drawArc(QRectF(r.center().x() - s, bus.top() - s - h * 0.02, 2 * s, 2 * s), 30 * 16, 120 * 16);
      p.drawArc(QRectF(r.center().x() - s, bus.bottom() - s + h * 0.02, 2 * s, 2 * s), 210 * 16, 120 * 16);
    }
    break;
  }
  }
  p.restore();
}

namespace {
template <typename F>
QIcon drawnIcon(F draw) {
  QPixmap pm(64, 64);
  pm.fill(Qt::transparent);
  QPainter p(&pm);
  draw(p);
  return QIcon(pm);
}
} // namespace

QIcon nodeIcon(NodeSymbol symbol) {
  return drawnIcon([&](QPainter& p) { paintNodeSymbol(p, symbol, QRectF(4, 4, 56, 56)); });
}

QIcon segmentIcon(SegmentSymbol symbol) {
  return drawnIcon([&](QPainter& p) { paintSegmentSymbol(p, symbol, QRectF(2, 18, 60, 28)); });
}

QIcon linkToolIcon() {
  return drawnIcon([](QPainter& p) {
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(kInk, 5, Qt::SolidLine, Qt::RoundCap));
    p.drawLine(QPointF(12, 52), QPointF(52, 12));
    p.setBrush(kInk);
    p.drawEllipse(QPointF(12, 52), 6, 6);
    p.drawEllipse(QPointF(52, 12), 6, 6);
  });
}

QIcon selectToolIcon() {
  return drawnIcon([](QPainter& p) {
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(kInk, 3, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    p.setBrush(Qt::white);
    QPolygonF cursor{QPointF(14, 8), QPointF(14, 52), QPointF(25, 41), QPointF(33, 58), QPointF(40, 55), QPointF(32, 38),
                     QPointF(47, 38)};
    p.drawPolygon(cursor);
  });
}

} // namespace umlab::gui
