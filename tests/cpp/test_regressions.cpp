// Inputs found by fuzzing, sanitizers and review (tests/fuzz, scripts/sanitize.sh), each
// kept as the smallest case that showed the problem.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "../../src/frames.hpp"
#include "atomservices/segment_store.hpp"
#include "test_helpers.hpp"

using namespace atomservices;

namespace {

using Directory = test::TempDir;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::unique_ptr<SegmentStore> open_store(const std::string& dir) {
  SegmentStoreOptions options;
  options.directory = dir;
  return std::make_unique<SegmentStore>(options, posix_syncer());
}

}  // namespace

// Review of SegmentStore::load_segment: the last segment's header frame declaring a wrong
// length read as "truncated", so the open deleted the segment and every event in it.
TEST_CASE("regression: a damaged header length in the last segment is corruption, not a torn header") {
  Directory dir;
  const std::string segment = dir.file("segment-0000000000000001.log");
  {
    auto store = open_store(dir.path);
    store->append(parse_events("[" + test::fresh_event(1) + "," + test::fresh_event(2) + "]"));
  }
  std::string bytes = read_file(segment);
  std::string damaged = bytes;
  damaged[5] ^= 0x40;  // the header's length field: 17 becomes 16401, past the end of the file
  write_file(segment, damaged);
  {
    auto store = open_store(dir.path);
    REQUIRE(store->corruption().has_value());
    CHECK(store->corruption()->offset == 0);
    CHECK(test::code_of([&] { store->append(parse_events("[" + test::fresh_event(1) + "]")); }) ==
          ErrorCode::STORE_CORRUPT);
  }
  CHECK(read_file(segment) == damaged);  // kept for repair

  // A header cut short is still a segment created just before a kill: it is removed.
  write_file(segment, bytes.substr(0, 20));
  auto store = open_store(dir.path);
  CHECK_FALSE(store->corruption().has_value());
  CHECK(store->log().last_position() == 0);
  store->append(parse_events("[" + test::fresh_event(1) + "]"));
  CHECK(store->log().last_position() == 1);
}

// Review of frames::intact_frame_after, measured with fuzz_store_open: a last segment of
// frame markers each declaring a frame to the end of the file made the torn-tail check
// compute a checksum over the rest of the file for every marker (256 KiB took 94 s).
TEST_CASE("regression: overlapping fake frames in the last segment are checked in linear time") {
  Directory dir;
  const std::string marker = frames::header(1).substr(0, 4);
  std::string bytes = frames::header(1);
  const size_t count = (256 << 10) / frames::kFrameHeaderBytes;
  for (size_t i = 0; i < count; ++i) {
    uint32_t length = static_cast<uint32_t>((count - i - 1) * frames::kFrameHeaderBytes);
    bytes += marker;
    for (int b = 0; b < 4; ++b) bytes += static_cast<char>(length >> (8 * b));
    bytes += std::string("\1\0\0\0", 4);  // a checksum that fails, even for an empty payload
  }
  write_file(dir.file("segment-0000000000000001.log"), bytes);
  auto start = std::chrono::steady_clock::now();
  auto store = open_store(dir.path);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  REQUIRE(store->corruption().has_value());  // not a torn tail to cut: too much follows
  CHECK(store->corruption()->offset == frames::header(1).size());
}

// Review of SegmentStore::start_segment: a last segment holding only snapshots and
// checkpoints (no events) can outgrow segment_bytes; reopened, it stayed closed, and the next
// write started a segment with the same first position, deleting it.
TEST_CASE("regression: a last segment without events is not deleted by the next write after reopen") {
  Directory dir;
  SegmentStoreOptions options;
  options.directory = dir.path;
  options.segment_bytes = 64;
  options.merge_fanout = 2;
  {
    SegmentStore store(options, posix_syncer());
    store.put_checkpoint("projection", 7);
    store.put_snapshot("reducer@1", "Account", "a1", 1, "{\"balance\":10}");
  }
  for (int round = 1; round <= 3; ++round) {
    SegmentStore store(options, posix_syncer());
    INFO("round " << round);
    REQUIRE_FALSE(store.corruption().has_value());
    REQUIRE(store.log().checkpoint("projection") == std::optional<uint64_t>(7));
    REQUIRE(store.log().find_snapshot("reducer@1", "Account", "a1", 1).has_value());
    REQUIRE(store.log().last_position() == static_cast<uint64_t>(round - 1));
    store.append(parse_events("[" + test::fresh_event(round) + "]"));
  }
}
