#include <catch2/catch.hpp>

#include <random>

#include "../../src/range_filters.hpp"

using namespace atomservices;

namespace {

// Filters of `keys` random keys over ranges of 1,000 positions, the first sized small so
// that there are several parts; with the hashes added.
RangeFilters filled(uint64_t keys, std::vector<uint64_t>& added) {
  RangeFilters filters('i', 4096);
  std::mt19937_64 random(5);
  std::vector<uint64_t> hashes;
  for (uint64_t end = 1001; end <= keys + 1; end += 1000) {
    hashes.clear();
    for (int i = 0; i < 1000; ++i) hashes.push_back(random());
    filters.cover(end, hashes);
    added.insert(added.end(), hashes.begin(), hashes.end());
  }
  return filters;
}

}  // namespace

TEST_CASE("range filters are written and read back in pieces of at most 64 KiB, the same as whole") {
  std::vector<uint64_t> added;
  RangeFilters filters = filled(300000, added);
  const std::string whole = filters.encode();
  std::string pieces;
  size_t largest = 0;
  filters.encode([&](std::string_view piece) {
    pieces += piece;
    largest = std::max(largest, piece.size());
  });
  CHECK(pieces == whole);
  CHECK(largest <= 64 << 10);
  CHECK(whole.size() > 4 * (64 << 10));  // more than a few pieces

  size_t largest_read = 0;
  auto read_from = [&](const std::string& file) {
    return [&](uint64_t at, char* into, size_t n) {
      REQUIRE(at + n <= file.size());
      largest_read = std::max(largest_read, n);
      std::copy_n(file.data() + at, n, into);
    };
  };
  std::optional<RangeFilters> back = RangeFilters::decode(whole.size(), read_from(whole), 'i');
  REQUIRE(back);
  CHECK(largest_read <= 64 << 10);
  CHECK(back->encode() == whole);
  CHECK(back->keys() == filters.keys());
  for (uint64_t hash : added) {
    bool held = false;
    back->each_range_that_may_hold(hash, [&](uint64_t, uint64_t) { return !(held = true); });
    REQUIRE(held);
  }

  SECTION("a damaged, cut, longer or other kind's file is not read as filters") {
    std::string damaged = whole;
    damaged[whole.size() / 2] ^= 0x04;
    CHECK_FALSE(RangeFilters::decode(damaged.size(), read_from(damaged), 'i'));
    const std::string cut = whole.substr(0, whole.size() - 8);
    CHECK_FALSE(RangeFilters::decode(cut.size(), read_from(cut), 'i'));
    const std::string longer = whole + std::string(8, '\0');
    CHECK_FALSE(RangeFilters::decode(longer.size(), read_from(longer), 'i'));
    CHECK_FALSE(RangeFilters::decode(whole.size(), read_from(whole), 's'));
    CHECK_FALSE(RangeFilters::decode(std::string_view(whole).substr(0, 10), 'i'));
  }
}
