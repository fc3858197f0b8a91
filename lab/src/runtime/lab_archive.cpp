#include "umlab/lab/runtime/lab_archive.hpp"

#include "umlab/base/child_process.hpp"
#include "umlab/base/json_value.hpp"
#include "umlab/base/json_writer.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/kernel/image_store.hpp"
#include "umlab/lab/compile/plan_json.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/runtime/sparse_copy.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace umlab::lab::runtime {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const char* const kCompressor = "zstd -T0 -q"; // tar runs it: --use-compress-program

/// A path component umlab writes itself: a node, segment or file name.
bool isPlainComponent(const std::string& c) {
  if (c.empty() || c == "." || c == ".." || c.size() > 255)
    return false;
  return std::all_of(c.begin(), c.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-';
  });
}

std::vector<std::string> splitPath(const std::string& s) {
  std::vector<std::string> parts;
  size_t at = 0;
  for (;;) {
    const size_t slash = s.find('/', at);
    parts.push_back(s.substr(at, slash == std::string::npos ? std::string::npos : slash - at));
    if (slash == std::string::npos)
      return parts;
    at = slash + 1;
  }
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

/// Runs `argv`; its output lines, or throws RuntimeError with `what` and the output's last lines.
std::vector<std::string> runTool(const std::vector<std::string>& argv, const std::string& what) {
  std::vector<std::string> lines;
  CommandResult r;
  try {
    r = runCommand(Command{argv}, CommandObserver{[&](std::string_view l) { lines.emplace_back(l); }, {}, -1});
  } catch (const std::system_error& e) {
    throw RuntimeError("cannot " + what + ": " + e.what() + " (apt-get install tar zstd)");
  }
  if (!r.isSuccess()) {
    std::string tail;
    for (size_t i = lines.size() > 5 ? lines.size() - 5 : 0; i < lines.size(); ++i)
      tail += "\n  " + lines[i];
    throw RuntimeError("cannot " + what + ": '" + argv.front() + "' " + r.status.describe() + tail);
  }
  return lines;
}

void requireTools() {
  for (const char* tool : {"tar", "zstd"})
    if (!findExecutable(tool))
      throw RuntimeError(std::string("'") + tool + "' is missing; archives need it: apt-get install tar zstd");
}

std::string seconds(double s) {
  char t[32];
  std::snprintf(t, sizeof t, "%.1f s", s);
  return t;
}

} // namespace

std::string archiveManifestJson(const ArchiveManifest& m) {
  JsonWriter w;
  w.beginObject().field("format", "umlab-archive").field("formatVersion", m.formatVersion).field("lab", m.lab)
      .field("umlabVersion", m.umlabVersion).field("created", m.created).field("savedTime", m.savedTime);
  if (m.timelineMs > 0)
    w.field("timelineMs", m.timelineMs);
  if (!m.bases.empty()) {
    w.key("bases").beginArray();
    for (const std::string& b : m.bases)
      w.value(b);
    w.endArray();
  }
  w.key("nodes").beginArray();
  for (const ArchiveManifest::Node& n : m.nodes)
    w.beginObject().field("name", n.name).field("image", n.image).field("cowSize", n.cowSize)
        .field("cowDataSize", n.cowDataSize).endObject();
  w.endArray().key("images").beginArray();
  for (const SavedImage& i : m.images)
    w.beginObject().field("name", i.name).field("recipeHash", i.recipeHash).field("uuid", i.uuid).field("size", i.size)
        .field("basePath", i.basePath).endObject();
  w.endArray().key("captures").beginArray();
  for (const std::string& c : m.captures)
    w.value(c);
  w.endArray().endObject();
  return w.str();
}

std::optional<ArchiveManifest> readArchiveManifest(const std::string& text, std::string& error) {
  JsonError je;
  const std::optional<JsonValue> doc = parseJson(text, je);
  if (!doc) {
    error = std::to_string(je.line) + ":" + std::to_string(je.column) + ": " + je.message;
    return std::nullopt;
  }
  auto bad = [&](const std::string& path, const char* what) {
    if (error.empty())
      error = path + ": " + what;
  };
  error.clear();
  auto str = [&](const JsonValue& v, const std::string& path, const char* key) {
    const JsonValue* f = v.find(key);
    if (f && f->asString())
      return std::string(*f->asString());
    bad(path + key, "missing or not a string");
    return std::string();
  };
  auto num = [&](const JsonValue& v, const std::string& path, const char* key) -> uint64_t {
    const JsonValue* f = v.find(key);
    if (f && f->asUint())
      return *f->asUint();
    bad(path + key, "missing or not a number");
    return 0;
  };
  if (str(*doc, "", "format") != "umlab-archive") {
    error = "format: not 'umlab-archive' (this is not a umlab archive)";
    return std::nullopt;
  }
  ArchiveManifest m;
  m.formatVersion = num(*doc, "", "formatVersion");
  if (error.empty() && m.formatVersion != kArchiveFormatVersion) {
    error = "formatVersion: " + std::to_string(m.formatVersion) + ", but this umlab reads version " +
            std::to_string(kArchiveFormatVersion) + " (an archive of another umlab version)";
    return std::nullopt;
  }
  m.lab = str(*doc, "", "lab");
  m.umlabVersion = str(*doc, "", "umlabVersion");
  m.created = static_cast<int64_t>(num(*doc, "", "created"));
  m.savedTime = static_cast<int64_t>(num(*doc, "", "savedTime"));
  if (const JsonValue* t = doc->find("timelineMs"))
    m.timelineMs = t->asInt().value_or(0);
  if (const JsonValue* b = doc->find("bases"); b && b->asArray())
    for (const JsonValue& v : *b->asArray()) {
      if (!v.asString() || !isPlainComponent(std::string(*v.asString()))) {
        error = "bases: not a list of image build names";
        return std::nullopt;
      }
      m.bases.emplace_back(*v.asString());
    }
  auto array = [&](const char* key) -> const JsonArray& {
    static const JsonArray kEmpty;
    const JsonValue* f = doc->find(key);
    if (f && f->asArray())
      return *f->asArray();
    bad(key, "missing or not a list");
    return kEmpty;
  };
  const JsonArray& nodes = array("nodes");
  for (size_t i = 0; i < nodes.size(); ++i) {
    const std::string p = "nodes[" + std::to_string(i) + "].";
    m.nodes.push_back({str(nodes[i], p, "name"), str(nodes[i], p, "image"), num(nodes[i], p, "cowSize"),
                       num(nodes[i], p, "cowDataSize")});
  }
  const JsonArray& images = array("images");
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string p = "images[" + std::to_string(i) + "].";
    SavedImage s;
    s.name = str(images[i], p, "name");
    s.recipeHash = str(images[i], p, "recipeHash");
    s.uuid = str(images[i], p, "uuid");
    s.size = num(images[i], p, "size");
    s.basePath = str(images[i], p, "basePath");
    m.images.push_back(std::move(s));
  }
  const JsonArray& captures = array("captures");
  for (size_t i = 0; i < captures.size(); ++i) {
    if (!captures[i].asString()) {
      bad("captures[" + std::to_string(i) + "]", "not a string");
      continue;
    }
    m.captures.emplace_back(*captures[i].asString());
  }
  if (!error.empty())
    return std::nullopt;
  return m;
}

std::optional<ArchiveEntry> parseTarListing(const std::string& line) {
  // mode, uid/gid, size (or major,minor), date, time, then the name (GNU tar's list.c).
  size_t at = 0;
  std::vector<std::string> fields;
  while (fields.size() < 5) {
    while (at < line.size() && line[at] == ' ')
      ++at;
    const size_t end = line.find(' ', at);
    if (at >= line.size() || end == std::string::npos)
      return std::nullopt;
    fields.push_back(line.substr(at, end - at));
    at = end;
  }
  if (at >= line.size() || line[at] != ' ' || at + 1 >= line.size())
    return std::nullopt;
  const std::string& mode = fields[0];
  if (mode.size() != 10 || mode.find_first_not_of("-dlhcbpsSrwxtT") != std::string::npos)
    return std::nullopt;
  if (fields[1].find('/') == std::string::npos || fields[3].size() != 10 || fields[3][4] != '-' || fields[4].size() < 5 ||
      fields[4][2] != ':')
    return std::nullopt;
  std::string name = line.substr(at + 1);
  // A link's target follows its name; only the name is the member's.
  const char* arrow = mode[0] == 'l' ? " -> " : mode[0] == 'h' ? " link to " : nullptr;
  if (arrow)
    if (const size_t cut = name.find(arrow); cut != std::string::npos)
      name.resize(cut);
  return ArchiveEntry{mode[0], name};
}

std::optional<std::string> checkArchiveEntry(const ArchiveEntry& e) {
  const std::string what = "archive member " + quote(e.name);
  if (e.name.empty())
    return "an archive member has no name";
  if (e.name.front() == '/')
    return what + " has an absolute path";
  const bool isDir = e.type == 'd';
  if (!isDir && e.type != '-')
    return what + " is not a regular file or a directory (type '" + std::string(1, e.type) +
           "'); a umlab archive holds nothing else";
  std::string name = e.name;
  if (isDir && name.back() == '/')
    name.pop_back();
  const std::vector<std::string> parts = splitPath(name);
  for (const std::string& p : parts)
    if (p == "..")
      return what + " climbs out of the archive ('..')";
  for (const std::string& p : parts)
    if (!isPlainComponent(p))
      return what + " has a name umlab does not write";
  const std::string& top = parts.front();
  bool isKnown = false;
  if (parts.size() == 1)
    isKnown = isDir ? (top == "topology" || top == "nodes" || top == "captures" || top == "cow")
                    : (top == "manifest.json" || top == "plan.json");
  else if (parts.size() == 2)
    isKnown = (top == "nodes" && isDir) || (!isDir && (top == "topology" || top == "captures" ||
                                                       (top == "cow" && parts[1].ends_with(".cow"))));
  else if (parts.size() == 3)
    isKnown = !isDir && ((top == "nodes" && parts[2] == "config.img") ||
                         (top == "images" && (parts[2] == "rootfs.img" || parts[2] == "recipe.txt")));
  if (!isKnown)
    return what + " is not part of a saved lab (manifest.json, plan.json, topology/, nodes/NODE/config.img, "
                  "captures/, cow/NODE.cow, images/BUILD/rootfs.img)";
  return std::nullopt;
}

ArchiveResult writeArchive(const SavedLabs& store, const std::string& lab, const std::string& file,
                           const std::string& umlabVersion, LaunchProgress& progress, bool withBase) {
  const auto started = Clock::now();
  requireTools();
  const SavedLab saved = store.read(lab);
  std::error_code ec;
  if (fs::exists(file, ec))
    throw RuntimeError(quote(file) + " exists; remove it or choose another file with -o");
  const std::optional<LaunchPlan> plan = savedPlan(saved);

  ArchiveManifest m;
  m.lab = lab;
  m.umlabVersion = umlabVersion;
  m.created = static_cast<int64_t>(::time(nullptr));
  m.savedTime = saved.meta.savedTime;
  m.timelineMs = saved.meta.timelineMs;
  m.images = saved.meta.images;
  std::vector<std::string> members{"plan.json", "topology", "nodes", "captures"};
  for (const GuestPlan& g : plan->guests) {
    ArchiveManifest::Node n{g.name, g.image, 0, 0};
    const std::string cow = saved.dir + "/cow/" + g.name + ".cow";
    if (fs::exists(cow, ec)) {
      n.cowSize = fs::file_size(cow, ec);
      n.cowDataSize = allocatedSize(cow);
      members.push_back("cow/" + g.name + ".cow");
    }
    m.nodes.push_back(n);
  }
  for (const auto& e : fs::directory_iterator(saved.dir + "/captures", ec))
    m.captures.push_back(e.path().filename().string());
  std::sort(m.captures.begin(), m.captures.end());
  // --with-base: each base's build directory, <images>/<name>-<hash>, stored as images/<build>/.
  std::vector<std::pair<std::string, std::string>> bases; // {images directory, build}
  if (withBase)
    for (const SavedImage& image : m.images) {
      const fs::path real = fs::canonical(image.basePath, ec);
      if (ec || image.recipeHash.empty())
        throw RuntimeError("image '" + image.name + "': its build (" + image.basePath +
                           ") is not here to put in the archive: " + (ec ? ec.message() : "it has no recipe hash"));
      const std::string build = real.parent_path().filename().string();
      bases.emplace_back(real.parent_path().parent_path().string(), build);
      m.bases.push_back(build);
    }

  TempDir scratch("umlab-archive");
  {
    std::ofstream out(scratch.file("manifest.json"));
    out << archiveManifestJson(m);
  }
  // Written beside the target and renamed when complete: a reader never sees half an archive.
  const std::string partial = (fs::path(file).parent_path() / ("." + fs::path(file).filename().string() + ".partial")).string();
  fs::remove(partial, ec);
  struct Remove {
    std::string path;
    bool isDone = false;
    ~Remove() {
      if (!isDone)
        ::unlink(path.c_str());
    }
  } removeUnlessDone{partial};
  std::vector<std::string> argv{"tar", "--create", "--format=gnu", "--sparse", "--numeric-owner", "--owner=0", "--group=0",
                                "--use-compress-program=" + std::string(kCompressor), "--file=" + partial,
                                "-C", scratch.path().string(), "manifest.json", "-C", saved.dir};
  argv.insert(argv.end(), members.begin(), members.end());
  for (const auto& [imagesDir, build] : bases) {
    argv.push_back("--transform=s,^" + build + "/,images/" + build + "/,");
    argv.insert(argv.end(), {"-C", imagesDir, build + "/rootfs.img"});
    if (fs::exists(imagesDir + "/" + build + "/recipe.txt", ec))
      argv.push_back(build + "/recipe.txt");
  }
  progress.step("writing " + std::to_string(m.nodes.size()) + " disk" + (m.nodes.size() == 1 ? "" : "s") + " (" +
                kernel::formatSize(saved.diskBytes) + " on disk, sparse) and " + std::to_string(m.captures.size()) +
                " capture" + (m.captures.size() == 1 ? "" : "s") +
                (bases.empty() ? "" : " and " + std::to_string(bases.size()) + " base image build" +
                                          (bases.size() == 1 ? "" : "s")) +
                " to " + file + " (tar, zstd)");
  runTool(argv, "write " + file);
  if (::rename(partial.c_str(), file.c_str()) != 0)
    throw RuntimeError("cannot rename " + partial + " to " + file + ": " + std::strerror(errno));
  removeUnlessDone.isDone = true;
  ArchiveResult r;
  r.file = file;
  r.size = fs::file_size(file, ec);
  r.savedBytes = saved.diskBytes;
  r.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return r;
}

ArchiveManifest readManifestOf(const std::string& file) {
  requireTools();
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    throw RuntimeError(quote(file) + " is not a file; 'umlab archive LAB -o FILE' makes one");
  const std::vector<std::string> lines =
      runTool({"tar", "--extract", "--to-stdout", "--use-compress-program=" + std::string(kCompressor), "--file=" + file,
               "--occurrence=1", "manifest.json"},
              "read the manifest of " + file + " (is it a umlab archive?)");
  std::string text;
  for (const std::string& l : lines)
    text += l + "\n";
  std::string error;
  std::optional<ArchiveManifest> m = readArchiveManifest(text, error);
  if (!m)
    throw RuntimeError(file + ": manifest.json: " + error);
  return *m;
}

UnpackResult unpackArchive(const std::string& file, const SavedLabs& store, const std::string& newName,
                           const ImageDirs& images, LaunchProgress& progress) {
  const auto started = Clock::now();
  UnpackResult result;
  result.manifest = readManifestOf(file);
  const ArchiveManifest& m = result.manifest;
  result.lab = newName.empty() ? m.lab : newName;
  if (std::string problem = checkLabName(result.lab); !problem.empty())
    throw RuntimeError(file + ": " + problem);
  if (store.has(result.lab))
    throw RuntimeError("a lab named '" + result.lab + "' is saved already (" + store.dir(result.lab) +
                       "); choose another name with --name, or delete it with 'umlab down --saved " + result.lab + "'");
  progress.step("archive of lab '" + m.lab + "' (" + m.umlabVersion + "), " + std::to_string(m.nodes.size()) + " node" +
                (m.nodes.size() == 1 ? "" : "s"));
  // The bases first: nothing is unpacked for a lab that cannot run here. A build this host lacks
  // may come with the archive (--with-base): installed into the user's images after unpacking.
  std::vector<std::pair<std::string, std::string>> install; // {image name, build}
  for (const SavedImage& image : m.images) {
    try {
      progress.step("image " + image.name + ": recipe hash " + image.recipeHash + ", build found at " +
                    findLocalBase(image, images, ""));
    } catch (const RuntimeError&) {
      const std::string build = image.name + "-" + image.recipeHash;
      if (std::find(m.bases.begin(), m.bases.end(), build) == m.bases.end() || images.user.empty())
        throw;
      std::error_code e;
      if (fs::exists(images.user + "/" + build, e))
        throw; // another build under the same name: never replaced
      install.emplace_back(image.name, build);
      progress.step("image " + image.name + ": build " + build + " comes with the archive; it goes to " + images.user);
    }
  }

  // Every member checked before anything is written: one listing, each line parsed (a line that
  // is not a member, such as a warning of tar's, refuses the archive).
  const std::vector<std::string> listing =
      runTool({"tar", "--list", "--verbose", "--numeric-owner", "--use-compress-program=" + std::string(kCompressor),
               "--file=" + file},
              "list " + file);
  std::string warning; // tar's own messages (stderr, in the same stream): refused after the members
  bool isFirst = true;
  for (const std::string& line : listing) {
    const std::optional<ArchiveEntry> entry = parseTarListing(line);
    const std::string prefix = line.substr(0, line.find(": ")); // "tar" or "/usr/bin/tar" for tar's messages
    if (!entry && prefix.size() < line.size() && prefix.ends_with("tar") && prefix.find(' ') == std::string::npos) {
      warning = warning.empty() ? line : warning;
      continue;
    }
    if (!entry)
      throw RuntimeError(file + " is not an archive umlab wrote (tar lists '" + line + "'); nothing was unpacked");
    if (isFirst && entry->name != "manifest.json")
      throw RuntimeError(file + " is not an archive umlab wrote (its first member is not manifest.json); nothing was unpacked");
    isFirst = false;
    if (auto problem = checkArchiveEntry(*entry))
      throw RuntimeError(file + ": " + *problem + "; nothing was unpacked");
  }
  if (!warning.empty())
    throw RuntimeError(file + " is not an archive umlab wrote ('" + warning + "'); nothing was unpacked");

  const std::string partial = store.makePartial(result.lab);
  struct Remove {
    std::string dir;
    bool isDone = false;
    ~Remove() {
      std::error_code ec;
      if (!isDone)
        fs::remove_all(dir, ec);
    }
  } removeUnlessDone{partial};
  progress.step("unpacking into " + store.dir(result.lab));
  runTool({"tar", "--extract", "--use-compress-program=" + std::string(kCompressor), "--file=" + file, "-C", partial,
           "--no-same-owner", "--no-same-permissions", "--no-overwrite-dir", "--exclude=manifest.json"},
          "unpack " + file);
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(partial, ec)) {
    if (!e.is_symlink(ec) && (e.is_regular_file(ec) || e.is_directory(ec)))
      continue;
    throw RuntimeError(file + ": unpacked " + e.path().string() + ", which is not a regular file or directory; nothing was kept");
  }
  // The base builds that came with it: into the user's images (as `umlab image build` leaves
  // one, without moving the <name> link), checked by findLocalBase like any other; the rest of
  // images/ is not part of the saved lab.
  for (const auto& [name, build] : install) {
    const std::string from = partial + "/images/" + build, to = images.user + "/" + build;
    fs::create_directories(images.user, ec);
    if (std::rename(from.c_str(), to.c_str()) != 0) {
      fs::create_directories(to, ec);
      for (const char* f : {"rootfs.img", "recipe.txt"})
        if (fs::exists(from + "/" + f, ec))
          copySparseFile(from + "/" + f, to + "/" + f);
    }
    ::chmod((to + "/rootfs.img").c_str(), 0444); // a base is never written
    // A machine with no build of the image at all gets this one as its default, as after
    // `umlab image build`; one that has another keeps its own.
    const std::string link = images.user + "/" + name;
    if (!fs::exists(fs::symlink_status(link, ec)))
      fs::create_directory_symlink(build, link, ec);
    progress.step("image build " + build + " installed in " + to);
  }
  fs::remove_all(partial + "/images", ec);
  for (const SavedImage& image : m.images) // what came must be the build the disks need
    if (std::any_of(install.begin(), install.end(), [&](const auto& i) { return i.first == image.name; }))
      findLocalBase(image, images, "");

  SavedLabMeta meta;
  meta.lab = result.lab;
  meta.savedTime = m.savedTime;
  meta.timelineMs = m.timelineMs;
  meta.umlabVersion = m.umlabVersion;
  meta.origin = "archive " + fs::absolute(file, ec).string();
  for (const ArchiveManifest::Node& n : m.nodes)
    meta.nodes.push_back(n.name);
  meta.images = m.images;
  {
    std::ofstream out(partial + "/saved.json");
    out << savedLabMetaJson(meta);
    out.close();
    if (!out)
      throw RuntimeError("cannot write " + partial + "/saved.json: " + std::strerror(errno));
  }
  store.commit(partial, result.lab);
  removeUnlessDone.isDone = true;
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  progress.step("unpacked in " + seconds(result.seconds));
  return result;
}

} // namespace umlab::lab::runtime
