#pragma once
// What the runtime tests share: the umlab binary, why the runtime cannot run here (a skip names
// it), `umlab` runs logged into the test's report, and a lab in a temp directory that is taken
// down and cleaned when the test ends, whatever happened.

#include "run_process.hpp"

#include "umlab/base/unique_fd.hpp"
#include "umlab/base/unix_socket.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace umlab::test {

inline std::string binDir() { return UMLAB_BINARY_DIR "/bin"; }
inline std::string umlabBin() { return binDir() + "/umlab"; }
inline std::string stateRoot() {
  const char* s = std::getenv("UMLAB_STATE_DIR");
  return s ? s : "";
}

/// Why the runtime cannot run here, or empty when it can.
inline std::string missingCapability() {
  if (::geteuid() != 0)
    return "not root: these tests check labs run by root (tests/rootless/ checks rootless labs)";
  if (::access("/usr/bin/linux.uml", X_OK) != 0)
    return "linux.uml is not installed (apt-get install user-mode-linux)";
  if (::access((binDir() + "/umlab-switchd").c_str(), X_OK) != 0)
    return "umlab-switchd is not built";
  if (stateRoot().empty())
    return "UMLAB_STATE_DIR is not set (run through CTest)";
  return "";
}

#define REQUIRE_RUNTIME()                                                                                              \
  do {                                                                                                                 \
    std::string why = ::umlab::test::missingCapability();                                                              \
    if (!why.empty()) {                                                                                                \
      WARN("SKIPPED: " << why);                                                                                        \
      return;                                                                                                          \
    }                                                                                                                  \
  } while (0)

/// `umlab ARGS...`, with the command and what it printed in the test's report.
inline ProcessResult run(std::vector<std::string> args, std::chrono::seconds timeout = std::chrono::seconds(300)) {
  args.insert(args.begin(), umlabBin());
  ProcessResult r = runProcess(args, timeout);
  std::string line;
  for (size_t i = 1; i < args.size(); ++i)
    line += args[i] + " ";
  UNSCOPED_INFO("$ umlab " << line << "\n-> exit " << r.status << "\nstdout:\n" << r.out << "stderr:\n" << r.err);
  return r;
}

/// Runs `umlab ARGS...` in the background with its output on a pipe (for `umlab events`).
class Background {
public:
  explicit Background(const std::vector<std::string>& args) {
    int out[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    ::umlab::UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ::umlab::ProcessSpec o;
    o.argv = {umlabBin()};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.fds = {{0, devnull.get()}, {1, out[1]}, {2, out[1]}};
    id_ = ::umlab::spawnProcess(o);
    ::close(out[1]);
    from_.reset(out[0]);
  }
  ~Background() {
    const ::umlab::ProcessId ids[] = {id_};
    if (!ended_)
      ::umlab::stopProcessGroups(ids, {}, std::chrono::milliseconds(100));
  }
  /// Everything it writes until it exits (or `limit`), and its exit status (-1: killed).
  std::pair<std::string, int> finish(std::chrono::seconds limit) {
    std::string text = ::umlab::readAll(from_.get(), limit);
    const ::umlab::ProcessId ids[] = {id_};
    const ::umlab::ExitStatus st = ::umlab::stopProcessGroups(ids, {}, std::chrono::seconds(2)).front();
    ended_ = true;
    return {text, st.code};
  }

private:
  ::umlab::ProcessId id_;
  ::umlab::UniqueFd from_;
  bool ended_ = false;
};

/// A lab (lab.yaml, with NAME replaced by its name, plus the files it names) in a temp
/// directory; down and cleaned when the test ends.
class Lab {
public:
  Lab(const std::string& name, const std::string& yaml, const std::vector<std::pair<std::string, std::string>>& files = {})
      : name_(name) {
    namespace fs = std::filesystem;
    dir_ = fs::temp_directory_path() / ("umlab-rt-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "lab.yaml") << std::regex_replace(yaml, std::regex("NAME"), name);
    for (const auto& [path, text] : files) {
      fs::create_directories((dir_ / path).parent_path());
      std::ofstream(dir_ / path) << text;
    }
  }
  ~Lab() {
    runProcess({umlabBin(), "down", name_}, std::chrono::seconds(60));
    runProcess({umlabBin(), "clean", name_}, std::chrono::seconds(60));
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  std::string file() const { return (dir_ / "lab.yaml").string(); }
  const std::string& name() const { return name_; }
  /// `umlab exec LAB NODE -- ARGV...`
  ProcessResult exec(const std::string& node, const std::vector<std::string>& argv) const {
    std::vector<std::string> args = {"exec", name_, node, "--"};
    args.insert(args.end(), argv.begin(), argv.end());
    return run(args, std::chrono::seconds(120));
  }

private:
  std::string name_;
  std::filesystem::path dir_;
};

} // namespace umlab::test
