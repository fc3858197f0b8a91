// umlab save / resume / archive, and the saved-lab parts of up, ps and down: parsing and printing
// only (lab/runtime/lab_saver.hpp, lab_archive.hpp do the work).
#include "save_commands.hpp"
#include "runtime_commands.hpp"

#include "umlab/base/quantity.hpp"
#include "umlab/kernel/image_store.hpp"
#include "umlab/lab/runtime/config_disk.hpp"
#include "umlab/lab/runtime/lab_archive.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/lab_saver.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/runtime/saved_labs.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <ostream>

namespace umlab::cli {

namespace {

namespace runtime = umlab::lab::runtime;
using Clock = std::chrono::steady_clock;

std::string secondsText(double s) {
  char t[32];
  std::snprintf(t, sizeof t, "%.1f s", s);
  return t;
}

runtime::SavedLabs store() { return runtime::SavedLabs(runtime::dataDirFromEnvironment()); }

runtime::ImageDirs imageDirs(const std::string& self) {
  const lab::HostLayout host = lab::hostLayoutFromEnvironment(self);
  return {host.imageDir, host.systemImageDir};
}

void requireLabName(const std::string& s) {
  if (std::string problem = runtime::checkLabName(s); !problem.empty())
    throw CliUsageError{problem};
}

std::chrono::seconds bootTimeoutOf(const CliArgs& a) {
  auto v = a.get("--timeout");
  if (!v)
    return std::chrono::seconds(180);
  auto d = parseDuration(*v);
  if (!d || *d < std::chrono::seconds(1))
    throw CliUsageError{"--timeout needs a duration of at least 1s, such as '120s', not '" + *v + "'"};
  return std::chrono::duration_cast<std::chrono::seconds>(*d);
}

/// Resumes the saved `lab` and prints it; shared by resume and up FILE.umlab.
int resume(const std::string& self, const std::string& lab, const std::string& stateRoot, std::chrono::seconds timeout,
           std::ostream& out, std::ostream& err) {
  const auto started = Clock::now();
  PrintProgress progress(out, err);
  runtime::ResumeOptions o;
  o.stateRoot = stateRoot;
  o.self = self;
  o.bootTimeout = timeout;
  o.guestBinDir = runtime::guestBinDir(self);
  out << "lab '" << lab << "': resuming from " << store().dir(lab) << "\n" << std::flush;
  const runtime::ResumeResult r = runtime::resumeLab(store(), lab, o, progress);
  out << "lab '" << lab << "' is up again: " << r.plan.guests.size() << " guest" << (r.plan.guests.size() == 1 ? "" : "s")
      << " ready in " << secondsText(std::chrono::duration<double>(Clock::now() - started).count())
      << ", with every change their disks hold\n";
  return kExitOk;
}

int cmdSave(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  if (a.positional().empty())
    throw CliUsageError{"save needs the name of a running lab, as in 'umlab save lan'; 'umlab ps' lists them"};
  for (const std::string& lab : a.positional()) {
    requireLabName(lab);
    const runtime::LabClient client(stateRootFor(self, a, lab));
    PrintProgress progress(out, err);
    out << "lab '" << lab << "': saving\n" << std::flush;
    const runtime::SaveResult r = runtime::saveLab(client, lab, store(), kUmlabVersion, progress);
    out << "lab '" << lab << "' is saved in " << r.dir << " (" << kernel::formatSize(r.diskBytes) << " on disk, "
        << r.captures << " capture" << (r.captures == 1 ? "" : "s") << ", " << secondsText(r.seconds)
        << "); 'umlab resume " << lab << "' boots it again\n";
  }
  return kExitOk;
}

int cmdResume(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  if (a.positional().size() != 1)
    throw CliUsageError{"resume takes the name of a saved lab, as in 'umlab resume lan'; 'umlab ps' lists them"};
  const std::string& lab = a.positional()[0];
  requireLabName(lab);
  return resume(self, lab, stateRootFor(self, a), bootTimeoutOf(a), out, err);
}

int cmdArchive(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  if (a.positional().size() != 1)
    throw CliUsageError{"archive takes the name of a saved lab and -o FILE, as in 'umlab archive lan -o lan.umlab'"};
  const std::string& lab = a.positional()[0];
  requireLabName(lab);
  const auto file = a.get("-o", "--output");
  if (!file || file->empty())
    throw CliUsageError{"archive needs -o FILE, as in 'umlab archive " + lab + " -o " + lab + ".umlab'"};
  if (!isArchiveFile(*file))
    throw CliUsageError{"the archive's name must end with .umlab (so that 'umlab up " + *file + ".umlab' knows it), not '" +
                        *file + "'"};
  const runtime::LabClient client(stateRootFor(self, a, lab));
  if (client.isRunning(lab)) {
    if (!a.has("--save"))
      throw CliFailure{"lab '" + lab + "' is running; an archive is made of a saved lab: 'umlab save " + lab +
                       "' first (it stops the lab), or add --save to do both"};
    PrintProgress progress(out, err);
    out << "lab '" << lab << "': saving\n" << std::flush;
    runtime::saveLab(client, lab, store(), kUmlabVersion, progress);
  }
  PrintProgress progress(out, err);
  out << "lab '" << lab << "': archiving to " << *file << "\n" << std::flush;
  const runtime::ArchiveResult r = runtime::writeArchive(store(), lab, *file, kUmlabVersion, progress, a.has("--with-base"));
  out << *file << ": " << kernel::formatSize(r.size) << " (" << r.size << " bytes; the saved lab takes "
      << kernel::formatSize(r.savedBytes) << " on disk), written in " << secondsText(r.seconds) << "; 'umlab up " << *file
      << "' boots it " << (a.has("--with-base") ? "on any machine (its base image builds are in it)"
                                                : "on a machine with the same image builds (--with-base: on any)")
      << "\n";
  return kExitOk;
}

} // namespace

bool isArchiveFile(const std::string& file) { return file.size() > 6 && file.ends_with(".umlab"); }

int upArchive(const std::string& self, const CliArgs& a, const std::string& stateRoot, std::chrono::seconds bootTimeout,
              std::ostream& out, std::ostream& err) {
  const std::string& file = a.positional().at(0);
  const std::string name = a.get("--name").value_or("");
  if (!name.empty())
    requireLabName(name);
  PrintProgress progress(out, err);
  out << file << ": unpacking\n" << std::flush;
  const runtime::UnpackResult u = runtime::unpackArchive(file, store(), name, imageDirs(self), progress);
  if (a.has("--unpack-only")) {
    out << "lab '" << u.lab << "' is saved in " << store().dir(u.lab) << "; 'umlab resume " << u.lab << "' boots it\n";
    return kExitOk;
  }
  return resume(self, u.lab, stateRoot, bootTimeout, out, err);
}

std::vector<std::string> savedLabsForPs(const std::vector<std::string>& names, const std::vector<std::string>& skip,
                                        const std::string& format) {
  const runtime::SavedLabs s = store();
  std::vector<std::string> out;
  for (const std::string& lab : names.empty() ? s.labs() : names) {
    if (!s.has(lab) || std::find(skip.begin(), skip.end(), lab) != skip.end())
      continue;
    const runtime::SavedLab saved = s.read(lab);
    out.push_back(format == "json" ? runtime::savedLabJson(saved) : runtime::renderSavedLabText(saved));
  }
  return out;
}

bool isSavedLab(const std::string& lab) { return store().has(lab); }

int downSaved(const CliArgs& a, std::ostream& out, std::ostream&) {
  if (a.positional().empty())
    throw CliUsageError{"down --saved needs the name of a saved lab, as in 'umlab down --saved lan'"};
  const runtime::SavedLabs s = store();
  for (const std::string& lab : a.positional()) {
    requireLabName(lab);
    const std::string dir = s.dir(lab);
    s.remove(lab);
    out << "saved lab '" << lab << "' deleted (" << dir << ")\n";
  }
  return kExitOk;
}

const char* const kSaveHelp =
    "usage: umlab save [options] LAB...\n"
    "\n"
    "Keep a running lab on disk and stop it: each switch's capture ring is written to a pcap,\n"
    "the guests are powered off cleanly (as 'down --keep'), and their disks (COW files, sparse),\n"
    "config disks, captures, plan and topology file are kept in the data directory:\n"
    "$UMLAB_DATA_DIR, else $XDG_DATA_HOME/umlab, else ~/.local/share/umlab, in saved/LAB/. A\n"
    "saved lab survives a reboot; 'umlab ps' lists it, 'umlab resume LAB' boots it again with\n"
    "every change its guests made, 'umlab archive LAB -o FILE.umlab' packs it into one file,\n"
    "'umlab down --saved LAB' deletes it.\n"
    "\n"
    "options:\n"
    "  --state-dir DIR    where labs keep their state\n"
    "  -h, --help         show this help\n";

const char* const kResumeHelp =
    "usage: umlab resume [options] LAB\n"
    "\n"
    "Boot a saved lab again ('umlab save'): the same plan and disks, relocated to this state\n"
    "directory, each guest on the very base image build its disk was made on. Its saved\n"
    "captures go into the lab's captures/ directory. The saved copy is deleted once every\n"
    "guest is ready; if the resume fails, it is kept as it was.\n"
    "\n"
    "options:\n"
    "  --timeout D        give up when a guest is not ready after D (default 180s)\n"
    "  --state-dir DIR    keep the lab's state under DIR (default as for 'umlab up')\n"
    "  -h, --help         show this help\n";

const char* const kArchiveHelp =
    "usage: umlab archive [options] LAB -o FILE.umlab\n"
    "\n"
    "Write a saved lab to one file: a manifest (format version, lab, umlab version, nodes, COW\n"
    "sizes, each base image's recipe hash and build), the plan, the topology file, config disks,\n"
    "captures and the disks (sparse), as a tar stream compressed with zstd. 'umlab up\n"
    "FILE.umlab' boots it under another state or data directory, user or machine that has the\n"
    "same base image build (the file refuses any other, saying which), or on any machine when\n"
    "the archive carries the builds (--with-base). A running lab is refused unless --save saves\n"
    "it first. The saved lab is kept.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE  the archive to write (must end with .umlab; must not exist)\n"
    "  --save             save the lab first when it is running (it stops)\n"
    "  --with-base        put each guest's base image build in too (sparse; about 300 MB of\n"
    "                     data for 'debian'): 'umlab up FILE.umlab' installs a build it lacks\n"
    "  --state-dir DIR    where labs keep their state (for --save)\n"
    "  -h, --help         show this help\n";

int runSaveCommand(const std::string& self, const std::string& command, const std::vector<std::string>& args,
                   std::ostream& out, std::ostream& err) {
  using Spec = CommandSpec;
  static const std::map<std::string, Spec> specs{
      {"save", {kSaveHelp, {"-h", "--help"}, {"--state-dir"}, cmdSave}},
      {"resume", {kResumeHelp, {"-h", "--help"}, {"--state-dir", "--timeout"}, cmdResume}},
      {"archive", {kArchiveHelp, {"-h", "--help", "--save", "--with-base"}, {"--state-dir", "-o", "--output"}, cmdArchive}},
  };
  const Spec& spec = specs.at(command);
  CliArgs a(args, spec.flags, spec.options);
  if (a.has("-h") || a.has("--help")) {
    out << spec.help;
    return kExitOk;
  }
  return reportFailures(err, [&] { return spec.run(self, a, out, err); });
}

const char* saveHelp(const std::string& command) {
  if (command == "save")
    return kSaveHelp;
  if (command == "resume")
    return kResumeHelp;
  if (command == "archive")
    return kArchiveHelp;
  return nullptr;
}

} // namespace umlab::cli
