#pragma once
// Internal to kernel/src: what the two cache builders share (image_builder.cpp for base images,
// kernel_builder.cpp for umlab's UML kernel). Both keep each build in <cache>/<name>-<hash>/,
// point the symlink <cache>/<name> at the newest, build in <cache>/.build-<name>-<hash>/ under
// the cache's flock(2) <cache>/.lock, and run a list of steps, each reported to `ImageProgress`
// with its time; a step fails by throwing `StepFailure` (or any exception).

#include "umlab/base/child_process.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/kernel/image_builder.hpp"
#include "umlab/kernel/image_progress.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace umlab::kernel::build {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start);
std::string joined(const std::vector<std::string>& words, const std::string& separator);
/// "2026-12-03T11:40:00Z"
std::string utcNow();
/// The last `count` lines of a file, joined with newlines.
std::string readTail(const std::filesystem::path& path, size_t count);
std::string describeErrno(const std::string& what, int error);
/// Blocks allocated to a file, in bytes.
uint64_t diskUsage(const std::filesystem::path& file);

/// Why a step stopped.
struct StepFailure {
  std::string message;
  std::vector<std::string> lastOutput;
  bool isInterrupted = false;
};

/// Points `<dir>/<name>` at `target` (a sibling directory name): a new symlink, renamed over the
/// old one. Throws std::system_error.
void pointLink(const std::filesystem::path& dir, const std::string& name, const std::string& target);
/// The name a symlink points at, or empty when `link` is not a symlink.
std::string linkTarget(const std::filesystem::path& link);
/// Empty, or why `<dir>/<name>` cannot be umlab's symlink.
std::string checkLink(const std::filesystem::path& link);

/// Takes `<dir>/.lock`, waiting (and saying `waitingNote` once) while another build holds it. An
/// invalid fd when the runner was cancelled while waiting. Throws std::system_error.
UniqueFd lockCache(const std::filesystem::path& dir, const std::string& waitingNote, CommandRunner& runner,
                   ImageProgress& progress);
/// Removes the work directories and temporary links of builds that were killed (call with the lock).
void removeLeftovers(const std::filesystem::path& dir, ImageProgress& progress);
/// Renames `work` to `final`; when `final` exists (--force), exchanges them and removes the old one.
void moveIntoPlace(const std::filesystem::path& work, const std::filesystem::path& final, ImageProgress& progress);

/// Runs a build's steps and its tools, with progress and timings.
class StepRunner {
public:
  struct Step {
    std::string title;
    std::function<std::string()> run; ///< returns the step's one-line summary
  };

  StepRunner(CommandRunner& runner, ImageProgress& progress, std::vector<std::pair<std::string, std::string>> env)
      : runner_(runner), progress_(progress), env_(std::move(env)) {}

  /// Runs `steps` in order, stopping at the first that fails (or when the runner is cancelled);
  /// every step that ran is added to `timings`. On failure, `message` is "step 3/6 (title): why"
  /// and `lastOutput` the failing tool's last lines.
  bool run(const std::vector<Step>& steps, std::vector<ImageStepTiming>& timings, std::string& message,
           std::vector<std::string>& lastOutput);

  /// Runs a tool with the builder's environment, reporting `detail()` (when given) as the step's
  /// progress; throws StepFailure when it fails or is interrupted.
  CommandResult tool(Command command, const std::function<void(std::string_view)>& onLine = {},
                     const std::function<std::string()>& detail = {});

  /// Seconds since the current step started.
  double stepSeconds() const { return secondsSince(stepStart_); }
  bool isCancelled() { return runner_.isCancelled(); }

private:
  CommandRunner& runner_;
  ImageProgress& progress_;
  std::vector<std::pair<std::string, std::string>> env_;
  Clock::time_point stepStart_ = Clock::now();
};

} // namespace umlab::kernel::build
