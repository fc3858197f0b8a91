#include "class_command.hpp"

#include "cli.hpp"
#include "cli_args.hpp"
#include "diff_command.hpp"
#include "import_command.hpp"
#include "runtime_commands.hpp"
#include "test_command.hpp"

#include "umlab/base/diagnostics.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/runtime/classroom.hpp"
#include "umlab/lab/runtime/guest_disk.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/runtime/state_roots.hpp"
#include "umlab/lab/testing/check_runner.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <ostream>
#include <poll.h>
#include <cerrno>
#include <optional>
#include <functional>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace umlab::cli {

namespace {

namespace fs = std::filesystem;
namespace runtime = umlab::lab::runtime;
using runtime::ClassRecord;
using runtime::LabClient;
using runtime::RuntimeError;
using runtime::Student;
using Clock = std::chrono::steady_clock;

void requireRoot(const std::string& verb) {
  if (::geteuid() != 0)
    throw CliFailure{"umlab class " + verb + " needs root: it starts and reaches a lab as every student "
                     "(docs/classroom.md, 'A teacher who is not root')"};
}

std::vector<Student> studentsFrom(const std::string& path, std::ostream& err) {
  SourceManager sources;
  Diagnostics diags;
  std::optional<std::vector<Student>> students = runtime::loadStudents(path, sources, diags);
  renderDiagnostics(diags, err);
  if (!students)
    throw CliFailure{"the students file " + path + " has errors; nothing was started"};
  return *students;
}

/// The class named by the only positional argument, or the only class there is.
ClassRecord classFrom(const CliArgs& a, const std::string& verb) {
  const auto& pos = a.positional();
  if (pos.size() > 1)
    throw CliUsageError{"class " + verb + " takes at most one class name"};
  if (!pos.empty())
    return runtime::loadClass(pos[0]);
  const std::vector<std::string> classes = runtime::listClasses();
  if (classes.size() == 1)
    return runtime::loadClass(classes.front());
  if (classes.empty())
    throw CliFailure{"no class is running; 'umlab class up TOPOLOGY --students FILE' starts one"};
  std::string names;
  for (const std::string& c : classes)
    names += (names.empty() ? "" : ", ") + c;
  throw CliUsageError{"several classes run (" + names + "): name one, as in 'umlab class " + verb + " " +
                      classes.front() + "'"};
}

/// Where a student's copy of `lab` is: the first of the student's roots that holds it.
std::string studentRoot(const std::string& account, const std::string& lab) {
  return runtime::rootOfLab(runtime::accountStateRoots(account), lab);
}

/// The lab's name, from the topology (as root, before any student reads it).
std::string labNameOf(const std::string& file, std::ostream& err) {
  // A Netkit/Kathara lab directory is named as `umlab up DIR` names it: by its import.
  std::optional<ImportedLab> imported;
  if (std::error_code ec; fs::is_directory(file, ec)) {
    imported = importForUp(file, err);
    if (!imported)
      throw CliFailure{file + " cannot be imported; nothing was started"};
  }
  SourceManager sources;
  Diagnostics diags;
  std::optional<lab::Compiled> compiled = lab::compileFile(imported ? imported->file : file, sources, diags);
  renderDiagnostics(diags, err);
  if (!compiled || diags.hasErrors())
    throw CliFailure{file + " has errors; nothing was started"};
  return compiled->topology.name;
}

/// Runs `work` as `student` (classroom.hpp startAsStudent) and waits; each line it prints goes
/// to `onLine`. Root acts on a student's lab with the student's rights alone: the lab's files
/// are the student's to write. Returns the exit status.
int asStudent(const Student& student, const std::function<int()>& work,
              const std::function<void(const std::string&)>& onLine) {
  const runtime::StudentRun run = runtime::startAsStudent(student, work);
  std::string partial;
  char buf[4096];
  for (ssize_t n; (n = ::read(run.outputFd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    partial.append(buf, static_cast<size_t>(n));
    for (size_t nl; (nl = partial.find('\n')) != std::string::npos; partial.erase(0, nl + 1))
      onLine(partial.substr(0, nl));
  }
  if (!partial.empty())
    onLine(partial);
  ::close(run.outputFd);
  int status = 0;
  while (::waitpid(run.pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// The prefix of the lines a student's `class test` child reports each check's outcome with.
constexpr const char* kCheckLine = "@umlab-check ";

// ---- class up ---------------------------------------------------------------------------------

/// What `class up` prints for the boot of one student's copy: the child's lines, prefixed.
struct Boot {
  Student student;
  runtime::StudentRun run;
  std::string partial;
  Clock::time_point started;
  int status = -1;
  double seconds = 0;
};

int cmdClassUp(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  requireRoot("up");
  if (a.positional().size() != 1)
    throw CliUsageError{"class up takes one topology (or lab directory), as in 'umlab class up lan.yaml --students class.txt'"};
  const auto studentsFile = a.get("--students");
  if (!studentsFile)
    throw CliUsageError{"class up needs --students FILE (one account per line)"};
  size_t parallel = std::max(1u, std::thread::hardware_concurrency());
  if (auto p = a.get("--parallel")) {
    const auto n = parseUnsigned(*p, 64);
    if (!n || *n == 0)
      throw CliUsageError{"--parallel takes how many students' labs boot at once (1-64), not '" + *p + "'"};
    parallel = *n;
  }
  const std::string topology = fs::absolute(a.positional()[0]).lexically_normal().string();
  const std::vector<Student> students = studentsFrom(*studentsFile, err);
  const std::string lab = labNameOf(topology, err);
  ClassRecord record;
  record.name = a.get("--name").value_or(lab);
  if (record.name.empty() || record.name.size() > 64 || record.name.front() == '.' ||
      record.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != std::string::npos)
    throw CliUsageError{"--name '" + record.name + "' is not a class name (letters, digits, '-', '_' and '.')"};
  record.topology = topology;
  record.lab = lab;
  const char* sudoUser = std::getenv("SUDO_USER");
  record.teacher = sudoUser && *sudoUser ? sudoUser : "root";
  if (std::error_code ec; fs::exists(runtime::classDirectory() + "/" + record.name + ".json", ec))
    throw CliFailure{"class '" + record.name + "' is running; 'umlab class down " + record.name +
                     "' first, or give this one another --name"};
  for (const Student& s : students)
    record.students.push_back(s.account);
  runtime::saveClass(record); // first: a half-started class can still be taken down
  out << "class " << record.name << ": booting " << students.size() << " copies of lab '" << lab << "' from "
      << topology << ", " << parallel << " at a time\n"
      << std::flush;

  const auto started = Clock::now();
  std::vector<Boot> boots;
  for (const Student& s : students)
    boots.push_back(Boot{s, {}, "", {}, -1, 0});
  size_t next = 0, running = 0;
  auto launch = [&](Boot& b) {
    b.started = Clock::now();
    b.run = runtime::startAsStudent(b.student, [&] {
      BootRequest req;
      req.file = topology;
      req.stateRoot = runtime::callerStateRoots().front(); // the student's: the child is the student now
      req.showHints = false;
      struct Lines final : runtime::LaunchProgress {
        void step(const std::string& l) override { std::cout << "  " << l << "\n" << std::flush; }
        void warning(const std::string& l) override { std::cout << "  warning: " << l << "\n" << std::flush; }
      } progress;
      const int status = bootLab(self, req, progress, std::cout, std::cerr);
      std::cout.flush();
      std::cerr.flush();
      return status;
    });
    ++running;
  };
  auto emit = [&](Boot& b, const std::string& text) {
    b.partial += text;
    for (size_t nl; (nl = b.partial.find('\n')) != std::string::npos; b.partial.erase(0, nl + 1))
      out << "[" << b.student.account << "] " << b.partial.substr(0, nl) << "\n";
    out.flush();
  };
  while (next < boots.size() || running > 0) {
    while (running < parallel && next < boots.size())
      launch(boots[next++]);
    std::vector<pollfd> fds;
    std::vector<Boot*> owners;
    for (Boot& b : boots)
      if (b.run.outputFd >= 0) {
        fds.push_back({b.run.outputFd, POLLIN, 0});
        owners.push_back(&b);
      }
    if (fds.empty())
      break;
    if (::poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR)
      break;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!fds[i].revents)
        continue;
      Boot& b = *owners[i];
      char buf[4096];
      const ssize_t n = ::read(b.run.outputFd, buf, sizeof buf);
      if (n > 0) {
        emit(b, std::string(buf, static_cast<size_t>(n)));
        continue;
      }
      ::close(b.run.outputFd);
      b.run.outputFd = -1;
      if (!b.partial.empty())
        emit(b, "\n");
      int status = 0;
      while (::waitpid(b.run.pid, &status, 0) < 0 && errno == EINTR) {
      }
      b.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      b.seconds = std::chrono::duration<double>(Clock::now() - b.started).count();
      --running;
    }
  }
  size_t up = 0;
  std::string failed;
  for (const Boot& b : boots) {
    if (b.status == 0)
      ++up;
    else
      failed += (failed.empty() ? "" : ", ") + b.student.account;
  }
  char t[32];
  std::snprintf(t, sizeof t, "%.1f", std::chrono::duration<double>(Clock::now() - started).count());
  out << "class " << record.name << ": " << up << " of " << boots.size() << " students' labs up in " << t << " s";
  if (!failed.empty())
    out << "; failed: " << failed << " (see above; 'umlab class down " << record.name << "' stops the rest)";
  out << "\n";
  if (up == boots.size())
    out << "each student reaches their copy as themself: umlab exec " << lab << " NODE -- ..., umlab console " << lab
        << " NODE\n"
        << "grades: umlab class test TESTS --students " << *studentsFile << " -o grades.csv\n";
  return failed.empty() ? kExitOk : kExitHostFailure;
}

// ---- class ps -----------------------------------------------------------------------------------

int cmdClassPs(const std::string&, const CliArgs& a, std::ostream& out, std::ostream&) {
  requireRoot("ps");
  if (a.positional().empty() && runtime::listClasses().empty()) {
    out << "no class is running\n";
    return kExitOk;
  }
  const ClassRecord record = classFrom(a, "ps");
  out << "class " << record.name << ": lab '" << record.lab << "' from " << record.topology << " (teacher "
      << record.teacher << ")\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-16s %-10s %7s %10s  %s\n", "STUDENT", "STATE", "READY", "MEMORY", "STATE DIR");
  out << line;
  size_t running = 0;
  for (const std::string& s : record.students) {
    std::string state = "down", ready = "-", memory = "-", dir = "-";
    try {
      const std::string root = studentRoot(s, record.lab);
      dir = root + "/" + record.lab;
      const runtime::LabStatus st = LabClient(root).status(record.lab);
      state = st.state;
      size_t nReady = 0;
      uint64_t kib = 0;
      for (const runtime::NodeStatus& n : st.nodes) {
        nReady += n.state == "ready" ? 1 : 0;
        kib += n.memoryKiB;
      }
      ready = std::to_string(nReady) + "/" + std::to_string(st.nodes.size());
      memory = st.state == "running" ? std::to_string(kib / 1024) + " MiB" : "-";
      running += st.state == "running" ? 1 : 0;
    } catch (const RuntimeError&) {
      dir = "-";
    }
    std::snprintf(line, sizeof line, "%-16s %-10s %7s %10s  %s\n", s.c_str(), state.c_str(), ready.c_str(),
                  memory.c_str(), dir.c_str());
    out << line;
  }
  out << running << " of " << record.students.size() << " students' labs running\n";
  return kExitOk;
}

// ---- class test ---------------------------------------------------------------------------------

int cmdClassTest(const std::string&, const CliArgs& a, std::ostream& out, std::ostream& err) {
  requireRoot("test");
  if (a.positional().size() != 1)
    throw CliUsageError{"class test takes one tests file, as in 'umlab class test lan.tests.yaml --students class.txt -o grades.csv'"};
  const auto studentsFile = a.get("--students");
  if (!studentsFile)
    throw CliUsageError{"class test needs --students FILE (one account per line)"};
  SourceManager sources;
  Diagnostics diags;
  std::optional<lab::testing::TestSpec> spec = lab::testing::loadTestSpec(a.positional()[0], sources, diags);
  std::optional<lab::Compiled> compiled;
  if (spec)
    compiled = lab::compileFile(spec->labPath, sources, diags);
  if (spec && compiled)
    lab::testing::checkAgainstLab(*spec, compiled->topology, diags);
  renderDiagnostics(diags, err);
  if (!spec || !compiled || diags.hasErrors())
    return kExitInputError;
  const std::vector<Student> students = studentsFrom(*studentsFile, err);
  const std::string lab = compiled->topology.name;
  const std::vector<std::string> diffNodes = diffNodesOption(a, compiled->topology);

  std::ofstream csvFile, junitFile;
  if (auto o = a.get("-o")) {
    csvFile.open(*o);
    if (!csvFile)
      throw CliFailure{"cannot write " + *o};
  }
  std::ostream& csv = csvFile.is_open() ? static_cast<std::ostream&>(csvFile) : out;
  std::ostream& human = csvFile.is_open() ? out : err;
  csv << "student";
  for (const auto& c : spec->checks)
    csv << "," << csvQuote(c.name);
  csv << ",passed,failed,note" << (diffNodes.empty() ? "" : ",diff") << "\n";
  std::ostringstream suites;
  size_t allPassed = 0;
  for (const Student& s : students) {
    human << "== " << s.account << "\n" << std::flush;
    const auto started = Clock::now();
    std::vector<CheckRun> rows;
    std::string note;
    // The checks run as the student, against the student's lab: one line per check comes back,
    // "@umlab-check INDEX pass|fail EVIDENCE'S FIRST LINE", the rest is the report.
    const int status = asStudent(
        s,
        [&] {
          const std::string root = runtime::rootOfLab(runtime::callerStateRoots(), lab);
          if (!LabClient(root).isRunning(lab))
            return 3;
          const std::vector<CheckRun> done = runChecksOnLab(*spec, compiled->topology, root, lab, &std::cout);
          for (size_t i = 0; i < done.size(); ++i)
            std::cout << kCheckLine << i << " " << (done[i].passed ? "pass" : "fail") << " "
                      << done[i].evidence.substr(0, done[i].evidence.find('\n')) << "\n";
          // --diff: the student's nodes write their disks out (as the student, through the
          // lab's agent); root reads the COW files below, which the lab's uid owns.
          for (const std::string& node : diffNodes)
            if (std::string problem = runtime::flushGuestDisk(LabClient(root), lab, node); !problem.empty())
              std::cout << "warning: " << problem << "\n";
          std::cout.flush();
          return 0;
        },
        [&](const std::string& line) {
          if (line.rfind(kCheckLine, 0) != 0) {
            human << line << "\n";
            return;
          }
          std::istringstream in(line.substr(std::strlen(kCheckLine)));
          size_t index = 0;
          std::string verdict, evidence;
          in >> index >> verdict;
          std::getline(in >> std::ws, evidence);
          if (index == rows.size() && index < spec->checks.size())
            rows.push_back({spec->checks[index].name, verdict == "pass", evidence, 0});
        });
    if (status == 3)
      note = "lab '" + lab + "' is not running";
    else if (status != 0 || rows.size() != spec->checks.size())
      note = "the checks did not run to the end (exit status " + std::to_string(status) + ")";
    if (!note.empty())
      human << s.account << ": " << note << "; the checks not run count as failed\n";
    size_t passed = 0;
    for (const CheckRun& r : rows)
      passed += r.passed ? 1 : 0;
    const size_t failed = spec->checks.size() - passed;
    allPassed += failed == 0 ? 1 : 0;
    std::string diffs;
    if (!diffNodes.empty() && status != 3) {
      diffs = nodeDiffsReport(studentRoot(s.account, lab), lab, diffNodes, false);
      human << diffs;
    }
    human << s.account << ": " << passed << " passed, " << failed << " failed\n" << std::flush;
    csv << csvQuote(s.account);
    for (size_t i = 0; i < spec->checks.size(); ++i)
      csv << "," << (i < rows.size() ? (rows[i].passed ? "pass" : "fail") : "not run");
    csv << "," << passed << "," << failed << "," << csvQuote(note);
    if (!diffNodes.empty())
      csv << "," << csvQuote(diffs);
    csv << "\n";
    csv.flush();
    char t[32];
    std::snprintf(t, sizeof t, "%.3f", std::chrono::duration<double>(Clock::now() - started).count());
    suites << "<testsuite name=\"" << xmlQuote(s.account) << "\" tests=\"" << spec->checks.size() << "\" failures=\""
           << failed << "\" errors=\"0\" time=\"" << t << "\">\n";
    for (size_t i = 0; i < spec->checks.size(); ++i) {
      suites << "  <testcase classname=\"" << xmlQuote(s.account) << "\" name=\"" << xmlQuote(spec->checks[i].name) << "\">\n";
      if (i >= rows.size())
        suites << "    <failure message=\"" << xmlQuote(note) << "\"/>\n";
      else if (!rows[i].passed)
        suites << "    <failure message=\"" << xmlQuote(rows[i].evidence.substr(0, rows[i].evidence.find('\n')))
               << "\">" << xmlQuote(rows[i].evidence) << "</failure>\n";
      suites << "  </testcase>\n";
    }
    if (!diffs.empty())
      suites << "  <system-out>" << xmlQuote(diffs) << "</system-out>\n";
    suites << "</testsuite>\n";
  }
  if (auto j = a.get("--junit")) {
    junitFile.open(*j);
    if (!junitFile)
      throw CliFailure{"cannot write " + *j};
    junitFile << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n" << suites.str() << "</testsuites>\n";
  }
  human << allPassed << " of " << students.size() << " students passed every check\n";
  return allPassed == students.size() ? kExitOk : kExitInputError;
}

// ---- class down ---------------------------------------------------------------------------------

int cmdClassDown(const std::string&, const CliArgs& a, std::ostream& out, std::ostream& err) {
  requireRoot("down");
  const ClassRecord record = classFrom(a, "down");
  int status = kExitOk;
  size_t stopped = 0;
  for (const std::string& s : record.students) {
    const std::optional<Student> student = runtime::findAccount(s);
    if (!student) {
      err << "umlab: error: [" << s << "] the account is gone; root removes what it left with 'umlab clean'\n";
      status = kExitHostFailure;
      continue;
    }
    // As the student: the lab's `processes` and sockets are the student's to write.
    const int rc = asStudent(
        *student,
        [&] {
          const LabClient client(runtime::rootOfLab(runtime::callerStateRoots(), record.lab));
          if (!fs::exists(client.stateRoot() + "/" + record.lab)) {
            std::cout << "no lab '" << record.lab << "' (already down)\n";
            return 4;
          }
          client.down(record.lab);
          std::cout << "lab '" << record.lab << "' is down\n";
          return 0;
        },
        [&](const std::string& line) { out << "[" << s << "] " << line << "\n" << std::flush; });
    if (rc == 0)
      ++stopped;
    else if (rc != 4)
      status = kExitHostFailure;
  }
  if (status == kExitOk)
    runtime::removeClass(record.name);
  out << "class " << record.name << ": " << stopped << " students' labs stopped"
      << (status == kExitOk ? "" : "; the class stays recorded until every lab is down") << "\n";
  return status;
}

} // namespace

const char* const kClassHelp =
    "usage: umlab class up TOPOLOGY --students FILE [--name CLASS] [--parallel N]\n"
    "       umlab class ps [CLASS]\n"
    "       umlab class test TESTS-FILE --students FILE [-o GRADES.csv] [--junit FILE] [--diff NODE,...]\n"
    "       umlab class down [CLASS]\n"
    "\n"
    "Run a class (docs/classroom.md): one copy of a lab for each student account, owned by that\n"
    "student, who then uses 'umlab exec/console/capture ...' on it as themself and sees only\n"
    "their own. Needs root (docs/classroom.md).\n"
    "\n"
    "  up     boot a copy of TOPOLOGY (a file every student can read) for each account in FILE\n"
    "         (one per line; # comments; a CSV's first column), N at a time (default: the\n"
    "         number of cores), each line of progress marked [student]\n"
    "  ps     each student's copy: state, guests ready, memory\n"
    "  test   run TESTS-FILE's checks against each student's running copy; a CSV row per\n"
    "         student (-o, else stdout) and JUnit XML (--junit), a test suite per student\n"
    "  down   stop every student's copy and forget the class\n"
    "\n"
    "options:\n"
    "  --students FILE  the students' accounts\n"
    "  --name CLASS     the class's name (default: the lab's name)\n"
    "  --parallel N     how many students' labs boot at once\n"
    "  -o FILE          (test) write the CSV of grades to FILE\n"
    "  --junit FILE     (test) write JUnit XML to FILE\n"
    "  --diff NODE[,NODE]  (test) add each student's disk diff of those nodes ('umlab diff',\n"
    "                   docs/diff.md) to the report, the JUnit suite and a CSV 'diff' column\n"
    "  -h, --help       show this help\n";

int runClassCommand(const std::string& self, const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    out << kClassHelp;
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string verb = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  CliArgs a(rest, {"-h", "--help"}, {"--students", "--name", "--parallel", "-o", "--junit", "--diff"});
  if (a.has("-h") || a.has("--help")) {
    out << kClassHelp;
    return kExitOk;
  }
  auto run = [&](int (*f)(const std::string&, const CliArgs&, std::ostream&, std::ostream&)) {
    try {
      return f(self, a, out, err);
    } catch (const CliFailure& f) {
      err << "umlab: error: " << f.message << "\n";
      return kExitInputError;
    } catch (const RuntimeError& e) {
      err << "umlab: error: " << e.what() << "\n";
      return kExitInputError;
    }
  };
  if (verb == "up")
    return run(cmdClassUp);
  if (verb == "ps")
    return run(cmdClassPs);
  if (verb == "test")
    return run(cmdClassTest);
  if (verb == "down")
    return run(cmdClassDown);
  throw CliUsageError{"unknown class command '" + verb + "'; it is up, ps, test or down"};
}

} // namespace umlab::cli
