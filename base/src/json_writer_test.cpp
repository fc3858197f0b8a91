#include "umlab/base/json_writer.hpp"

#include <catch2/catch.hpp>

using namespace umlab;

TEST_CASE("the JSON writer nests, separates and escapes", "[base][json]") {
  JsonWriter w;
  w.beginObject().field("name", "a\"b\n").key("list").beginArray().value(1).value(true).null().endArray();
  w.key("empty").beginObject().endObject().field("x", 0.5).endObject();
  CHECK(w.str() == "{\n  \"name\": \"a\\\"b\\n\",\n  \"list\": [\n    1,\n    true,\n    null\n  ],\n"
                   "  \"empty\": {},\n  \"x\": 0.5\n}\n");
  CHECK(JsonWriter::quote(std::string_view("\x01", 1)) == "\"\\u0001\"");
}
