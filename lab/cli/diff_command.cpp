// umlab diff LAB NODE: the files a guest added, changed and removed relative to its base image,
// or one file's unified diff (--content). It parses and prints; guest_disk.hpp finds the disk
// and flushes a running guest, guest_diff.hpp reads the COW file with libext2fs.

#include "diff_command.hpp"

#include "cli.hpp"
#include "cli_args.hpp"
#include "runtime_commands.hpp"

#include "umlab/base/spelling.hpp"
#include "umlab/lab/runtime/guest_diff.hpp"
#include "umlab/lab/runtime/guest_disk.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/runtime/state_roots.hpp"
#include "umlab/lab/runtime/user_namespace.hpp"

#include <algorithm>
#include <ostream>
#include <stdexcept>
#include <unistd.h>

namespace umlab::cli {

namespace runtime = umlab::lab::runtime;

namespace {

std::string helpText() {
  std::string ignores;
  for (const std::string& g : runtime::defaultIgnores())
    ignores += "                       " + g + "\n";
  return "usage: umlab diff [options] LAB NODE\n"
         "\n"
         "List the files NODE added, changed and removed relative to its base image, read from its\n"
         "COW file with libext2fs: nothing is mounted, no root needed. Works on a running node (asked\n"
         "first to flush its disk: sync, then fsfreeze -f / and -u /), a stopped or dead one ('umlab\n"
         "node LAB NODE stop'), a lab taken down with 'umlab down --keep', and a saved one ('umlab\n"
         "save LAB').\n"
         "\n"
         "  A /path              added (a directory, with '/', is listed once; --all lists below it)\n"
         "  M /path (what)       changed: content, mode, owner, type, target (symlink), device\n"
         "  D /path              removed\n"
         "Times alone are not a change. A warning says when the guest's journal holds writes that are\n"
         "not in place yet (a crashed node): those are missing from the list.\n"
         "\n"
         "options:\n"
         "  --content PATH       show PATH's unified diff, base against guest (diffutils' diff -u);\n"
         "                       for a binary file its sizes and SHA-256 sums\n"
         "  --format text|json   output format (default text); json: {\"lab\",\"node\",\"added\",\n"
         "                       \"changed\":[{\"path\",\"what\"}],\"removed\",\"warnings\",\"cowBytes\"}\n"
         "  --all                list everything below added and removed directories\n"
         "  --ignore GLOB        leave out paths matching GLOB (fnmatch; '*' crosses '/'; a matching\n"
         "                       directory hides all below it); repeatable, added to the defaults\n"
         "  --no-default-ignores show what every guest's boot writes too; the defaults are:\n" +
         ignores +
         "  --no-flush           read a running node's disk as it is, without asking it to flush\n"
         "  --state-dir DIR      where labs keep their state\n"
         "  --user NAME          (root) a node of account NAME's lab (read as root: the COW files\n"
         "                       belong to the lab's guest uid)\n"
         "  -h, --help           show this help\n"
         "\n"
         "examples: umlab diff lan pc1\n"
         "          umlab diff lan pc1 --content /etc/hosts\n"
         "          umlab diff lan pc1 --format json --ignore '/root/*'\n";
}

/// A rootless lab's guests run under one of the user's subordinate ids, which owns their COW
/// files (mode 0600): the user reads them as root of a user namespace mapped as the lab's
/// (user_namespace.hpp). Called after any flush (which talks to the lab as the user), before
/// reading; `umlab diff` is single-threaded, as entering requires.
void enterLabIdsIfNeeded(const runtime::GuestDisk& disk, const std::string& lab) {
  if (::geteuid() == 0 || ::access(disk.cowPath.c_str(), R_OK) == 0)
    return;
  runtime::enterUserNamespace(runtime::planUserNamespaceForCaller(lab));
}

int cmdDiff(const std::string& self, const CliArgs& a, std::ostream& out) {
  const auto& pos = a.positional();
  if (pos.size() != 2)
    throw CliUsageError{"diff needs a lab and a node, as in 'umlab diff lan pc1'"};
  const std::string fmt = a.get("--format").value_or("text");
  if (fmt != "text" && fmt != "json")
    throw CliUsageError{"--format must be 'text' or 'json', not '" + fmt + "'" + didYouMean(fmt, {"text", "json"})};
  const std::string& lab = pos[0];
  const std::string& node = pos[1];
  std::string root;
  if (auto user = a.get("--user")) {
    // Root stays root: the COW files belong to the lab's guest uid, not to the account.
    if (a.get("--state-dir"))
      throw CliUsageError{"--user picks that account's state directories; it does not go with --state-dir"};
    if (::geteuid() != 0)
      throw CliUsageError{"--user diffs another account's node, which only root may do; your own labs need no --user"};
    root = runtime::rootOfLab(runtime::accountStateRoots(*user), lab);
  } else {
    root = stateRootFor(self, a, lab);
  }
  if (auto path = a.get("--content")) {
    if (path->empty() || path->front() != '/')
      throw CliUsageError{"--content needs an absolute path in the guest, as in '--content /etc/hosts'"};
    const runtime::GuestDisk disk = runtime::locateGuestDisk(root, lab, node);
    if (disk.isRunning && !a.has("--no-flush"))
      if (std::string problem = runtime::flushGuestDisk(runtime::LabClient(root), lab, node); !problem.empty())
        out << "warning: " << problem << "\n";
    enterLabIdsIfNeeded(disk, lab);
    runtime::FileVersions v;
    try {
      v = runtime::readFileVersions(disk.cowPath, disk.basePath, *path);
    } catch (const std::runtime_error& e) {
      throw runtime::RuntimeError("node '" + node + "' of lab '" + lab + "': " + e.what());
    }
    if (!v.base && !v.guest)
      throw CliFailure{"'" + *path + "' is neither in node '" + node + "''s base image nor on its disk"};
    const std::string text = runtime::renderContentDiff(v);
    out << (text.empty() ? *path + ": unchanged\n" : text);
    return kExitOk;
  }
  runtime::DiffOptions options;
  if (!a.has("--no-default-ignores"))
    options.ignore = runtime::defaultIgnores();
  for (const std::string& g : a.getAll("--ignore"))
    options.ignore.push_back(g);
  options.expandDirectories = a.has("--all");
  const runtime::GuestDisk disk = runtime::locateGuestDisk(root, lab, node);
  std::string flushProblem;
  if (disk.isRunning && !a.has("--no-flush"))
    flushProblem = runtime::flushGuestDisk(runtime::LabClient(root), lab, node);
  enterLabIdsIfNeeded(disk, lab);
  runtime::GuestDiff diff;
  try {
    diff = runtime::diffGuest(disk.cowPath, disk.basePath, options);
  } catch (const std::runtime_error& e) {
    throw runtime::RuntimeError("node '" + node + "' of lab '" + lab + "': " + e.what());
  }
  if (!flushProblem.empty())
    diff.warnings.insert(diff.warnings.begin(), flushProblem);
  out << (fmt == "json" ? runtime::guestDiffJson(diff, lab, node) : runtime::renderGuestDiffText(diff));
  return kExitOk;
}

} // namespace

std::string diffHelp() { return helpText(); }

std::vector<std::string> diffNodesOption(const CliArgs& a, const lab::Topology& topology) {
  std::vector<std::string> nodes;
  auto value = a.get("--diff");
  if (!value)
    return nodes;
  std::vector<std::string> known;
  for (const lab::Node& n : topology.nodes)
    known.push_back(n.name);
  size_t at = 0;
  while (at <= value->size()) {
    const size_t comma = std::min(value->find(',', at), value->size());
    const std::string name = value->substr(at, comma - at);
    at = comma + 1;
    if (name.empty())
      continue;
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw CliUsageError{"--diff names node '" + name + "', which lab '" + topology.name + "' does not have" +
                          didYouMean(name, known)};
    nodes.push_back(name);
  }
  if (nodes.empty())
    throw CliUsageError{"--diff needs the nodes whose disks to diff, as in '--diff pc1,r1'"};
  return nodes;
}

std::string nodeDiffsReport(const std::string& stateRoot, const std::string& lab, const std::vector<std::string>& nodes,
                            bool flush) {
  std::string report;
  runtime::DiffOptions options;
  options.ignore = runtime::defaultIgnores();
  for (const std::string& node : nodes) {
    try {
      const runtime::GuestDiff d = runtime::diffLabNode(stateRoot, lab, node, options, flush);
      report += "diff of " + node + ": " + std::to_string(d.added.size()) + " added, " +
                std::to_string(d.changed.size()) + " changed, " + std::to_string(d.removed.size()) + " removed\n";
      const std::string text = runtime::renderGuestDiffText(d);
      for (size_t from = 0, nl; from < text.size(); from = nl + 1) {
        nl = text.find('\n', from);
        report += "  " + text.substr(from, nl - from) + "\n";
      }
    } catch (const std::exception& e) {
      report += "diff of " + node + ": not available: " + e.what() + "\n";
    }
  }
  return report;
}

int runDiffCommand(const std::string& self, const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliArgs a(args, {"-h", "--help", "--all", "--no-default-ignores", "--no-flush"},
            {"--content", "--format", "--ignore", "--state-dir", "--user"});
  if (a.has("-h") || a.has("--help")) {
    out << diffHelp();
    return kExitOk;
  }
  return reportFailures(err, [&] { return cmdDiff(self, a, out); });
}

} // namespace umlab::cli
