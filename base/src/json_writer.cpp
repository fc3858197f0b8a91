#include "umlab/base/json_writer.hpp"

#include "umlab/base/json_value.hpp"

#include <charconv>

#include <cmath>
#include <cstdio>

namespace umlab {

std::string JsonWriter::quote(std::string_view s) {
  std::string r = "\"";
  for (unsigned char c : s) {
    switch (c) {
    case '"': r += "\\\""; break;
    case '\\': r += "\\\\"; break;
    case '\n': r += "\\n"; break;
    case '\r': r += "\\r"; break;
    case '\t': r += "\\t"; break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        r += buf;
      } else {
        r += static_cast<char>(c);
      }
    }
  }
  r += '"';
  return r;
}

void JsonWriter::newline() {
  if (indent_ < 0) // one line: the control protocol and `umlab events`
    return;
  out_ += '\n';
  out_.append(stack_.size() * static_cast<size_t>(indent_), ' ');
}

void JsonWriter::beforeValue() {
  if (afterKey_) {
    afterKey_ = false;
    return;
  }
  if (!stack_.empty()) {
    if (!stack_.back().empty)
      out_ += indent_ < 0 ? ", " : ",";
    stack_.back().empty = false;
    newline();
  }
}

JsonWriter& JsonWriter::beginObject() {
  beforeValue();
  out_ += '{';
  stack_.push_back({true, true});
  return *this;
}

JsonWriter& JsonWriter::endObject() {
  bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty)
    newline();
  out_ += '}';
  if (stack_.empty())
    out_ += '\n';
  return *this;
}

JsonWriter& JsonWriter::beginArray() {
  beforeValue();
  out_ += '[';
  stack_.push_back({false, true});
  return *this;
}

JsonWriter& JsonWriter::endArray() {
  bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty)
    newline();
  out_ += ']';
  if (stack_.empty())
    out_ += '\n';
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  beforeValue();
  out_ += quote(k);
  out_ += ": ";
  afterKey_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  beforeValue();
  out_ += quote(s);
  return *this;
}

JsonWriter& JsonWriter::value(int64_t n) {
  beforeValue();
  out_ += std::to_string(n);
  return *this;
}

JsonWriter& JsonWriter::value(uint64_t n) {
  beforeValue();
  out_ += std::to_string(n);
  return *this;
}

JsonWriter& JsonWriter::value(double d) {
  beforeValue();
  if (!std::isfinite(d)) {
    out_ += "null";
    return *this;
  }
  // The shortest text that reads back as the same double: what is written is what is read.
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  beforeValue();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  beforeValue();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::value(const JsonValue& v) {
  switch (v.type()) {
  case JsonValue::Type::Null:
    return null();
  case JsonValue::Type::Bool:
    return value(*v.asBool());
  case JsonValue::Type::Number:
    if (auto i = v.asInt())
      return value(*i);
    if (auto u = v.asUint())
      return value(*u);
    return value(*v.asDouble());
  case JsonValue::Type::String:
    return value(*v.asString());
  case JsonValue::Type::Array:
    beginArray();
    for (const JsonValue& e : *v.asArray())
      value(e);
    return endArray();
  case JsonValue::Type::Object:
    beginObject();
    for (const auto& [k, e] : *v.asObject()) {
      key(k);
      value(e);
    }
    return endObject();
  }
  return *this;
}

} // namespace umlab
