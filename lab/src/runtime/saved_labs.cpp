#include "umlab/lab/runtime/saved_labs.hpp"

#include "umlab/base/json_value.hpp"
#include "umlab/base/json_writer.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/kernel/image_store.hpp"
#include "umlab/lab/compile/plan_json.hpp"
#include "umlab/lab/compile/plan_render.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/runtime/sparse_copy.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace umlab::lab::runtime {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kSavedMetaVersion = 1;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : "";
}

/// `dir` exists, is a directory of this user's and is private (made so when it is not).
void makePrivateDir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(fs::path(dir).parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw RuntimeError("cannot create '" + dir + "': " + std::strerror(errno) + "; set UMLAB_DATA_DIR to a directory of yours");
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw RuntimeError("'" + dir + "' is not a directory; remove it or set UMLAB_DATA_DIR");
  if (st.st_uid != ::geteuid())
    throw RuntimeError("'" + dir + "' belongs to uid " + std::to_string(st.st_uid) +
                       ", not to you; set UMLAB_DATA_DIR to a directory of yours");
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0)
    throw RuntimeError("cannot make '" + dir + "' private: " + std::strerror(errno));
}

bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'; }

/// `s` with every whole occurrence of each key of `paths` (not followed by a name character,
/// so /run/umlab/lan does not match /run/umlab/lan2) replaced; longer keys first.
std::string replacePaths(const std::string& s, const std::vector<std::pair<std::string, std::string>>& paths) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    bool replaced = false;
    for (const auto& [from, to] : paths) {
      if (from.empty() || s.compare(i, from.size(), from) != 0)
        continue;
      const size_t end = i + from.size();
      if (end < s.size() && isNameChar(s[end]))
        continue;
      out += to;
      i = end;
      replaced = true;
      break;
    }
    if (!replaced)
      out += s[i++];
  }
  return out;
}

JsonValue rewriteStrings(const JsonValue& v, const std::vector<std::pair<std::string, std::string>>& paths) {
  if (auto s = v.asString())
    return JsonValue(replacePaths(std::string(*s), paths));
  if (const JsonArray* a = v.asArray()) {
    JsonArray out;
    for (const JsonValue& x : *a)
      out.push_back(rewriteStrings(x, paths));
    return JsonValue(std::move(out));
  }
  if (const JsonObject* o = v.asObject()) {
    JsonObject out;
    for (const auto& [k, x] : *o)
      out.insert(k, rewriteStrings(x, paths));
    return JsonValue(std::move(out));
  }
  return v;
}

std::string timeText(int64_t t) {
  char text[64] = "?";
  const time_t secs = static_cast<time_t>(t);
  tm utc{};
  if (::gmtime_r(&secs, &utc))
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &utc);
  return text;
}

} // namespace

std::string dataDirFromEnvironment() {
  if (std::string d = env("UMLAB_DATA_DIR"); !d.empty())
    return d;
  if (std::string d = env("XDG_DATA_HOME"); !d.empty())
    return d + "/umlab";
  if (std::string h = env("HOME"); !h.empty())
    return h + "/.local/share/umlab";
  return "/tmp/umlab-data-" + std::to_string(::geteuid());
}

std::string savedLabMetaJson(const SavedLabMeta& m) {
  JsonWriter w;
  w.beginObject().field("version", kSavedMetaVersion).field("lab", m.lab).field("savedTime", m.savedTime)
      .field("umlabVersion", m.umlabVersion).field("origin", m.origin);
  w.key("nodes").beginArray();
  for (const std::string& n : m.nodes)
    w.value(n);
  w.endArray().key("images").beginArray();
  for (const SavedImage& i : m.images)
    w.beginObject().field("name", i.name).field("recipeHash", i.recipeHash).field("basePath", i.basePath)
        .field("size", i.size).field("uuid", i.uuid).endObject();
  w.endArray();
  if (m.timelineMs > 0)
    w.field("timelineMs", m.timelineMs);
  w.endObject();
  return w.str();
}

std::optional<SavedLabMeta> readSavedLabMeta(const std::string& text, std::string& error) {
  JsonError je;
  std::optional<JsonValue> doc = parseJson(text, je);
  if (!doc) {
    error = std::to_string(je.line) + ":" + std::to_string(je.column) + ": " + je.message;
    return std::nullopt;
  }
  auto str = [&](const JsonValue& v, const char* key) -> std::optional<std::string> {
    const JsonValue* f = v.find(key);
    if (f && f->asString())
      return std::string(*f->asString());
    error = std::string(key) + ": missing or not a string";
    return std::nullopt;
  };
  const JsonValue* version = doc->find("version");
  if (!version || version->asUint() != kSavedMetaVersion) {
    error = "version: not " + std::to_string(kSavedMetaVersion) + " (saved by another version of umlab?)";
    return std::nullopt;
  }
  SavedLabMeta m;
  auto lab = str(*doc, "lab"), umlabVersion = str(*doc, "umlabVersion"), origin = str(*doc, "origin");
  const JsonValue* saved = doc->find("savedTime");
  const JsonValue* nodes = doc->find("nodes");
  const JsonValue* images = doc->find("images");
  if (!lab || !umlabVersion || !origin)
    return std::nullopt;
  if (!saved || !saved->asInt() || !nodes || !nodes->asArray() || !images || !images->asArray()) {
    error = "savedTime, nodes or images: missing or of the wrong type";
    return std::nullopt;
  }
  m.lab = *lab;
  m.umlabVersion = *umlabVersion;
  m.origin = *origin;
  m.savedTime = *saved->asInt();
  if (const JsonValue* t = doc->find("timelineMs"))
    m.timelineMs = t->asInt().value_or(0);
  for (const JsonValue& n : *nodes->asArray()) {
    if (!n.asString()) {
      error = "nodes: not a list of names";
      return std::nullopt;
    }
    m.nodes.emplace_back(*n.asString());
  }
  for (const JsonValue& i : *images->asArray()) {
    auto name = str(i, "name"), hash = str(i, "recipeHash"), base = str(i, "basePath"), uuid = str(i, "uuid");
    const JsonValue* size = i.find("size");
    if (!name || !hash || !base || !uuid)
      return std::nullopt;
    if (!size || !size->asUint()) {
      error = "images: size missing";
      return std::nullopt;
    }
    m.images.push_back({*name, *hash, *base, *size->asUint(), *uuid});
  }
  return m;
}

std::vector<SavedImage> imagesOfPlan(const LaunchPlan& plan) {
  std::map<std::string, SavedImage> byName;
  for (const GuestPlan& g : plan.guests) {
    if (byName.count(g.image))
      continue;
    SavedImage i;
    i.name = g.image;
    i.basePath = g.basePath;
    std::error_code ec;
    const fs::path real = fs::canonical(g.basePath, ec);
    const std::string dirName = ec ? "" : real.parent_path().filename().string();
    // <name>-<hash>: the hash is what follows the image's own name.
    if (dirName.size() > g.image.size() + 1 && dirName.compare(0, g.image.size() + 1, g.image + "-") == 0)
      i.recipeHash = dirName.substr(g.image.size() + 1);
    struct stat st {};
    if (::stat(g.basePath.c_str(), &st) == 0)
      i.size = static_cast<uint64_t>(st.st_size);
    if (!ec && !i.recipeHash.empty())
      i.basePath = real.string(); // the build itself, not the link that may move on
    i.uuid = filesystemUuid(g.basePath);
    byName.emplace(g.image, i);
  }
  std::vector<SavedImage> out;
  for (auto& [name, i] : byName)
    out.push_back(std::move(i));
  return out;
}

std::string filesystemUuid(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  uint8_t sb[1024];
  if (!fd || ::pread(fd.get(), sb, sizeof sb, 1024) != static_cast<ssize_t>(sizeof sb))
    return "";
  if (sb[0x38] != 0x53 || sb[0x39] != 0xEF) // s_magic 0xEF53, little-endian
    return "";
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    out += kHex[sb[0x68 + i] >> 4];
    out += kHex[sb[0x68 + i] & 15];
  }
  return out;
}

std::string findLocalBase(const SavedImage& image, const ImageDirs& dirs, const std::string& topologyFile) {
  std::vector<std::string> candidates{image.basePath};
  const std::string build = image.name + (image.recipeHash.empty() ? "" : "-" + image.recipeHash);
  for (const std::string& d : {dirs.user, dirs.system})
    if (!d.empty())
      candidates.push_back(d + "/" + build + "/rootfs.img");
  std::string otherBuild;
  for (const std::string& c : candidates) {
    struct stat st {};
    if (::stat(c.c_str(), &st) != 0)
      continue;
    const std::string uuid = filesystemUuid(c);
    if (static_cast<uint64_t>(st.st_size) == image.size && uuid == image.uuid)
      return c;
    if (otherBuild.empty())
      otherBuild = "'" + c + "' is another build of it (file system UUID " + (uuid.empty() ? "none" : uuid) + ", " +
                   std::to_string(st.st_size) + " bytes)";
  }
  // What this host has of that image, for the message.
  std::string found;
  for (const std::string& d : {dirs.user, dirs.system})
    for (const kernel::BuiltImage& b : kernel::listBuiltImages(d))
      if (b.name == image.name)
        found += (found.empty() ? "" : ", ") + b.hash;
  const std::string buildCommand =
      topologyFile.empty() ? "umlab image build" + (image.name == "debian" ? std::string() : " --name " + image.name)
                           : "umlab image build " + topologyFile;
  const std::string copy = "copy the build's directory '" + build + "' from the machine the lab came from into " +
                           dirs.user + " (cp -a --sparse=always, or rsync -aS)";
  const std::string msg = "image '" + image.name + "': the lab's disks were made on the build of recipe hash " +
                          (image.recipeHash.empty() ? "(unknown)" : image.recipeHash) + " with file system UUID " +
                          (image.uuid.empty() ? "(none)" : image.uuid) + "; ";
  if (!otherBuild.empty())
    throw RuntimeError(msg + otherBuild + ". A COW file holds the blocks a guest changed of one build, so it cannot run "
                       "on another: " + copy);
  throw RuntimeError(msg + "this host has " + (found.empty() ? "no build of that image" : "recipe hash " + found) +
                     " (looked in " + dirs.user + (dirs.system.empty() ? "" : " and " + dirs.system) + "). '" +
                     buildCommand + "' would make a new build, which these disks cannot use: " + copy);
}

std::string savedLabJson(const SavedLab& s) {
  JsonWriter w(JsonWriter::kOneLine);
  w.beginObject().field("lab", s.meta.lab).field("stateDir", s.dir).field("owner", std::to_string(::geteuid()))
      .field("state", "saved").field("supervisor", int64_t(0));
  w.key("nodes").beginArray();
  for (const std::string& n : s.meta.nodes)
    w.beginObject().field("name", n).field("state", "saved").field("pid", int64_t(0)).field("uptimeSeconds", int64_t(0))
        .field("memoryKiB", uint64_t(0)).key("interfaces").beginArray().endArray().endObject();
  w.endArray().key("switches").beginArray().endArray();
  w.field("savedTime", s.meta.savedTime).field("diskBytes", s.diskBytes).field("origin", s.meta.origin);
  w.endObject();
  return w.str();
}

std::string renderSavedLabText(const SavedLab& s) {
  std::ostringstream o;
  o << "lab " << s.meta.lab << " (" << s.dir << ")\n  saved " << timeText(s.meta.savedTime) << ", "
    << s.meta.nodes.size() << " node" << (s.meta.nodes.size() == 1 ? "" : "s") << ", "
    << kernel::formatSize(s.diskBytes) << " on disk; 'umlab resume " << s.meta.lab << "' boots it again\n";
  return o.str();
}

SavedLabs::SavedLabs(std::string dataDir) : dataDir_(std::move(dataDir)) {}

bool SavedLabs::has(const std::string& lab) const {
  std::error_code ec;
  return fs::is_regular_file(dir(lab) + "/saved.json", ec);
}

std::vector<std::string> SavedLabs::labs() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root(), ec)) {
    const std::string name = e.path().filename().string();
    if (!name.empty() && name.front() != '.' && has(name))
      out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

LaunchPlan savedPlan(const SavedLab& saved) {
  std::string error;
  std::optional<LaunchPlan> plan;
  try {
    plan = loadPlanJson(saved.dir + "/plan.json", error);
  } catch (const std::system_error& e) {
    throw RuntimeError("saved lab '" + saved.meta.lab + "': " + e.what());
  }
  if (!plan)
    throw RuntimeError("saved lab '" + saved.meta.lab + "': " + error);
  return std::move(*plan);
}

SavedLab SavedLabs::read(const std::string& lab) const {
  if (!has(lab))
    throw RuntimeError("there is no saved lab named '" + lab + "' (in " + root() + "); 'umlab ps' lists the saved labs");
  std::ifstream in(dir(lab) + "/saved.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string error;
  std::optional<SavedLabMeta> meta = readSavedLabMeta(text, error);
  if (!meta)
    throw RuntimeError(dir(lab) + "/saved.json: " + error + "; this saved lab cannot be read");
  SavedLab s;
  s.meta = std::move(*meta);
  s.dir = dir(lab);
  s.diskBytes = allocatedTreeSize(s.dir);
  return s;
}

std::string SavedLabs::makePartial(const std::string& lab) const {
  makePrivateDir(dataDir_);
  makePrivateDir(root());
  std::string pattern = root() + "/." + lab + ".partial-XXXXXX";
  if (!::mkdtemp(pattern.data()))
    throw RuntimeError("cannot create a directory in " + root() + ": " + std::strerror(errno));
  return pattern;
}

void SavedLabs::commit(const std::string& partial, const std::string& lab) const {
  std::error_code ec;
  if (fs::exists(dir(lab), ec))
    throw RuntimeError("lab '" + lab + "' is saved already (" + dir(lab) + "); 'umlab resume " + lab +
                       "' boots it, 'umlab down --saved " + lab + "' deletes it");
  if (::rename(partial.c_str(), dir(lab).c_str()) != 0)
    throw RuntimeError("cannot rename " + partial + " to " + dir(lab) + ": " + std::strerror(errno));
}

void SavedLabs::remove(const std::string& lab) const {
  if (!has(lab))
    throw RuntimeError("there is no saved lab named '" + lab + "' (in " + root() + "); 'umlab ps' lists the saved labs");
  std::error_code ec;
  fs::remove_all(dir(lab), ec);
  if (ec)
    throw RuntimeError("cannot remove " + dir(lab) + ": " + ec.message());
}

LaunchPlan relocatePlan(const LaunchPlan& plan, const PlanRelocation& r) {
  const std::string lab = r.lab.empty() ? plan.lab : r.lab;
  std::map<std::string, std::string> paths = r.paths;
  paths[plan.stateDir] = r.stateRoot + "/" + lab;
  std::vector<std::pair<std::string, std::string>> ordered(paths.begin(), paths.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  JsonError je;
  const std::optional<JsonValue> doc = parseJson(renderPlanJson(plan), je);
  if (!doc)
    throw RuntimeError("cannot relocate the plan of lab '" + plan.lab + "': " + je.message);
  std::string error;
  std::optional<LaunchPlan> out = readPlanDocument(rewriteStrings(*doc, ordered), error);
  if (!out)
    throw RuntimeError("cannot relocate the plan of lab '" + plan.lab + "': " + error);
  out->lab = lab;
  if (const std::string old = "'umlab host " + plan.lab + " "; lab != plan.lab)
    if (const size_t at = out->netns.find(old); at != std::string::npos)
      out->netns.replace(at, old.size(), "'umlab host " + lab + " ");
  for (GuestPlan& g : out->guests) {
    const std::string umid = lab + "." + g.name;
    for (std::string& a : g.argv)
      if (a == "umid=" + g.umid)
        a = "umid=" + umid;
    g.umid = umid;
  }
  return *out;
}

} // namespace umlab::lab::runtime
