#include "umlab/lab/runtime/limits.hpp"

#include "umlab/base/quantity.hpp"
#include "umlab/base/spelling.hpp"
#include "umlab/lab/compile/resolve.hpp"
#include "umlab/lab/yaml/loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace umlab::lab::runtime {
namespace {

using yaml::Document;
using yaml::Node;
using yaml::NodeKind;

const std::vector<std::string> kTopKeys{"default", "groups", "users"};
const std::vector<std::string> kEntryKeys{"max-guests", "max-memory"};
constexpr uint64_t kMaxGuestCount = 1000000;
constexpr const char* kUnlimited = "unlimited";

std::string quote(const std::string& s) { return "'" + s + "'"; }

class Reader {
public:
  Reader(const Document& doc, Diagnostics& diags) : doc_(doc), diags_(diags) {}

  std::optional<Limits> read(const std::string& path) {
    Limits limits;
    limits.path = path;
    limits.exists = true;
    const Node& root = doc_.root();
    if (root.kind != NodeKind::Mapping) {
      diags_.error(root.loc, std::string("a limits file is a mapping with 'default', 'groups' and 'users', not ") +
                                 yaml::describe(root));
      return std::nullopt;
    }
    const size_t errorsBefore = diags_.errorCount();
    for (const auto& [key, id] : root.entries) {
      const Node& v = doc_.node(id);
      if (key.text == "default") {
        limits.defaults = entry(key, v, "", "default");
      } else if (key.text == "groups" || key.text == "users") {
        std::vector<LimitEntry>& into = key.text == "groups" ? limits.groups : limits.users;
        if (v.kind == NodeKind::Null)
          continue;
        if (v.kind != NodeKind::Mapping) {
          const char* example = key.text == "groups" ? "students: {max-guests: 12}" : "alice: {max-guests: 40}";
          diags_.error(v.loc, "'" + key.text + "' maps " + (key.text == "groups" ? "group" : "user") +
                                  " names to limits, such as '" + example + "', not " + yaml::describe(v));
          continue;
        }
        for (const auto& [name, entryId] : v.entries)
          into.push_back(entry(name, doc_.node(entryId), name.text, key.text + "." + name.text));
      } else {
        diags_.error(key.loc, "unknown key '" + key.text + "' in the limits file" + didYouMean(key.text, kTopKeys) +
                                  " (keys: default, groups, users)");
      }
    }
    if (diags_.errorCount() != errorsBefore)
      return std::nullopt;
    return limits;
  }

private:
  LimitEntry entry(const yaml::Key& key, const Node& n, const std::string& name, const std::string& source) {
    LimitEntry e;
    e.name = name;
    e.source = source;
    e.line = key.loc.line;
    if (n.kind == NodeKind::Null || (n.kind == NodeKind::Mapping && n.entries.empty())) {
      diags_.warning(key.loc, "'" + source + "' sets no limit, so it changes nothing; give it one such as "
                                  "'{max-guests: 20}', or 'unlimited' to lift one");
      return e;
    }
    if (n.kind != NodeKind::Mapping) {
      diags_.error(n.loc, "'" + source + "' takes a mapping such as '{max-guests: 20, max-memory: 4G}', not " +
                              yaml::describe(n));
      return e;
    }
    for (const auto& [k, id] : n.entries) {
      const Node& v = doc_.node(id);
      // max_guests/max_memory, as the first announcement of this file spelt them, are the same keys.
      if (k.text == "max-guests" || k.text == "max_guests")
        e.maxGuests = guests(v, source);
      else if (k.text == "max-memory" || k.text == "max_memory")
        e.maxMemory = memory(v, source);
      else
        diags_.error(k.loc, "unknown key '" + k.text + "' in '" + source + "'" + didYouMean(k.text, kEntryKeys) +
                                " (keys: max-guests, max-memory)");
    }
    return e;
  }

  /// The value's text, or nullopt after an error when it is not a scalar.
  std::optional<std::string> scalar(const Node& n, const std::string& key, const std::string& source,
                                    const char* expect) {
    if (n.kind == NodeKind::Scalar && !n.scalar.empty())
      return n.scalar;
    diags_.error(n.loc, "'" + key + "' of '" + source + "' must be " + expect + ", not " + yaml::describe(n));
    return std::nullopt;
  }

  static LimitValue value(const Node& n) {
    LimitValue v;
    v.text = n.scalar;
    v.line = n.loc.line;
    v.column = n.loc.column;
    return v;
  }

  std::optional<LimitValue> guests(const Node& n, const std::string& source) {
    auto text = scalar(n, "max-guests", source, "a number of guests such as '20', or 'unlimited'");
    if (!text)
      return std::nullopt;
    LimitValue v = value(n);
    if (*text == kUnlimited)
      return v;
    auto count = parseUnsigned(*text, kMaxGuestCount);
    if (!count || *count == 0) {
      diags_.error(n.loc, "max-guests " + quote(*text) + " of '" + source +
                              "' is not a number of guests from 1 up; write a count such as '20', or 'unlimited'");
      return std::nullopt;
    }
    v.amount = *count;
    return v;
  }

  std::optional<LimitValue> memory(const Node& n, const std::string& source) {
    auto text = scalar(n, "max-memory", source, "a size such as '4G', or 'unlimited'");
    if (!text)
      return std::nullopt;
    LimitValue v = value(n);
    if (*text == kUnlimited)
      return v;
    auto bytes = parseByteSize(*text);
    if (!bytes) {
      diags_.error(n.loc, "max-memory " + quote(*text) + " of '" + source +
                              "' is not a size; write a number with K, M or G, as in '4G', or 'unlimited'");
      return std::nullopt;
    }
    if (*bytes < kMinMemory) {
      diags_.error(n.loc, "max-memory " + quote(*text) + " of '" + source + "' is below " +
                              formatLimitSize(kMinMemory) +
                              ", the memory of the smallest guest; write a size such as '4G', or 'unlimited'");
      return std::nullopt;
    }
    v.amount = *bytes;
    return v;
  }

  const Document& doc_;
  Diagnostics& diags_;
};

/// True when `text` holds nothing but blank lines and comments.
bool isBlankOrComments(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const size_t at = line.find_first_not_of(" \t\r");
    if (at != std::string::npos && line[at] != '#')
      return false;
  }
  return true;
}

/// The better of two limits of one kind: unlimited beats any amount; on a tie, `a`.
bool isMoreGenerous(const LimitValue& b, const LimitValue& a) {
  if (!a.amount)
    return false;
  return !b.amount || *b.amount > *a.amount;
}

EffectiveLimit resolve(const Limits& limits, const std::string& user, const std::vector<std::string>& groups,
                       std::optional<LimitValue> LimitEntry::*field) {
  const LimitEntry* from = nullptr;
  for (const LimitEntry& e : limits.users)
    if (e.name == user && e.*field)
      from = &e;
  if (!from) {
    for (const LimitEntry& e : limits.groups)
      if (e.*field && std::find(groups.begin(), groups.end(), e.name) != groups.end() &&
          (!from || isMoreGenerous(*(e.*field), *(from->*field))))
        from = &e;
  }
  if (!from && limits.defaults && (*limits.defaults).*field)
    from = &*limits.defaults;
  EffectiveLimit r;
  if (!from) {
    r.text = kUnlimited;
    return r;
  }
  const LimitValue& v = *(from->*field);
  r.amount = v.amount;
  r.text = v.text;
  r.source = from->source;
  r.file = limits.path;
  r.line = v.line;
  r.column = v.column;
  return r;
}

std::string count(uint64_t n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); }

/// Adds without wrapping past UINT64_MAX, so that a huge request still compares as over.
uint64_t saturatingAdd(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

} // namespace

std::optional<Limits> loadLimitsText(const std::string& path, std::string text, SourceManager& sources,
                                     Diagnostics& diags) {
  if (isBlankOrComments(text)) {
    Limits empty;
    empty.path = path;
    empty.exists = true;
    return empty;
  }
  std::optional<Document> doc = yaml::loadText(path, std::move(text), sources, diags);
  if (!doc)
    return std::nullopt;
  return Reader(*doc, diags).read(path);
}

std::optional<Limits> loadLimits(const std::string& path, SourceManager& sources, Diagnostics& diags) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      Limits none;
      none.path = path;
      return none;
    }
    diags.error({}, "cannot read the limits file '" + path + "': " + std::strerror(errno) +
                        "; the machine's administrator should make it and its directory readable by every user");
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    diags.error({}, "the limits file '" + path + "' is not a regular file; make it one, such as " + kLimitsFile);
    return std::nullopt;
  }
  if (static_cast<uint64_t>(st.st_size) > yaml::kMaxFileSize) {
    diags.error({}, "the limits file '" + path + "' is larger than " + std::to_string(yaml::kMaxFileSize >> 20) +
                        " MiB; it needs a few lines (docs/limits.md has the format)");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error({}, "cannot read the limits file '" + path + "': " + std::strerror(errno) +
                        "; the machine's administrator should make it readable by every user (chmod 644)");
    return std::nullopt;
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return loadLimitsText(path, std::move(text), sources, diags);
}

std::string EffectiveLimit::describeSource() const {
  if (source.empty())
    return "no entry sets it";
  return source + " in " + file;
}

EffectiveLimits limitsFor(const Limits& limits, const std::string& user, const std::vector<std::string>& groups) {
  EffectiveLimits r;
  r.user = user;
  r.maxGuests = resolve(limits, user, groups, &LimitEntry::maxGuests);
  r.maxMemory = resolve(limits, user, groups, &LimitEntry::maxMemory);
  return r;
}

std::string formatLimitSize(uint64_t bytes) {
  constexpr uint64_t kGiB = 1ULL << 30;
  if (bytes != 0 && bytes % kGiB == 0)
    return std::to_string(bytes / kGiB) + "G";
  return formatByteSize(bytes);
}

std::optional<std::string> checkLimits(const EffectiveLimits& limits, Usage alreadyRunning, Usage requested) {
  std::vector<std::string> over;
  bool stoppingHelps = false;
  // One clause per limit passed: what is asked, what runs, the limit and where it is set.
  auto check = [&](const EffectiveLimit& limit, const char* key, uint64_t running, uint64_t asked,
                   const std::string& askedText, const std::string& runningText) {
    if (!limit.amount || asked == 0 || saturatingAdd(running, asked) <= *limit.amount)
      return;
    std::string clause = "this needs " + askedText;
    if (running > 0)
      clause += " and your running labs " + runningText;
    clause += "; your limit is " + std::string(key) + ": " + limit.text + " (" + limit.describeSource() + ")";
    over.push_back(std::move(clause));
    stoppingHelps = stoppingHelps || (running > 0 && asked <= *limit.amount);
  };
  const bool more = alreadyRunning.guests > 0 || alreadyRunning.memoryBytes > 0;
  check(limits.maxGuests, "max-guests", alreadyRunning.guests, requested.guests,
        more ? count(requested.guests, "more guest", "more guests") : count(requested.guests, "guest", "guests"),
        "have " + std::to_string(alreadyRunning.guests));
  check(limits.maxMemory, "max-memory", alreadyRunning.memoryBytes, requested.memoryBytes,
        formatLimitSize(requested.memoryBytes) + (more ? " more guest memory" : " of guest memory"),
        "use " + formatLimitSize(alreadyRunning.memoryBytes));
  if (over.empty())
    return std::nullopt;
  std::string message;
  for (const std::string& clause : over)
    message += (message.empty() ? "" : "; ") + clause;
  message += stoppingHelps ? "; stop a lab with 'umlab down LAB' or ask the machine's administrator"
                           : "; make the lab smaller or ask the machine's administrator";
  return message;
}

} // namespace umlab::lab::runtime
