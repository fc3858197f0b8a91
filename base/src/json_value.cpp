#include "umlab/base/json_value.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace umlab {

bool JsonObject::insert(std::string key, JsonValue value) {
  if (index_.find(key) != index_.end())
    return false;
  index_.emplace(key, members_.size());
  members_.emplace_back(std::move(key), std::move(value));
  return true;
}

const JsonValue* JsonObject::find(std::string_view key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &members_[it->second].second;
}

bool JsonObject::operator==(const JsonObject& other) const { return members_ == other.members_; }

JsonValue::Type JsonValue::type() const {
  if (isNull()) return Type::Null;
  if (isBool()) return Type::Bool;
  if (isNumber()) return Type::Number;
  if (isString()) return Type::String;
  if (isArray()) return Type::Array;
  return Type::Object;
}

std::optional<bool> JsonValue::asBool() const {
  if (const bool* b = std::get_if<bool>(&v_))
    return *b;
  return std::nullopt;
}

std::optional<int64_t> JsonValue::asInt() const {
  // uint64_t holds only values above INT64_MAX (see the constructor).
  if (const int64_t* n = std::get_if<int64_t>(&v_))
    return *n;
  return std::nullopt;
}

std::optional<uint64_t> JsonValue::asUint() const {
  if (const int64_t* n = std::get_if<int64_t>(&v_); n && *n >= 0)
    return static_cast<uint64_t>(*n);
  if (const uint64_t* n = std::get_if<uint64_t>(&v_))
    return *n;
  return std::nullopt;
}

std::optional<double> JsonValue::asDouble() const {
  if (const double* d = std::get_if<double>(&v_))
    return *d;
  if (const int64_t* n = std::get_if<int64_t>(&v_))
    return static_cast<double>(*n);
  if (const uint64_t* n = std::get_if<uint64_t>(&v_))
    return static_cast<double>(*n);
  return std::nullopt;
}

std::optional<std::string_view> JsonValue::asString() const& {
  if (const std::string* s = std::get_if<std::string>(&v_))
    return std::string_view(*s);
  return std::nullopt;
}

const JsonValue* JsonValue::find(std::string_view key) const& {
  const JsonObject* o = asObject();
  return o ? o->find(key) : nullptr;
}

std::string jsonString(const JsonValue& object, std::string_view key) {
  const JsonValue* f = object.find(key);
  return f && f->asString() ? std::string(*f->asString()) : std::string();
}

const char* describeJsonType(JsonValue::Type type) {
  switch (type) {
  case JsonValue::Type::Null: return "null";
  case JsonValue::Type::Bool: return "a boolean";
  case JsonValue::Type::Number: return "a number";
  case JsonValue::Type::String: return "a string";
  case JsonValue::Type::Array: return "an array";
  case JsonValue::Type::Object: return "an object";
  }
  return "a value";
}

std::string JsonError::str() const { return std::to_string(line) + ":" + std::to_string(column) + ": " + message; }

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

/// Recursive descent over the RFC 8259 grammar. Every failure goes through `fail`, which keeps
/// the first message and its byte offset; the callers then unwind with nullopt.
class Parser {
public:
  Parser(std::string_view text, JsonError& error) : text_(text), error_(error) {}

  std::optional<JsonValue> parseDocument() {
    std::optional<JsonValue> v = parseValue(0);
    if (!v)
      return std::nullopt;
    skipSpace();
    if (pos_ < text_.size())
      return fail(pos_, "unexpected " + found(pos_) + " after the JSON value");
    return v;
  }

private:
  std::optional<JsonValue> parseValue(size_t depth) {
    skipSpace();
    if (pos_ >= text_.size())
      return fail(pos_, "expected a JSON value, found end of input");
    switch (text_[pos_]) {
    case '{':
    case '[':
      if (depth >= kMaxJsonDepth)
        return fail(pos_, "nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels");
      return text_[pos_] == '{' ? parseObject(depth + 1) : parseArray(depth + 1);
    case '"': {
      std::optional<std::string> s = parseString();
      if (!s)
        return std::nullopt;
      return JsonValue(std::move(*s));
    }
    case 't': return parseLiteral("true", JsonValue(true));
    case 'f': return parseLiteral("false", JsonValue(false));
    case 'n': return parseLiteral("null", JsonValue());
    default:
      if (text_[pos_] == '-' || isDigit(text_[pos_]))
        return parseNumber();
      return fail(pos_, "expected a JSON value, found " + found(pos_));
    }
  }

  std::optional<JsonValue> parseObject(size_t depth) {
    ++pos_; // '{'
    JsonObject object;
    skipSpace();
    if (peek() == '}') {
      ++pos_;
      return JsonValue(std::move(object));
    }
    while (true) {
      skipSpace();
      if (peek() != '"')
        return fail(pos_, "expected a string key, found " + found(pos_));
      const size_t keyPos = pos_;
      std::optional<std::string> key = parseString();
      if (!key)
        return std::nullopt;
      if (object.find(*key))
        return fail(keyPos, "duplicate key '" + *key + "'");
      skipSpace();
      if (peek() != ':')
        return fail(pos_, "expected ':' after key '" + *key + "', found " + found(pos_));
      ++pos_;
      std::optional<JsonValue> value = parseValue(depth);
      if (!value)
        return std::nullopt;
      object.insert(std::move(*key), std::move(*value));
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return JsonValue(std::move(object));
      }
      return fail(pos_, "expected ',' or '}' after an object member, found " + found(pos_));
    }
  }

  std::optional<JsonValue> parseArray(size_t depth) {
    ++pos_; // '['
    JsonArray array;
    skipSpace();
    if (peek() == ']') {
      ++pos_;
      return JsonValue(std::move(array));
    }
    while (true) {
      std::optional<JsonValue> element = parseValue(depth);
      if (!element)
        return std::nullopt;
      array.push_back(std::move(*element));
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return JsonValue(std::move(array));
      }
      return fail(pos_, "expected ',' or ']' after an array element, found " + found(pos_));
    }
  }

  std::optional<std::string> parseString() {
    const size_t open = pos_++;
    std::string out;
    while (true) {
      if (pos_ >= text_.size())
        return fail(open, "unterminated string");
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "unescaped control character 0x%02x in a string", c);
        return fail(pos_, buf);
      }
      if (c != '\\') {
        // Copy the run up to the next quote, escape or control character in one go.
        size_t end = pos_ + 1;
        while (end < text_.size() && text_[end] != '"' && text_[end] != '\\' &&
               static_cast<unsigned char>(text_[end]) >= 0x20)
          ++end;
        out.append(text_.substr(pos_, end - pos_));
        pos_ = end;
        continue;
      }
      const size_t escape = pos_++;
      if (pos_ >= text_.size())
        return fail(open, "unterminated string");
      switch (text_[pos_++]) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        std::optional<uint32_t> cp = hex4(escape);
        if (!cp)
          return std::nullopt;
        if (*cp >= 0xdc00 && *cp <= 0xdfff)
          return fail(escape, "unpaired low surrogate '" + std::string(text_.substr(escape, 6)) + "' in a string");
        if (*cp >= 0xd800 && *cp <= 0xdbff) {
          if (text_.substr(pos_, 2) != "\\u")
            return fail(escape,
                              "unpaired high surrogate '" + std::string(text_.substr(escape, 6)) + "' in a string");
          const size_t second = pos_;
          pos_ += 2;
          std::optional<uint32_t> low = hex4(second);
          if (!low)
            return std::nullopt;
          if (*low < 0xdc00 || *low > 0xdfff)
            return fail(escape,
                              "unpaired high surrogate '" + std::string(text_.substr(escape, 6)) + "' in a string");
          *cp = 0x10000 + ((*cp - 0xd800) << 10) + (*low - 0xdc00);
        }
        appendUtf8(out, *cp);
        break;
      }
      default:
        return fail(escape, "invalid escape " + found(escape + 1, "'\\") + " in a string");
      }
    }
  }

  /// The four hex digits after "\u" (pos_ is past the 'u'); `escape` is where the backslash is.
  std::optional<uint32_t> hex4(size_t escape) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      const char c = pos_ < text_.size() ? text_[pos_] : '\0';
      uint32_t digit;
      if (c >= '0' && c <= '9') digit = c - '0';
      else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
      else return fail(escape, "expected four hex digits after '\\u'");
      v = v << 4 | digit;
    }
    return v;
  }

  std::optional<JsonValue> parseNumber() {
    const size_t start = pos_;
    if (peek() == '-')
      ++pos_;
    if (!isDigit(peek()))
      return fail(pos_, "expected a digit after '-', found " + found(pos_));
    if (peek() == '0') {
      ++pos_;
      if (isDigit(peek()))
        return fail(start, "a number must not start with '0' unless it is 0");
    }
    while (isDigit(peek()))
      ++pos_;
    bool isInteger = true;
    if (peek() == '.') {
      isInteger = false;
      ++pos_;
      if (!isDigit(peek()))
        return fail(pos_, "expected a digit after the decimal point, found " + found(pos_));
      while (isDigit(peek()))
        ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      isInteger = false;
      ++pos_;
      if (peek() == '+' || peek() == '-')
        ++pos_;
      if (!isDigit(peek()))
        return fail(pos_, "expected a digit in the exponent, found " + found(pos_));
      while (isDigit(peek()))
        ++pos_;
    }
    const std::string_view number = text_.substr(start, pos_ - start);
    const char* first = number.data();
    const char* last = number.data() + number.size();
    if (isInteger) {
      // An integer beyond 64 bits falls through to a double, as most readers do.
      if (number.front() == '-') {
        int64_t n = 0;
        if (auto [p, ec] = std::from_chars(first, last, n); ec == std::errc() && p == last)
          return JsonValue(n);
      } else {
        uint64_t n = 0;
        if (auto [p, ec] = std::from_chars(first, last, n); ec == std::errc() && p == last)
          return JsonValue(n);
      }
    }
    double d = 0;
    auto [p, ec] = std::from_chars(first, last, d);
    if (ec != std::errc() || p != last)
      return fail(start, "number " + std::string(number) + " is out of range");
    return JsonValue(d);
  }

  std::optional<JsonValue> parseLiteral(std::string_view word, JsonValue value) {
    if (text_.substr(pos_, word.size()) != word) {
      size_t end = pos_;
      while (end < text_.size() && end - pos_ < 16 && std::isalnum(static_cast<unsigned char>(text_[end])))
        ++end;
      return fail(pos_, "expected '" + std::string(word) + "', found '" + std::string(text_.substr(pos_, end - pos_)) + "'");
    }
    pos_ += word.size();
    return value;
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void skipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  /// "end of input", "'x'" or "byte 0x80", for messages; `quote` opens the quoted form.
  std::string found(size_t offset, const char* quote = "'") const {
    if (offset >= text_.size())
      return "end of input";
    const unsigned char c = static_cast<unsigned char>(text_[offset]);
    if (c >= 0x20 && c < 0x7f)
      return std::string(quote) + static_cast<char>(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02x", c);
    return buf;
  }

  std::nullopt_t fail(size_t offset, std::string message) {
    uint32_t line = 1;
    size_t lineStart = 0;
    for (size_t i = 0; i < offset && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        lineStart = i + 1;
      }
    }
    error_ = JsonError{line, static_cast<uint32_t>(offset - lineStart + 1), std::move(message)};
    return std::nullopt;
  }

  std::string_view text_;
  JsonError& error_;
  size_t pos_ = 0;
};

} // namespace

std::optional<JsonValue> parseJson(std::string_view text, JsonError& error) { return Parser(text, error).parseDocument(); }

} // namespace umlab
