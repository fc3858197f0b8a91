#include "umlab/base/json_value.hpp"
#include "umlab/base/json_writer.hpp"

#include <catch2/catch.hpp>
#include <limits>

using namespace umlab;

namespace {

/// The value of `text`; fails the test with the parser's message when there is none.
JsonValue parsed(std::string_view text) {
  JsonError error;
  std::optional<JsonValue> v = parseJson(text, error);
  INFO(error.str());
  REQUIRE(v);
  return *v;
}

/// The string `text` holds, copied out of the parsed value.
std::optional<std::string> stringOf(std::string_view text) {
  const JsonValue v = parsed(text);
  std::optional<std::string_view> s = v.asString();
  return s ? std::optional<std::string>(*s) : std::nullopt;
}

/// The "line:col: message" for `text`, which must not parse.
std::string errorOf(std::string_view text) {
  JsonError error;
  std::optional<JsonValue> v = parseJson(text, error);
  CHECK_FALSE(v);
  return error.str();
}

} // namespace

TEST_CASE("the JSON reader reads every kind of value", "[base][json]") {
  CHECK(parsed("null").isNull());
  CHECK(parsed(" true ").asBool() == true);
  CHECK(parsed("false").asBool() == false);
  CHECK(stringOf("\"hi\"") == "hi");
  CHECK(parsed("42").asInt() == 42);
  CHECK(parsed("-7").asInt() == -7);
  CHECK(parsed("0.5").asDouble() == 0.5);
  CHECK(parsed("[]") == JsonValue(JsonArray{}));
  CHECK(parsed("{}") == JsonValue(JsonObject{}));
  CHECK(parsed("\t\r\n [1]\n") == JsonValue(JsonArray{1}));

  const JsonValue v = parsed(R"({"a": [1, "two", {"three": 3}], "b": null})");
  REQUIRE(v.isObject());
  CHECK(v.type() == JsonValue::Type::Object);
  const JsonArray* a = v.find("a")->asArray();
  REQUIRE(a);
  REQUIRE(a->size() == 3);
  CHECK((*a)[0].asInt() == 1);
  CHECK((*a)[1].asString() == "two");
  CHECK((*a)[2].find("three")->asUint() == 3u);
  CHECK(v.find("b")->isNull());
  CHECK(v.find("c") == nullptr);
  CHECK((*a)[0].find("a") == nullptr); // not an object
}

TEST_CASE("the JSON reader keeps integers exact and tells them from doubles", "[base][json][number]") {
  const JsonValue max = parsed("18446744073709551615");
  CHECK(max.isInteger());
  CHECK(max.asUint() == std::numeric_limits<uint64_t>::max());
  CHECK_FALSE(max.asInt()); // does not fit
  const JsonValue min = parsed("-9223372036854775808");
  CHECK(min.asInt() == std::numeric_limits<int64_t>::min());
  CHECK_FALSE(min.asUint());
  CHECK(parsed("9007199254740993").asUint() == 9007199254740993u); // 2^53 + 1, lost by a double
  CHECK(parsed("9223372036854775807").asInt() == std::numeric_limits<int64_t>::max());
  CHECK(parsed("-0").asInt() == 0);

  // A fraction or an exponent makes a double, even when the value is whole.
  CHECK_FALSE(parsed("1.0").isInteger());
  CHECK_FALSE(parsed("1.0").asInt());
  CHECK_FALSE(parsed("1e3").asUint());
  CHECK(parsed("1e3").asDouble() == 1000.0);
  CHECK(parsed("2.5E-1").asDouble() == 0.25);
  CHECK(parsed("-1.5e+2").asDouble() == -150.0);
  CHECK(parsed("0.1").asDouble() == 0.1);
  // Beyond 64 bits an integer is read as the nearest double.
  CHECK_FALSE(parsed("18446744073709551616").isInteger());
  CHECK(parsed("18446744073709551616").asDouble() == 18446744073709551616.0);
  CHECK(parsed("-9223372036854775809").asDouble() == -9223372036854775808.0);
  // Every integer is a double too; nothing else is a number.
  CHECK(parsed("3").asDouble() == 3.0);
  CHECK_FALSE(parsed("\"3\"").asInt());
  CHECK_FALSE(parsed("true").asDouble());
  CHECK_FALSE(parsed("null").asBool());
  const JsonValue three = parsed("3");
  CHECK_FALSE(three.asString());
  CHECK_FALSE(three.asArray());
  CHECK_FALSE(three.asObject());
}

TEST_CASE("the JSON reader decodes every escape, surrogate pairs into UTF-8", "[base][json][string]") {
  CHECK(stringOf(R"("\" \\ \/ \b \f \n \r \t")") == "\" \\ / \b \f \n \r \t");
  CHECK(stringOf(R"("\u0041\u00e9\u20AC")") == "A\xc3\xa9\xe2\x82\xac");
  CHECK(stringOf(R"("\ud83d\ude00")") == "\xf0\x9f\x98\x80"); // U+1F600
  CHECK(stringOf(R"("\uDBFF\uDFFF")") == "\xf4\x8f\xbf\xbf"); // U+10FFFF
  CHECK(stringOf(R"("a\u0000b")") == std::string("a\0b", 3));
  // Bytes outside escapes are kept as they are, valid UTF-8 or not.
  CHECK(stringOf("\"h\xc3\xa9 \xff\"") == "h\xc3\xa9 \xff");
}

TEST_CASE("JSON objects keep document order and look keys up", "[base][json][object]") {
  const JsonValue v = parsed(R"({"zebra": 1, "apple": 2, "mango": 3})");
  std::vector<std::string> keys;
  for (const auto& [key, value] : *v.asObject())
    keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"zebra", "apple", "mango"});
  CHECK(v.find("apple")->asInt() == 2);

  JsonObject o;
  CHECK(o.insert("k", 1));
  CHECK_FALSE(o.insert("k", 2));
  CHECK(o.size() == 1);
  CHECK(o.find("k")->asInt() == 1);
  CHECK(o.find("K") == nullptr);
}

namespace {
template <typename T> concept CanViewString = requires(T&& v) { std::forward<T>(v).asString(); };
template <typename T> concept CanFindKey = requires(T&& v) { std::forward<T>(v).find("k"); };
} // namespace

// A view into a temporary would dangle at the end of the statement, so there is none.
static_assert(CanViewString<const JsonValue&> && !CanViewString<JsonValue>);
static_assert(CanFindKey<const JsonValue&> && !CanFindKey<JsonValue>);

TEST_CASE("JSON values compare by type and value", "[base][json]") {
  CHECK(parsed("[1, {\"a\": \"b\"}]") == parsed("[ 1 , { \"a\" : \"b\" } ]"));
  CHECK(parsed("1") != parsed("1.0"));
  CHECK(parsed("{\"a\": 1, \"b\": 2}") != parsed("{\"b\": 2, \"a\": 1}")); // order is part of the value
  CHECK(JsonValue(5u) == JsonValue(int64_t{5})); // the same integer however it was made
  CHECK(JsonValue(std::numeric_limits<uint64_t>::max()) == parsed("18446744073709551615"));
  CHECK(JsonValue("x") == JsonValue(std::string("x")));
  CHECK(JsonValue() == JsonValue(nullptr));
  CHECK(JsonValue(true) != JsonValue(1));
  CHECK(describeJsonType(parsed("[]").type()) == std::string("an array"));
  CHECK(describeJsonType(parsed("-1").type()) == std::string("a number"));
}

TEST_CASE("the JSON reader names the line and column of the first problem", "[base][json][error]") {
  CHECK(errorOf("") == "1:1: expected a JSON value, found end of input");
  CHECK(errorOf("   \n  ") == "2:3: expected a JSON value, found end of input");
  CHECK(errorOf("{\"a\": 1,\n \"b\" 2}") == "2:6: expected ':' after key 'b', found '2'");
  CHECK(errorOf("{\"a\": 1 \"b\": 2}") == "1:9: expected ',' or '}' after an object member, found '\"'");
  CHECK(errorOf("{\"a\": 1,}") == "1:9: expected a string key, found '}'");
  CHECK(errorOf("{a: 1}") == "1:2: expected a string key, found 'a'");
  CHECK(errorOf("[1, 2,]") == "1:7: expected a JSON value, found ']'");
  CHECK(errorOf("[1 2]") == "1:4: expected ',' or ']' after an array element, found '2'");
  CHECK(errorOf("{\"a\": 1, \"a\": 2}") == "1:10: duplicate key 'a'");
  CHECK(errorOf("1 2") == "1:3: unexpected '2' after the JSON value");
  CHECK(errorOf("{} x") == "1:4: unexpected 'x' after the JSON value");
  CHECK(errorOf("tru") == "1:1: expected 'true', found 'tru'");
  CHECK(errorOf("[nul]") == "1:2: expected 'null', found 'nul'");
  CHECK(errorOf("truex") == "1:5: unexpected 'x' after the JSON value");
  CHECK(errorOf("'a'") == "1:1: expected a JSON value, found '''");
  CHECK(errorOf("\xef\xbb\xbf{}") == "1:1: expected a JSON value, found byte 0xef"); // no byte order mark
}

TEST_CASE("the JSON reader rejects malformed numbers", "[base][json][error][number]") {
  CHECK(errorOf("-") == "1:2: expected a digit after '-', found end of input");
  CHECK(errorOf("-a") == "1:2: expected a digit after '-', found 'a'");
  CHECK(errorOf("+1") == "1:1: expected a JSON value, found '+'");
  CHECK(errorOf("012") == "1:1: a number must not start with '0' unless it is 0");
  CHECK(errorOf("1.") == "1:3: expected a digit after the decimal point, found end of input");
  CHECK(errorOf(".5") == "1:1: expected a JSON value, found '.'");
  CHECK(errorOf("1e") == "1:3: expected a digit in the exponent, found end of input");
  CHECK(errorOf("1e+") == "1:4: expected a digit in the exponent, found end of input");
  CHECK(errorOf("[1e999]") == "1:2: number 1e999 is out of range");
  CHECK(errorOf("NaN") == "1:1: expected a JSON value, found 'N'");
  CHECK(errorOf("Infinity") == "1:1: expected a JSON value, found 'I'");
}

TEST_CASE("the JSON reader rejects malformed strings", "[base][json][error][string]") {
  CHECK(errorOf("\"abc") == "1:1: unterminated string");
  CHECK(errorOf("[\"abc\\") == "1:2: unterminated string");
  CHECK(errorOf("\"a\nb\"") == "1:3: unescaped control character 0x0a in a string");
  CHECK(errorOf("\"a\tb\"") == "1:3: unescaped control character 0x09 in a string");
  CHECK(errorOf(R"("a\x")") == "1:3: invalid escape '\\x' in a string");
  CHECK(errorOf(R"("\u12")") == "1:2: expected four hex digits after '\\u'");
  CHECK(errorOf(R"("\u12G4")") == "1:2: expected four hex digits after '\\u'");
  CHECK(errorOf(R"("\ud800")") == "1:2: unpaired high surrogate '\\ud800' in a string");
  CHECK(errorOf(R"("\ud800\u0041")") == "1:2: unpaired high surrogate '\\ud800' in a string");
  CHECK(errorOf(R"("x\ud800\u00")") == "1:9: expected four hex digits after '\\u'");
  CHECK(errorOf(R"("\udc00")") == "1:2: unpaired low surrogate '\\udc00' in a string");
}

TEST_CASE("the JSON reader stops nesting at its depth limit", "[base][json][error]") {
  const std::string deepest = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  CHECK(parsed(deepest).isArray());
  const std::string tooDeep = std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  CHECK(errorOf(tooDeep) == "1:257: nesting deeper than 256 levels");
  // Far beyond the limit: an error, not a stack overflow.
  CHECK(errorOf(std::string(1000000, '[')) == "1:257: nesting deeper than 256 levels");
  std::string objects;
  for (size_t i = 0; i <= kMaxJsonDepth; ++i)
    objects += "{\"k\":";
  CHECK(errorOf(objects) == "1:" + std::to_string(kMaxJsonDepth * 5 + 1) + ": nesting deeper than 256 levels");
}

TEST_CASE("the JSON reader reads back what the JSON writer wrote", "[base][json][writer]") {
  const std::string awkward = std::string("quote \" backslash \\ slash / newline \n tab \t cr \r ") +
                              std::string("\x01\x1f nul ", 7) + std::string(1, '\0') + " \xc3\xa9 \xf0\x9f\x98\x80";
  JsonWriter w;
  w.beginObject();
  w.field("text", awkward).field("empty", "");
  w.field("big", std::numeric_limits<uint64_t>::max()).field("small", std::numeric_limits<int64_t>::min());
  w.field("half", 0.5).field("tenth", 0.1).field("yes", true).field("no", false);
  w.key("nothing").null();
  w.key("list").beginArray().value(1).beginArray().endArray().beginObject().endObject().endArray();
  w.key("nested").beginObject().field("deep", "x").endObject();
  w.endObject();

  const JsonValue v = parsed(w.str());
  CHECK(v.find("text")->asString() == awkward);
  CHECK(v.find("empty")->asString() == "");
  CHECK(v.find("big")->asUint() == std::numeric_limits<uint64_t>::max());
  CHECK(v.find("small")->asInt() == std::numeric_limits<int64_t>::min());
  CHECK(v.find("half")->asDouble() == 0.5);
  CHECK(v.find("tenth")->asDouble() == 0.1);
  CHECK(v.find("yes")->asBool() == true);
  CHECK(v.find("no")->asBool() == false);
  CHECK(v.find("nothing")->isNull());
  const JsonArray& list = *v.find("list")->asArray();
  REQUIRE(list.size() == 3);
  CHECK(list[0].asInt() == 1);
  CHECK(list[1].asArray()->empty());
  CHECK(list[2].asObject()->empty());
  CHECK(v.find("nested")->find("deep")->asString() == "x");

  std::vector<std::string> keys;
  for (const auto& [key, value] : *v.asObject())
    keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"text", "empty", "big", "small", "half", "tenth", "yes", "no", "nothing",
                                         "list", "nested"});
}

TEST_CASE("every control character the JSON writer escapes reads back", "[base][json][writer]") {
  std::string all;
  for (int c = 0; c < 0x80; ++c)
    all += static_cast<char>(c);
  JsonWriter w;
  w.beginArray().value(all).endArray();
  const JsonValue v = parsed(w.str());
  CHECK(v == JsonValue(JsonArray{all}));
}
