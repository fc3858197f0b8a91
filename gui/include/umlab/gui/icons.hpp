#pragma once
/// The canvas's symbols, drawn with QPainter paths (no image files): a PC for hosts, a round
/// router with four arrows, a brick wall for firewalls, a tower for servers; a switch box with
/// crossing arrows, a hub box, and a bus with waves for mcast segments. Each draws into a given
/// rectangle, so the same code serves the canvas, exports and the tool bar's icons.

#include <QColor>
#include <QIcon>
#include <QPainter>
#include <QRectF>
#include <QString>

namespace umlab::gui {

enum class NodeSymbol { Host, Router, Firewall, Server, Other };
enum class SegmentSymbol { Switch, Hub, Mcast };

/// The symbol for a node kind: host, router, firewall, server (also "web"); other free kinds
/// ("ids") get a host-like symbol in their own colour.
NodeSymbol nodeSymbolFor(const QString& kind);
SegmentSymbol segmentSymbolFor(const QString& type);

void paintNodeSymbol(QPainter& p, NodeSymbol symbol, const QRectF& r);
void paintSegmentSymbol(QPainter& p, SegmentSymbol symbol, const QRectF& r);

/// Tool bar icons made from the same drawings.
QIcon nodeIcon(NodeSymbol symbol);
QIcon segmentIcon(SegmentSymbol symbol);
QIcon linkToolIcon();
QIcon selectToolIcon();

} // namespace umlab::gui
