// umlab test: boot a lab (or use the running one), run the checks of a tests file in it, report
// each with its evidence, and exit non-zero when any failed (docs/testing.md).

#include "test_command.hpp"

#include "diff_command.hpp"
#include "import_command.hpp"
#include "umlab/base/csv.hpp"
#include "runtime_commands.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/lab_state.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/testing/check_runner.hpp"
#include "umlab/lab/testing/test_spec.hpp"
#include "umlab/transports/pcap_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <ostream>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace umlab::cli {
namespace {

namespace fs = std::filesystem;
namespace runtime = umlab::lab::runtime;
using namespace umlab::lab::testing;
using Clock = std::chrono::steady_clock;

constexpr size_t kParallelChecks = 4;

/// The running lab, through the runtime library's client (no `umlab` child process).
class RunningLab : public LabAccess {
public:
  RunningLab(std::string stateRoot, std::string lab) : client_(std::move(stateRoot)), lab_(std::move(lab)) {}

  ExecResult exec(const std::string& node, const std::string& script, Duration timeout) override {
    runtime::ExecOptions o;
    o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
    const runtime::ExecResult r = client_.exec(lab_, node, {"sh", "-c", script}, o);
    return {r.exitCode, r.out, r.err + (r.error.empty() ? "" : (r.err.empty() ? "" : "\n") + r.error)};
  }

  std::optional<std::vector<transports::PcapFrame>> segmentFrames(const std::string& segment, Duration window,
                                                                  std::string& error) override {
    // Checks run in parallel, two of them perhaps on the same segment: a file each.
    static std::atomic<unsigned> serial{0};
    const std::string file = (fs::temp_directory_path() / ("umlab-test." + std::to_string(::getpid()) + "." +
                                                           std::to_string(serial++) + "." + segment + ".pcap"))
                                 .string();
    struct Remove {
      std::string path;
      ~Remove() { ::unlink(path.c_str()); }
    } remove{file};
    try {
      UniqueFd out(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
      if (!out)
        throw runtime::RuntimeError("cannot write " + file + ": " + std::strerror(errno));
      const auto last = std::chrono::seconds(std::max<long long>(1, (window.count() + 999) / 1000));
      client_.capture(lab_, segment, out.get(), {}, last, [] { return true; });
    } catch (const runtime::RuntimeError& e) {
      error = e.what();
      return std::nullopt;
    }
    Diagnostics diags;
    auto frames = transports::readPcapFile(file, diags);
    if (!frames)
      error = diags.all().empty() ? "unreadable capture" : diags.all().front().message;
    return frames;
  }

  void waitForReplays(Duration limit) override {
    const auto deadline = Clock::now() + limit;
    for (const lab::ReplayPlan& r : client_.plan(lab_).replays)
      while (Clock::now() < deadline) {
        try {
          if (!client_.replayProgress(lab_, r.segment).second)
            break;
        } catch (const runtime::RuntimeError&) {
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
  }

  std::optional<lab::replay::ReplayReport> replayThrough(const ReplayCheck& check, Duration timeout,
                                                         std::string& error) override {
    runtime::ThroughReplayRequest request;
    request.capture = check.capture;
    request.node = check.through;
    for (const std::string& rule : check.map)
      if (std::optional<std::string> why = request.options.map.add(rule)) {
        error = "map " + *why;
        return std::nullopt;
      }
    request.options.speed = check.speed;
    request.rules = check.rules;
    if (check.wait)
      request.options.wait = *check.wait;
    const auto deadline = Clock::now() + timeout;
    request.options.keepGoing = [deadline] { return Clock::now() < deadline; };
    Diagnostics diags;
    try {
      lab::replay::ReplayReport report = client_.replayThrough(lab_, request, diags);
      if (diags.hasErrors())
        report.notes.push_back(diags.all().front().message);
      return report;
    } catch (const runtime::RuntimeError& e) {
      error = e.what();
      if (!diags.all().empty())
        error += ": " + diags.all().front().message;
      return std::nullopt;
    }
  }

  std::optional<double> timelineZero() override {
    try {
      const double zero = client_.status(lab_).timeline.startTime;
      return zero > 0 ? std::optional<double>(zero) : std::nullopt;
    } catch (const runtime::RuntimeError&) {
      return std::nullopt;
    }
  }

private:
  runtime::LabClient client_;
  std::string lab_;
};

struct Result {
  const Check* check = nullptr;
  CheckOutcome outcome;
};

std::string xmlEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
    case '&': o += "&amp;"; break;
    case '<': o += "&lt;"; break;
    case '>': o += "&gt;"; break;
    case '"': o += "&quot;"; break;
    default:
      if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
        o += ' ';
      else
        o += c;
    }
  }
  return o;
}

std::string junit(const TestSpec& spec, const std::string& labName, const std::vector<Result>& results, double seconds,
                  const std::string& diffs) {
  size_t failures = 0;
  for (const Result& r : results)
    failures += r.outcome.passed ? 0 : 1;
  std::ostringstream x;
  char t[32];
  std::snprintf(t, sizeof t, "%.3f", seconds);
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<testsuites>\n<testsuite name=\"" << xmlEscape(labName) << "\" tests=\"" << results.size() << "\" failures=\""
    << failures << "\" errors=\"0\" time=\"" << t << "\">\n";
  for (const Result& r : results) {
    std::snprintf(t, sizeof t, "%.3f", r.outcome.seconds);
    x << "  <testcase classname=\"" << xmlEscape(spec.path) << "\" name=\"" << xmlEscape(r.check->name) << "\" time=\""
      << t << "\">\n";
    const std::string firstLine = r.outcome.evidence.substr(0, r.outcome.evidence.find('\n'));
    if (!r.outcome.passed)
      x << "    <failure message=\"" << xmlEscape(firstLine) << "\">" << xmlEscape(r.outcome.evidence) << "</failure>\n";
    else
      x << "    <system-out>" << xmlEscape(r.outcome.evidence) << "</system-out>\n";
    x << "  </testcase>\n";
  }
  if (!diffs.empty()) // --diff: the nodes' disk diffs, for whoever reads the report
    x << "  <system-out>" << xmlEscape(diffs) << "</system-out>\n";
  x << "</testsuite>\n</testsuites>\n";
  return x.str();
}

std::string indent(const std::string& text) {
  std::string o = "        ";
  for (char c : text) {
    o += c;
    if (c == '\n')
      o += "        ";
  }
  return o;
}

/// Collects what the launcher reports: shown as the boot goes, kept for the failure's evidence.
class BootLog final : public runtime::LaunchProgress {
public:
  explicit BootLog(std::ostream& out) : out_(out) {}
  void step(const std::string& line) override { out_ << "  | " << line << "\n" << std::flush; }
  void warning(const std::string& line) override { out_ << "  | warning: " << line << "\n" << std::flush; }

private:
  std::ostream& out_;
};

/// Boots the lab in-process as `umlab up` does (optionally a variant's startup files). Returns
/// "" on success, else what went wrong.
std::string bootLab(const std::string& self, const std::string& stateRoot, const std::string& labFile,
                    const std::string& startupDir, std::ostream& log) {
  BootRequest req;
  req.file = labFile;
  req.stateRoot = stateRoot;
  req.startupDir = startupDir;
  req.showHints = false;
  BootLog progress(log);
  std::ostringstream out, err;
  int status;
  try {
    status = cli::bootLab(self, req, progress, out, err);
  } catch (const CliFailure& f) {
    return f.message;
  }
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);)
    log << "  | " << line << "\n";
  if (status == kExitOk)
    return "";
  std::string text = err.str();
  if (text.rfind("umlab: error: ", 0) == 0)
    text.erase(0, 14);
  return text.empty() ? "exit status " + std::to_string(status) : text;
}

void takeDown(const std::string& stateRoot, const std::string& lab) {
  try {
    runtime::LabClient(stateRoot).down(lab);
  } catch (const runtime::RuntimeError&) {
  }
}

/// Runs the checks: all but the traffic checks in parallel (kParallelChecks at a time), then
/// the traffic checks, which look at what the others sent. Reports each in file order as soon
/// as it and those before it are done.
std::vector<Result> runChecks(const TestSpec& spec, const lab::Topology& topology, LabAccess& lab,
                              Clock::time_point runStart, std::ostream* progress) {
  std::vector<Result> results(spec.checks.size());
  std::vector<bool> done(spec.checks.size(), false);
  std::mutex m;
  std::condition_variable cv;
  size_t reported = 0;
  auto report = [&] { // called with m held
    while (reported < results.size() && done[reported]) {
      const Result& r = results[reported++];
      if (!progress)
        continue;
      char t[32];
      std::snprintf(t, sizeof t, "%5.1f s", r.outcome.seconds);
      *progress << (r.outcome.passed ? "PASS  " : "FAIL  ") << r.check->name << "  (" << t << ")\n";
      if (!r.outcome.passed)
        *progress << indent(r.outcome.evidence) << "\n";
      else if (r.check->at) // when on the timeline it passed
        *progress << indent(r.outcome.evidence.substr(0, r.outcome.evidence.find('\n'))) << "\n";
      progress->flush();
    }
  };
  auto runOne = [&](size_t i) {
    const Duration window = std::chrono::duration_cast<Duration>(Clock::now() - runStart) + Duration(1000);
    CheckOutcome o = runCheck(spec.checks[i], topology, lab, window);
    std::lock_guard lock(m);
    results[i] = {&spec.checks[i], std::move(o)};
    done[i] = true;
    report();
    cv.notify_all();
  };
  // Timed checks keep their own time (test_spec.hpp): each waits for its moment on a thread of
  // its own, whatever the others do.
  std::vector<size_t> first, last;
  std::vector<std::thread> timed;
  for (size_t i = 0; i < spec.checks.size(); ++i) {
    if (spec.checks[i].isTimed())
      timed.emplace_back([&runOne, i] { runOne(i); });
    else
      (std::holds_alternative<TrafficCheck>(spec.checks[i].kind) ? last : first).push_back(i);
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (size_t w = 0; w < std::min(kParallelChecks, first.size()); ++w)
    workers.emplace_back([&] {
      for (size_t k; (k = next.fetch_add(1)) < first.size();)
        runOne(first[k]);
    });
  for (std::thread& t : workers)
    t.join();
  if (!last.empty()) {
    Duration longest{0};
    for (size_t i : last)
      longest = std::max(longest, spec.checks[i].timeout);
    lab.waitForReplays(std::max(longest, Duration(60000)));
  }
  for (size_t i : last)
    runOne(i);
  for (std::thread& t : timed)
    t.join();
  return results;
}

struct RunSummary {
  std::vector<Result> results;
  size_t passed = 0, failed = 0;
  double seconds = 0;
  std::string diffs; ///< --diff: the nodes' disk diffs (diff_command.hpp nodeDiffsReport)
};

/// One whole run: the lab up (unless running), the checks, the lab down (if we booted it).
RunSummary runSuite(const std::string& self, const CliArgs& a, const TestSpec& spec, const lab::Topology& topology,
                    const std::string& startupDir, const std::vector<std::string>& diffNodes, std::ostream& out) {
  RunSummary s;
  const auto started = Clock::now();
  const std::string stateRoot = stateRootFor(self, a);
  runtime::LabState state(stateRoot, topology.name);
  const bool wasRunning = state.exists() && state.liveSupervisor();
  if (wasRunning && !startupDir.empty())
    throw CliFailure{"lab '" + topology.name + "' is running; a variant's startup files need a fresh boot: 'umlab down " +
                     topology.name + "' first"};
  static Check bootCheck;
  if (wasRunning) {
    out << "lab " << topology.name << ": already running, testing it as it is\n";
  } else {
    out << "lab " << topology.name << ": booting " << spec.labPath << (startupDir.empty() ? "" : " with " + startupDir) << "\n";
    out.flush();
    std::string failure = bootLab(self, stateRoot, spec.labPath, startupDir, out);
    if (!failure.empty()) {
      // A lab that does not boot is one failed check, with what `up` said.
      bootCheck.name = "lab " + topology.name + " boots";
      s.results.push_back({&bootCheck, CheckOutcome{false, failure, 0}});
      s.failed = 1;
      out << "FAIL  " << bootCheck.name << "\n" << indent(failure) << "\n";
      return s;
    }
  }
  RunningLab lab(stateRoot, topology.name);
  s.results = runChecks(spec, topology, lab, started, &out);
  if (!diffNodes.empty()) { // before the lab goes down: running nodes are flushed, then read
    s.diffs = nodeDiffsReport(stateRoot, topology.name, diffNodes, true);
    out << s.diffs;
  }
  if (!wasRunning && !a.has("--keep"))
    takeDown(stateRoot, topology.name);
  for (const Result& r : s.results)
    (r.outcome.passed ? s.passed : s.failed)++;
  s.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return s;
}

int cmdTest(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  const auto& pos = a.positional();
  if (pos.size() != 1)
    throw CliUsageError{"test takes one tests file, as in 'umlab test topologies/dmz.tests.yaml'"};
  const std::string format = a.get("--format").value_or("text");
  if (format != "text" && format != "junit")
    throw CliUsageError{"--format is text or junit, not '" + format + "'"};
  SourceManager sources;
  Diagnostics diags;
  std::optional<TestSpec> spec = loadTestSpec(pos[0], sources, diags);
  std::optional<lab::Compiled> compiled;
  std::optional<ImportedLab> imported;
  if (spec) {
    std::string labFile = spec->labPath;
    if (std::error_code ec; fs::is_directory(labFile, ec)) {
      // A Netkit/Kathara lab directory: `umlab up` imports it the same way.
      imported = importForUp(labFile, err);
      if (imported)
        labFile = imported->file;
    }
    compiled = lab::compileFile(labFile, sources, diags);
  }
  if (spec && compiled)
    checkAgainstLab(*spec, compiled->topology, diags);
  renderDiagnostics(diags, err);
  if (!spec || !compiled || diags.hasErrors())
    return kExitInputError;
  const lab::Topology& topology = compiled->topology;
  const std::vector<std::string> diffNodes = diffNodesOption(a, topology);

  std::ofstream file;
  if (auto o = a.get("-o")) {
    file.open(*o);
    if (!file)
      throw CliFailure{"cannot write " + *o};
  }
  std::ostream& dest = file.is_open() ? static_cast<std::ostream&>(file) : out;
  // The human report goes to stdout unless stdout carries the machine-readable output.
  std::ostream& human = (format == "junit" && !file.is_open()) || a.get("--students") ? err : out;

  if (auto dir = a.get("--students")) {
    std::vector<fs::path> variants;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(*dir, ec))
      if (e.is_directory())
        variants.push_back(e.path());
    if (ec || variants.empty())
      throw CliFailure{"--students " + *dir + " holds no directories (one per student, with NODE.startup files)"};
    std::sort(variants.begin(), variants.end());
    dest << "student";
    for (const Check& c : spec->checks)
      dest << "," << csvField(c.name);
    dest << ",passed,failed" << (diffNodes.empty() ? "" : ",diff") << "\n";
    size_t anyFailed = 0;
    for (const fs::path& v : variants) {
      human << "== student " << v.filename().string() << "\n";
      RunSummary s = runSuite(self, a, *spec, topology, v.string(), diffNodes, human);
      human << v.filename().string() << ": " << s.passed << " passed, " << s.failed << " failed\n";
      dest << csvField(v.filename().string());
      for (size_t i = 0; i < spec->checks.size(); ++i)
        dest << "," << (i < s.results.size() && s.results[i].check == &spec->checks[i]
                            ? (s.results[i].outcome.passed ? "pass" : "fail")
                            : "not run");
      dest << "," << s.passed << "," << s.failed;
      if (!diffNodes.empty())
        dest << "," << csvField(s.diffs);
      dest << "\n";
      dest.flush();
      anyFailed += s.failed;
    }
    return anyFailed ? kExitInputError : kExitOk;
  }

  RunSummary s = runSuite(self, a, *spec, topology, "", diffNodes, human);
  char t[32];
  std::snprintf(t, sizeof t, "%.1f", s.seconds);
  human << s.passed << " passed, " << s.failed << " failed (" << t << " s)\n";
  if (format == "junit")
    dest << junit(*spec, topology.name, s.results, s.seconds, s.diffs);
  return s.failed ? kExitInputError : kExitOk;
}

} // namespace

std::vector<CheckRun> runChecksOnLab(const lab::testing::TestSpec& spec, const lab::Topology& topology,
                                     const std::string& stateRoot, const std::string& lab, std::ostream* progress) {
  RunningLab running(stateRoot, lab);
  std::vector<CheckRun> rows;
  for (const Result& r : runChecks(spec, topology, running, Clock::now(), progress))
    rows.push_back({r.check->name, r.outcome.passed, r.outcome.evidence, r.outcome.seconds});
  return rows;
}

std::string csvQuote(const std::string& s) { return csvField(s); }
std::string xmlQuote(const std::string& s) { return xmlEscape(s); }

const char* const kTestHelp =
    "usage: umlab test [options] TESTS-FILE\n"
    "\n"
    "Run the checks of a tests file (docs/testing.md) in its lab: boot the lab, or use it when it\n"
    "is running, run every check inside the guests (reach, blocked, command, address, route,\n"
    "process; traffic checks read the segments' switches), print each with its evidence, and\n"
    "close with 'N passed, M failed'. Exit status 1 when any check failed.\n"
    "\n"
    "options:\n"
    "  --format text|junit   junit: JUnit XML for CI systems (on stdout, or in -o FILE)\n"
    "  -o FILE               write the JUnit XML (or the --students CSV) to FILE\n"
    "  --keep                leave a lab that umlab test booted running afterwards\n"
    "  --students DIR        run the checks once per directory in DIR (a student's variant:\n"
    "                        NODE.startup files replace the nodes' startup commands) and write\n"
    "                        a CSV of the results\n"
    "  --diff NODE[,NODE]    after the checks, diff the named nodes' disks against their base\n"
    "                        images ('umlab diff', docs/diff.md) into the report: the text,\n"
    "                        the JUnit XML (the suite's system-out) and the CSV (a 'diff' column)\n"
    "  --state-dir DIR       where labs keep their state\n"
    "  -h, --help            show this help\n";

int runTestCommand(const std::string& self, const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliArgs a(args, {"-h", "--help", "--keep"}, {"--format", "-o", "--students", "--state-dir", "--diff"});
  if (a.has("-h") || a.has("--help")) {
    out << kTestHelp;
    return kExitOk;
  }
  try {
    return cmdTest(self, a, out, err);
  } catch (const CliFailure& f) {
    err << "umlab: error: " << f.message << "\n";
    return kExitInputError;
  }
}

} // namespace umlab::cli
