// Inputs found by fuzzing, sanitizers and review (tests/fuzz, scripts/sanitize.sh), each
// kept as the smallest case that showed the problem.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "atomservices/segment_store.hpp"
#include "test_helpers.hpp"

using namespace atomservices;

namespace {

struct Directory {
  std::string path;
  Directory() {
    char pattern[] = "/tmp/atomservices-regression-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~Directory() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

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
