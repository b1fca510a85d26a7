#include <catch2/catch.hpp>

#include <string>

#include "../../src/frames.hpp"
#include "../../src/segment_index.hpp"
#include "atomservices/errors.hpp"
#include "test_helpers.hpp"

using namespace atomservices;

namespace {

constexpr uint64_t kFirst = 1001;
constexpr uint64_t kSegmentBytes = 1 << 30;

Uuid128 id_of(uint64_t n) { return Uuid128{0x0123456789abcdefull * (n + 1), n}; }
std::string stream_of(uint64_t n) { return "Account" + std::string(1, '\0') + "a-" + std::to_string(n); }

// An index of `events` events spread over `streams` streams, n-th event at byte 100 * n.
std::string index_file(uint64_t events, uint64_t streams) {
  IndexBuilder builder(kFirst);
  std::vector<int64_t> versions(streams, 0);
  for (uint64_t n = 0; n < events; ++n) {
    builder.add_event(id_of(n), stream_of(n % streams), ++versions[n % streams], BodyLocation{100 * n, 90, uint32_t(n)});
  }
  return builder.finish(kSegmentBytes);
}

SegmentIndex open_index(const std::string& file) {
  auto read = [&](uint64_t at, uint32_t length) { return file.substr(at, length); };
  auto index = SegmentIndex::open(file.size(), read, kFirst, kSegmentBytes);
  REQUIRE(index);
  return std::move(*index);
}

// Checked frames of the file, counting the bytes read.
struct Fetcher {
  const std::string& file;
  uint64_t bytes_read = 0;
  int lookups_read = 0;
  std::string payload;
  SegmentIndex::Fetch fetch() {
    return [this](uint64_t at, uint32_t length, bool once) -> std::string_view {
      bytes_read += length;
      lookups_read += once;
      frames::Frame frame = frames::read(std::string_view(file).substr(at, length), 0);
      if (frame.status != frames::Status::Ok) throw IndexDamaged("bad frame");
      payload.assign(frame.payload);
      return payload;
    };
  }
};

}  // namespace

TEST_CASE("a segment index finds every event, id and stream it holds, and none it does not") {
  const uint64_t events = 30000, streams = 9000;  // several Bloom pages and reference pages
  std::string file = index_file(events, streams);
  SegmentIndex index = open_index(file);
  Fetcher fetcher{file};
  auto fetch = fetcher.fetch();
  CHECK(index.events() == events);
  for (uint64_t n = 0; n < events; ++n) {
    CHECK(index.body(kFirst + n, fetch).at == 100 * n);
    auto found = index.find(id_of(n), fetch);
    REQUIRE(found);
    CHECK(found->first == kFirst + n);
  }
  for (uint64_t s = 0; s < streams; ++s) {
    auto run = index.stream(stream_of(s), fetch);
    REQUIRE(run);
    CHECK(run->first_version == 1);
    REQUIRE(run->positions.size() == (events - s + streams - 1) / streams);
    CHECK(run->positions[0] == kFirst + s);
  }
  // Absent keys: found in no table, and the Bloom filters spare most of them the table reads.
  uint64_t before = fetcher.bytes_read;
  for (uint64_t s = streams; s < streams + 2000; ++s) CHECK_FALSE(index.stream(stream_of(s), fetch));
  uint64_t stream_reads = fetcher.bytes_read - before;
  before = fetcher.bytes_read;
  for (uint64_t n = events; n < events + 2000; ++n) CHECK_FALSE(index.find(id_of(n), fetch));
  uint64_t id_reads = fetcher.bytes_read - before;
  CHECK(stream_reads < 2000 * (4096 + 100) + 2000 * 4096 / 20);  // one Bloom page each, a table for ~1 in 100
  CHECK(id_reads < 2000 * 4096 / 20);                           // the id filter is in memory
  CHECK_FALSE(index.stream(std::string_view(""), fetch));
  CHECK_FALSE(index.stream(std::string_view("\xff\xff"), fetch));
}

TEST_CASE("a stream search reads a page or three, not the whole index") {
  std::string file = index_file(200000, 50000);
  SegmentIndex index = open_index(file);
  Fetcher fetcher{file};
  auto fetch = fetcher.fetch();
  REQUIRE(index.stream(stream_of(123), fetch));
  uint64_t first = fetcher.bytes_read;  // the lookup frame, a Bloom page, a reference page, a table frame
  REQUIRE(index.stream(stream_of(40000), fetch));
  CHECK(first < file.size() / 50);
  CHECK(fetcher.bytes_read - first < 4 * 5000);  // the lookup frame is read once
}

TEST_CASE("damage in any frame of an index is found when that frame is read, with a coded error") {
  // The stream lookup is read with the summary, so its damage is found by the open (and
  // the store rebuilds the index); every other frame's when a search reads it.
  std::string file = index_file(3000, 500);
  // Every frame before the summary: tables, Bloom pages, reference pages, lookups.
  std::vector<uint64_t> starts;
  for (uint64_t at = 0;;) {
    frames::Frame frame = frames::read(std::string_view(file).substr(at), 0);
    REQUIRE(frame.status == frames::Status::Ok);
    if (static_cast<uint8_t>(frame.payload[0]) == 13) break;  // the summary
    starts.push_back(at);
    at += frame.end;
  }
  CHECK(starts.size() > 20);
  int refused_at_open = 0;
  for (uint64_t at : starts) {
    std::string damaged = file;
    damaged[at + frames::kFrameHeaderBytes + 1] ^= 0x5a;
    INFO("frame at byte " << at);
    auto read = [&](uint64_t from, uint32_t length) { return damaged.substr(from, length); };
    if (static_cast<uint8_t>(file[at + frames::kFrameHeaderBytes]) == 16) {  // the stream lookup
      CHECK_FALSE(SegmentIndex::open(damaged.size(), read, kFirst, kSegmentBytes));
      ++refused_at_open;
      continue;
    }
    SegmentIndex index = open_index(damaged);  // the summary is intact
    Fetcher fetcher{damaged};
    auto fetch = fetcher.fetch();
    int refused = 0;
    for (uint64_t s = 0; s < 3000; ++s) {
      try {
        index.stream(stream_of(s % 500), fetch);
        index.find(id_of(s), fetch);
        index.body(kFirst + s, fetch);
      } catch (const IndexDamaged& e) {
        CHECK(e.code() == ErrorCode::STORE_CORRUPT);
        ++refused;
      }
    }
    CHECK(refused > 0);
  }
  CHECK(refused_at_open == 1);
}

TEST_CASE("the open reads the stream lookup with the summary: a stream search then reads table frames only") {
  std::string file = index_file(3000, 500);
  SegmentIndex index = open_index(file);
  Fetcher fetcher{file};
  auto fetch = fetcher.fetch();
  auto run = index.stream(stream_of(7), fetch);
  REQUIRE(run);
  CHECK(run->positions.size() == 6);
  CHECK(fetcher.lookups_read == 0);
  index.body(kFirst + 5, fetch);  // the body lookup is still read when first needed
  CHECK(fetcher.lookups_read == 1);
}
