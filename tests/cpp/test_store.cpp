// The stores as the bindings call them: JSON text in and out, refusals as Errors. Every
// rule is checked on both kinds of store; the durable one also across reopening.
#include <catch2/catch.hpp>

#include <dirent.h>

#include <fstream>
#include <iterator>

#include "atomservices/fold.hpp"
#include "atomservices/store.hpp"
#include "test_helpers.hpp"

using namespace atomservices;
using test::code_of;
using test::message_of;

namespace {

// Each kind of store behind the one interface; reopen() opens a durable store again.
struct InMemory {
  MemoryStore memory;
  Store& store() { return memory; }
  void reopen() {}  // nothing outlives a memory store
};

struct OnDisk {
  test::TempDir dir;
  std::unique_ptr<DurableStore> durable = open();
  Store& store() { return *durable; }

  std::unique_ptr<DurableStore> open() const {
    SegmentStoreOptions options;
    options.directory = dir.path;
    options.segment_bytes = 2048;  // small, so a few batches close segments
    return std::make_unique<DurableStore>(options, posix_syncer());
  }
  void reopen() {
    durable->engine().sync();
    durable->engine().close();
    durable.reset();  // one open store per directory
    durable = open();
  }
};

std::string stream_query(const std::string& aggregate = "a1", const std::string& options = "{}") {
  return R"({"AggregateType":"Account","AggregateID":")" + aggregate + R"(","options":)" + options + "}";
}

std::string snapshot_query(const std::string& version = "") {
  return R"({"key":"k1","AggregateType":"Account","AggregateID":"a1")" +
         (version.empty() ? "" : ",\"version\":" + version) + "}";
}

std::string batch(const std::string& events) { return "[" + events + "]"; }

std::string nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

const char* kCounter = R"({"initialState":{"n":0},"snapshotEvery":2,"on":{"Opened":[{"op":"increment","path":"n"}]}})";

}  // namespace

TEMPLATE_TEST_CASE("a store appends and reads back events", "[store]", InMemory, OnDisk) {
  TestType t;
  std::string first = test::event_json(new_uuid_v4(), 1);
  CHECK(t.store().append(batch(first + "," + test::fresh_event(2))).last_position == 2);
  CHECK(t.store().append(batch(test::fresh_event(1, "b"))).appended == 1);
  t.reopen();
  CHECK(t.store().last_position() == 3);
  CHECK(t.store().version(stream_query()) == 2);
  CHECK(t.store().version(stream_query("none")) == 0);
  std::string stream = t.store().read_stream(stream_query());
  CHECK_THAT(stream, Catch::StartsWith("[" + parse_events(batch(first))[0].json + ","));
  CHECK(t.store().read_stream(stream_query("a1", R"({"direction":"backward","limit":1})")).find("\"_version\":2") != std::string::npos);
  std::string all = t.store().read_all(R"({"fromPosition":3})");
  CHECK_THAT(all, Catch::StartsWith(R"([{"position":3,"event":{)"));
  CHECK_THAT(all, Catch::Contains(R"("AggregateID":"b")"));
  std::string id = parse_events(batch(first))[0].id;
  REQUIRE(t.store().find(id));
  CHECK(*t.store().find(id) == parse_events(batch(first))[0].json);
  CHECK_FALSE(t.store().find(new_uuid_v4()));
}

TEMPLATE_TEST_CASE("a store takes the same batch again as a retry, and refuses conflicts whole", "[store]", InMemory, OnDisk) {
  TestType t;
  std::string events = batch(test::fresh_event(1) + "," + test::fresh_event(2));
  CHECK(t.store().append(events).appended == 2);
  t.reopen();
  AppendResult retry = t.store().append(events);
  CHECK(retry.appended == 0);
  CHECK(retry.last_position == 2);
  CHECK(code_of([&] { t.store().append(batch(test::fresh_event(1, "x") + "," + test::fresh_event(2))); }) ==
        ErrorCode::CONCURRENCY_CONFLICT);
  CHECK(t.store().version(stream_query("x")) == 0);  // nothing of the refused batch
  CHECK_THAT(message_of([&] { t.store().append(batch(test::fresh_event(5))); }), Catch::Contains("is at version 2"));
  std::string stored_id = parse_events(events)[0].id;
  CHECK(code_of([&] { t.store().append(batch(test::event_json(stored_id, 3))); }) == ErrorCode::DUPLICATE_EVENT_ID);
  CHECK(code_of([&] { t.store().append("[]"); }) == ErrorCode::INVALID_BATCH);
  CHECK(code_of([&] { t.store().read_stream(R"({"AggregateType":"Account"})"); }) == ErrorCode::INVALID_ARGUMENT);
  CHECK(t.store().last_position() == 2);
}

TEMPLATE_TEST_CASE("a store keeps snapshots and checkpoints", "[store]", InMemory, OnDisk) {
  TestType t;
  CHECK_FALSE(t.store().get_snapshot(snapshot_query()));
  t.store().put_snapshot(snapshot_query("3"), R"({"n":3})");
  t.store().put_snapshot(snapshot_query("7"), R"( {"n":7} )");
  CHECK_FALSE(t.store().checkpoint("projector"));
  t.store().put_checkpoint("projector", 42);
  t.reopen();
  CHECK(t.store().get_snapshot(snapshot_query()) == std::string(R"({"version":7,"state": {"n":7} })"));
  CHECK(t.store().get_snapshot(snapshot_query("6")) == std::string(R"({"version":3,"state":{"n":3}})"));
  CHECK_FALSE(t.store().get_snapshot(snapshot_query("2")));
  CHECK(t.store().checkpoint("projector") == uint64_t{42});
  t.store().put_checkpoint("projector", 43);
  CHECK(t.store().checkpoint("projector") == uint64_t{43});
}

TEMPLATE_TEST_CASE("a store refuses checkpoint names outside the rule for names", "[store]", InMemory, OnDisk) {
  TestType t;
  CHECK(code_of([&] { t.store().put_checkpoint("", 1); }) == ErrorCode::INVALID_ARGUMENT);
  CHECK(code_of([&] { t.store().put_checkpoint(std::string(257, 'n'), 1); }) == ErrorCode::INVALID_ARGUMENT);
  CHECK_THAT(message_of([&] { t.store().put_checkpoint("a\nb", 1); }), Catch::Contains("name must not contain control characters"));
  t.store().put_checkpoint(std::string(256, 'n'), 1);
  CHECK(t.store().checkpoint(std::string(256, 'n')) == uint64_t{1});
  CHECK_FALSE(t.store().checkpoint(""));
}

TEMPLATE_TEST_CASE("a store takes states of JSON nested no deeper than events may", "[store]", InMemory, OnDisk) {
  TestType t;
  t.store().put_snapshot(snapshot_query("1"), nested(Limits::kMaxDepth));
  CHECK(t.store().get_snapshot(snapshot_query()) == "{\"version\":1,\"state\":" + nested(Limits::kMaxDepth) + "}");
  CHECK(message_of([&] { t.store().put_snapshot(snapshot_query("2"), nested(Limits::kMaxDepth + 1)); }) ==
        "state nests deeper than 64 levels; flatten the data");
  CHECK(code_of([&] { t.store().put_snapshot(snapshot_query("2"), nested(100000)); }) == ErrorCode::INVALID_ARGUMENT);
  CHECK_THAT(message_of([&] { t.store().put_snapshot(snapshot_query("2"), "{\"n\":"); }), Catch::StartsWith("state is not valid JSON: "));
  CHECK_THAT(message_of([&] { t.store().put_snapshot(snapshot_query("2"), "1 2"); }), Catch::StartsWith("state is not valid JSON: "));
  CHECK(code_of([&] { t.store().put_snapshot(R"({"AggregateType":"Account","AggregateID":"a1"})", "1"); }) ==
        ErrorCode::INVALID_ARGUMENT);
  CHECK(t.store().get_snapshot(snapshot_query()) == "{\"version\":1,\"state\":" + nested(Limits::kMaxDepth) + "}");
}

TEMPLATE_TEST_CASE("a store folds with a native reducer and saves its snapshots", "[store]", InMemory, OnDisk) {
  TestType t;
  for (int v = 1; v <= 5; ++v) t.store().append(batch(test::fresh_event(v)));
  std::string rehydrate = R"({"AggregateType":"Account","AggregateID":"a1","options":{}})";
  CHECK(t.store().rehydrate(kCounter, rehydrate) == R"({"version":5,"state":{"n":5.0}})");
  t.reopen();
  std::string key = compiled_reducer(kCounter).identity();
  std::string saved = R"({"key":")" + key + R"(","AggregateType":"Account","AggregateID":"a1"})";
  CHECK(t.store().get_snapshot(saved) == std::string(R"({"version":4,"state":{"n":4.0}})"));
  CHECK(t.store().rehydrate(kCounter, R"({"AggregateType":"Account","AggregateID":"a1","options":{"toVersion":3}})") ==
        R"({"version":3,"state":{"n":3.0}})");
  CHECK(code_of([&] { t.store().rehydrate("{}", rehydrate); }) == ErrorCode::INVALID_ARGUMENT);
}

TEST_CASE("a durable store reopens with what it held, and so does its engine's directory") {
  OnDisk t;
  for (int v = 1; v <= 40; ++v) t.store().append(batch(test::fresh_event(v)));
  t.store().put_checkpoint("reader", 40);
  t.reopen();
  CHECK(t.durable->engine().closed_segments() > 0);  // events came back from closed segments as well
  CHECK(t.store().version(stream_query()) == 40);
  CHECK(t.store().read_stream(stream_query("a1", R"({"fromVersion":1,"limit":1})")).find("\"_version\":1") != std::string::npos);
  CHECK(t.store().checkpoint("reader") == uint64_t{40});
  CHECK_FALSE(t.durable->engine().corruption());
}

TEST_CASE("a damaged durable store still folds what it can read, and takes nothing new") {
  OnDisk t;
  for (int v = 1; v <= 5; ++v) t.store().append(batch(test::fresh_event(v)));
  t.durable->engine().sync();
  t.durable.reset();
  // The one segment holds five batches of about 300 bytes: its middle is inside the third.
  std::string segment;
  DIR* dir = ::opendir(t.dir.path.c_str());
  while (dirent* e = ::readdir(dir)) {
    if (std::string(e->d_name).find(".log") != std::string::npos) segment = t.dir.file(e->d_name);
  }
  ::closedir(dir);
  std::ifstream in(segment, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), {}};
  in.close();
  bytes[bytes.size() / 2] ^= 0x10;
  std::ofstream(segment, std::ios::binary | std::ios::trunc) << bytes;
  t.durable = t.open();
  REQUIRE(t.durable->engine().corruption());
  CHECK(t.store().rehydrate(kCounter, R"({"AggregateType":"Account","AggregateID":"a1","options":{}})") ==
        R"({"version":2,"state":{"n":2.0}})");
  std::string key = compiled_reducer(kCounter).identity();
  CHECK_FALSE(t.store().get_snapshot(R"({"key":")" + key + R"(","AggregateType":"Account","AggregateID":"a1"})"));
  CHECK(code_of([&] { t.store().append(batch(test::fresh_event(3))); }) == ErrorCode::STORE_CORRUPT);
}
