#pragma once
/// A small streaming JSON writer for machine-readable output (`--format json`). It writes
/// deterministic, pretty-printed JSON; keys come out in the order they are written.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace umlab {

class JsonValue;

class JsonWriter {
public:
  /// `indent` < 0 writes the whole document on one line (ending with '\n').
  explicit JsonWriter(int indent = 2) : indent_(indent) {}
  static constexpr int kOneLine = -1;

  JsonWriter& beginObject();
  JsonWriter& endObject();
  JsonWriter& beginArray();
  JsonWriter& endArray();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t n);
  JsonWriter& value(uint64_t n);
  JsonWriter& value(int n) { return value(static_cast<int64_t>(n)); }
  JsonWriter& value(unsigned n) { return value(static_cast<uint64_t>(n)); }
  JsonWriter& value(double d);
  JsonWriter& value(bool b);
  JsonWriter& null();
  /// A parsed document, written back (objects keep their member order).
  JsonWriter& value(const JsonValue& v);

  /// key + value in one call.
  template <typename T> JsonWriter& field(std::string_view k, const T& v) { return key(k).value(v); }

  /// The document; ends with a newline once the outermost value is closed.
  const std::string& str() const { return out_; }

  static std::string quote(std::string_view s);

private:
  void beforeValue();
  void newline();

  std::string out_;
  int indent_;
  struct Level { bool isObject; bool empty; };
  std::vector<Level> stack_;
  bool afterKey_ = false;
};

} // namespace umlab
