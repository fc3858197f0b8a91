#include "umlab/gui/lab_status.hpp"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace umlab::gui {

const NodeStatus* LabStatus::node(const std::string& name) const {
  for (const NodeStatus& n : nodes)
    if (n.name == name)
      return &n;
  return nullptr;
}

const SwitchStatus* LabStatus::switchOf(const std::string& segment) const {
  for (const SwitchStatus& s : switches)
    if (s.segment == segment)
      return &s;
  return nullptr;
}

bool LabStatus::isReady() const {
  if (nodes.empty())
    return false;
  for (const NodeStatus& n : nodes)
    if (n.state != "ready")
      return false;
  return true;
}

std::optional<LabStatus> parsePsJson(const QByteArray& json, const std::string& lab) {
  QJsonParseError error;
  const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
  if (error.error != QJsonParseError::NoError || !doc.isArray())
    return std::nullopt;
  for (const QJsonValue& v : doc.array()) {
    const QJsonObject o = v.toObject();
    if (o.value("lab").toString().toStdString() != lab)
      continue;
    LabStatus s;
    s.lab = lab;
    s.state = o.contains("state") ? o.value("state").toString().toStdString() : "running";
    for (const QJsonValue& nv : o.value("nodes").toArray()) {
      const QJsonObject n = nv.toObject();
      s.nodes.push_back(NodeStatus{n.value("name").toString().toStdString(), n.value("state").toString().toStdString(),
                                   n.value("pid").toInteger(), n.value("uptimeSeconds").toInteger(),
                                   n.value("memoryKiB").toInteger()});
    }
    for (const QJsonValue& sv : o.value("switches").toArray()) {
      const QJsonObject w = sv.toObject();
      SwitchStatus sw;
      sw.segment = w.value("segment").toString().toStdString();
      sw.state = w.value("state").toString().toStdString();
      sw.hasCounters = w.contains("framesIn");
      sw.ports = static_cast<uint64_t>(w.value("ports").toInteger());
      sw.framesIn = static_cast<uint64_t>(w.value("framesIn").toInteger());
      sw.framesOut = static_cast<uint64_t>(w.value("framesOut").toInteger());
      sw.dropped = static_cast<uint64_t>(w.value("dropped").toInteger());
      for (const QJsonValue& c : w.value("conditions").toArray()) {
        // "pc1:eth0 in=delay:25ms out=delay:25ms"
        const std::string text = c.toString().toStdString();
        const size_t space = text.find(' ');
        if (space != std::string::npos)
          sw.conditions[text.substr(0, space)] = text.substr(space + 1);
      }
      s.switches.push_back(std::move(sw));
    }
    return s;
  }
  return std::nullopt;
}

std::string describeLiveConditions(const std::string& text) {
  auto field = [&](const std::string& key) {
    const size_t at = text.find(key + "=");
    if (at == std::string::npos || (at > 0 && text[at - 1] != ' '))
      return std::string();
    const size_t start = at + key.size() + 1;
    std::string v = text.substr(start, text.find(' ', start) - start);
    return v == "none" ? std::string() : v;
  };
  auto pretty = [](std::string v) {
    std::string out;
    for (char c : v)
      out += c == ':' ? std::string(" ") : c == ',' ? std::string(" · ") : std::string(1, c);
    return out;
  };
  const std::string in = field("in"), out = field("out");
  if (in == out)
    return pretty(in);
  std::string r;
  if (!in.empty())
    r = "in " + pretty(in);
  if (!out.empty())
    r += (r.empty() ? "" : " / ") + std::string("out ") + pretty(out);
  return r;
}

void computeRates(LabStatus& now, const LabStatus& before, double seconds) {
  if (seconds <= 0)
    return;
  for (SwitchStatus& s : now.switches) {
    const SwitchStatus* b = before.switchOf(s.segment);
    if (!b || !b->hasCounters || !s.hasCounters || s.framesIn < b->framesIn)
      continue;
    s.framesPerSecond = static_cast<double>(s.framesIn - b->framesIn) / seconds;
  }
}

} // namespace umlab::gui
