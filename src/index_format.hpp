#pragma once
// The index file's format, shared by its writer (index_builder.cpp) and its reader
// (segment_index.cpp): frame kinds, sizes, and how keys, strings and places are encoded.
#include <cstdint>
#include <string>
#include <string_view>

#include "frames.hpp"
#include "segment_index.hpp"

namespace atomservices::index_format {

using frames::put;
using frames::Reader;

inline constexpr std::string_view kMagic = "ATOMIDX2";  // ATOMIDX1 files (one summary of everything) are rebuilt
constexpr uint32_t kTrailerMagic = 0x58444941;
enum Kind : uint8_t {
  kBodies = 10, kIds = 11, kStreams = 12, kSummary = 13,
  kBodyLookup = 14, kIdLookup = 15, kStreamLookup = 16, kStreamRefs = 17, kStreamBloom = 18,
};
constexpr size_t kBodiesPerFrame = 128;  // small table frames: a random lookup reads little
constexpr size_t kIdsPerFrame = 110;
constexpr size_t kIdEntryBytes = 36;      // id, position, where its body is
constexpr size_t kStreamEventBytes = 20;  // position, where its body is
constexpr size_t kStreamFrameBytes = 4 << 10;
constexpr int kBloomProbes = 7;
constexpr uint64_t kBloomPageBits = 4096 * 8;  // a page of a paged Bloom filter

inline uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline bool id_less(const Uuid128& a, const Uuid128& b) { return a.high != b.high ? a.high < b.high : a.low < b.low; }

// Starts a table frame of `kind`; `flush` frames what was gathered and notes where it went.
class TableWriter {
 public:
  TableWriter(std::string& file, uint8_t kind) : file_(file), kind_(kind) { begin(); }
  std::string& payload() { return payload_; }
  size_t size() const { return payload_.size() - 1; }
  template <class Note>
  void flush(Note&& note) {
    if (size() == 0) return;
    std::string framed = frames::wrap(payload_);
    note(static_cast<uint64_t>(file_.size()), static_cast<uint32_t>(framed.size()));
    file_ += framed;
    begin();
  }

 private:
  void begin() {
    payload_.clear();
    put<uint8_t>(payload_, kind_);
  }
  std::string& file_;
  uint8_t kind_;
  std::string payload_;
};

inline void put_string(std::string& out, std::string_view s) {
  put<uint16_t>(out, static_cast<uint16_t>(s.size()));
  out.append(s);
}

inline std::string_view take_string(Reader& r) { return r.take(r.get<uint16_t>()); }

inline void put_location(std::string& out, const BodyLocation& b) {
  put<uint64_t>(out, b.at);
  put<uint32_t>(out, b.length);
  put<uint32_t>(out, b.crc);
}

inline BodyLocation take_location(Reader& r) {
  BodyLocation b;
  b.at = r.get<uint64_t>();
  b.length = r.get<uint32_t>();
  b.crc = r.get<uint32_t>();
  return b;
}

// A paged Bloom filter: each key is in one page, chosen by other bits of its hash than the
// probes use; bit b of a page is bit b % 8 of its byte b / 8.
inline uint64_t bloom_page(uint64_t hash, uint32_t pages) { return mix(hash ^ 0x9E3779B97F4A7C15ull) % pages; }

inline void paged_bloom_add(std::string& page, uint64_t hash) {
  uint64_t step = mix(hash) | 1;
  for (int i = 0; i < kBloomProbes; ++i, hash += step) page[(hash % kBloomPageBits) / 8] |= static_cast<char>(1 << (hash % 8));
}

inline bool paged_bloom_may_contain(std::string_view page, uint64_t hash) {
  uint64_t step = mix(hash) | 1;
  for (int i = 0; i < kBloomProbes; ++i, hash += step) {
    if (!(static_cast<uint8_t>(page[(hash % kBloomPageBits) / 8]) & (1 << (hash % 8)))) return false;
  }
  return true;
}

// The block of a key (its hash's high half, scaled without a division), and its probes
// in the block's 512 bits (from the low half).
inline size_t bloom_block(uint64_t hash, size_t blocks) { return static_cast<size_t>(((hash >> 32) * blocks) >> 32); }

}  // namespace atomservices::index_format
