#include "test_support.hpp"

#include "umlab/base/child_process.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan_render.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace umlab::gui::test {

namespace fs = std::filesystem;

std::vector<std::string> exampleTopologies() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator("topologies"))
    if (e.path().extension() == ".yaml" && !e.path().stem().string().ends_with(".tests")) // not `umlab test` checks
      out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

std::string canonical(const std::string& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return ec ? p : c.string();
}

std::string describe(const std::optional<lab::Compiled>& compiled, const Diagnostics& diags) {
  if (!compiled) {
    std::ostringstream s;
    renderDiagnostics(diags, s);
    return "<errors>\n" + s.str();
  }
  const lab::Topology& t = compiled->topology;
  std::ostringstream o;
  o << "lab " << t.name << " | " << t.description << "\n";
  for (const lab::Node& n : t.nodes) {
    o << "node " << n.name << " kind=" << n.kind << " desc=" << n.description << " mem=" << n.memoryBytes
      << " image=" << n.image << " kernel=" << n.kernel << " fwd=" << n.forwarding << "\n";
    for (const std::string& s : n.startup)
      o << "  startup " << s << "\n";
    for (const std::string& s : n.shutdown)
      o << "  shutdown " << s << "\n";
    for (const lab::Sysctl& s : n.sysctls)
      o << "  sysctl " << s.name << "=" << s.value << "\n";
    if (n.mount)
      o << "  mount " << n.mount->guestPath << " <- " << canonical(n.mount->hostPath) << "\n";
    for (const std::string& d : n.dependsOn)
      o << "  depends-on " << d << "\n";
    for (const lab::GuestFile& f : n.files)
      o << "  file " << f.guestPath << " <- " << canonical(f.hostPath) << "\n";
    for (const lab::Route& r : n.routes)
      o << "  route " << (r.to ? r.to->str() : "default") << " via " << r.via.str() << "\n";
    for (const lab::Interface& i : n.interfaces) {
      o << "  iface " << i.name << " mac=" << i.mac.str() << " derived=" << i.macDerived
        << " ip=" << (i.ip ? i.ip->str() : "-") << " gw=" << (i.gateway ? i.gateway->str() : "-")
        << " monitor=" << i.isMonitor << " filter=" << (i.pcapFilter ? "'" + *i.pcapFilter + "'" : "-") << " conditions=" << lab::describeConditions(i.conditions) << " on ";
      if (i.attachment.kind == lab::Attachment::Kind::Tap)
        o << "tap " << i.attachment.tap;
      else
        o << "segment " << t.segments[i.attachment.segment].name;
      o << "\n";
    }
  }
  for (const lab::Segment& s : t.segments) {
    o << "segment " << s.name << " type=" << lab::segmentTypeName(s.type) << " transport=" << int(s.transport)
      << " desc=" << s.description << " injected=" << s.injected << "\n";
    for (const lab::Member& m : s.members)
      o << "  member " << t.interfaceName(m) << "\n";
    for (const lab::Member& m : s.monitors)
      o << "  monitor " << t.interfaceName(m) << "\n";
  }
  for (const lab::Trunk& tr : t.trunks)
    o << "trunk " << t.segments[tr.a].name << " " << t.segments[tr.b].name << " " << lab::describeConditions(tr.conditions)
      << "\n";
  for (const lab::Tap& tap : t.taps)
    o << "tap " << t.nodes[tap.node].name << " eth" << tap.interface << "\n";
  for (const lab::TopologyImage& i : t.images) {
    o << "image " << i.name << " from=" << i.from.text << " size=" << i.size.text << "\n";
    for (const lab::LocatedText& p : i.packages)
      o << "  package " << p.text << "\n";
    for (const lab::GuestFile& f : i.files)
      o << "  file " << f.guestPath << " <- " << canonical(f.hostPath) << "\n";
    for (const lab::LocatedText& c : i.commands)
      o << "  run " << c.text << "\n";
  }
  for (const lab::Replay& r : t.replays)
    o << "replay " << t.segments[r.segment].name << " " << canonical(r.pcapPath) << " speed=" << r.speed
      << " loop=" << r.loop << " rewrite=" << r.rewriteMac << "\n";
  for (const lab::TimelineEvent& e : t.timeline)
    o << "timeline " << e.number << " " << lab::timelineActionName(e.action) << " at=" << e.at.count()
      << " to=" << e.to.count() << " step=" << e.step.count() << " every=" << e.every.count() << " times=" << e.times
      << " node=" << e.node << " iface=" << e.interface << " segment=" << e.segment << " clear=" << e.clear
      << " conditions=" << lab::describeConditions(e.conditions) << " rampTo=" << lab::describeConditions(e.rampTo)
      << " run=" << e.command << " replay=" << (e.pcapPath.empty() ? "" : canonical(e.pcapPath)) << " speed=" << e.speed
      << " loop=" << e.loop << "\n";
  return o.str();
}

} // namespace

std::string describeTopology(const std::string& path) {
  SourceManager sm;
  Diagnostics d;
  return describe(lab::compileFile(path, sm, d), d);
}

std::string describeTopologyText(const std::string& name, const std::string& text) {
  SourceManager sm;
  Diagnostics d;
  return describe(lab::compileText(name, text, sm, d), d);
}

std::string umlabPath() { return std::string(UMLAB_BINARY_DIR) + "/bin/umlab"; }

CommandOutput runUmlab(const std::vector<std::string>& args) {
  Command c;
  c.argv.push_back(umlabPath());
  c.argv.insert(c.argv.end(), args.begin(), args.end());
  CommandOutput out;
  CommandResult r = runCommand(c, CommandObserver{[&](std::string_view line) {
    out.output += line;
    out.output += '\n';
  }});
  out.exitCode = r.status.code;
  return out;
}

} // namespace umlab::gui::test
