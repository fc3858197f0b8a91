// The only code in umlab that includes yaml-cpp. It drives yaml-cpp's event parser and builds
// our own `Document`, which keeps marks and lets us bound depth and alias expansion while the
// parser runs (yaml-cpp 0.7 recurses once per nesting level and has no depth limit of its own).
#include "umlab/lab/yaml/loader.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unordered_map>

namespace umlab::lab::yaml {

namespace {

/// Thrown by the builder to stop yaml-cpp's parser once an error makes going on pointless
/// (too deep, alias bomb, cyclic alias). It never leaves this file.
struct StopParsing {};

constexpr uint64_t kOpen = UINT64_MAX; // expanded size of a container still being read

class Builder final : public YAML::EventHandler {
public:
  Builder(Document& doc, const SourceFile& file, Diagnostics& diags) : doc_(doc), file_(file), diags_(diags) {}

  bool hasRoot() const { return hasRoot_; }
  SourceLoc loc(const YAML::Mark& m) const {
    if (m.is_null())
      return {&file_, 0, 0};
    return {&file_, static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1)};
  }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node n;
    n.kind = NodeKind::Null;
    n.loc = loc(mark);
    NodeId id = add(std::move(n), 1);
    remember(anchor, id);
    attach(id, mark);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (anchor >= anchors_.size() || anchors_[anchor] == kNoNode) {
      diags_.error(loc(mark), "alias refers to an unknown anchor");
      throw StopParsing{};
    }
    NodeId id = anchors_[anchor];
    if (sizes_[id] == kOpen) {
      diags_.error(loc(mark), "alias refers to a node that contains it; aliases cannot form cycles");
      throw StopParsing{};
    }
    attach(id, mark);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node n;
    n.kind = NodeKind::Scalar;
    n.loc = loc(mark);
    n.scalar = value;
    n.quoted = tag != "?";
    NodeId id = add(std::move(n), 1);
    remember(anchor, id);
    attach(id, mark);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(NodeKind::Sequence, mark, anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(NodeKind::Mapping, mark, anchor);
  }
  void OnMapEnd() override { close(); }

private:
  static constexpr NodeId kNoNode = UINT32_MAX;

  struct Open {
    NodeId id;
    YAML::Mark mark;
    uint64_t size = 1;
    bool hasKey = false;
    Key key;
    std::unordered_map<std::string, SourceLoc> keys; // mappings: for duplicate detection
  };

  NodeId add(Node n, uint64_t size) {
    NodeId id = doc_.add(std::move(n));
    sizes_.push_back(size);
    return id;
  }

  void remember(YAML::anchor_t anchor, NodeId id) {
    if (anchor == YAML::NullAnchor)
      return;
    if (anchor >= anchors_.size())
      anchors_.resize(anchor + 1, kNoNode);
    anchors_[anchor] = id;
  }

  void open(NodeKind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (stack_.size() >= kMaxDepth) {
      diags_.error(loc(mark), "nesting is deeper than " + std::to_string(kMaxDepth) +
                                  " levels; a topology needs far fewer");
      throw StopParsing{};
    }
    Node n;
    n.kind = kind;
    n.loc = loc(mark);
    NodeId id = add(std::move(n), kOpen);
    remember(anchor, id);
    stack_.push_back(Open{id, mark, 1, false, {}, {}});
  }

  void close() {
    Open top = std::move(stack_.back());
    stack_.pop_back();
    if (top.hasKey) // a key with no value cannot happen in valid YAML, but be safe
      diags_.error(top.key.loc, "key '" + top.key.text + "' has no value");
    sizes_[top.id] = top.size;
    attach(top.id, top.mark);
  }

  /// Adds a finished node to its parent (or makes it the root), counting its expanded size.
  void attach(NodeId id, const YAML::Mark& mark) {
    const uint64_t size = sizes_[id];
    if (stack_.empty()) {
      doc_.setRoot(id);
      hasRoot_ = true;
      return;
    }
    Open& parent = stack_.back();
    parent.size += size;
    expanded_ += size;
    if (expanded_ > kMaxExpandedNodes) {
      diags_.error(loc(mark), "aliases expand this document to more than " + std::to_string(kMaxExpandedNodes) +
                                  " values; refusing what looks like an alias bomb");
      throw StopParsing{};
    }
    Node& p = doc_.mutableNode(parent.id);
    if (p.kind == NodeKind::Sequence) {
      p.items.push_back(id);
      return;
    }
    if (!parent.hasKey) {
      const Node& k = doc_.node(id);
      if (k.kind != NodeKind::Scalar) {
        diags_.error(loc(mark), std::string("a key must be plain text, not ") + describe(k));
        throw StopParsing{};
      }
      parent.hasKey = true;
      parent.key = Key{k.scalar, loc(mark)};
      return;
    }
    parent.hasKey = false;
    auto [it, inserted] = parent.keys.emplace(parent.key.text, parent.key.loc);
    if (!inserted) {
      Diagnostic& d = diags_.error(parent.key.loc, "duplicate key '" + parent.key.text + "'");
      Diagnostics::note(d, it->second, "first defined here");
      return;
    }
    doc_.mutableNode(parent.id).entries.emplace_back(std::move(parent.key), id);
  }

  Document& doc_;
  const SourceFile& file_;
  Diagnostics& diags_;
  std::vector<Open> stack_;
  std::vector<uint64_t> sizes_;
  std::vector<NodeId> anchors_;
  uint64_t expanded_ = 0;
  bool hasRoot_ = false;
};

/// yaml-cpp's messages are terse; add what the user most likely has to do.
std::string syntaxMessage(const std::string& msg) {
  std::string m = "YAML syntax: " + msg;
  if (msg == YAML::ErrorMsg::MAP_VALUE)
    m += "; a value that contains ': ' must be quoted, and a key needs a space after its ':'";
  else if (msg == YAML::ErrorMsg::END_OF_SEQ_FLOW)
    m += "; a '[' is missing its ']'";
  else if (msg == YAML::ErrorMsg::END_OF_MAP_FLOW)
    m += "; a '{' is missing its '}'";
  else if (msg == YAML::ErrorMsg::END_OF_MAP || msg == YAML::ErrorMsg::END_OF_SEQ || msg == YAML::ErrorMsg::BLOCK_ENTRY)
    m += "; check the indentation of this line against the lines above";
  else if (msg.rfind("found character that cannot start any token", 0) == 0 ||
           msg == YAML::ErrorMsg::TAB_IN_INDENTATION)
    m += "; YAML indents with spaces, not tabs";
  return m;
}

/// The first byte that makes `text` not UTF-8 text, as (offset, reason); npos when it is text.
std::pair<size_t, const char*> findNonText(const std::string& text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c == 0)
      return {i, "the file contains a NUL byte; it looks like a binary file, not YAML"};
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || c == 0xc0 || c == 0xc1 || c > 0xf4 || i + len > n)
      return {i, "the file is not UTF-8 text; topology files must be UTF-8"};
    for (size_t k = 1; k < len; ++k)
      if ((s[i + k] & 0xc0) != 0x80)
        return {i, "the file is not UTF-8 text; topology files must be UTF-8"};
    i += len;
  }
  return {std::string::npos, nullptr};
}

SourceLoc locOfOffset(const SourceFile& f, size_t offset) {
  uint32_t line = 1, col = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (f.text()[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {&f, line, col};
}

std::string mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

} // namespace

std::optional<Document> loadText(const std::string& name, std::string text, SourceManager& sources,
                                 Diagnostics& diags) {
  const SourceFile& file = sources.add(name, std::move(text));
  const std::string& t = file.text();
  if (t.size() > kMaxFileSize) {
    diags.error({&file, 0, 0}, "the file is " + mib(t.size()) + "; topology files are limited to " +
                                   mib(kMaxFileSize));
    return std::nullopt;
  }
  if (auto [at, why] = findNonText(t); why) {
    diags.error(locOfOffset(file, at), why);
    return std::nullopt;
  }
  if (t.find_first_not_of(" \t\r\n") == std::string::npos) {
    diags.error({&file, 0, 0}, "the file is empty; a topology needs at least 'name' and 'nodes'");
    return std::nullopt;
  }

  Document doc;
  const size_t errorsBefore = diags.errorCount();
  std::istringstream in(t);
  try {
    YAML::Parser parser(in);
    Builder builder(doc, file, diags);
    parser.HandleNextDocument(builder);
    if (!builder.hasRoot()) {
      diags.error({&file, 0, 0}, "the file holds only comments; a topology needs at least 'name' and 'nodes'");
      return std::nullopt;
    }
    // Only the position of a second document matters; its content is not kept.
    struct FirstMark final : YAML::EventHandler {
      YAML::Mark mark = YAML::Mark::null_mark();
      void OnDocumentStart(const YAML::Mark& m) override { mark = m; throw StopParsing{}; }
      void OnDocumentEnd() override {}
      void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
      void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
      void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
      void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
      void OnSequenceEnd() override {}
      void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
      void OnMapEnd() override {}
    } probe;
    try {
      parser.HandleNextDocument(probe);
    } catch (const StopParsing&) {
      diags.error(builder.loc(probe.mark), "a second YAML document; a topology file holds exactly one");
    }
  } catch (const StopParsing&) {
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    SourceLoc where = e.mark.is_null() ? SourceLoc{&file, 0, 0}
                                       : SourceLoc{&file, static_cast<uint32_t>(e.mark.line + 1),
                                                   static_cast<uint32_t>(e.mark.column + 1)};
    std::string_view line = file.line(where.line);
    const bool tabIndented = !line.empty() && line.substr(0, line.find_first_not_of(" \t")).find('\t') != std::string_view::npos;
    diags.error(where, tabIndented ? "YAML syntax: " + e.msg + "; this line is indented with a tab, and YAML indents with spaces only"
                                   : syntaxMessage(e.msg));
    return std::nullopt;
  }
  if (diags.errorCount() != errorsBefore)
    return std::nullopt;
  return doc;
}

std::optional<Document> loadFile(const std::string& path, SourceManager& sources, Diagnostics& diags) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    std::string hint = errno == ENOENT ? "; check the path, or list the examples with 'ls topologies/'" : "";
    diags.error({}, "cannot open '" + path + "': " + std::strerror(errno) + hint);
    return std::nullopt;
  }
  if (S_ISDIR(st.st_mode)) {
    diags.error({}, "'" + path + "' is a directory; pass a topology file such as '" + path +
                        (path.empty() || path.back() == '/' ? "" : "/") + "lab.yaml'");
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    diags.error({}, "'" + path + "' is not a regular file");
    return std::nullopt;
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxFileSize) {
    const SourceFile& f = sources.add(path, {});
    diags.error({&f, 0, 0}, "the file is " + mib(static_cast<uint64_t>(st.st_size)) +
                                "; topology files are limited to " + mib(kMaxFileSize));
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error({}, "cannot open '" + path + "': " + std::strerror(errno));
    return std::nullopt;
  }
  std::string text;
  text.resize(static_cast<size_t>(st.st_size));
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return loadText(path, std::move(text), sources, diags);
}

} // namespace umlab::lab::yaml
