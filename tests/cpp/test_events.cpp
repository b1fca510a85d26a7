#include <catch2/catch.hpp>

#include "atomservices/event.hpp"
#include "test_helpers.hpp"

using namespace atomservices;
using test::code_of;
using test::message_of;

namespace {
const std::string kId = "0f8fad5b-d9cb-469f-a165-70867728950e";

std::string with_field(const std::string& field, const std::string& value) {
  std::string fields[][2] = {{"_id", "\"" + kId + "\""},
                             {"_createdAt", "\"2026-11-26T08:35:12.345Z\""},
                             {"_version", "1"},
                             {"_createdBy", "\"tester\""},
                             {"EventName", "\"Opened\""},
                             {"AggregateType", "\"Account\""},
                             {"AggregateID", "\"a1\""},
                             {"payloads", "{}"}};
  std::string out = "[{";
  bool first = true;
  bool replaced = false;
  for (auto& f : fields) {
    std::string v = f[1];
    if (f[0] == field) {
      replaced = true;
      if (value == "<missing>") continue;
      v = value;
    }
    out += (first ? "\"" : ",\"") + f[0] + "\":" + v;
    first = false;
  }
  if (!replaced) out += ",\"" + field + "\":" + value;
  return out + "}]";
}

ErrorCode parse_code(const std::string& text) {
  return code_of([&] { parse_events(text); });
}
}  // namespace

TEST_CASE("a valid batch parses into canonical events") {
  auto events = parse_events("[" + test::event_json(kId, 1) + "]");
  REQUIRE(events.size() == 1);
  CHECK(events[0].aggregate_type == "Account");
  CHECK(events[0].version == 1);
  CHECK(events[0].json ==
        "{\"_id\":\"" + kId +
            "\",\"_createdAt\":\"2026-11-26T08:35:12.345Z\",\"_version\":1,\"_createdBy\":"
            "\"tester\",\"EventName\":\"Opened\",\"AggregateType\":\"Account\",\"AggregateID\":"
            "\"a1\",\"payloads\":{\"n\":1}}");
}

TEST_CASE("canonical form fixes the key order and lowercases the id") {
  std::string text = "[{\"payloads\":[1, 2],\"AggregateID\":\"x\",\"_version\":2,\"EventName\":\"E\","
                     "\"AggregateType\":\"T\",\"_createdBy\":\"u\",\"metadata\":{\"k\":\"v\"},"
                     "\"_createdAt\":\"2026-11-26T08:35:12.345Z\",\"_id\":\"0F8FAD5B-D9CB-469F-A165-70867728950E\"}]";
  auto events = parse_events(text);
  CHECK(events[0].id == kId);
  CHECK(events[0].json.rfind("{\"_id\":\"" + kId, 0) == 0);
  CHECK(events[0].json.find(",\"payloads\":[1, 2],\"metadata\":{\"k\":\"v\"}}") != std::string::npos);
}

TEST_CASE("batch shape errors") {
  CHECK(parse_code("[]") == ErrorCode::INVALID_BATCH);
  CHECK(parse_code("{}") == ErrorCode::INVALID_BATCH);
  CHECK(parse_code("null") == ErrorCode::INVALID_BATCH);
  CHECK(parse_code("[null]") == ErrorCode::INVALID_EVENT);
  CHECK(parse_code("[1]") == ErrorCode::INVALID_EVENT);
  CHECK(parse_code("[\"e\"]") == ErrorCode::INVALID_EVENT);
  CHECK(parse_code("[{]") == ErrorCode::INVALID_ARGUMENT);
  CHECK(message_of([] { parse_events("[null]"); }) == "events[0] must be an event object, got null");
}

TEST_CASE("each contract field is checked with a message naming it") {
  struct Case {
    const char* field;
    std::string value;
    const char* expected;
  };
  std::string long_name = "\"" + std::string(257, 'x') + "\"";
  Case cases[] = {
      {"EventName", "<missing>", "events[0].EventName is missing"},
      {"EventName", "42", "events[0].EventName must be a string, got number 42"},
      {"EventName", "\"\"", "events[0].EventName must not be empty"},
      {"EventName", long_name, "events[0].EventName must be at most 256 characters, got 257"},
      {"AggregateType", "\"a\\nb\"", "events[0].AggregateType must not contain control characters"},
      {"AggregateID", "\"a\\u0085b\"", "events[0].AggregateID must not contain control characters"},
      {"AggregateID", "\"\\udc00\"", "events[0].AggregateID must be valid Unicode text"},
      {"_createdBy", "null", "events[0]._createdBy must be a string, got null"},
      {"_id", "\"abc\"", "events[0]._id must be a UUID"},
      {"_id", "<missing>", "events[0]._id is missing"},
      {"_createdAt", "\"2026-11-26\"", "events[0]._createdAt must be an ISO-8601 UTC time"},
      {"_version", "0", "events[0]._version must be an integer from 1"},
      {"_version", "-1", "events[0]._version must be an integer from 1"},
      {"_version", "1.5", "events[0]._version must be an integer from 1"},
      {"_version", "\"1\"", "events[0]._version must be an integer from 1"},
      {"_version", "9007199254740992", "events[0]._version must be an integer from 1"},
      {"_version", "1e400", "events[0]._version must be an integer from 1"},
      {"payloads", "<missing>", "events[0].payloads is missing; use {} for an event without data"},
      {"metadata", "[]", "events[0].metadata must be an object when given"},
      {"extra", "1", "events[0].extra is not a field of an event"},
  };
  for (const auto& c : cases) {
    INFO(c.field << " = " << c.value);
    std::string text = with_field(c.field, c.value);
    CHECK(parse_code(text) == ErrorCode::INVALID_EVENT);
    CHECK_THAT(message_of([&] { parse_events(text); }), Catch::StartsWith(c.expected));
  }
}

TEST_CASE("duplicate keys are refused") {
  std::string text = with_field("metadata", "{}");
  text.insert(text.size() - 2, ",\"metadata\":{}");
  CHECK_THAT(message_of([&] { parse_events(text); }), Catch::Contains("appears twice"));
}

TEST_CASE("payload nesting and size limits") {
  std::string deep = std::string(64, '[') + std::string(64, ']');
  CHECK_NOTHROW(parse_events(with_field("payloads", deep)));
  std::string deeper = std::string(65, '[') + std::string(65, ']');
  CHECK_THAT(message_of([&] { parse_events(with_field("payloads", deeper)); }),
             Catch::Contains("nests deeper than 64 levels"));
  std::string hostile = std::string(1000000, '[');
  CHECK(parse_code(with_field("payloads", hostile)) == ErrorCode::INVALID_EVENT);
  std::string big = "\"" + std::string(Limits::kMaxEventBytes, 'x') + "\"";
  CHECK(parse_code(with_field("payloads", big)) == ErrorCode::EVENT_TOO_LARGE);
}

TEST_CASE("a bad event anywhere in a batch is reported with its index") {
  std::string text = "[" + test::fresh_event(1) + "," + test::fresh_event(0, "b") + "]";
  auto message = message_of([&] { parse_events(text); });
  CHECK_THAT(message, Catch::StartsWith("events[1]._version"));
}
