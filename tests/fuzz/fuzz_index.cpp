// The index file decoders: SegmentIndex::open and RangeFilters::decode over arbitrary bytes,
// then lookups through what they decoded. It must never crash or hang, and only atomservices::Error may escape.
//
// Input: the segment's first position and size (8 bytes each, little-endian), then the
// index file's bytes. A valid seed (make_seeds) lets mutations reach the tables.
#include <cstdint>
#include <string>
#include <string_view>

#include "../../src/frames.hpp"
#include "../../src/range_filters.hpp"
#include "../../src/segment_index.hpp"
#include "atomservices/errors.hpp"

using namespace atomservices;

namespace {

uint64_t read_u64(const uint8_t* data) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= uint64_t(data[i]) << (8 * i);
  return value;
}

void look_up(const SegmentIndex& index, std::string_view file) {
  std::string payload;
  auto fetch = [&](uint64_t at, uint32_t length, bool) -> std::string_view {
    if (at > file.size() || length > file.size() - at) throw Error(ErrorCode::STORE_CORRUPT, "past the end");
    frames::Frame frame = frames::read(file.substr(at, length), 0);
    if (frame.status != frames::Status::Ok) throw Error(ErrorCode::STORE_CORRUPT, "bad frame");
    payload.assign(frame.payload);
    return payload;
  };
  for (uint64_t n = 0; n < index.events() && n < 64; ++n) index.body(index.first() + n, fetch);
  for (uint64_t high : {0ull, 0x0f8fad5bd9cb469full, ~0ull}) index.find(Uuid128{high, 0xa1657086772895aaull}, fetch);
  for (std::string_view key : {std::string_view("A\0a1", 4), std::string_view(""), std::string_view("\xff\xff")}) {
    index.stream(key, fetch);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 16) return 0;
  uint64_t first = read_u64(data), segment_bytes = read_u64(data + 8);
  std::string_view file(reinterpret_cast<const char*>(data) + 16, size - 16);
  auto read = [&](uint64_t at, uint32_t length) {
    if (at > file.size() || length > file.size() - at) throw Error(ErrorCode::STORE_CORRUPT, "past the end");
    return std::string(file.substr(at, length));
  };
  try {
    if (auto index = SegmentIndex::open(file.size(), read, first, segment_bytes)) look_up(*index, file);
  } catch (const Error&) {
    // a coded refusal is the expected answer to damage
  }
  for (char kind : {'i', 's'}) {
    auto filters = RangeFilters::decode(file, kind);
    if (!filters) continue;
    uint64_t ranges = 0;
    for (uint64_t hash : {uint64_t{0}, first, segment_bytes, ~uint64_t{0}}) {
      filters->each_range_that_may_hold(hash, [&](uint64_t from, uint64_t end) { return from < end && ++ranges < 1000; });
    }
    filters->cover(filters->covered_end() + 3, {first, segment_bytes, 7});
    if (!RangeFilters::decode(filters->encode(), kind)) __builtin_trap();  // what it writes, it reads back
  }
  return 0;
}
