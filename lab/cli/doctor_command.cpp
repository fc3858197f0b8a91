// umlab doctor: parsing and printing only; the checks are the runtime library's
// (lab/runtime/host_checks.hpp).
#include "doctor_command.hpp"

#include "cli.hpp"
#include "cli_args.hpp"

#include "umlab/base/json_writer.hpp"
#include "umlab/lab/runtime/host_checks.hpp"
#include "umlab/lab/runtime/plan_file.hpp"
#include "umlab/lab/runtime/state_roots.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ostream>

namespace umlab::cli {

namespace {

namespace runtime = umlab::lab::runtime;
using runtime::CheckStatus;
using runtime::HostCheck;

struct Counts {
  size_t pass = 0, warn = 0, fail = 0;
};

Counts countOf(const std::vector<HostCheck>& checks) {
  Counts c;
  for (const HostCheck& h : checks)
    ++(h.status == CheckStatus::Pass ? c.pass : h.status == CheckStatus::Warn ? c.warn : c.fail);
  return c;
}

std::string padded(const std::string& s, size_t width) { return s + std::string(width > s.size() ? width - s.size() : 0, ' '); }

void printText(const std::vector<HostCheck>& checks, const std::string& lab, double seconds, std::ostream& out) {
  size_t idWidth = 0, titleWidth = 0;
  for (const HostCheck& h : checks) {
    idWidth = std::max(idWidth, h.id.size());
    titleWidth = std::max(titleWidth, h.title.size());
  }
  const std::string indent(6 + idWidth + 2, ' ');
  for (const HostCheck& h : checks) {
    out << padded(runtime::checkStatusName(h.status), 6) << padded(h.id, idWidth + 2);
    if (h.status == CheckStatus::Pass) {
      out << padded(h.title, titleWidth + 2) << h.reason << "\n";
      continue;
    }
    out << h.title << "\n" << indent << "reason: " << h.reason << "\n" << indent << "fix:    " << h.fix << "\n";
  }
  const Counts c = countOf(checks);
  char time[32];
  std::snprintf(time, sizeof time, "%.2f", seconds);
  out << checks.size() << " checks" << (lab.empty() ? "" : " for " + lab) << ": " << c.pass << " pass, " << c.warn
      << " warn, " << c.fail << " fail (" << time << " s)\n";
}

void printJson(const std::vector<HostCheck>& checks, const std::string& lab, double seconds, std::ostream& out) {
  JsonWriter w;
  w.beginObject().key("checks").beginArray();
  for (const HostCheck& h : checks)
    w.beginObject()
        .field("id", h.id)
        .field("title", h.title)
        .field("status", runtime::checkStatusName(h.status))
        .field("reason", h.reason)
        .field("fix", h.fix)
        .endObject();
  w.endArray();
  const Counts c = countOf(checks);
  w.key("summary").beginObject().key("lab");
  if (lab.empty())
    w.null();
  else
    w.value(lab);
  w.field("pass", uint64_t(c.pass)).field("warn", uint64_t(c.warn)).field("fail", uint64_t(c.fail));
  w.field("seconds", seconds).endObject().endObject();
  out << w.str();
}

} // namespace

const char* const kDoctorHelp =
    "usage: umlab doctor [LAB.yaml] [--format text|json]\n"
    "\n"
    "Check that this machine can run labs: the UML kernels (Debian's linux.uml and umlab's own\n"
    "build) and their versions, the base images, user, network and mount namespaces and\n"
    "pivot_root (each tried in a child process), /dev/net/tun, the directory UML keeps guest\n"
    "memory in (exec allowed, free space), free memory, root or rootless mode, and the switch\n"
    "socket queue. Each check is pass, warn or fail, with what was measured and, unless it\n"
    "passed, what to run or change. With LAB.yaml, the checks also weigh that lab: its guests'\n"
    "memory, the transports its nodes use against the kernel each runs, its images, whether it\n"
    "needs /dev/net/tun. 'umlab up' runs the cheap ones of these first.\n"
    "\n"
    "options:\n"
    "  --format text|json  output format (default text)\n"
    "  -h, --help          show this help\n"
    "\n"
    "exit status: 0 no check failed, 1 a check failed (or LAB.yaml has errors), 2 usage error\n";

int runDoctorCommand(const std::string& self, const std::vector<std::string>& args, std::ostream& out,
                     std::ostream& err) {
  CliArgs a(args, {"-h", "--help"}, {"--format"});
  if (a.has("-h") || a.has("--help")) {
    out << kDoctorHelp;
    return kExitOk;
  }
  const std::string fmt = a.get("--format").value_or("text");
  if (fmt != "text" && fmt != "json")
    throw CliUsageError{"--format takes 'text' or 'json', not '" + fmt + "'"};
  if (a.positional().size() > 1)
    throw CliUsageError{"doctor takes at most one topology file, as in 'umlab doctor topologies/lan.yaml'"};
  const auto started = std::chrono::steady_clock::now();
  const lab::HostLayout host = lab::hostLayoutFromEnvironment(self);
  std::optional<lab::LaunchPlan> plan;
  std::string lab;
  if (!a.positional().empty()) {
    lab = a.positional()[0];
    runtime::PlannedFile planned = runtime::planTopologyFile(self, lab, runtime::callerStateRoots().front());
    err << planned.diagnostics;
    if (!planned.plan)
      return kExitInputError;
    plan = std::move(planned.plan);
  }
  const runtime::SystemHostProbe probe;
  const std::vector<HostCheck> checks = runtime::runHostChecks(probe, host, plan ? &*plan : nullptr);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (fmt == "json")
    printJson(checks, lab, seconds, out);
  else
    printText(checks, lab, seconds, out);
  return countOf(checks).fail ? kExitInputError : kExitOk;
}

} // namespace umlab::cli
