#include "image_command.hpp"

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
#include "umlab/lab/compile/plan.hpp"

#include <csignal>
#include <ctime>
#include <iostream>
#include <map>
#include <optional>
#include <ostream>
#include <sys/signalfd.h>
#include <unistd.h>

namespace umlab::cli {

namespace {

namespace k = umlab::kernel;

constexpr int kExitFailed = 1; ///< the build (or listing) failed

/// SIGINT, SIGTERM and SIGHUP as a readable fd for the build's lifetime (base/signal_fd.hpp), so
/// that a build can stop its tools and clean up instead of dying with a half-written cache.
/// Signals that arrived are consumed on destruction (the build already reported "interrupted").
class InterruptSignals {
public:
  InterruptSignals() = default;
  ~InterruptSignals() {
    while (signals_.next()) {
    }
  }
  InterruptSignals(const InterruptSignals&) = delete;
  InterruptSignals& operator=(const InterruptSignals&) = delete;

  int fd() const { return signals_.fd(); }

private:
  SignalFd signals_{SIGINT, SIGTERM, SIGHUP};
};

std::string imagesDir() { return lab::hostLayoutFromEnvironment("umlab").imageDir; }

/// The recipe `build` would use for `name`, or nullopt with the reason.
std::optional<k::ImageRecipe> currentRecipe(const std::string& name, std::string* error) {
  auto version = k::findUmlKernelVersion(k::kUmlModulesRoot, error);
  if (!version)
    return std::nullopt;
  return k::imageRecipeFor(name, *version);
}

int cmdBuild(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliArgs a(args, {"--force", "-h", "--help"}, {"--name"});
  if (a.has("-h") || a.has("--help")) {
    out << kImageHelp;
    return kExitOk;
  }
  if (!a.positional().empty())
    throw CliUsageError{"image build takes no arguments, only options; did you mean '--name " + a.positional()[0] + "'?"};
  const std::string name = a.get("--name").value_or(k::kDefaultImageName);
  if (!k::isValidImageName(name))
    throw CliUsageError{"invalid image name '" + name +
                        "'; use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit"};
  std::string error;
  std::optional<k::ImageRecipe> recipe = currentRecipe(name, &error);
  if (!recipe)
    throw CliFailure{error};

  k::ImageBuildOptions options;
  options.imagesDir = imagesDir();
  k::MirrorChoice mirror = k::findHostMirror(recipe->suite);
  options.mirror = mirror.uri;
  options.mirrorOrigin = mirror.origin == "default" ? "the default mirror" : "from " + mirror.origin;
  options.isForced = a.has("--force");
  options.hasRoot = ::geteuid() == 0;

  InterruptSignals signals;
  SystemCommandRunner runner(signals.fd());
  k::TextImageProgress progress(out, &out == &std::cout && ::isatty(STDOUT_FILENO));
  k::ImageBuildResult r = k::ImageBuilder(*recipe, options, runner, progress).build();
  switch (r.outcome) {
  case k::ImageBuildResult::Outcome::Built:
  case k::ImageBuildResult::Outcome::Cached:
    out << r.message << "\n";
    return kExitOk;
  case k::ImageBuildResult::Outcome::Failed:
    break;
  }
  out.flush();
  err << "umlab: error: " << (r.steps.empty() ? "" : "image build failed at ") << r.message << "\n";
  if (!r.lastOutput.empty()) {
    err << "  last output:\n";
    for (const std::string& line : r.lastOutput)
      err << "    " << line << "\n";
  }
  if (!r.steps.empty())
    err << "umlab: note: the partial build was removed; '" << r.linkPath << "' is unchanged\n";
  return kExitFailed;
}

std::string localTime(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &tm);
  return text;
}

int cmdLs(const std::vector<std::string>& args, std::ostream& out, std::ostream&) {
  CliArgs a(args, {"-h", "--help"}, {});
  if (a.has("-h") || a.has("--help")) {
    out << kImageHelp;
    return kExitOk;
  }
  if (!a.positional().empty())
    throw CliUsageError{"image ls takes no arguments"};
  const std::string dir = imagesDir();
  std::vector<k::BuiltImage> images = k::listBuiltImages(dir);
  if (images.empty()) {
    out << "no images in '" << dir << "'; build one with 'sudo umlab image build'\n";
    return kExitOk;
  }
  std::map<std::string, std::string> currentHash; // by name; empty when unknown
  std::vector<std::vector<std::string>> rows{{"NAME", "HASH", "ON DISK", "APPARENT", "BUILT", "LINKED AS", "RECIPE"}};
  for (const k::BuiltImage& image : images) {
    if (!currentHash.count(image.name)) {
      std::string error;
      auto recipe = k::isValidImageName(image.name) ? currentRecipe(image.name, &error) : std::nullopt;
      currentHash[image.name] = recipe ? k::recipeHash(*recipe) : "";
    }
    const std::string& current = currentHash[image.name];
    std::string links;
    for (const std::string& l : image.links)
      links += (links.empty() ? "" : ",") + l;
    rows.push_back({image.name, image.hash, k::formatSize(image.diskSize), k::formatSize(image.apparentSize),
                    localTime(image.builtTime), links.empty() ? "-" : links,
                    current.empty() ? "unknown" : (current == image.hash ? "current" : "outdated")});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c)
      widths[c] = std::max(widths[c], row[c].size());
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c)
      line += c + 1 == row.size() ? row[c] : row[c] + std::string(widths[c] - row[c].size() + 2, ' ');
    out << line << "\n";
  }
  out << images.size() << (images.size() == 1 ? " image" : " images") << " in '" << dir << "'\n";
  return kExitOk;
}

} // namespace

int runImageCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    if (args.empty())
      throw CliUsageError{"image needs a command: 'umlab image build' or 'umlab image ls'"};
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
    std::string hint = didYouMean(command, {"build", "ls"});
    throw CliUsageError{"unknown image command '" + command + "'" +
                        (hint.empty() ? "; the commands are 'build' and 'ls'" : hint)};
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
