#include <catch2/catch.hpp>

#include "atomservices/fold.hpp"
#include "test_helpers.hpp"

using namespace atomservices;
using test::code_of;
using test::message_of;

namespace {

std::string event(int version, const std::string& name, const std::string& payloads, const std::string& at = "2026-11-26T08:35:12.345Z") {
  return "{\"_id\":\"" + new_uuid_v4() + "\",\"_createdAt\":\"" + at + "\",\"_version\":" + std::to_string(version) +
         ",\"_createdBy\":\"t\",\"EventName\":\"" + name + "\",\"AggregateType\":\"Account\",\"AggregateID\":\"a1\",\"payloads\":" +
         payloads + "}";
}

State fold_all(const NativeReducer& r, const std::vector<std::string>& events) {
  State state = r.initial_state();
  for (const auto& e : events) r.apply(state, parse_events("[" + e + "]")[0].json);
  return state;
}

const char* kAccount = R"({"initialState":{"balance":0,"tags":[]},"on":{
  "Opened":[{"op":"set","path":"owner","from":"payloads.owner"},{"op":"set","path":"open","value":true}],
  "Deposited":[{"op":"add","path":"balance","from":"payloads.amount"},{"op":"increment","path":"stats.count"},
               {"op":"max","path":"stats.max","from":"payloads.amount"},{"op":"min","path":"stats.min","from":"payloads.amount"}],
  "Withdrew":[{"op":"subtract","path":"balance","from":"payloads.amount"}],
  "Tagged":[{"op":"push","path":"tags","from":"payloads.tag"}],
  "Untagged":[{"op":"remove","path":"tags","from":"payloads.tag"}],
  "Moved":[{"op":"merge","path":"address","from":"payloads.address"}],
  "Closed":[{"op":"unset","path":"owner"},{"op":"set","path":"open","value":false}],
  "*":[{"op":"set","path":"last","from":"EventName"}]}})";

}  // namespace

TEST_CASE("every operation changes the state as documented") {
  NativeReducer r = NativeReducer::compile(kAccount);
  State state = fold_all(r, {
      event(1, "Opened", R"({"owner":"ada"})"),
      event(2, "Deposited", R"({"amount":10})"),
      event(3, "Deposited", R"({"amount":2.5})"),
      event(4, "Withdrew", R"({"amount":4})"),
      event(5, "Tagged", R"({"tag":"vip"})"),
      event(6, "Tagged", R"({"tag":{"k":1}})"),
      event(7, "Tagged", R"({"tag":"vip"})"),
      event(8, "Untagged", R"({"tag":"vip"})"),
      event(9, "Moved", R"({"address":{"city":"Oslo","zip":"0150"}})"),
      event(10, "Moved", R"({"address":{"city":"Lima"}})"),
      event(11, "Closed", "{}"),
  });
  CHECK(state["balance"] == 8.5);
  CHECK(state["tags"] == State::parse(R"([{"k":1}])"));
  CHECK_FALSE(state.contains("owner"));
  CHECK(state["open"] == false);
  CHECK(state["last"] == "Closed");
  CHECK(state["stats"]["count"] == 2);
  CHECK(state["stats"]["max"] == 10);
  CHECK(state["stats"]["min"] == 2.5);
  CHECK(state["address"] == State::parse(R"({"city":"Lima","zip":"0150"})"));
}

TEST_CASE("remove compares objects by their members, in any key order") {
  NativeReducer r = NativeReducer::compile(kAccount);
  State state = fold_all(r, {
      event(1, "Tagged", R"({"tag":{"a":1,"b":{"x":[1,{"p":1,"q":2}],"y":2}}})"),
      event(2, "Tagged", R"({"tag":{"a":1,"b":3}})"),
      event(3, "Tagged", R"({"tag":{"a":1}})"),
      event(4, "Untagged", R"({"tag":{"b":{"y":2,"x":[1,{"q":2,"p":1}]},"a":1}})"),
      event(5, "Untagged", R"({"tag":{"b":3}})"),
  });
  // The first is gone though its keys came in another order; {a:1,b:3} is not {b:3}.
  CHECK(state["tags"] == State::parse(R"([{"a":1,"b":3},{"a":1}])"));
  state = fold_all(r, {event(1, "Tagged", R"({"tag":[{"a":1,"b":2}]})"), event(2, "Untagged", R"({"tag":[{"b":2,"a":1}]})")});
  CHECK(state["tags"].empty());
  state = fold_all(r, {event(1, "Tagged", R"({"tag":[1,2]})"), event(2, "Untagged", R"({"tag":[2,1]})")});
  CHECK(state["tags"].size() == 1);  // arrays keep their order
}

TEST_CASE("an operation whose source is missing or of the wrong type changes nothing") {
  NativeReducer r = NativeReducer::compile(kAccount);
  State state = fold_all(r, {
      event(1, "Deposited", R"({"amount":"ten"})"),
      event(2, "Deposited", R"({})"),
      event(3, "Moved", R"({"address":"nowhere"})"),
      event(4, "Withdrew", R"({"amount":[1]})"),
  });
  CHECK(state["balance"] == 0);
  CHECK(state["stats"]["count"] == 2);  // increment has a constant operand
  CHECK_FALSE(state.contains("address"));
}

TEST_CASE("definitions are checked with the place and the reason") {
  auto message = [](const std::string& definition) { return message_of([&] { NativeReducer::compile(definition); }); };
  CHECK_THAT(message(R"({"on":{"A":[{"op":"sett","path":"x"}]}})"), Catch::Contains("on.A[0].op \"sett\" is not an operation"));
  CHECK_THAT(message(R"({"on":{"A":[{"op":"add","path":"x","value":"1"}]}})"), Catch::Contains("on.A[0].value must be a number"));
  CHECK_THAT(message(R"({"on":{"A":[{"op":"set","path":"a..b","value":1}]}})"), Catch::Contains("on.A[0].path must be a dot path"));
  CHECK_THAT(message(R"({"on":{}})"), Catch::Contains("on maps no EventName"));
  CHECK_THAT(message(R"({"on":{"A":[]},"snapshotEvery":-1})"), Catch::Contains("snapshotEvery must be a positive integer"));
  CHECK_THAT(message(R"({"initialState":5,"on":{"A":[]}})"), Catch::Contains("initialState must be an object"));
  CHECK_THAT(message("{"), Catch::Contains("is not valid JSON"));
  CHECK(code_of([] { NativeReducer::compile("[]"); }) == ErrorCode::INVALID_ARGUMENT);
}

TEST_CASE("the identity follows the meaning, not the snapshot interval") {
  std::string base = R"({"initialState":{},"on":{"A":[{"op":"increment","path":"n"}]})";
  auto a = NativeReducer::compile(base + "}");
  auto b = NativeReducer::compile(base + R"(,"snapshotEvery":10})");
  auto c = NativeReducer::compile(R"({"initialState":{"n":1},"on":{"A":[{"op":"increment","path":"n"}]}})");
  CHECK(a.identity() == b.identity());
  CHECK(a.identity() != c.identity());
}

TEST_CASE("folds from snapshots give the same states, at every version and time") {
  EventLog log;
  std::vector<std::string> texts;
  for (int v = 1; v <= 40; ++v) {
    std::string name = v % 5 == 0 ? "Withdrew" : "Deposited";
    std::string at = "2026-11-26T08:" + std::string(v < 10 ? "0" : "") + std::to_string(v) + ":00.000Z";
    log.append(parse_events("[" + event(v, name, "{\"amount\":" + std::to_string(v) + "}", at) + "]"));
  }
  std::string definition = std::string(kAccount).insert(1, R"("snapshotEvery":7,)");
  NativeReducer with = NativeReducer::compile(definition);
  NativeReducer without = NativeReducer::compile(kAccount);
  int saved = 0;
  for (int to = 0; to <= 40; ++to) {
    RehydrateQuery q{"Account", "a1", to, "", true};
    Folded a = fold(log, with, q, [&](int64_t version, const std::string& state) {
      log.put_snapshot(with.identity(), "Account", "a1", version, state);
      ++saved;
    });
    q.use_snapshots = false;
    Folded b = fold(log, without, q, [](int64_t, const std::string&) { FAIL("no snapshots without snapshotEvery"); });
    REQUIRE(a.state_json == b.state_json);
    REQUIRE(a.version == to);
  }
  CHECK(saved > 0);
  RehydrateQuery at{"Account", "a1", Limits::kMaxVersion, "2026-11-26T08:12:30.000Z", true};
  CHECK(version_at(log, "Account", "a1", at.at, Limits::kMaxVersion) == 12);
  CHECK(fold(log, without, at, [](int64_t, const std::string&) {}).version == 12);
}

TEST_CASE("a fold in pages from outside the core follows fold()'s rules: snapshots at multiples, the time cut, continuity") {
  std::string definition = std::string(kAccount).insert(1, R"("snapshotEvery":5,)");
  NativeReducer reducer = NativeReducer::compile(definition);
  auto minute = [](int m) { return "2026-11-26T08:" + std::string(m < 10 ? "0" : "") + std::to_string(m) + ":00.000Z"; };
  std::string page = "[" + event(1, "Opened", R"({"owner":"ada"})", minute(1));
  for (int v = 2; v <= 12; ++v) page += "," + event(v, "Deposited", R"({"amount":1})", minute(v));
  page += "]";
  SECTION("snapshots are due at every multiple of snapshotEvery, and only when asked") {
    FoldedPage folded = fold_events(reducer, {"", 0, "", true}, page);
    CHECK(folded.folded.version == 12);
    REQUIRE(folded.snapshots.size() == 2);
    CHECK(folded.snapshots[0].first == 5);
    CHECK(folded.snapshots[1].first == 10);
    CHECK(folded.snapshots[1].second != folded.folded.state_json);  // the state at 10, not at 12
    CHECK(folded.snapshots[1].second == fold_events(reducer, {"", 0, minute(10), false}, page).folded.state_json);
    CHECK(fold_events(reducer, {"", 0, "", false}, page).snapshots.empty());
  }
  SECTION("a time cut keeps the longest prefix created at or before it, and says it ended") {
    FoldedPage cut = fold_events(reducer, {"", 0, minute(7), false}, page);
    CHECK(cut.folded.version == 7);
    CHECK(cut.ended);
    CHECK_FALSE(fold_events(reducer, {"", 0, minute(59), false}, page).ended);
    CHECK(events_within(page, minute(7)) == 7);
    CHECK(events_within(page, minute(0)) == 0);
    CHECK(events_within("[]", minute(7)) == 0);
  }
  SECTION("a page continues from a state and version") {
    FoldedPage first = fold_events(reducer, {"", 0, "", false}, page);
    std::string next = "[" + event(13, "Deposited", R"({"amount":100})", minute(13)) + "]";
    FoldedPage second = fold_events(reducer, {first.folded.state_json, first.folded.version, "", true}, next);
    CHECK(second.folded.version == 13);
    CHECK(State::parse(second.folded.state_json).dump().find("\"balance\":111") != std::string::npos);
    CHECK(to_json(second).find("\"ended\":false") != std::string::npos);
  }
  SECTION("stored events must continue the version, or the page is STORE_CORRUPT") {
    std::vector<Event> events = parse_events(page);
    std::string stored = "[" + events[0].json + "," + events[2].json + "]";
    CHECK(code_of([&] { fold_stored(reducer, {"", 0, "", false}, stored); }) == ErrorCode::STORE_CORRUPT);
  }
  CHECK(snapshot_key("identity", "") == "identity");
  CHECK(snapshot_key("js:v1", "|up") == "js:v1|up");
}
