#pragma once
// Filters over the closed segments, so that a search of the whole store for a key (a new
// event's id, which must be shown new; a new stream's key, which must be shown to have no
// events yet) takes a few probes rather than one probe, and at times a read, in each closed
// segment. Each filter covers a range of global positions and holds the keys stored there;
// the ranges run on from position 1, and each new filter is sized for twice the keys of the
// one before, so a store of N keys has about log2(N / 64k) of them. They derive from the
// index files and are saved beside them (ids.filter, streams.filter).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "segment_index.hpp"

namespace atomservices {

class RangeFilters {
 public:
  // `kind` tells the files apart ('i': ids, 's': streams); `first_capacity`: the keys the
  // first filter is sized for (smaller only in tests and seeds).
  explicit RangeFilters(char kind, uint64_t first_capacity = uint64_t{1} << 16) : kind_(kind), first_capacity_(first_capacity) {}
  // Every key stored at positions [1, covered_end()) is in a filter.
  uint64_t covered_end() const { return parts_.empty() ? 1 : parts_.back().end; }
  // Adds the keys (by hash) stored at positions [covered_end(), end).
  void cover(uint64_t end, const std::vector<uint64_t>& hashes);
  // Calls visit(first, end) for each range, newest first, whose filter may hold the key,
  // until it returns false.
  template <class Visit>
  void each_range_that_may_hold(uint64_t hash, Visit&& visit) const {
    for (auto it = parts_.rbegin(); it != parts_.rend(); ++it) {
      if (it->bloom.may_contain(hash) && !visit(it->first, it->end)) return;
    }
  }
  uint64_t keys() const;
  size_t memory_bytes() const;

  // The file's bytes: a header with a CRC-32C of the rest. `write` gets them in order, in
  // pieces of at most 64 KiB, so that saving takes no memory of the filters' size.
  void encode(const std::function<void(std::string_view piece)>& write) const;
  std::string encode() const;
  // The filters a file of this kind holds; nothing when it is not a sound one. From a file
  // of `size` bytes, `read(at, into, n)` fills `into` with n of its bytes: reading takes no
  // memory beyond the filters' own.
  using Read = std::function<void(uint64_t at, char* into, size_t n)>;
  static std::optional<RangeFilters> decode(uint64_t size, const Read& read, char kind);
  static std::optional<RangeFilters> decode(std::string_view file, char kind);

 private:
  struct Part {
    uint64_t first = 1, end = 1;  // positions covered
    uint64_t capacity = 0;        // keys it was sized for
    uint64_t keys = 0;            // keys added
    Bloom bloom;
  };
  char kind_;
  uint64_t first_capacity_;
  std::vector<Part> parts_;
};

}  // namespace atomservices
