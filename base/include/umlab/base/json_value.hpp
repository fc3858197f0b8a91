#pragma once
/// A small JSON document model and a strict parser (RFC 8259), the reading half of
/// json_writer.hpp: typed state that umlab writes with `JsonWriter` is read back through
/// `parseJson` and the accessors here.
///
/// Numbers keep integers exact: a number written without fraction or exponent is held as a
/// 64-bit integer when it fits (`asInt`, `asUint`), anything else as a double (`asDouble`).
/// Objects keep their members in document order and look keys up through an index; a key
/// that appears twice is a parse error rather than a silent choice.
///
/// Bad input is a value, not an exception: `parseJson` returns nullopt and fills a `JsonError`
/// with the 1-based line and column of the first problem. Nesting is limited to
/// `kMaxJsonDepth` levels so that hostile input cannot exhaust the stack. The bytes of a
/// string are taken as they are (only escapes are decoded; UTF-8 is not validated), so any
/// path `JsonWriter` wrote reads back unchanged.

#include <concepts>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace umlab {

class JsonValue;
using JsonArray = std::vector<JsonValue>;

/// Members in insertion order, with lookup by key.
class JsonObject {
public:
  using Member = std::pair<std::string, JsonValue>;

  /// Appends a member; returns false (and changes nothing) when the key is already present.
  bool insert(std::string key, JsonValue value);
  /// The member's value, or null when there is no such key.
  const JsonValue* find(std::string_view key) const;

  size_t size() const;
  bool empty() const;
  std::vector<Member>::const_iterator begin() const;
  std::vector<Member>::const_iterator end() const;

  /// Same members in the same order.
  bool operator==(const JsonObject& other) const;

private:
  std::vector<Member> members_;
  std::map<std::string, size_t, std::less<>> index_; ///< key -> position in members_
};

class JsonValue {
public:
  enum class Type : uint8_t { Null, Bool, Number, String, Array, Object };

  JsonValue() = default;
  JsonValue(std::nullptr_t) {}
  JsonValue(bool b) : v_(b) {}
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  JsonValue(T n) {
    if constexpr (std::is_signed_v<T>)
      v_ = static_cast<int64_t>(n);
    else if (static_cast<uint64_t>(n) <= static_cast<uint64_t>(INT64_MAX))
      v_ = static_cast<int64_t>(n);
    else
      v_ = static_cast<uint64_t>(n);
  }
  JsonValue(double d) : v_(d) {}
  JsonValue(std::string s) : v_(std::move(s)) {}
  JsonValue(std::string_view s) : v_(std::string(s)) {}
  JsonValue(const char* s) : v_(std::string(s)) {}
  JsonValue(JsonArray a) : v_(std::move(a)) {}
  JsonValue(JsonObject o) : v_(std::move(o)) {}

  Type type() const;
  bool isNull() const { return std::holds_alternative<std::monostate>(v_); }
  bool isBool() const { return std::holds_alternative<bool>(v_); }
  bool isNumber() const { return isInteger() || std::holds_alternative<double>(v_); }
  /// A number written without fraction or exponent that fits in int64 or uint64.
  bool isInteger() const { return std::holds_alternative<int64_t>(v_) || std::holds_alternative<uint64_t>(v_); }
  bool isString() const { return std::holds_alternative<std::string>(v_); }
  bool isArray() const { return std::holds_alternative<JsonArray>(v_); }
  bool isObject() const { return std::holds_alternative<JsonObject>(v_); }

  std::optional<bool> asBool() const;
  /// An integer that fits in int64; nullopt for anything else, including 1.0 and 1e3.
  std::optional<int64_t> asInt() const;
  /// A non-negative integer; nullopt for anything else, including 1.0 and 1e3.
  std::optional<uint64_t> asUint() const;
  /// Any number; integers beyond 2^53 are rounded to the nearest double.
  std::optional<double> asDouble() const;
  // The accessors below point into this value, so they are not offered on a temporary, where
  // the result would dangle at the end of the statement.

  /// A view of the string; valid while this value lives.
  std::optional<std::string_view> asString() const&;
  std::optional<std::string_view> asString() const&& = delete;
  const JsonArray* asArray() const& { return std::get_if<JsonArray>(&v_); }
  const JsonArray* asArray() const&& = delete;
  const JsonObject* asObject() const& { return std::get_if<JsonObject>(&v_); }
  const JsonObject* asObject() const&& = delete;

  /// The member `key` of an object; null when this is not an object or has no such member.
  const JsonValue* find(std::string_view key) const&;
  const JsonValue* find(std::string_view key) const&& = delete;

  /// Same type and value; an integer never equals a double (1 != 1.0), objects compare in order.
  bool operator==(const JsonValue& other) const = default;

private:
  std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string, JsonArray, JsonObject> v_;
};

// Defined here, where JsonValue is complete.
inline size_t JsonObject::size() const { return members_.size(); }
inline bool JsonObject::empty() const { return members_.empty(); }
inline std::vector<JsonObject::Member>::const_iterator JsonObject::begin() const { return members_.begin(); }
inline std::vector<JsonObject::Member>::const_iterator JsonObject::end() const { return members_.end(); }

/// The string member `key` of `object`, or "" when it is absent or not a string: for messages
/// whose fields are optional (requests, events); strict readers check each field instead.
std::string jsonString(const JsonValue& object, std::string_view key);

/// "null", "a boolean", "a number", "a string", "an array", "an object": for messages.
const char* describeJsonType(JsonValue::Type type);

inline constexpr size_t kMaxJsonDepth = 256;

struct JsonError {
  uint32_t line = 0;   ///< 1-based
  uint32_t column = 0; ///< 1-based, counted in bytes
  std::string message; ///< lowercase, no trailing period

  /// "line:col: message".
  std::string str() const;
};

/// The one JSON value in `text`, surrounded by nothing but white space. On bad input returns
/// nullopt and describes the first problem in `error`, e.g. "3:14: expected ',' or '}' after an
/// object member, found '\"'".
std::optional<JsonValue> parseJson(std::string_view text, JsonError& error);

} // namespace umlab
