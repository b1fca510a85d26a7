#include <catch2/catch.hpp>

#include <cctype>

#include "atomservices/event_log.hpp"
#include "atomservices/ids.hpp"
#include "atomservices/queries.hpp"
#include "test_helpers.hpp"

using namespace atomservices;
using test::code_of;
using test::fresh_event;

namespace {
AppendResult append(EventLog& log, const std::string& events) { return log.append(parse_events("[" + events + "]")); }
}  // namespace

TEST_CASE("versions must be dense per aggregate") {
  EventLog log;
  CHECK(append(log, fresh_event(1)).last_position == 1);
  CHECK(append(log, fresh_event(1, "other")).last_position == 2);
  CHECK(append(log, fresh_event(2)).appended == 1);
  CHECK(log.version("Account", "a1") == 2);
  CHECK(log.version("Account", "other") == 1);
  CHECK(log.version("Account", "none") == 0);
  CHECK(code_of([&] { append(log, fresh_event(2)); }) == ErrorCode::CONCURRENCY_CONFLICT);
  CHECK(code_of([&] { append(log, fresh_event(4)); }) == ErrorCode::CONCURRENCY_CONFLICT);
  CHECK(log.last_position() == 3);
}

TEST_CASE("a conflict names expected and actual versions") {
  EventLog log;
  append(log, fresh_event(1));
  try {
    append(log, fresh_event(5));
    FAIL("expected a conflict");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::CONCURRENCY_CONFLICT);
    CHECK_THAT(e.details(), Catch::Contains("\"expectedVersion\":4,\"actualVersion\":1"));
    CHECK_THAT(std::string(e.what()), Catch::Contains("is at version 1"));
  }
}

TEST_CASE("retrying a stored event is a no-op; a different event with the same id is refused") {
  EventLog log;
  std::string id = new_uuid_v4();
  std::string event = test::event_json(id, 1);
  CHECK(append(log, event).appended == 1);
  AppendResult retry = append(log, event);
  CHECK(retry.appended == 0);
  CHECK(log.last_position() == 1);
  CHECK(code_of([&] { append(log, test::event_json(id, 1, "a1", "{\"n\":2}")); }) ==
        ErrorCode::DUPLICATE_EVENT_ID);
  CHECK(code_of([&] { append(log, test::event_json(id, 2)); }) == ErrorCode::DUPLICATE_EVENT_ID);
}

TEST_CASE("a batch is all-or-nothing") {
  EventLog log;
  append(log, fresh_event(1, "x"));
  std::string batch = fresh_event(1) + "," + fresh_event(2) + "," + fresh_event(1, "x");
  CHECK(code_of([&] { append(log, batch); }) == ErrorCode::CONCURRENCY_CONFLICT);
  CHECK(log.last_position() == 1);
  CHECK(log.version("Account", "a1") == 0);
  CHECK(append(log, fresh_event(1) + "," + fresh_event(2) + "," + fresh_event(2, "x")).appended == 3);
  CHECK(log.version("Account", "a1") == 2);
}

TEST_CASE("a batch may hold the same event twice") {
  EventLog log;
  std::string e = fresh_event(1);
  CHECK(append(log, e + "," + e).appended == 1);
}

TEST_CASE("stream reads honour from, to, limit and direction") {
  EventLog log;
  for (int v = 1; v <= 5; ++v) {
    append(log, test::event_json(new_uuid_v4(), v, "a1", std::to_string(v)));
    append(log, fresh_event(v, "b"));
  }
  auto read = [&](const std::string& options) {
    StreamQuery q = parse_stream_query("{\"AggregateType\":\"Account\",\"AggregateID\":\"a1\",\"options\":" + options + "}");
    return log.read_stream(q.aggregate_type, q.aggregate_id, q.options);
  };
  auto versions = [](const std::string& json) {
    std::string out;
    for (size_t p = json.find("\"_version\":"); p != std::string::npos; p = json.find("\"_version\":", p + 1)) {
      out += json[p + 11];
    }
    return out;
  };
  CHECK(versions(read("{}")) == "12345");
  CHECK(versions(read("{\"fromVersion\":2,\"toVersion\":4}")) == "234");
  CHECK(versions(read("{\"limit\":2}")) == "12");
  CHECK(versions(read("{\"direction\":\"backward\"}")) == "54321");
  CHECK(versions(read("{\"direction\":\"backward\",\"toVersion\":3,\"limit\":2}")) == "32");
  CHECK(versions(read("{\"fromVersion\":9}")) == "");
  CHECK(log.read_stream("Account", "missing", {}) == "[]");
}

TEST_CASE("global reads are in append order with positions") {
  EventLog log;
  append(log, fresh_event(1, "a") + "," + fresh_event(1, "b"));
  append(log, fresh_event(1, "c"));
  std::string all = log.read_all({});
  CHECK(all.rfind("[{\"position\":1,\"event\":{", 0) == 0);
  CHECK(all.find("{\"position\":3,") != std::string::npos);
  std::string tail = log.read_all(parse_global_query("{\"fromPosition\":2,\"limit\":1}"));
  CHECK(tail.rfind("[{\"position\":2,", 0) == 0);
  CHECK(tail.find("\"position\":3") == std::string::npos);
}

TEST_CASE("lookup by id, any case") {
  EventLog log;
  std::string id = new_uuid_v4();
  append(log, test::event_json(id, 1));
  REQUIRE(log.find(id).has_value());
  std::string upper = id;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(log.find(upper) == log.find(id));
  CHECK_FALSE(log.find(new_uuid_v4()).has_value());
}

TEST_CASE("read arguments are validated") {
  auto code = [](const std::string& json) { return code_of([&] { parse_stream_query(json); }); };
  CHECK(code("{\"AggregateID\":\"x\"}") == ErrorCode::INVALID_ARGUMENT);
  CHECK(code("{\"AggregateType\":\"\",\"AggregateID\":\"x\"}") == ErrorCode::INVALID_ARGUMENT);
  CHECK(code("{\"AggregateType\":\"T\",\"AggregateID\":\"x\",\"options\":{\"limit\":0}}") == ErrorCode::INVALID_ARGUMENT);
  CHECK(code("{\"AggregateType\":\"T\",\"AggregateID\":\"x\",\"options\":{\"direction\":\"up\"}}") == ErrorCode::INVALID_ARGUMENT);
  CHECK(code("{\"AggregateType\":\"T\",\"AggregateID\":\"x\",\"options\":{\"fromVerison\":1}}") == ErrorCode::INVALID_ARGUMENT);
  CHECK(code_of([] { parse_global_query("{\"fromPosition\":-1}"); }) == ErrorCode::INVALID_ARGUMENT);
  CHECK(code_of([] { parse_global_query("[]"); }) == ErrorCode::INVALID_ARGUMENT);
}

TEST_CASE("finds every one of many events by id, in either case, and no other") {
  EventLog log;
  std::vector<std::string> ids;
  for (int batch = 0; batch < 20; ++batch) {
    std::string events;
    for (int i = 1; i <= 1000; ++i) {
      ids.push_back(new_uuid_v4());
      if (!events.empty()) events += ',';
      events += "{\"_id\":\"" + ids.back() + "\",\"_createdAt\":\"2026-11-26T08:35:12.345Z\",\"_version\":" +
                std::to_string(batch * 1000 + i) +
                ",\"_createdBy\":\"t\",\"EventName\":\"E\",\"AggregateType\":\"A\",\"AggregateID\":\"a\",\"payloads\":{}}";
    }
    append(log, events);
  }
  for (size_t i = 0; i < ids.size(); i += 997) {
    std::optional<std::string_view> found = log.find(ids[i]);
    REQUIRE(found);
    std::string json(*found);
    CHECK_THAT(json, Catch::Contains(ids[i]));
    std::string upper = ids[i];
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(log.find(upper) == std::optional<std::string_view>(json));
  }
  CHECK_FALSE(log.find(new_uuid_v4()).has_value());
  CHECK_FALSE(log.find("not-a-uuid").has_value());
  CHECK(log.last_position() == 20000);
}
