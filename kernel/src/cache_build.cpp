#include "cache_build.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <sys/file.h>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace umlab::kernel::build {

namespace fs = std::filesystem;

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string joined(const std::vector<std::string>& words, const std::string& separator) {
  std::string text;
  for (const std::string& w : words)
    text += (text.empty() ? "" : separator) + w;
  return text;
}

std::string utcNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string readTail(const fs::path& path, size_t count) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > count)
      lines.erase(lines.begin());
  }
  return joined(lines, "\n");
}

std::string describeErrno(const std::string& what, int error) { return what + ": " + std::strerror(error); }

void pointLink(const fs::path& dir, const std::string& name, const std::string& target) {
  const fs::path link = dir / name;
  const fs::path temp = dir / ("." + name + ".link-" + std::to_string(::getpid()));
  ::unlink(temp.c_str());
  if (::symlink(target.c_str(), temp.c_str()) != 0)
    throw std::system_error(errno, std::generic_category(), "symlink " + temp.string());
  if (::rename(temp.c_str(), link.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    throw std::system_error(error, std::generic_category(), "rename " + temp.string() + " to " + link.string());
  }
}

std::string linkTarget(const fs::path& link) {
  std::error_code ec;
  if (!fs::is_symlink(fs::symlink_status(link, ec)))
    return "";
  return fs::read_symlink(link, ec).string();
}

uint64_t diskUsage(const fs::path& file) {
  struct stat st {};
  return ::stat(file.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_blocks) * 512 : 0;
}

std::string checkLink(const fs::path& link) {
  std::error_code ec;
  auto status = fs::symlink_status(link, ec);
  if (fs::exists(status) && !fs::is_symlink(status))
    return "'" + link.string() + "' is not a symlink; move it away so that umlab can manage it";
  return "";
}

UniqueFd lockCache(const fs::path& dir, const std::string& waitingNote, CommandRunner& runner, ImageProgress& progress) {
  const fs::path path = dir / ".lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd)
    throw std::system_error(errno, std::generic_category(), "open " + path.string());
  bool isWaiting = false;
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR)
      throw std::system_error(errno, std::generic_category(), "flock " + path.string());
    if (!isWaiting)
      progress.note(waitingNote);
    isWaiting = true;
    if (runner.isCancelled())
      return UniqueFd();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return fd;
}

void removeLeftovers(const fs::path& dir, ImageProgress& progress) {
  std::error_code ec;
  std::vector<fs::path> stale;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(".build-", 0) == 0 || (name[0] == '.' && name.find(".link-") != std::string::npos))
      stale.push_back(it->path());
  }
  for (const fs::path& p : stale)
    if (std::string problem = removeTree(p.string()); !problem.empty())
      progress.note("warning: cannot remove the leftover '" + p.string() + "': " + problem);
}

void moveIntoPlace(const fs::path& work, const fs::path& final, ImageProgress& progress) {
  std::error_code ec;
  if (fs::exists(final, ec)) {
    if (::renameat2(AT_FDCWD, work.c_str(), AT_FDCWD, final.c_str(), RENAME_EXCHANGE) != 0)
      throw std::system_error(errno, std::generic_category(), "exchange " + work.string() + " and " + final.string());
    if (std::string problem = removeTree(work.string()); !problem.empty())
      progress.note("warning: cannot remove the replaced build: " + problem);
  } else if (::rename(work.c_str(), final.c_str()) != 0) {
    throw std::system_error(errno, std::generic_category(), "rename " + work.string() + " to " + final.string());
  }
}

bool StepRunner::run(const std::vector<Step>& steps, std::vector<ImageStepTiming>& timings, std::string& message,
                     std::vector<std::string>& lastOutput) {
  const int stepCount = static_cast<int>(steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    stepStart_ = Clock::now();
    progress_.stepStarted(index, stepCount, steps[i].title);
    std::string summary;
    std::optional<StepFailure> failure;
    try {
      if (runner_.isCancelled())
        throw StepFailure{"interrupted", {}, true};
      summary = steps[i].run();
    } catch (const StepFailure& f) {
      failure = f;
    } catch (const std::exception& e) {
      failure = StepFailure{e.what(), {}};
    }
    const double seconds = secondsSince(stepStart_);
    timings.push_back({steps[i].title, seconds});
    if (failure) {
      progress_.stepFinished("failed", seconds);
      message = "step " + std::to_string(index) + "/" + std::to_string(stepCount) + " (" + steps[i].title +
                "): " + failure->message;
      lastOutput = failure->lastOutput;
      return false;
    }
    progress_.stepFinished(summary, seconds);
  }
  return true;
}

CommandResult StepRunner::tool(Command command, const std::function<void(std::string_view)>& onLine,
                               const std::function<std::string()>& detail) {
  command.env = env_;
  std::string lastDetail;
  auto report = [&] { progress_.stepUpdated(detail ? detail() : "", secondsSince(stepStart_)); };
  CommandResult r = runner_.run(
      command,
      [&](std::string_view line) {
        if (onLine)
          onLine(line);
        if (detail && detail() != lastDetail) {
          lastDetail = detail();
          report();
        }
      },
      report);
  if (r.isCancelled) // the user knows why; the tool's last words are noise
    throw StepFailure{"interrupted", {}, true};
  if (!r.isSuccess())
    throw StepFailure{"'" + command.display() + "' " + r.status.describe(), r.lastLines};
  return r;
}

} // namespace umlab::kernel::build
