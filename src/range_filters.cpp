#include "range_filters.hpp"

#include <algorithm>

#include "atomservices/crc32c.hpp"
#include "frames.hpp"

namespace atomservices {
namespace {

constexpr std::string_view kMagic = "ATOMRF2";  // then the kind
// A filter that may hold a new key costs a search of every segment of its range, so these
// take more bits a key than a segment's own: about 1 false positive in 8,000 keys against
// 1 in 1,000 at 16 (these blocked filters, 7 probes).
constexpr size_t kBitsPerKey = 24;
constexpr uint64_t kMaxCapacity = uint64_t{1} << 27;  // 384 MiB of filter, whose words a 32-bit size_t still counts
constexpr size_t kMaxParts = 64;

}  // namespace

void RangeFilters::cover(uint64_t end, const std::vector<uint64_t>& hashes) {
  const uint64_t from = covered_end();
  if (end <= from) return;
  const uint64_t count = hashes.size();  // at most this many new keys
  if (parts_.empty() || parts_.back().keys + count > parts_.back().capacity) {
    uint64_t doubled = parts_.empty() ? 0 : std::min(kMaxCapacity, 2 * parts_.back().capacity);
    uint64_t capacity = std::max({first_capacity_, doubled, count});
    parts_.push_back(Part{from, from, capacity, 0, Bloom(static_cast<size_t>(capacity), kBitsPerKey)});
  }
  // A key already held counts once: a stream's events lie in many segments of one range.
  Part& part = parts_.back();
  for (uint64_t hash : hashes) {
    if (part.bloom.may_contain(hash)) continue;
    part.bloom.add(hash);
    ++part.keys;
  }
  part.end = end;
}

uint64_t RangeFilters::keys() const {
  uint64_t keys = 0;
  for (const Part& part : parts_) keys += part.keys;
  return keys;
}

size_t RangeFilters::memory_bytes() const {
  size_t bytes = 0;
  for (const Part& part : parts_) bytes += part.bloom.words().size() * 8;
  return bytes;
}

// [magic][kind][u64 payload bytes][u32 CRC-32C of the payload][payload]: not a frame, whose
// length limit a large store's filters pass.
std::string RangeFilters::encode() const {
  std::string payload;
  frames::put<uint32_t>(payload, static_cast<uint32_t>(parts_.size()));
  for (const Part& part : parts_) {
    frames::put<uint64_t>(payload, part.first);
    frames::put<uint64_t>(payload, part.end);
    frames::put<uint64_t>(payload, part.capacity);
    frames::put<uint64_t>(payload, part.keys);
    for (uint64_t word : part.bloom.words()) frames::put<uint64_t>(payload, word);
  }
  std::string file(kMagic);
  file += kind_;
  frames::put<uint64_t>(file, payload.size());
  frames::put<uint32_t>(file, crc32c(payload.data(), payload.size()));
  return file + payload;
}

std::optional<RangeFilters> RangeFilters::decode(std::string_view file, char kind) {
  frames::Reader head(file);
  if (head.take(kMagic.size()) != kMagic || head.get<uint8_t>() != static_cast<uint8_t>(kind)) return std::nullopt;
  uint64_t length = head.get<uint64_t>();
  uint32_t crc = head.get<uint32_t>();
  if (!head.ok() || length != head.left()) return std::nullopt;
  std::string_view payload = file.substr(file.size() - head.left());
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  (void)crc;  // as frames do in fuzzing builds, so that mutations reach the decoder
#else
  if (crc32c(payload.data(), payload.size()) != crc) return std::nullopt;
#endif
  frames::Reader r(payload);
  uint32_t count = r.get<uint32_t>();
  if (!r.ok() || count > kMaxParts) return std::nullopt;
  RangeFilters filters(kind);
  uint64_t next = 1;
  for (uint32_t i = 0; i < count; ++i) {
    Part part;
    part.first = r.get<uint64_t>();
    part.end = r.get<uint64_t>();
    part.capacity = r.get<uint64_t>();
    part.keys = r.get<uint64_t>();
    // The ranges run on from position 1, each part was sized before it was filled, and
    // its words are in the file before any memory is taken for them.
    if (!r.ok() || part.first != next || part.end <= part.first || part.capacity == 0 || part.capacity > kMaxCapacity ||
        part.keys > part.capacity || Bloom::words_for(part.capacity, kBitsPerKey) > r.left() / 8) {
      return std::nullopt;
    }
    part.bloom = Bloom(static_cast<size_t>(part.capacity), kBitsPerKey);
    for (uint64_t& word : part.bloom.words()) word = r.get<uint64_t>();
    next = part.end;
    filters.parts_.push_back(std::move(part));
  }
  if (!r.done()) return std::nullopt;
  return filters;
}

}  // namespace atomservices
