#include "umlab/lab/compile/plan_json.hpp"

#include "umlab/base/file_io.hpp"

#include "umlab/base/json_value.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/lab/compile/plan_render.hpp"

#include <cerrno>
#include <concepts>
#include <cstdlib>
#include <fcntl.h>
#include <limits>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace umlab::lab {

namespace {

/// Keeps the first error; reading goes on after it (cheaply) so the code below needs no early
/// exits, and later errors are dropped.
class Errors {
public:
  explicit Errors(std::string& out) : out_(out) {}

  void add(const std::string& path, const std::string& message) {
    if (failed_)
      return;
    failed_ = true;
    out_ = path.empty() ? message : path + ": " + message;
  }
  bool failed() const { return failed_; }

private:
  std::string& out_;
  bool failed_ = false;
};

/// One JSON object read into one struct. Each field is asked for once by name; a field asked for
/// and absent is missing, a member never asked for is unknown (reported by `finish`).
class ObjectReader {
public:
  ObjectReader(Errors& errors, const JsonValue& value, std::string path)
      : errors_(errors), object_(value.asObject()), path_(std::move(path)) {
    if (!object_)
      errors_.add(path_, std::string("expected an object, found ") + describeJsonType(value.type()));
  }

  /// The member `key`, or null (and an error) when it is absent.
  const JsonValue* take(const char* key) {
    if (!object_)
      return nullptr;
    taken_.push_back(key);
    const JsonValue* v = object_->find(key);
    if (!v)
      errors_.add(pathOf(key), "missing");
    return v;
  }

  /// The member `key` if present; absence is not an error.
  const JsonValue* takeOptional(const char* key) {
    if (!object_)
      return nullptr;
    taken_.push_back(key);
    return object_->find(key);
  }

  void string(const char* key, std::string& out) {
    if (const JsonValue* v = take(key))
      readString(errors_, *v, pathOf(key), out);
  }

  void boolean(const char* key, bool& out) {
    const JsonValue* v = take(key);
    if (!v)
      return;
    if (std::optional<bool> b = v->asBool())
      out = *b;
    else
      wrongType(pathOf(key), "a boolean", *v);
  }

  template <std::integral T> void integer(const char* key, T& out) {
    if (const JsonValue* v = take(key))
      readInteger(*v, pathOf(key), out);
  }

  template <std::integral T> void optionalInteger(const char* key, std::optional<T>& out) {
    if (const JsonValue* v = takeOptional(key)) {
      T n{};
      if (readInteger(*v, pathOf(key), n))
        out = n;
    }
  }

  void number(const char* key, double& out) {
    if (const JsonValue* v = take(key))
      readNumber(*v, pathOf(key), out);
  }

  void optionalNumber(const char* key, std::optional<double>& out) {
    if (const JsonValue* v = takeOptional(key)) {
      double d = 0;
      if (readNumber(*v, pathOf(key), d))
        out = d;
    }
  }

  // Keys that plans written by older builds lack:
  void optionalString(const char* key, std::string& out) {
    if (const JsonValue* v = takeOptional(key))
      readString(errors_, *v, pathOf(key), out);
  }

  void optionalStrings(const char* key, std::vector<std::string>& out) {
    if (takeOptional(key))
      strings(key, out);
  }

  template <typename T, typename ReadOne> void optionalArray(const char* key, std::vector<T>& out, ReadOne readOne) {
    if (takeOptional(key))
      array(key, out, readOne);
  }

  void strings(const char* key, std::vector<std::string>& out) {
    array(key, out, [](Errors& errors, const JsonValue& v, const std::string& path, std::string& s) {
      readString(errors, v, path, s);
    });
  }

  /// The array `key`, each element read by `readOne(errors, element, path, T&)`.
  template <typename T, typename ReadOne> void array(const char* key, std::vector<T>& out, ReadOne readOne) {
    const JsonValue* v = take(key);
    if (!v)
      return;
    const JsonArray* elements = v->asArray();
    if (!elements) {
      wrongType(pathOf(key), "an array", *v);
      return;
    }
    out.clear();
    out.reserve(elements->size());
    for (size_t i = 0; i < elements->size(); ++i) {
      T element{};
      readOne(errors_, (*elements)[i], pathOf(key) + "[" + std::to_string(i) + "]", element);
      out.push_back(std::move(element));
    }
  }

  /// Reports the first member that no one asked for.
  void finish() {
    if (!object_)
      return;
    for (const auto& [key, value] : *object_) {
      bool known = false;
      for (const char* k : taken_)
        known = known || key == k;
      if (!known) {
        errors_.add(pathOf(key), "unknown field");
        return;
      }
    }
  }

  static bool readString(Errors& errors, const JsonValue& v, const std::string& path, std::string& out) {
    if (std::optional<std::string_view> s = v.asString()) {
      out = *s;
      return true;
    }
    errors.add(path, std::string("expected a string, found ") + describeJsonType(v.type()));
    return false;
  }

private:
  std::string pathOf(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  void wrongType(const std::string& path, const char* expected, const JsonValue& v) {
    errors_.add(path, std::string("expected ") + expected + ", found " + describeJsonType(v.type()));
  }

  template <std::integral T> bool readInteger(const JsonValue& v, const std::string& path, T& out) {
    constexpr auto lo = std::numeric_limits<T>::min();
    constexpr auto hi = std::numeric_limits<T>::max();
    bool fits = false;
    if constexpr (std::is_signed_v<T>) {
      std::optional<int64_t> n = v.asInt();
      fits = n && *n >= lo && *n <= hi;
      if (fits)
        out = static_cast<T>(*n);
    } else {
      std::optional<uint64_t> n = v.asUint();
      fits = n && *n <= hi;
      if (fits)
        out = static_cast<T>(*n);
    }
    if (fits)
      return true;
    std::string expected = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    if (v.isNumber())
      errors_.add(path, "expected " + expected);
    else
      wrongType(path, expected.c_str(), v);
    return false;
  }

  bool readNumber(const JsonValue& v, const std::string& path, double& out) {
    if (std::optional<double> d = v.asDouble()) {
      out = *d;
      return true;
    }
    wrongType(path, "a number", v);
    return false;
  }

  Errors& errors_;
  const JsonObject* object_;
  std::string path_;
  std::vector<const char*> taken_;
};

void readConditions(ObjectReader& parent, Errors& errors, const std::string& path, LinkConditions& c) {
  const JsonValue* v = parent.take("conditions");
  if (!v)
    return;
  ObjectReader o(errors, *v, path + ".conditions");
  std::optional<int64_t> delay, jitter;
  o.optionalInteger("delayNs", delay);
  o.optionalInteger("jitterNs", jitter);
  if (delay) c.delay = std::chrono::nanoseconds(*delay);
  if (jitter) c.jitter = std::chrono::nanoseconds(*jitter);
  o.optionalNumber("lossPercent", c.lossPercent);
  o.optionalInteger("rateBitsPerSecond", c.rateBitsPerSecond);
  o.optionalNumber("duplicatePercent", c.duplicatePercent);
  o.optionalNumber("corruptPercent", c.corruptPercent);
  o.finish();
}

void readPort(Errors& errors, const JsonValue& v, const std::string& path, PortPlan& port) {
  ObjectReader o(errors, v, path);
  o.string("name", port.name);
  o.string("mac", port.mac);
  readConditions(o, errors, path, port.conditions);
  o.finish();
}

void readSwitch(Errors& errors, const JsonValue& v, const std::string& path, SwitchPlan& sw) {
  ObjectReader o(errors, v, path);
  o.string("segment", sw.segment);
  o.string("mode", sw.mode);
  o.boolean("implicit", sw.implicit);
  o.string("transport", sw.transport);
  o.string("ctl", sw.ctlPath);
  o.string("bess", sw.bessPath);
  o.string("monitor", sw.monitorPath);
  o.optionalString("mirrorTap", sw.mirrorTap);
  o.string("admin", sw.adminPath);
  o.strings("uplinks", sw.uplinks);
  o.array("ports", sw.ports, readPort);
  o.strings("argv", sw.argv);
  if (const JsonValue* vxlan = o.takeOptional("vxlan")) {
    ObjectReader r(errors, *vxlan, path + ".vxlan");
    VxlanPlan x;
    r.integer("vni", x.vni);
    r.string("local", x.local);
    r.array("peers", x.peers, [](Errors& e, const JsonValue& pv, const std::string& pp, VxlanPeer& peer) {
      ObjectReader pr(e, pv, pp);
      pr.string("name", peer.name);
      pr.string("address", peer.address);
      pr.finish();
    });
    r.finish();
    sw.vxlan = std::move(x);
  }
  o.finish();
}

void readMcast(Errors& errors, const JsonValue& v, const std::string& path, McastPlan& m) {
  ObjectReader o(errors, v, path);
  o.string("segment", m.segment);
  o.string("group", m.group);
  o.integer("port", m.port);
  o.integer("ttl", m.ttl);
  o.strings("members", m.members);
  o.finish();
}

void readTap(Errors& errors, const JsonValue& v, const std::string& path, TapPlan& t) {
  ObjectReader o(errors, v, path);
  o.string("device", t.device);
  o.string("interface", t.interface);
  o.finish();
}

void readInterface(Errors& errors, const JsonValue& v, const std::string& path, InterfacePlan& i) {
  ObjectReader o(errors, v, path);
  o.string("name", i.name);
  o.string("device", i.device);
  o.string("mac", i.mac);
  o.string("ip", i.ip);
  o.string("gateway", i.gateway);
  o.string("attachedTo", i.attachedTo);
  o.string("transport", i.transport);
  o.string("umlArg", i.umlArg);
  readConditions(o, errors, path, i.conditions);
  o.string("tapDevice", i.tapDevice);
  o.integer("tapFd", i.tapFd);
  o.finish();
}

void readRoute(Errors& errors, const JsonValue& v, const std::string& path, RoutePlan& r) {
  ObjectReader o(errors, v, path);
  o.string("to", r.to);
  o.string("via", r.via);
  o.finish();
}

void readFile(Errors& errors, const JsonValue& v, const std::string& path, GuestFile& f) {
  ObjectReader o(errors, v, path);
  o.string("guest", f.guestPath);
  o.string("host", f.hostPath);
  o.finish();
}

void readGuest(Errors& errors, const JsonValue& v, const std::string& path, GuestPlan& g) {
  ObjectReader o(errors, v, path);
  o.string("name", g.name);
  o.string("kind", g.kind);
  o.string("umid", g.umid);
  o.integer("memoryBytes", g.memoryBytes);
  o.string("image", g.image);
  o.optionalString("kernel", g.kernel);
  o.string("cow", g.cowPath);
  o.string("base", g.basePath);
  o.string("config", g.configDisk);
  o.string("log", g.logPath);
  o.boolean("forwarding", g.forwarding);
  o.optionalInteger("host", g.host);
  o.array("interfaces", g.interfaces, readInterface);
  o.array("routes", g.routes, readRoute);
  o.strings("startup", g.startup);
  o.array("files", g.files, readFile);
  o.optionalStrings("shutdown", g.shutdown);
  if (const JsonValue* s = o.takeOptional("sysctls")) {
    const JsonArray* entries = s->asArray();
    for (size_t i = 0; entries && i < entries->size(); ++i) {
      const JsonArray* pair = (*entries)[i].asArray();
      std::optional<std::string_view> name, value;
      if (pair && pair->size() == 2) {
        name = (*pair)[0].asString();
        value = (*pair)[1].asString();
      }
      if (name && value)
        g.sysctls.emplace_back(std::string(*name), std::string(*value));
      else
        errors.add(path + ".sysctls[" + std::to_string(i) + "]", "expected [name, value]");
    }
    if (!entries)
      errors.add(path + ".sysctls", "expected an array");
  }
  o.optionalString("mountPoint", g.mountPoint);
  o.optionalString("mountHostDir", g.mountHostDir);
  o.optionalStrings("dependsOn", g.dependsOn);
  o.strings("argv", g.argv);
  o.finish();
}

void readReplay(Errors& errors, const JsonValue& v, const std::string& path, ReplayPlan& r) {
  ObjectReader o(errors, v, path);
  o.string("segment", r.segment);
  o.string("pcap", r.pcapPath);
  o.string("admin", r.adminPath);
  o.number("speed", r.speed);
  o.integer("loop", r.loop);
  o.boolean("rewriteMac", r.rewriteMac);
  o.string("rewriteTo", r.rewriteTo);
  o.finish();
}

void readTimelineStep(Errors& errors, const JsonValue& v, const std::string& path, TimelineStepPlan& t) {
  ObjectReader o(errors, v, path);
  o.integer("atMs", t.atMs);
  o.integer("entry", t.entry);
  o.string("action", t.action);
  o.string("target", t.target);
  o.optionalString("words", t.words);
  o.optionalString("admin", t.adminPath);
  o.optionalString("port", t.port);
  o.optionalString("pcap", t.pcapPath);
  o.optionalString("pcapCopy", t.pcapCopy);
  if (!t.pcapPath.empty()) {
    o.number("speed", t.speed);
    o.integer("loop", t.loop);
  }
  o.string("what", t.what);
  o.finish();
}

/// The reader of a parsed plan; `origin` (a file path, or empty) prefixes the error.
std::optional<LaunchPlan> readPlanIn(const JsonValue& document, const std::string& origin, std::string& error) {
  std::string message;
  Errors errors(message);
  LaunchPlan p;
  ObjectReader o(errors, document, "");
  uint64_t version = 0;
  o.integer("version", version);
  if (!errors.failed() && version != kPlanJsonVersion)
    errors.add("version", "this umlab reads plan version " + std::to_string(kPlanJsonVersion) + ", not " +
                              std::to_string(version) + "; use the umlab that wrote it");
  if (!errors.failed()) {
    o.string("lab", p.lab);
    o.string("source", p.sourcePath);
    o.string("stateDir", p.stateDir);
    o.string("netns", p.netns);
    o.array("switches", p.switches, readSwitch);
    o.array("mcast", p.mcast, readMcast);
    o.array("taps", p.taps, readTap);
    o.array("guests", p.guests, readGuest);
    o.array("replays", p.replays, readReplay);
    o.optionalArray("timeline", p.timeline, readTimelineStep);
    if (const JsonValue* placement = o.takeOptional("placement")) {
      ObjectReader r(errors, *placement, "placement");
      LaunchPlan::Placement pl;
      r.integer("hosts", pl.hosts);
      r.integer("tunnels", pl.tunnels);
      r.integer("roundRobinTunnels", pl.roundRobinTunnels);
      r.finish();
      p.placement = pl;
    }
    o.strings("startOrder", p.startOrder);
    o.finish();
  }
  if (errors.failed()) {
    error = origin.empty() ? message : origin + ": " + message;
    return std::nullopt;
  }
  return p;
}

/// The reader behind the text entry points.
std::optional<LaunchPlan> readPlan(std::string_view text, const std::string& origin, std::string& error) {
  JsonError jsonError;
  std::optional<JsonValue> document = parseJson(text, jsonError);
  if (!document) {
    error = origin.empty() ? jsonError.str() : origin + ":" + jsonError.str();
    return std::nullopt;
  }
  return readPlanIn(*document, origin, error);
}

[[noreturn]] void throwErrno(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

} // namespace

std::optional<LaunchPlan> readPlanJson(std::string_view text, std::string& error) { return readPlan(text, "", error); }

std::optional<LaunchPlan> readPlanDocument(const JsonValue& document, std::string& error) {
  return readPlanIn(document, "", error);
}

void savePlanJson(const LaunchPlan& plan, const std::string& path) { writeFileAtomically(path, renderPlanJson(plan)); }

std::optional<LaunchPlan> loadPlanJson(const std::string& path, std::string& error) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd)
    throwErrno("open " + path);
  std::string text;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throwErrno("read " + path);
    if (n == 0)
      break;
    text.append(buf, static_cast<size_t>(n));
  }
  return readPlan(text, path, error);
}

} // namespace umlab::lab
