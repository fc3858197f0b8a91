#include "image_command.hpp"

#include "umlab/lab/import/netkit_import.hpp"

#include "umlab/base/signal_fd.hpp"

#include "cli.hpp"
#include "cli_args.hpp"

#include "umlab/base/child_process.hpp"
#include "umlab/base/spelling.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/kernel/image_builder.hpp"
#include "umlab/kernel/image_mirror.hpp"
#include "umlab/kernel/image_recipe.hpp"
#include "umlab/kernel/image_store.hpp"
#include "umlab/kernel/system_images.hpp"
#include "umlab/base/diagnostics.hpp"
#include "umlab/kernel/builtin_images.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/compile/topology_images.hpp"
#include "umlab/lab/runtime/lab_client.hpp"

#include "build_report.hpp"
#include "image_listing.hpp"
#include "interrupt_signals.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <set>
#include <sys/file.h>
#include <iostream>
#include <map>
#include <optional>
#include <ostream>
#include <sys/signalfd.h>
#include <unistd.h>

namespace umlab::cli {

namespace {

namespace k = umlab::kernel;
namespace fs = std::filesystem;

constexpr int kExitFailed = 1; ///< the build (or listing) failed

std::string imagesDir() { return lab::hostLayoutFromEnvironment("umlab").imageDir; }
std::string systemImagesDir() { return lab::hostLayoutFromEnvironment("umlab").systemImageDir; }
/// The directory `build`, `rm` and `prune` change: the system's with --system, else the user's.
std::string targetDir(const CliArgs& a) { return a.has("--system") ? systemImagesDir() : imagesDir(); }

bool isRoot() { return ::geteuid() == 0; }

/// Throws the reason this user may not run `umlab image ARGS` (imageRootProblem), if any.
void requireRootFor(const std::vector<std::string>& args) {
  if (std::string problem = imageRootProblem(isRoot(), systemImagesDir(), args); !problem.empty())
    throw CliFailure{problem};
}

std::optional<std::string> kernelVersion(std::string* error) {
  return k::findUmlKernelVersion(k::kUmlModulesRoot, error);
}

/// The recipe `build --name NAME` would use for `name`, or nullopt with the reason.
std::optional<k::ImageRecipe> currentRecipe(const std::string& name, std::string* error) {
  auto version = kernelVersion(error);
  if (!version)
    return std::nullopt;
  return k::imageRecipeFor(name, *version);
}

/// A topology compiled for its images; diagnostics go to `err` when given.
/// A Kathara/Netkit lab directory counts as the topology 'umlab up DIR' would boot.
std::optional<lab::Topology> loadTopology(const std::string& path, std::ostream* err) {
  SourceManager sources;
  Diagnostics diags;
  std::optional<lab::Compiled> compiled;
  if (std::error_code ec; fs::is_directory(path, ec) && fs::exists(fs::path(path) / "lab.conf", ec)) {
    if (std::optional<std::string> text = lab::importNetkitLab(path, {}, sources, diags))
      compiled = lab::compileText((fs::path(path) / "lab.yaml").string(), *text, sources, diags);
    if (compiled) // the import's warnings are 'umlab import's to show, not the image builder's
      return std::move(compiled->topology);
  } else {
    compiled = lab::compileFile(path, sources, diags);
  }
  if (err)
    renderDiagnostics(diags, *err);
  if (!compiled)
    return std::nullopt;
  return std::move(compiled->topology);
}

std::string absolutePath(const std::string& path) {
  std::error_code ec;
  return fs::absolute(path, ec).lexically_normal().string();
}

/// Runs one build and prints its outcome; false when it failed.
bool buildOne(const k::ImageRecipe& recipe, const std::string& dir, bool isForced, std::ostream& out,
              std::ostream& err) {
  k::ImageBuildOptions options;
  options.imagesDir = dir;
  k::MirrorChoice mirror = k::findHostMirror(recipe.suite);
  options.mirror = mirror.uri;
  options.mirrorOrigin = mirror.origin == "default" ? "the default mirror" : "from " + mirror.origin;
  options.isForced = isForced;
  options.hasRoot = isRoot();

  InterruptSignals signals;
  SystemCommandRunner runner(signals.fd());
  k::TextImageProgress progress(out, &out == &std::cout && ::isatty(STDOUT_FILENO));
  k::ImageBuildResult r = k::ImageBuilder(recipe, options, runner, progress).build();
  switch (r.outcome) {
  case k::ImageBuildResult::Outcome::Built:
  case k::ImageBuildResult::Outcome::Cached:
    out << r.message << "\n";
    return true;
  case k::ImageBuildResult::Outcome::Failed:
    break;
  }
  out.flush();
  reportBuildFailure(err, "image", !r.steps.empty(), r.message, r.lastOutput, r.linkPath);
  return false;
}

/// What `image build TOPOLOGY...` builds: the topology's own images (users recorded), then the
/// built-in images its nodes name, each once.
struct BuildJob {
  k::ImageRecipe recipe;
  std::string topology; ///< absolute; empty for a built-in image
};

int cmdBuild(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliArgs a(args, {"--force", "--system", "-h", "--help"}, {"--name"});
  if (a.has("-h") || a.has("--help")) {
    out << kImageHelp;
    return kExitOk;
  }
  std::vector<std::string> command{"build"};
  command.insert(command.end(), args.begin(), args.end());
  if (a.has("--system") || a.has("--force"))
    requireRootFor(command);
  const std::optional<std::string> only = a.get("--name");
  if (only && !k::isValidImageName(*only))
    throw CliUsageError{"invalid image name '" + *only +
                        "'; use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit"};
  for (const std::string& p : a.positional()) {
    std::error_code ec;
    if (!fs::exists(p, ec) && !only && k::isValidImageName(p))
      throw CliUsageError{"'" + p + "' is not a topology file; did you mean '--name " + p + "'?"};
  }
  std::string error;
  std::vector<BuildJob> jobs;
  if (a.positional().empty()) {
    std::optional<k::ImageRecipe> recipe = currentRecipe(only.value_or(k::kDefaultImageName), &error);
    if (!recipe)
      throw CliFailure{error};
    jobs.push_back({*recipe, ""});
  } else {
    auto version = kernelVersion(&error);
    if (!version)
      throw CliFailure{error};
    std::set<std::string> seen;
    bool hasFound = !only;
    for (const std::string& path : a.positional()) {
      std::optional<lab::Topology> t = loadTopology(path, &err);
      if (!t)
        return kExitInputError;
      std::vector<std::string> names;
      for (const lab::TopologyImage& image : t->images)
        names.push_back(image.name);
      for (const lab::Node& n : t->nodes)
        if (!t->findImage(n.image) && k::findBuiltinImage(n.image))
          names.push_back(n.image);
      for (const std::string& name : names) {
        if (only && name != *only)
          continue;
        hasFound = true;
        const bool isOwn = t->findImage(name) != nullptr;
        auto recipe = lab::topologyImageRecipe(*t, name, *version, &error);
        if (!recipe)
          throw CliFailure{path + ": " + error};
        if (!seen.insert(k::imageDirName(*recipe) + (isOwn ? absolutePath(path) : "")).second)
          continue;
        jobs.push_back({*recipe, isOwn ? absolutePath(path) : ""});
      }
    }
    if (!hasFound)
      throw CliUsageError{"no topology given defines or uses an image named '" + *only + "'"};
    if (jobs.empty()) {
      out << "the topology defines no images and its nodes use no built-in one; nothing to build\n";
      return kExitOk;
    }
  }
  const std::string dir = targetDir(a);
  // Without --system (and --force), a build the system's directory holds is the one labs boot
  // (kernel/system_images.hpp); only the others are built, which needs root.
  std::set<std::string> shared;
  if (!a.has("--system") && !a.has("--force")) {
    bool isMissing = false;
    for (const BuildJob& job : jobs) {
      const std::string build = k::imageDirName(job.recipe);
      if (!k::findImageBuild({dir}, build).empty())
        continue; // the builder finds it cached
      if (k::findImageBuild({systemImagesDir()}, build).empty()) {
        isMissing = true;
        continue;
      }
      // A built-in image is booted through the <name> link of the first directory that has one.
      if (job.topology.empty() && !k::findImageBuild({dir}, job.recipe.name).empty()) {
        if (!isRoot())
          throw CliFailure{"the system's directory has image '" + job.recipe.name + "' as its recipe is now (" +
                           systemImagesDir() + "/" + build + "), but your labs boot your own older build, '" + dir +
                           "/" + job.recipe.name + "', first; remove your builds with 'umlab image rm " +
                           job.recipe.name + "' to boot the system's"};
        continue; // root rebuilds its own, as before there was a system directory
      }
      shared.insert(build);
    }
    if (isMissing)
      requireRootFor(command);
  }
  if (a.has("--system"))
    if (std::string problem = k::prepareSharedImagesDir(dir); !problem.empty())
      throw CliFailure{problem};
  std::set<std::string> built;
  for (const BuildJob& job : jobs) {
    const std::string build = k::imageDirName(job.recipe);
    if (shared.count(build)) {
      if (built.insert(build).second)
        out << "image '" << job.recipe.name << "' is shared by the system (recipe " << k::recipeHash(job.recipe)
            << "): " << systemImagesDir() << "/" << build << "/rootfs.img; nothing to build\n";
      continue;
    }
    if (built.insert(build).second && !buildOne(job.recipe, dir, a.has("--force"), out, err))
      return kExitFailed;
    if (!job.topology.empty())
      k::recordImageUser(dir, build, job.topology);
    if (a.has("--system"))
      if (std::string problem = k::shareImageBuild(dir, build); !problem.empty())
        throw CliFailure{"cannot make '" + dir + "/" + build + "' readable by every user: " + problem};
  }
  return kExitOk;
}

/// Every recipe `ls` and `prune` know: the built-in ones, then those of `topologies`.
std::vector<ListedRecipe> knownRecipes(const std::vector<std::string>& topologies, std::ostream& err, bool* hasFailed) {
  std::string error;
  auto version = kernelVersion(&error);
  std::vector<ListedRecipe> recipes;
  for (const k::ImageLayer& l : k::builtinImageLayers()) {
    std::string hash;
    if (version)
      if (auto r = k::flattenImage(l.name, {}, *version, &error))
        hash = k::recipeHash(*r);
    recipes.push_back({l.name, l.from.empty() ? "-" : l.from, "built in", hash});
  }
  for (const std::string& path : topologies) {
    std::optional<lab::Topology> t = loadTopology(path, &err);
    if (!t) {
      *hasFailed = true;
      continue;
    }
    for (const lab::TopologyImage& image : t->images) {
      std::string hash;
      if (version) {
        if (auto r = lab::topologyImageRecipe(*t, image.name, *version, &error))
          hash = k::recipeHash(*r);
        else
          err << "umlab: error: " << path << ": " << error << "\n";
      }
      recipes.push_back({image.name, image.from.text, path, hash});
    }
  }
  return recipes;
}

int cmdLs(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliArgs a(args, {"-h", "--help"}, {});
  if (a.has("-h") || a.has("--help")) {
    out << kImageHelp;
    return kExitOk;
  }
  bool hasFailed = false;
  std::vector<ListedRecipe> recipes = knownRecipes(a.positional(), err, &hasFailed);
  const std::string dir = imagesDir(), shared = systemImagesDir();
  std::error_code ec;
  const bool isSameDir = fs::equivalent(dir, shared, ec); // root pointing its cache at the system's
  out << renderImageListing(recipes, k::listBuiltImages(dir), dir,
                            isSameDir ? std::vector<k::BuiltImage>{} : k::listBuiltImages(shared), shared);
  return hasFailed ? kExitInputError : kExitOk;
}

/// The cache's lock (image_builder.hpp), taken without waiting: removing while a build runs
/// could remove what it is about to install.
UniqueFd lockCache(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  UniqueFd fd(::open((dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd)
    throw CliFailure{"cannot open '" + dir + "/.lock': " + std::strerror(errno)};
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
    throw CliFailure{"an image build is running in '" + dir + "'; try again when it has finished"};
  return fd;
}

/// Build directories (canonical paths) that running labs boot from -> the lab, through their
/// plans' base paths.
std::map<std::string, std::string> imagesInUse() {
  std::map<std::string, std::string> inUse;
  const lab::runtime::LabClient client(lab::hostLayoutFromEnvironment("umlab").stateRoot);
  for (const std::string& name : client.labs()) {
    try {
      if (!client.isRunning(name))
        continue;
      for (const lab::GuestPlan& g : client.plan(name).guests) {
        std::error_code ec;
        const fs::path base = fs::canonical(g.basePath, ec);
        if (!ec)
          inUse.emplace(base.parent_path().string(), name);
      }
    } catch (const std::exception&) {
      // a lab that vanished while we looked uses nothing
    }
  }
  return inUse;
}

/// The lab using the build `<dir>/<dirName>`, or nullptr.
const std::string* userOf(const std::map<std::string, std::string>& inUse, const std::string& dir,
                          const std::string& dirName) {
  std::error_code ec;
  const fs::path build = fs::canonical(fs::path(dir) / dirName, ec);
  auto it = ec ? inUse.end() : inUse.find(build.string());
  return it == inUse.end() ? nullptr : &it->second;
}

/// Removes `victims` and the links left pointing at nothing; prints each with its size.
uint64_t removeBuilds(const std::string& dir, const std::vector<k::BuiltImage>& victims, std::ostream& out,
                      std::ostream& err, bool* hasFailed) {
  uint64_t freed = 0;
  for (const k::BuiltImage& b : victims) {
    if (std::string problem = k::removeTree(dir + "/" + b.dirName); !problem.empty()) {
      err << "umlab: error: cannot remove '" << dir << "/" << b.dirName << "': " << problem << "\n";
      *hasFailed = true;
      continue;
    }
    freed += b.diskSize;
    out << "removed " << b.dirName << " (" << k::formatSize(b.diskSize) << ")\n";
    for (const std::string& link : b.links) {
      std::error_code ec;
      if (!fs::exists(fs::path(dir) / link, ec)) // follows the link: gone when its build is
        fs::remove(fs::path(dir) / link, ec);
    }
  }
  return freed;
}

int cmdRm(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliArgs a(args, {"--system", "-h", "--help"}, {});
  if (a.has("-h") || a.has("--help")) {
    out << kImageHelp;
    return kExitOk;
  }
  if (a.positional().size() != 1)
    throw CliUsageError{"image rm takes one image name (or one build, NAME-HASH), as in 'umlab image rm web'"};
  std::vector<std::string> command{"rm"};
  command.insert(command.end(), args.begin(), args.end());
  requireRootFor(command);
  const std::string& name = a.positional()[0];
  const std::string dir = targetDir(a);
  UniqueFd lock = lockCache(dir);
  std::vector<k::BuiltImage> victims;
  std::vector<std::string> names;
  for (const k::BuiltImage& b : k::listBuiltImages(dir)) {
    names.push_back(b.name);
    if (b.name == name || b.dirName == name)
      victims.push_back(b);
  }
  if (victims.empty() && !a.has("--system"))
    for (const k::BuiltImage& b : k::listBuiltImages(systemImagesDir()))
      if (b.name == name || b.dirName == name)
        throw CliFailure{"no build of image '" + name + "' in '" + dir + "'; the system's directory '" +
                         systemImagesDir() + "' has one, which only root removes: 'sudo umlab image rm --system " +
                         name + "'"};
  if (victims.empty())
    throw CliFailure{"no build of image '" + name + "' in '" + dir + "'" + didYouMean(name, names)};
  const std::map<std::string, std::string> inUse = imagesInUse();
  for (const k::BuiltImage& b : victims)
    if (const std::string* lab = userOf(inUse, dir, b.dirName))
      throw CliFailure{"image '" + b.dirName + "' is in use by the running lab '" + *lab +
                       "'; stop it with 'umlab down " + *lab + "' first"};
  bool hasFailed = false;
  const uint64_t freed = removeBuilds(dir, victims, out, err, &hasFailed);
  out << "freed " << k::formatSize(freed) << "\n";
  return hasFailed ? kExitFailed : kExitOk;
}

int cmdPrune(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliArgs a(args, {"--dry-run", "--system", "-h", "--help"}, {});
  if (a.has("-h") || a.has("--help")) {
    out << kImageHelp;
    return kExitOk;
  }
  if (!a.positional().empty())
    throw CliUsageError{"image prune takes no arguments, only '--dry-run' and '--system'"};
  std::vector<std::string> command{"prune"};
  command.insert(command.end(), args.begin(), args.end());
  if (!a.has("--dry-run"))
    requireRootFor(command);
  const std::string dir = targetDir(a);
  UniqueFd lock = lockCache(dir);
  std::string error;
  auto version = kernelVersion(&error);
  if (!version) // without it no current hash is known, and every build would look unused
    throw CliFailure{error};
  std::set<std::string> kept;
  for (const k::ImageLayer& l : k::builtinImageLayers())
    if (auto r = k::flattenImage(l.name, {}, *version, &error))
      kept.insert(k::imageDirName(*r));
  std::error_code ec;
  const fs::path canonicalDir = fs::canonical(dir, ec);
  for (const auto& [build, lab] : imagesInUse())
    if (fs::path(build).parent_path() == canonicalDir)
      kept.insert(fs::path(build).filename().string());
  std::map<std::string, std::optional<lab::Topology>> topologies; // each read once
  auto currentHash = [&](const std::string& path, const std::string& name) -> std::optional<std::string> {
    auto it = topologies.find(path);
    if (it == topologies.end()) {
      std::error_code ec;
      it = topologies.emplace(path, fs::is_regular_file(path, ec) ? loadTopology(path, nullptr) : std::nullopt).first;
    }
    if (!it->second || !it->second->findImage(name))
      return std::nullopt;
    std::string ignored;
    auto r = lab::topologyImageRecipe(*it->second, name, *version, &ignored);
    return r ? std::optional(k::recipeHash(*r)) : std::nullopt;
  };
  const std::vector<k::BuiltImage> victims = k::selectPrunable(k::listBuiltImages(dir), kept, currentHash);
  if (victims.empty()) {
    out << "nothing to prune: every build in '" << dir << "' is named by a recipe\n";
    return kExitOk;
  }
  if (a.has("--dry-run")) {
    uint64_t total = 0;
    for (const k::BuiltImage& b : victims) {
      out << "would remove " << b.dirName << " (" << k::formatSize(b.diskSize) << ")\n";
      total += b.diskSize;
    }
    out << "would free " << k::formatSize(total) << "\n";
    return kExitOk;
  }
  bool hasFailed = false;
  const uint64_t freed = removeBuilds(dir, victims, out, err, &hasFailed);
  out << "freed " << k::formatSize(freed) << "\n";
  return hasFailed ? kExitFailed : kExitOk;
}

} // namespace

std::string imageRootProblem(bool isRoot, const std::string& systemDir, const std::vector<std::string>& args) {
  if (isRoot || args.empty())
    return "";
  std::string rest; // the arguments after the command, for the command to run instead
  bool isSystem = false;
  for (size_t i = 1; i < args.size(); ++i) {
    isSystem = isSystem || args[i] == "--system";
    if (args[i] != "--system")
      rest += " " + (args[i].find_first_of(" '\"$") == std::string::npos ? args[i] : "'" + args[i] + "'");
  }
  const std::string& command = args[0];
  if (isSystem)
    return "'umlab image " + command + " --system' changes the images every user shares in '" + systemDir +
           "' and needs root; run it as root: 'sudo umlab image " + command + " --system" + rest + "'";
  if (command != "build")
    return "";
  return "building an image needs root (debootstrap and chroot); ask the administrator to run 'sudo umlab image "
         "build --system" + rest + "' (it is then shared with every user from '" + systemDir +
         "'), or run 'sudo umlab image build" + rest + "' for root's own labs";
}

int runImageCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    if (args.empty())
      throw CliUsageError{"image needs a command: 'umlab image build', 'ls', 'rm' or 'prune'"};
    const std::string& command = args[0];
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (command == "-h" || command == "--help" || command == "help") {
      out << kImageHelp;
      return kExitOk;
    }
    if (command == "build")
      return cmdBuild(rest, out, err);
    if (command == "ls")
      return cmdLs(rest, out, err);
    if (command == "rm")
      return cmdRm(rest, out, err);
    if (command == "prune")
      return cmdPrune(rest, out, err);
    std::string hint = didYouMean(command, {"build", "ls", "rm", "prune"});
    throw CliUsageError{"unknown image command '" + command + "'" +
                        (hint.empty() ? "; the commands are 'build', 'ls', 'rm' and 'prune'" : hint)};
  } catch (const CliUsageError& e) {
    err << "umlab: error: " << e.message << "\n";
    return kExitUsage;
  } catch (const CliFailure& e) {
    err << "umlab: error: " << e.message << "\n";
    return kExitFailed;
  } catch (const std::exception& e) {
    err << "umlab: error: " << e.what() << "\n";
    return kExitFailed;
  }
}

} // namespace umlab::cli
