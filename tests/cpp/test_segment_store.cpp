#include <catch2/catch.hpp>

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include "../../src/range_filters.hpp"
#include "atomservices/segment_store.hpp"
#include "test_helpers.hpp"

using namespace atomservices;
using test::code_of;

namespace {

struct TempDir : test::TempDir {
  // The directory's files, or those whose names end with `suffix`.
  std::vector<std::string> files(const std::string& suffix = "") const {
    std::vector<std::string> out;
    DIR* dir = ::opendir(path.c_str());
    while (dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      bool wanted = name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
      if (name != "." && name != ".." && wanted) out.push_back(name);
    }
    ::closedir(dir);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string read(const std::string& name) const {
    std::ifstream in(path + "/" + name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path + "/" + name, std::ios::binary | std::ios::trunc) << bytes;
  }
};

SegmentStoreOptions small(const std::string& dir) {
  SegmentStoreOptions o;
  o.directory = dir;
  o.segment_bytes = 2048;
  o.merge_fanout = 4;
  return o;
}

std::unique_ptr<SegmentStore> open(const SegmentStoreOptions& o) { return std::make_unique<SegmentStore>(o, posix_syncer()); }

void append_versions(SegmentStore& store, int from, int to, const std::string& aggregate = "a1") {
  for (int v = from; v <= to; ++v) {
    store.append(parse_events("[" + test::fresh_event(v, aggregate) + "]"));
  }
}

// Versions 1 to 20 of a1 and b1 in turns over several segments (with a checkpoint every
// fifth pair, if asked), synced; returns the whole log as read back.
std::string interleaved_streams(const std::string& directory, bool checkpoints) {
  auto store = open(small(directory));
  for (int v = 1; v <= 20; ++v) {
    append_versions(*store, v, v, "a1");
    append_versions(*store, v, v, "b1");
    if (checkpoints && v % 5 == 0) store->put_checkpoint("projection", static_cast<uint64_t>(2 * v));
  }
  store->sync();
  return store->log().read_all({});
}

}  // namespace

TEST_CASE("a durable store keeps its events across reopen") {
  TempDir dir;
  std::string all;
  {
    auto store = open(small(dir.path));
    append_versions(*store, 1, 3);
    store->append(parse_events("[" + test::fresh_event(1, "b") + "," + test::fresh_event(2, "b") + "]"));
    store->sync();
    all = store->log().read_all({});
  }
  auto store = open(small(dir.path));
  CHECK(store->log().read_all({}) == all);
  CHECK(store->log().version("Account", "a1") == 3);
  CHECK(store->log().version("Account", "b") == 2);
  CHECK(store->stats().torn_bytes_cut == 0);
  append_versions(*store, 4, 4);
  CHECK(store->log().last_position() == 6);
  CHECK(code_of([&] { append_versions(*store, 4, 4); }) == ErrorCode::CONCURRENCY_CONFLICT);
}

TEST_CASE("segments roll and merge so the file count stays small") {
  TempDir dir;
  std::string all;
  {
    auto store = open(small(dir.path));
    append_versions(*store, 1, 2000);
    store->sync();
    all = store->log().read_all({});
    CHECK(store->stats().files <= 16);
  }
  CHECK(dir.files(".log").size() <= 16);
  auto store = open(small(dir.path));
  CHECK(store->log().last_position() == 2000);
  CHECK(store->log().read_all({}) == all);
}

TEST_CASE("a torn tail is cut at every byte offset, and the prefix survives") {
  TempDir dir;
  {
    auto store = open(small(dir.path));
    append_versions(*store, 1, 3);
  }
  auto names = dir.files();
  REQUIRE(names.size() == 1);
  std::string full = dir.read(names[0]);
  std::string prefix;
  {
    auto store = open(small(dir.path));
    prefix = store->log().read_stream("Account", "a1", {1, 2});
  }
  // The last record starts where the file holding two events ended.
  TempDir two;
  {
    auto store = open(small(two.path));
    append_versions(*store, 1, 2);
  }
  size_t last_record = two.read(two.files()[0]).size();
  for (size_t cut = last_record; cut < full.size(); ++cut) {
    dir.write(names[0], full.substr(0, cut));
    auto store = open(small(dir.path));
    INFO("cut at " << cut);
    REQUIRE(store->corruption() == std::nullopt);
    REQUIRE(store->log().last_position() == 2);
    REQUIRE(store->log().version("Account", "a1") == 2);
    REQUIRE(store->stats().torn_bytes_cut == cut - last_record);
    append_versions(*store, 3, 3);  // the store works after the cut
    REQUIRE(store->log().last_position() == 3);
  }
}

TEST_CASE("damage in the middle is reported, the events before it stay readable") {
  TempDir dir;
  {
    auto store = open(small(dir.path));
    append_versions(*store, 1, 5);
  }
  std::string name = dir.files()[0];
  std::string bytes = dir.read(name);
  // Flip a bit inside the third record's payload (records are ~300 bytes each).
  size_t header_and_two = bytes.size() - 3 * (bytes.size() - 40) / 5;
  bytes[header_and_two + 100] ^= 0x10;
  dir.write(name, bytes);
  auto store = open(small(dir.path));
  REQUIRE(store->corruption().has_value());
  CHECK(store->corruption()->file == name);
  CHECK(store->log().last_position() == 2);
  CHECK(code_of([&] { append_versions(*store, 3, 3); }) == ErrorCode::STORE_CORRUPT);
  CHECK(dir.read(name) == bytes);  // nothing is cut when the damage is not at the tail
}

TEST_CASE("a missing segment is reported as corruption") {
  TempDir dir;
  {
    auto store = open(small(dir.path));
    append_versions(*store, 1, 60);
  }
  auto names = dir.files(".log");
  REQUIRE(names.size() >= 3);
  std::remove((dir.path + "/" + names[1]).c_str());
  auto store = open(small(dir.path));
  REQUIRE(store->corruption().has_value());
  CHECK_THAT(store->corruption()->reason, Catch::Contains("are missing"));
}

TEST_CASE("leftovers of an interrupted merge are cleaned up on open") {
  TempDir dir;
  {
    auto store = open(small(dir.path));
    append_versions(*store, 1, 40);
  }
  auto before = dir.files(".log");
  REQUIRE(before.size() >= 3);
  // Simulate a crash after a merge renamed its output but before it removed its inputs:
  // merge the first two segments by hand.
  std::string first = dir.read(before[0]), second = dir.read(before[1]);
  std::string merged = first + second.substr(29);  // skip second's header frame: 12 + 1 + 8 + 8 bytes
  dir.write(before[0], merged);
  dir.write("junk.tmp", "partial");
  dir.write("segment-00000000000fffff.idx", "the index of a merge input whose segment went first");
  std::string all;
  {
    auto store = open(small(dir.path));
    REQUIRE(store->corruption() == std::nullopt);
    CHECK(store->log().last_position() == 40);
  }
  auto after = dir.files();
  CHECK(std::find(after.begin(), after.end(), before[1]) == after.end());
  CHECK(std::find(after.begin(), after.end(), "junk.tmp") == after.end());
  CHECK(std::find(after.begin(), after.end(), "segment-00000000000fffff.idx") == after.end());
}

TEST_CASE("retries and conflicts behave as in memory") {
  TempDir dir;
  auto store = open(small(dir.path));
  std::string event = test::fresh_event(1);
  CHECK(store->append(parse_events("[" + event + "]")).appended == 1);
  CHECK(store->append(parse_events("[" + event + "]")).appended == 0);
  std::string batch = test::fresh_event(2) + "," + test::fresh_event(1, "x") + "," + test::fresh_event(3, "x");
  CHECK(code_of([&] { store->append(parse_events("[" + batch + "]")); }) == ErrorCode::CONCURRENCY_CONFLICT);
  store.reset();
  auto reopened = open(small(dir.path));
  CHECK(reopened->log().last_position() == 1);
}

TEST_CASE("event bodies are read back from the files through a small cache, the same as in memory") {
  TempDir dir;
  SegmentStoreOptions o = small(dir.path);
  o.segment_bytes = 256 << 10;
  o.cache_bytes = 128 << 10;  // less than the largest events: most reads miss
  EventLog oracle;
  auto store = open(o);
  std::mt19937 random(7);
  for (int v = 1; v <= 300; ++v) {
    // Bodies from a few bytes to past two cache blocks, so some straddle blocks.
    std::string pad(random() % 3 == 0 ? random() % (150 << 10) : random() % 100, 'x');
    std::string event = test::event_json(new_uuid_v4(), v, "big", "{\"pad\":\"" + pad + "\"}");
    store->append(parse_events("[" + event + "]"));
    oracle.append(parse_events("[" + event + "]"));
    if (v % 7 == 0) store->sync();
    if (v % 50 == 0) CHECK(store->log().read_all({}) == oracle.read_all({}));  // written and pending bodies
    GlobalReadOptions tail;  // a run of the active segment that ends in what is not written yet
    tail.from_position = v > 5 ? v - 5 : 1;
    CHECK(store->log().read_all(tail) == oracle.read_all(tail));
  }
  store->sync();
  CHECK(store->log().read_stream("Account", "big", {}) == oracle.read_stream("Account", "big", {}));
  CHECK(store->stats().cache_misses > 0);
  CHECK(store->stats().cache_hits > 0);
  CHECK(store->stats().cache_bytes <= (128 << 10) + BlockCache::kBlockBytes);
  store.reset();
  CHECK(dir.files(".log").size() < 30);  // merged: 300 events of ~25 KB would fill more segments
  store = open(o);
  CHECK(store->log().read_all({}) == oracle.read_all({}));
  for (int i = 0; i < 40; ++i) {  // windows that start and stop anywhere, across segments
    GlobalReadOptions window;
    window.from_position = random() % 320;
    window.limit = random() % 4 == 0 ? 1 : random() % 120;
    CHECK(store->log().read_all(window) == oracle.read_all(window));
  }
  StreamReadOptions backward;
  backward.backward = true;
  CHECK(store->log().read_stream("Account", "big", backward) == oracle.read_stream("Account", "big", backward));
}

TEST_CASE("closed segments open from their index files, and damage in them is found when read or verified") {
  TempDir dir;
  std::string all;
  {
    auto store = open(small(dir.path));
    append_versions(*store, 1, 30, "a1");
    append_versions(*store, 1, 30, "b1");
    store->sync();
    all = store->log().read_all({});
  }
  auto segments = dir.files(".log");
  REQUIRE(segments.size() >= 3);
  CHECK(dir.files(".idx").size() == segments.size() - 1);  // every closed segment has one
  // Damage one event's body in the first segment: its index still reads, so the open does not notice.
  std::string bytes = dir.read(segments[0]);
  size_t body = bytes.find("\"payloads\"", 40);
  bytes[body + 3] ^= 0x01;
  dir.write(segments[0], bytes);
  auto store = open(small(dir.path));
  CHECK(store->corruption() == std::nullopt);
  CHECK(store->log().last_position() == 60);
  CHECK(store->log().version("Account", "b1") == 30);
  CHECK(code_of([&] { store->log().read_all({}); }) == ErrorCode::STORE_CORRUPT);
  REQUIRE(store->corruption().has_value());
  CHECK(store->corruption()->file == segments[0]);
  CHECK(code_of([&] { append_versions(*store, 31, 31); }) == ErrorCode::STORE_CORRUPT);
  store.reset();
  store = open(small(dir.path));
  CHECK(code_of([&] { store->verify_segment(0); }) == ErrorCode::STORE_CORRUPT);
}

TEST_CASE("a missing or damaged index file is rebuilt from its segment, the same as it was") {
  TempDir dir;
  std::string all = interleaved_streams(dir.path, true);
  auto indexes = dir.files(".idx");
  REQUIRE(indexes.size() >= 2);
  std::string original = dir.read(indexes[0]), damaged = dir.read(indexes[1]);
  std::remove((dir.path + "/" + indexes[0]).c_str());
  damaged[damaged.size() - 30] ^= 0x40;  // in the summary, which the open checks
  dir.write(indexes[1], damaged);
  auto store = open(small(dir.path));
  CHECK(store->corruption() == std::nullopt);
  CHECK(store->log().read_all({}) == all);
  CHECK(store->log().checkpoint("projection") == 40u);
  CHECK(dir.read(indexes[0]) == original);
  CHECK(dir.read(indexes[1]) != damaged);
  uint64_t verified = 0;
  for (size_t n = 0; n < store->closed_segments(); ++n) verified += store->verify_segment(n);
  CHECK(verified == store->log().sealed());
  CHECK(store->log().version("Account", "a1") == 20);
  append_versions(*store, 21, 21, "a1");
  CHECK(store->log().read_stream("Account", "a1", {}).find("\"_version\":21") != std::string::npos);
}

TEST_CASE("an index damaged past its summary is rebuilt when the damage is read, and the store goes on") {
  TempDir dir;
  std::string all = interleaved_streams(dir.path, false);
  auto indexes = dir.files(".idx");
  REQUIRE(indexes.size() >= 2);
  std::vector<std::string> originals;
  for (const std::string& name : indexes) {
    originals.push_back(dir.read(name));
    std::string damaged = originals.back();
    damaged[20] ^= 0x40;           // in its first table frame
    damaged[damaged.size() / 2] ^= 0x40;  // and further in: a page or a lookup frame
    dir.write(name, damaged);
  }
  auto store = open(small(dir.path));  // the active segment's streams are searched in every index
  CHECK(store->corruption() == std::nullopt);
  CHECK(store->log().read_all({}) == all);
  CHECK(store->log().read_stream("Account", "b1", {}).find("\"_version\":20") != std::string::npos);
  CHECK(store->log().version("Account", "a1") == 20);
  append_versions(*store, 21, 21, "a1");
  CHECK(store->corruption() == std::nullopt);
  for (size_t n = 0; n < indexes.size(); ++n) CHECK(dir.read(indexes[n]) == originals[n]);
}

TEST_CASE("the block cache keeps the most recent pieces within its bytes, and a failed load leaves nothing behind") {
  BlockCache cache(3 * BlockCache::kBlockBytes);
  int loads = 0;
  auto fill = [&](char letter, size_t size) {
    return [&loads, letter, size](CachedBlock& block) {
      ++loads;
      std::fill_n(block.reset(size), size, letter);
    };
  };
  for (uint64_t b = 0; b < 4; ++b) cache.get(1, b, fill(static_cast<char>('a' + b), BlockCache::kBlockBytes));
  CHECK(cache.bytes() == 3 * BlockCache::kBlockBytes);
  CHECK(loads == 4);
  // Block 0 was evicted (its memory serves the next miss); 1..3 are served as they were read.
  for (uint64_t b = 1; b < 4; ++b) CHECK(cache.get(1, b, fill('x', 1)).bytes() == std::string(BlockCache::kBlockBytes, char('a' + b)));
  CHECK(loads == 4);
  CachedBlock& again = cache.get(1, 0, fill('z', 100));
  CHECK(again.bytes() == std::string(100, 'z'));
  CHECK(again.checked.empty());
  CHECK(loads == 5);
  CHECK(cache.bytes() == 2 * BlockCache::kBlockBytes + 100);
  // A frame's payload: what the load keeps of what it read.
  CachedBlock& frame = cache.get(2, 0, [](CachedBlock& block) {
    std::memcpy(block.reset(10), "HEADpayload", 10);
    block.keep(4, 6);
  });
  CHECK(frame.bytes() == "payloa");
  CHECK_THROWS(cache.get(3, 0, [](CachedBlock& block) {
    block.reset(BlockCache::kBlockBytes);
    throw Error(ErrorCode::STORE_FAILURE, "could not read");
  }));
  CHECK(cache.get(3, 0, fill('q', 8)).bytes() == "qqqqqqqq");
  CHECK(cache.misses() == 8);
  CHECK(cache.hits() == 3);
}

TEST_CASE("a stream's events across two pieces are read cold in one read each, checked, the same as in memory") {
  TempDir dir;
  SegmentStoreOptions o = small(dir.path);
  o.segment_bytes = 64 << 10;
  EventLog oracle;
  {
    auto store = open(o);
    for (int v = 1; v <= 40; ++v) {
      for (const char* aggregate : {"a1", "b1", "c1"}) {  // ~1.5 KB each: many lie across two pieces
        std::string event = test::event_json(new_uuid_v4(), v, aggregate, "{\"pad\":\"" + std::string(1500, 'p') + "\"}");
        store->append(parse_events("[" + event + "]"));
        oracle.append(parse_events("[" + event + "]"));
      }
    }
    store->sync();
  }
  auto store = open(o);
  REQUIRE(store->closed_segments() >= 1);
  CHECK(store->log().read_stream("Account", "b1", {}) == oracle.read_stream("Account", "b1", {}));
  const uint64_t misses = store->stats().cache_misses;
  CHECK(misses > 0);
  CHECK(store->log().read_stream("Account", "b1", {}) == oracle.read_stream("Account", "b1", {}));
  // Read again: the pieces it cached are hits; the events read past the cache are read again.
  CHECK(store->stats().cache_hits > 0);
  CHECK(store->log().read_all({}) == oracle.read_all({}));
  // Damage inside an event that lies across two pieces: a cold read of it is refused.
  store.reset();
  const std::string name = dir.files(".log")[0];
  std::string bytes = dir.read(name);
  size_t straddling = std::string::npos;
  for (size_t at = bytes.find("{\"pad\""); at != std::string::npos; at = bytes.find("{\"pad\"", at + 1)) {
    if (at / BlockCache::kBlockBytes != (at + 1500) / BlockCache::kBlockBytes) {
      straddling = at + 1400;
      break;
    }
  }
  REQUIRE(straddling != std::string::npos);
  bytes[straddling] ^= 0x01;
  dir.write(name, bytes);
  store = open(o);
  int refused = 0;
  for (const char* aggregate : {"a1", "b1", "c1"}) {
    try {
      store->log().read_stream("Account", aggregate, {});
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::STORE_CORRUPT);
      ++refused;
    }
  }
  CHECK(refused >= 1);
  REQUIRE(store->corruption().has_value());
  CHECK(store->corruption()->file == name);
}

TEST_CASE("a sealed newest segment that lost bytes is reported, not cut as a torn write; a damaged index of it is rebuilt") {
  for (const std::string& damage : {"cut 200 bytes", "cut to nothing", "index damaged", "index damaged, segment cut"}) {
    INFO(damage);
    TempDir dir;
    SegmentStoreOptions o = small(dir.path);
    o.segment_bytes = 1 << 20;
    o.seal_at_close_bytes = 1;
    std::string all;
    {
      auto store = open(o);
      append_versions(*store, 1, 30, "a1");
      store->sync();
      all = store->log().read_all({});
      store->close();
    }
    REQUIRE(dir.files(".log").size() == 1);
    REQUIRE(dir.files(".idx").size() == 1);  // sealed: the newest segment is closed
    const std::string log = dir.files(".log")[0], index = dir.files(".idx")[0];
    std::string bytes = dir.read(log), index_bytes = dir.read(index);
    if (damage == "cut 200 bytes" || damage == "index damaged, segment cut") dir.write(log, bytes.substr(0, bytes.size() - 200));
    if (damage == "cut to nothing") dir.write(log, "");
    if (damage.find("index damaged") == 0) {
      index_bytes[index_bytes.size() - 30] ^= 0x40;  // its summary
      dir.write(index, index_bytes);
    }
    auto store = open(o);
    if (damage == "index damaged") {
      CHECK(store->corruption() == std::nullopt);
      CHECK(store->log().read_all({}) == all);
      append_versions(*store, 31, 31, "a1");
      CHECK(store->log().version("Account", "a1") == 31);
      continue;
    }
    REQUIRE(store->corruption().has_value());
    CHECK(store->corruption()->file == log);
    CHECK(store->stats().torn_bytes_cut == 0);
    CHECK(code_of([&] { append_versions(*store, 30, 30, "a1"); }) == ErrorCode::STORE_CORRUPT);
  }
}

namespace {

SegmentStoreOptions filtered(const std::string& dir) {
  SegmentStoreOptions o;
  o.directory = dir;
  o.segment_bytes = 64 << 10;
  o.merge_fanout = 4;
  o.max_merged_bytes = 1 << 20;
  return o;
}

// Appends `count` events of their own aggregates in batches of 100; returns every tenth event.
std::vector<std::string> fill(SegmentStore& store, int count) {
  std::vector<std::string> kept;
  for (int n = 0; n < count; n += 100) {
    std::string batch;
    for (int i = n; i < n + 100; ++i) {
      std::string event = test::fresh_event(1, "agg-" + std::to_string(store.log().last_position() + 1 + i - n));
      batch += (batch.empty() ? "" : ",") + event;
      if (i % 10 == 0) kept.push_back(event);
    }
    store.append(parse_events("[" + batch + "]"));
  }
  store.sync();
  return kept;
}

// Every kept event, sent again, is found stored (a retry), and its id with other content is
// refused; every kept event's aggregate has its version, and a new one has none.
void every_id_is_found(SegmentStore& store, const std::vector<std::string>& kept) {
  const uint64_t last = store.log().last_position();
  for (const std::string& event : kept) {
    size_t at = event.find("\"AggregateID\":\"") + 15;
    REQUIRE(store.log().version("Account", event.substr(at, event.find('"', at) - at)) == 1);
  }
  CHECK(store.log().version("Account", "never-written") == 0);
  CHECK(code_of([&] { store.append(parse_events("[" + test::event_json(new_uuid_v4(), 1, "agg-1") + "]")); }) ==
        ErrorCode::CONCURRENCY_CONFLICT);
  for (const std::string& event : kept) REQUIRE(store.append(parse_events("[" + event + "]")).appended == 0);
  std::string changed = kept.front();
  changed.replace(changed.find("\"tester\""), 8, "\"someone\"");
  CHECK(code_of([&] { store.append(parse_events("[" + changed + "]")); }) == ErrorCode::DUPLICATE_EVENT_ID);
  CHECK(store.log().last_position() == last);
}

}  // namespace

TEST_CASE("the id filters find every stored id, saved, stale, damaged or from another store") {
  TempDir dir;
  std::vector<std::string> kept;
  {
    auto store = open(filtered(dir.path));
    kept = fill(*store, 70000);
    every_id_is_found(*store, kept);
    store->close();  // saves the filters: more ids than kSaveRangeFiltersAtClose were added
  }
  const std::string saved = dir.read("ids.filter"), saved_streams = dir.read("streams.filter");
  REQUIRE(!saved.empty());
  REQUIRE(!saved_streams.empty());
  SECTION("saved: read back, not rebuilt") {
    auto store = open(filtered(dir.path));
    every_id_is_found(*store, kept);
    store->close();
    CHECK(dir.read("ids.filter") == saved);  // few ids added since: left as it was
  }
  SECTION("stale: the segments sealed after it are added from their indexes") {
    {
      auto store = open(filtered(dir.path));
      std::vector<std::string> more = fill(*store, 3000);
      kept.insert(kept.end(), more.begin(), more.end());
      store->close();
    }
    CHECK(dir.read("ids.filter") == saved);
    auto store = open(filtered(dir.path));
    every_id_is_found(*store, kept);
  }
  SECTION("damaged or missing: made again from the indexes") {
    std::string damaged = saved, damaged_streams = saved_streams;
    damaged[damaged.size() / 2] ^= 0x10;
    damaged_streams[damaged_streams.size() / 2] ^= 0x10;
    dir.write("ids.filter", damaged);
    dir.write("streams.filter", damaged_streams);
    {
      auto store = open(filtered(dir.path));
      every_id_is_found(*store, kept);
      store->close();
    }
    auto remade = RangeFilters::decode(dir.read("ids.filter"), 'i');  // saved again
    REQUIRE(remade);
    CHECK(remade->covered_end() == RangeFilters::decode(saved, 'i')->covered_end());  // every closed segment
    ::unlink((dir.path + "/ids.filter").c_str());
    ::unlink((dir.path + "/streams.filter").c_str());
    auto store = open(filtered(dir.path));
    every_id_is_found(*store, kept);
  }
  SECTION("another store's, covering more events than this one holds: not used") {
    TempDir other;
    std::vector<std::string> theirs;
    {
      auto store = open(filtered(other.path));
      theirs = fill(*store, 3000);
    }
    other.write("ids.filter", saved);
    other.write("streams.filter", saved_streams);
    auto store = open(filtered(other.path));
    every_id_is_found(*store, theirs);
  }
}

TEST_CASE("verify writes again an index that does not match its sound segment, and the store goes on") {
  TempDir dir;
  std::string all = interleaved_streams(dir.path, false);
  auto indexes = dir.files(".idx");
  REQUIRE(!indexes.empty());
  const std::string original = dir.read(indexes[0]);
  std::string damaged = original;
  damaged[damaged.size() / 3] ^= 0x04;  // in a table frame, which the open does not read
  dir.write(indexes[0], damaged);
  auto store = open(small(dir.path));
  uint64_t verified = 0;
  for (size_t n = 0; n < store->closed_segments(); ++n) verified += store->verify_segment(n);
  CHECK(verified == store->log().sealed());
  CHECK(store->corruption() == std::nullopt);
  CHECK(dir.read(indexes[0]) == original);
  CHECK(store->log().read_all({}) == all);
  append_versions(*store, 21, 21, "a1");
  store.reset();
  store = open(small(dir.path));
  for (size_t n = 0; n < store->closed_segments(); ++n) store->verify_segment(n);
  CHECK(store->corruption() == std::nullopt);
  CHECK(store->log().version("Account", "a1") == 21);
}

TEST_CASE("a scan reads the body tables ahead, the same as event by event, and one damaged among them is rebuilt") {
  TempDir dir;
  SegmentStoreOptions o = small(dir.path);
  o.segment_bytes = 4 << 20;  // one segment of 3,000 events, sealed at close: two dozen body tables
  o.seal_at_close_bytes = 1;
  EventLog oracle;
  {
    auto store = open(o);
    for (int v = 1; v <= 3000; ++v) {
      std::string event = test::fresh_event((v + 1) / 2, v % 2 == 0 ? "a1" : "b1");
      store->append(parse_events("[" + event + "]"));
      oracle.append(parse_events("[" + event + "]"));
    }
    store->close();
  }
  REQUIRE(dir.files(".idx").size() == 1);
  const std::string index = dir.files(".idx")[0];
  const std::string original = dir.read(index);
  std::mt19937 random(11);
  auto windows_match = [&](SegmentStore& store) {
    for (int i = 0; i < 30; ++i) {  // windows that start and end anywhere, across tables
      GlobalReadOptions window;
      window.from_position = random() % 3000 + 1;
      window.limit = random() % 4 == 0 ? 1 : random() % 1500;
      CHECK(store.log().read_all(window) == oracle.read_all(window));
    }
  };
  for (size_t cache : {size_t{8} << 20, size_t{8} << 10}) {  // read ahead, and too small a cache to
    o.cache_bytes = cache;
    auto store = open(o);
    REQUIRE(store->closed_segments() == 1);
    CHECK(store->log().read_all({}) == oracle.read_all({}));
    windows_match(*store);
  }
  std::string damaged = original;
  damaged[6 * 2061 + 100] ^= 0x40;  // inside the seventh body table, past the first ones a scan reads
  dir.write(index, damaged);
  o.cache_bytes = 8 << 20;
  auto store = open(o);
  GlobalReadOptions from_start;
  from_start.limit = 2000;
  CHECK(store->log().read_all(from_start) == oracle.read_all(from_start));
  CHECK(store->corruption() == std::nullopt);
  CHECK(dir.read(index) == original);
  windows_match(*store);
}
