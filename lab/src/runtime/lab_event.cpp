#include "umlab/lab/runtime/lab_event.hpp"

#include "umlab/base/json_writer.hpp"
#include "umlab/base/quantity.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <utility>

namespace umlab::lab::runtime {

namespace {

constexpr std::pair<const char*, LabEvent::Type> kTypes[] = {
    {"node", LabEvent::Type::Node},           {"switch", LabEvent::Type::Switch}, {"link", LabEvent::Type::Link},
    {"interface", LabEvent::Type::Interface}, {"lab", LabEvent::Type::Lab},       {"counters", LabEvent::Type::Counters},
    {"timeline", LabEvent::Type::Timeline}};

const char* typeName(LabEvent::Type t) {
  for (const auto& [name, type] : kTypes)
    if (type == t)
      return name;
  return "lab";
}

double number(const JsonValue& v, const char* key) {
  const JsonValue* f = v.find(key);
  return f ? f->asDouble().value_or(0) : 0;
}

uint64_t count(const JsonValue& v, const char* key) {
  const JsonValue* f = v.find(key);
  return f ? f->asUint().value_or(0) : 0;
}

} // namespace

double eventTimeNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string labEventJson(const LabEvent& e) {
  JsonWriter w(JsonWriter::kOneLine);
  w.beginObject().field("type", typeName(e.type)).field("time", e.time);
  switch (e.type) {
  case LabEvent::Type::Node:
    w.field("node", e.node).field("state", e.state).field("pid", e.pid);
    break;
  case LabEvent::Type::Switch:
    w.field("segment", e.segment).field("state", e.state);
    break;
  case LabEvent::Type::Link:
    w.field("segment", e.segment).field("port", e.port).field("in", e.in).field("out", e.out);
    break;
  case LabEvent::Type::Interface:
    w.field("node", e.node).field("interface", e.interface).field("segment", e.segment).field("action", e.action);
    break;
  case LabEvent::Type::Lab:
    w.field("lab", e.lab).field("state", e.state);
    break;
  case LabEvent::Type::Counters:
    w.field("segment", e.segment).field("answering", e.isAnswering).field("ageSeconds", e.ageSeconds);
    w.key("ports").beginArray();
    for (const PortStatus& p : e.ports)
      w.beginObject().field("port", p.name).field("kind", p.kind).field("framesIn", p.rxFrames).field("bytesIn", p.rxBytes)
          .field("framesOut", p.txFrames).field("bytesOut", p.txBytes).field("drops", p.drops).endObject();
    w.endArray();
    break;
  case LabEvent::Type::Timeline:
    w.field("step", e.step).field("steps", e.steps).field("entry", e.entry).field("at", e.at);
    w.field("action", e.action).field("target", e.target).field("what", e.what).field("state", e.state);
    w.field("detail", e.detail);
    break;
  }
  if (!e.host.empty())
    w.field("host", e.host);
  w.endObject();
  return w.str();
}

std::optional<LabEvent> readLabEvent(const JsonValue& json) {
  if (!json.asObject())
    return std::nullopt;
  const std::string type = jsonString(json, "type");
  auto known = std::find_if(std::begin(kTypes), std::end(kTypes), [&](const auto& t) { return type == t.first; });
  if (known == std::end(kTypes))
    return std::nullopt;
  LabEvent e;
  e.type = known->second;
  e.time = number(json, "time");
  e.node = jsonString(json, "node");
  e.segment = jsonString(json, "segment");
  e.port = jsonString(json, "port");
  e.interface = jsonString(json, "interface");
  e.action = jsonString(json, "action");
  e.lab = jsonString(json, "lab");
  e.host = jsonString(json, "host");
  e.state = jsonString(json, "state");
  e.in = jsonString(json, "in");
  e.out = jsonString(json, "out");
  if (const JsonValue* pid = json.find("pid"))
    e.pid = pid->asInt().value_or(0);
  if (const JsonValue* answering = json.find("answering"))
    e.isAnswering = answering->asBool().value_or(true);
  e.ageSeconds = number(json, "ageSeconds");
  if (const JsonValue* v = json.find("step"))
    e.step = v->asInt().value_or(0);
  if (const JsonValue* v = json.find("steps"))
    e.steps = v->asInt().value_or(0);
  if (const JsonValue* v = json.find("entry"))
    e.entry = v->asInt().value_or(0);
  e.at = number(json, "at");
  e.target = jsonString(json, "target");
  e.what = jsonString(json, "what");
  e.detail = jsonString(json, "detail");
  if (const JsonValue* ports = json.find("ports"); ports && ports->asArray())
    for (const JsonValue& p : *ports->asArray()) {
      PortStatus s;
      s.name = jsonString(p, "port");
      s.kind = jsonString(p, "kind");
      s.rxFrames = count(p, "framesIn");
      s.rxBytes = count(p, "bytesIn");
      s.txFrames = count(p, "framesOut");
      s.txBytes = count(p, "bytesOut");
      s.drops = count(p, "drops");
      e.ports.push_back(std::move(s));
    }
  return e;
}

std::string describeLabEvent(const LabEvent& e) {
  switch (e.type) {
  case LabEvent::Type::Node:
    return "node " + e.node + " " + e.state + (e.pid > 0 ? " (pid " + std::to_string(e.pid) + ")" : "");
  case LabEvent::Type::Switch:
    return "switch " + e.segment + " " + e.state;
  case LabEvent::Type::Link:
    return "link " + e.port + " on " + e.segment + ": in " + e.in + ", out " + e.out;
  case LabEvent::Type::Interface:
    return "interface " + e.node + ":" + e.interface + " " + e.action + " (" + e.segment + ")";
  case LabEvent::Type::Lab:
    return "lab " + e.lab + " " + e.state;
  case LabEvent::Type::Counters: {
    std::string t = "counters " + e.segment + (e.isAnswering ? "" : " (not answering)") + ":";
    for (const PortStatus& p : e.ports)
      t += " " + p.name + " in " + std::to_string(p.rxFrames) + "/" + formatByteSize(p.rxBytes) + " out " +
           std::to_string(p.txFrames) + "/" + formatByteSize(p.txBytes) +
           (p.drops ? " drops " + std::to_string(p.drops) : "") + ";";
    return t;
  }
  case LabEvent::Type::Timeline: {
    char at[32];
    std::snprintf(at, sizeof at, "%.1f s", e.at);
    return "timeline " + std::to_string(e.step) + "/" + std::to_string(e.steps) + " at " + at + ": " + e.what + " " +
           e.state + (e.detail.empty() ? "" : " (" + e.detail + ")");
  }
  }
  return "";
}

} // namespace umlab::lab::runtime
