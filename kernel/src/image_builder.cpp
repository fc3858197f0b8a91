#include "umlab/kernel/image_builder.hpp"

#include "umlab/kernel/image_store.hpp"

#include "cache_build.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace umlab::kernel {

namespace fs = std::filesystem;

namespace {

using build::Clock;
using build::StepFailure;
using build::describeErrno;
using build::diskUsage;
using build::joined;
using build::linkTarget;
using build::pointLink;
using build::readTail;
using build::secondsSince;
using build::utcNow;

constexpr const char* kPolicyRcPath = "/usr/sbin/policy-rc.d";
constexpr const char* kRootPassword = "root";

/// The environment of every tool: no locale surprises in a minimal chroot, no questions, and
/// the sbin directories on PATH whatever the caller's PATH is.
std::vector<std::pair<std::string, std::string>> toolEnvironment() {
  return {{"LC_ALL", "C"},
          {"LANGUAGE", "C"},
          {"DEBIAN_FRONTEND", "noninteractive"},
          {"DEBCONF_NONINTERACTIVE_SEEN", "true"},
          {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}};
}

/// Mount points at or below `path`, deepest first, from /proc/self/mountinfo (field 5, with
/// its octal escapes for space, tab, newline and backslash undone).
std::vector<std::string> mountsBelow(const std::string& path) {
  std::vector<std::string> mounts;
  std::ifstream info("/proc/self/mountinfo");
  for (std::string line; std::getline(info, line);) {
    std::istringstream fields(line);
    std::string id, parent, devno, source, mountPoint;
    if (!(fields >> id >> parent >> devno >> source >> mountPoint))
      continue;
    std::string unescaped;
    for (size_t i = 0; i < mountPoint.size(); ++i) {
      if (mountPoint[i] == '\\' && i + 3 < mountPoint.size()) {
        unescaped += static_cast<char>(std::stoi(mountPoint.substr(i + 1, 3), nullptr, 8));
        i += 3;
      } else {
        unescaped += mountPoint[i];
      }
    }
    if (unescaped == path || unescaped.rfind(path + "/", 0) == 0)
      mounts.push_back(unescaped);
  }
  std::sort(mounts.begin(), mounts.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return mounts;
}

void removeBelow(const fs::path& path, dev_t device, std::string& firstError) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT && firstError.empty())
      firstError = describeErrno(path.string(), errno);
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    if (st.st_dev != device) { // a mount point we could not unmount: never cross into it
      if (firstError.empty())
        firstError = path.string() + ": is a mount point";
      return;
    }
    std::error_code ec;
    std::vector<fs::path> children;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
      children.push_back(it->path());
    for (const fs::path& child : children)
      removeBelow(child, device, firstError);
    if (::rmdir(path.c_str()) != 0 && firstError.empty())
      firstError = describeErrno(path.string(), errno);
    return;
  }
  if (::unlink(path.c_str()) != 0 && firstError.empty())
    firstError = describeErrno(path.string(), errno);
}

/// One build, from the cache check to the link.
class BuildRun {
public:
  BuildRun(const ImageRecipe& recipe, const ImageBuildOptions& options, CommandRunner& runner, ImageProgress& progress)
      : recipe_(recipe), options_(options), runner_(runner), progress_(progress), hash_(recipeHash(recipe)),
        images_(options.imagesDir), finalDir_(images_ / imageDirName(recipe)), link_(images_ / recipe.name),
        work_(images_ / (".build-" + imageDirName(recipe))), root_(work_ / "root"), workImage_(work_ / "rootfs.img"),
        steps_(runner, progress, toolEnvironment()) {}

  ImageBuildResult run() {
    const auto start = Clock::now();
    result_.imageDir = finalDir_.string();
    result_.imagePath = (finalDir_ / "rootfs.img").string();
    result_.linkPath = link_.string();
    try {
      if (!options_.isForced && isCached())
        return cached(start);
      if (std::string problem = checkHost(); !problem.empty())
        return failed(start, problem);
      std::error_code ec;
      fs::create_directories(images_, ec);
      if (ec)
        return failed(start, describeErrno("cannot create '" + images_.string() + "'", ec.value()));
      if (std::string problem = build::checkLink(link_); !problem.empty())
        return failed(start, problem);
      lock_ = build::lockCache(images_, "waiting for another 'umlab image build' to finish with '" + images_.string() + "'...",
                               runner_, progress_);
      if (!lock_)
        return failed(start, "interrupted while waiting for another build");
      if (!options_.isForced && isCached()) // another build made it while we waited
        return cached(start);
      build::removeLeftovers(images_, progress_);
      progress_.note("building image '" + recipe_.name + "' (recipe " + hash_ + ", " + recipe_.suite + " " +
                     recipe_.variant + ", UML kernel " + recipe_.kernelVersion + ") from " + options_.mirror +
                     (options_.mirrorOrigin.empty() ? "" : " (" + options_.mirrorOrigin + ")"));
      fs::create_directories(work_);
      if (!runSteps()) {
        std::string note = removeTree(work_.string());
        result_.message += note.empty() ? "" : "; could not remove the work directory: " + note;
        result_.totalSeconds = secondsSince(start);
        result_.outcome = ImageBuildResult::Outcome::Failed;
        return result_;
      }
    } catch (const std::exception& e) {
      if (lock_) // without the lock, the work directory may be another build's
        removeTree(work_.string());
      return failed(start, e.what());
    }
    result_.outcome = ImageBuildResult::Outcome::Built;
    result_.totalSeconds = secondsSince(start);
    result_.message = "built image '" + recipe_.name + "' in " + formatSeconds(result_.totalSeconds) + ": " +
                      result_.imagePath + " (" + formatSize(diskUsage(result_.imagePath)) + " on disk, " +
                      recipe_.imageSize + " apparent); '" + link_.string() + "' -> " + finalDir_.filename().string();
    return result_;
  }

private:
  bool isCached() const {
    std::error_code ec;
    return fs::is_regular_file(finalDir_ / "rootfs.img", ec);
  }

  ImageBuildResult cached(Clock::time_point start) {
    result_.outcome = ImageBuildResult::Outcome::Cached;
    result_.message = "image '" + recipe_.name + "' is up to date (recipe " + hash_ + "): " + result_.imagePath;
    if (linkTarget(link_) != finalDir_.filename().string()) {
      std::error_code ec;
      if (fs::exists(fs::symlink_status(link_, ec)) && !fs::is_symlink(fs::symlink_status(link_, ec)))
        return failed(start, "'" + link_.string() + "' is not a symlink; move it away so that umlab can manage it");
      pointLink(images_, recipe_.name, finalDir_.filename().string());
      result_.message += "; '" + link_.string() + "' now points at it";
    }
    result_.message += "; use --force to rebuild it";
    result_.totalSeconds = secondsSince(start);
    return result_;
  }

  ImageBuildResult failed(Clock::time_point start, std::string message) {
    result_.outcome = ImageBuildResult::Outcome::Failed;
    result_.message = std::move(message);
    result_.totalSeconds = secondsSince(start);
    return result_;
  }

  std::string checkHost() {
    if (!options_.hasRoot)
      return "building the base image needs root (debootstrap and chroot); run it as root, e.g. 'sudo umlab image "
             "build'";
    const std::vector<std::pair<const char*, const char*>> tools{
        {"debootstrap", "debootstrap"}, {"chroot", "coreutils"}, {"mkfs.ext4", "e2fsprogs"}, {"debugfs", "e2fsprogs"}};
    for (const auto& [tool, package] : tools)
      if (!runner_.hasProgram(tool))
        return std::string("'") + tool + "' is not installed; apt-get install " + package;
    std::error_code ec;
    const fs::path modules = fs::path(options_.modulesRoot) / recipe_.kernelVersion;
    if (!fs::is_directory(modules, ec))
      return "the modules of UML kernel " + recipe_.kernelVersion + " are not in '" + modules.string() +
             "'; reinstall user-mode-linux";
    return "";
  }

  bool runSteps() {
    std::vector<build::StepRunner::Step> steps{
        {"debootstrap " + recipe_.suite + " (" + recipe_.variant + ", " + std::to_string(recipe_.packages.size()) +
             " packages)",
         [this] { return debootstrap(); }},
        {"install the modules of UML kernel " + recipe_.kernelVersion, [this] { return installModules(); }},
        {"configure the guest", [this] { return configure(); }},
        {"make the ext4 image (" + recipe_.imageSize + ")", [this] { return makeFilesystem(); }},
        {"check the image", [this] { return checkImage(); }},
        {"install the image", [this] { return install(); }},
    };
    if (!recipe_.files.empty() || !recipe_.commands.empty())
      steps.insert(steps.begin() + 3, build::StepRunner::Step{"add " + countOf(recipe_.files.size(), "file") + " and run " +
                                           countOf(recipe_.commands.size(), "command"),
                                       [this] { return customize(); }});
    return steps_.run(steps, result_.steps, result_.message, result_.lastOutput);
  }

  CommandResult inChroot(std::vector<std::string> argv, std::string input = "") {
    argv.insert(argv.begin(), {"chroot", root_.string()});
    Command c{std::move(argv)};
    c.input = std::move(input);
    return steps_.tool(std::move(c));
  }

  std::string debootstrap() {
    DebootstrapCounter counter;
    Command c{{"debootstrap", "--variant=" + recipe_.variant, "--include=" + joined(recipe_.packages, ","),
               "--arch=" + recipe_.architecture, recipe_.suite, root_.string(), options_.mirror}};
    try {
      steps_.tool(c, [&](std::string_view line) { counter.feed(line); }, [&] { return counter.describe(); });
    } catch (StepFailure& f) {
      // debootstrap's own log says more than its last lines; it is removed with the work tree.
      const fs::path log = root_ / "debootstrap" / "debootstrap.log";
      if (std::string tail = readTail(log, 10); !tail.empty() && !f.isInterrupted) {
        f.lastOutput.push_back("--- the end of ROOT/debootstrap/debootstrap.log:");
        std::istringstream lines(tail);
        for (std::string l; std::getline(lines, l);)
          f.lastOutput.push_back(l);
      }
      throw;
    }
    return std::to_string(counter.retrieved) + " packages";
  }

  std::string installModules() {
    const fs::path source = fs::path(options_.modulesRoot) / recipe_.kernelVersion;
    const fs::path target = fs::path(resolveInRoot(root_.string(), "/lib/modules")) / recipe_.kernelVersion;
    fs::create_directories(target.parent_path());
    fs::copy(source, target, fs::copy_options::recursive | fs::copy_options::copy_symlinks |
                                 fs::copy_options::overwrite_existing);
    size_t count = 0;
    for (auto it = fs::recursive_directory_iterator(target); it != fs::recursive_directory_iterator(); ++it)
      if (it->is_regular_file() && it->path().filename().string().find(".ko") != std::string::npos)
        ++count;
    inChroot({"depmod", recipe_.kernelVersion});
    if (!fs::exists(target / "modules.dep"))
      throw StepFailure{"depmod made no modules.dep in " + target.string(), {}};
    return std::to_string(count) + " modules, depmod done";
  }

  /// Writes `text` to `guestPath` inside ROOT with `mode`, replacing whatever was there (a
  /// symlink is replaced, not followed).
  void writeGuestFile(const std::string& guestPath, const std::string& text, mode_t mode) {
    const fs::path guest(guestPath);
    const fs::path dir = resolveInRoot(root_.string(), guest.parent_path().string());
    fs::create_directories(dir);
    const fs::path host = dir / guest.filename();
    if (::unlink(host.c_str()) != 0 && errno != ENOENT)
      throw std::system_error(errno, std::generic_category(), "unlink " + host.string());
    UniqueFd fd(::open(host.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd)
      throw std::system_error(errno, std::generic_category(), "create " + host.string());
    size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        throw std::system_error(errno, std::generic_category(), "write " + host.string());
      done += static_cast<size_t>(n);
    }
    if (::fchmod(fd.get(), mode) != 0) // whatever the umask
      throw std::system_error(errno, std::generic_category(), "chmod " + host.string());
  }

  /// Removes regular files (except apt's lock) directly in `guestDir`; returns the bytes freed.
  uint64_t emptyDirectory(const std::string& guestDir) {
    const fs::path dir = resolveInRoot(root_.string(), guestDir);
    uint64_t freed = 0;
    std::error_code ec;
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_regular_file(ec) && !it->is_symlink(ec) && it->path().filename() != "lock")
        files.push_back(it->path());
    for (const fs::path& f : files) {
      freed += diskUsage(f);
      fs::remove(f);
    }
    return freed;
  }

  std::string configure() {
    inChroot({"update-alternatives", "--set", "iptables", "/usr/sbin/iptables-legacy"});
    inChroot({"update-alternatives", "--set", "ip6tables", "/usr/sbin/ip6tables-legacy"});
    inChroot({"chpasswd"}, std::string("root:") + kRootPassword + "\n");
    writeGuestFile("/etc/motd",
                   "\nThis is a umlab guest: Debian " + recipe_.suite + " on User-Mode Linux " + recipe_.kernelVersion +
                       ".\nIt writes to its own copy-on-write file; the base image is shared and never changes.\n"
                       "root's password is '" + kRootPassword + "' (a lab-only default).\n\n",
                   0644);
    writeGuestFile("/etc/hostname", "umlab\n", 0644);
    writeGuestFile("/etc/hosts", "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n", 0644);
    writeGuestFile("/etc/resolv.conf", "# umlab guests have no name server unless a lab provides this file\n", 0644);
    writeGuestFile("/etc/fstab", "# umlab: /sbin/umlab-boot and umlab-init mount what the guest needs\n", 0644);
    writeGuestFile("/sbin/umlab-boot", recipe_.bootShim, 0755);
    uint64_t freed = 0;
    for (const char* dir : {"/var/cache/apt/archives", "/var/cache/apt/archives/partial", "/var/cache/apt",
                            "/var/lib/apt/lists", "/var/lib/apt/lists/partial"})
      freed += emptyDirectory(dir);
    return "iptables-legacy, root password, boot shim; " + formatSize(freed) + " of apt caches removed";
  }

  static std::string countOf(size_t n, const std::string& what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
  }

  /// `/usr/sbin/policy-rc.d` exiting 101 (invoke-rc.d(8): "action forbidden") while the recipe's
  /// commands run, so that a command that installs or reconfigures a service starts no daemon
  /// in the build's chroot; removed again when the step ends, however it ends. A policy the
  /// image already had is left alone.
  class DaemonPolicy {
  public:
    DaemonPolicy(BuildRun& run) : path_(resolveInRoot(run.root_.string(), kPolicyRcPath)) {
      struct stat st {};
      if (::lstat(path_.c_str(), &st) == 0)
        return;
      run.writeGuestFile(kPolicyRcPath, "#!/bin/sh\n# umlab image build: no daemon starts while the image is built\nexit 101\n",
                         0755);
      isOurs_ = true;
    }
    ~DaemonPolicy() {
      if (isOurs_)
        ::unlink(path_.c_str());
    }
    DaemonPolicy(const DaemonPolicy&) = delete;
    DaemonPolicy& operator=(const DaemonPolicy&) = delete;

  private:
    std::string path_;
    bool isOurs_ = false;
  };

  /// The recipe's own files, then its commands, each `chroot ROOT /bin/sh -c CMD`.
  std::string customize() {
    for (const RecipeFile& f : recipe_.files)
      writeGuestFile(f.guestPath, f.content, f.mode);
    {
      DaemonPolicy policy(*this);
      for (size_t i = 0; i < recipe_.commands.size(); ++i) {
        const std::string& command = recipe_.commands[i];
        progress_.stepUpdated("command " + std::to_string(i + 1) + "/" + std::to_string(recipe_.commands.size()) +
                                  ": " + command,
                              steps_.stepSeconds());
        try {
          inChroot({"/bin/sh", "-c", command});
        } catch (StepFailure& f) {
          if (!f.isInterrupted)
            f.message = "recipe '" + recipe_.name + "': command '" + command + "' (run " + std::to_string(i + 1) +
                        " of " + std::to_string(recipe_.commands.size()) + ") failed: " + f.message;
          throw;
        }
      }
    }
    uint64_t freed = 0; // what a command's apt-get left behind
    for (const char* dir : {"/var/cache/apt/archives", "/var/cache/apt/archives/partial", "/var/cache/apt"})
      freed += emptyDirectory(dir);
    return countOf(recipe_.files.size(), "file") + " copied, " + countOf(recipe_.commands.size(), "command") +
           " run" + (freed ? "; " + formatSize(freed) + " of apt caches removed" : "");
  }

  std::string makeFilesystem() {
    steps_.tool({{"mkfs.ext4", "-q", "-F", "-L", "umlab-root", "-d", root_.string(), workImage_.string(), recipe_.imageSize}});
    return formatSize(diskUsage(workImage_)) + " on disk";
  }

  /// debugfs's answer to one request, without its version banner.
  std::string debugfs(const std::string& request) {
    std::string text;
    steps_.tool({{"debugfs", "-R", request, workImage_.string()}}, [&text](std::string_view line) {
      if (line.rfind("debugfs ", 0) != 0)
        text += std::string(line) + "\n";
    });
    return text;
  }

  std::string checkImage() {
    auto require = [this](const std::string& request, const std::string& expected, const std::string& what) {
      std::string answer = debugfs(request);
      if (answer.find(expected) == std::string::npos) {
        std::vector<std::string> lines;
        std::istringstream in(answer);
        for (std::string l; std::getline(in, l);)
          lines.push_back(l);
        throw StepFailure{"the image " + what + " ('debugfs -R \"" + request + "\"' shows no '" + expected + "')",
                          lines};
      }
    };
    require("stat /sbin/umlab-boot", "Mode:  0755", "has no executable /sbin/umlab-boot");
    std::string shim = debugfs("cat /sbin/umlab-boot");
    std::string expected = recipe_.bootShim;
    if (!expected.empty() && expected.back() != '\n')
      expected += '\n';
    if (shim != expected)
      throw StepFailure{"the image's /sbin/umlab-boot differs from the boot shim", {}};
    require("stat /lib/modules/" + recipe_.kernelVersion + "/modules.dep", "Inode:",
            "has no /lib/modules/" + recipe_.kernelVersion + "/modules.dep");
    require("stat /etc/alternatives/iptables", "/usr/sbin/iptables-legacy", "does not select iptables-legacy");
    return "boot shim, modules.dep and iptables-legacy in place";
  }

  std::string install() {
    if (::chmod(workImage_.c_str(), 0444) != 0)
      throw std::system_error(errno, std::generic_category(), "chmod " + workImage_.string());
    {
      UniqueFd fd(::open(workImage_.c_str(), O_RDONLY | O_CLOEXEC));
      if (fd)
        ::fsync(fd.get()); // the image is complete on disk before its name says so
    }
    std::ofstream recipe(work_ / "recipe.txt", std::ios::binary | std::ios::trunc);
    recipe << "# umlab base image, written by 'umlab image build'\n"
           << renderRecipe(recipe_) << "mirror " << options_.mirror << "\nbuilt " << utcNow() << "\n";
    recipe.close();
    if (!recipe)
      throw std::system_error(errno, std::generic_category(), "write " + (work_ / "recipe.txt").string());
    if (std::string problem = removeTree(root_.string()); !problem.empty())
      throw StepFailure{"cannot remove the work tree: " + problem, {}};
    build::moveIntoPlace(work_, finalDir_, progress_);
    pointLink(images_, recipe_.name, finalDir_.filename().string());
    return "'" + link_.filename().string() + "' -> " + finalDir_.filename().string();
  }

  const ImageRecipe& recipe_;
  const ImageBuildOptions& options_;
  CommandRunner& runner_;
  ImageProgress& progress_;
  const std::string hash_;
  const fs::path images_, finalDir_, link_, work_, root_, workImage_;
  UniqueFd lock_;
  build::StepRunner steps_;
  ImageBuildResult result_;
};

} // namespace

ImageBuildResult ImageBuilder::build() { return BuildRun(recipe_, options_, runner_, progress_).run(); }

std::string resolveInRoot(const std::string& root, const std::string& guestPath) {
  std::vector<std::string> pending; // components still to walk, last one first
  auto push = [&pending](const std::string& path) {
    std::vector<std::string> parts;
    std::istringstream in(path);
    for (std::string part; std::getline(in, part, '/');)
      if (!part.empty() && part != ".")
        parts.push_back(part);
    pending.insert(pending.end(), parts.rbegin(), parts.rend());
  };
  push(guestPath);
  std::vector<std::string> resolved;
  int links = 0;
  while (!pending.empty()) {
    std::string part = pending.back();
    pending.pop_back();
    if (part == "..") {
      if (!resolved.empty())
        resolved.pop_back();
      continue;
    }
    fs::path host = root;
    for (const std::string& r : resolved)
      host /= r;
    host /= part;
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(host, ec)) && ++links <= 40) {
      std::string target = fs::read_symlink(host, ec).string();
      if (target.rfind("/", 0) == 0)
        resolved.clear();
      push(target);
      continue;
    }
    resolved.push_back(part);
  }
  fs::path host = root;
  for (const std::string& r : resolved)
    host /= r;
  return host.string();
}

std::string removeTree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return errno == ENOENT ? "" : describeErrno(path, errno);
  std::error_code ec;
  const fs::path canonical = fs::canonical(path, ec); // mountinfo lists canonical paths
  for (const std::string& mountPoint : mountsBelow(ec ? path : canonical.string()))
    ::umount2(mountPoint.c_str(), MNT_DETACH);
  if (::lstat(path.c_str(), &st) != 0)
    return describeErrno(path, errno);
  std::string firstError;
  removeBelow(path, st.st_dev, firstError);
  return firstError;
}

} // namespace umlab::kernel
