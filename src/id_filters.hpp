#pragma once
// Filters of every id stored in the closed segments, so that a new event's id (which must be
// shown new across the whole store) is checked with a few probes rather than one probe, and
// at times a read, in each closed segment. Each filter covers a range of global positions;
// the ranges run on from position 1, and each new filter takes twice the ids of the one
// before, so a store of N ids has about log2(N / 64k) of them. They derive from the index
// files and are saved beside them (ids.filter) so that an open does not read every id again.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "segment_index.hpp"

namespace atomservices {

class IdFilters {
 public:
  // `first_capacity`: the ids the first filter is sized for (smaller only in tests and seeds).
  explicit IdFilters(uint64_t first_capacity = uint64_t{1} << 16) : first_capacity_(first_capacity) {}
  // Every id stored at positions [1, covered_end()) is in a filter.
  uint64_t covered_end() const { return parts_.empty() ? 1 : parts_.back().end; }
  // Adds the ids of positions [covered_end(), end), given by their hash_id.
  void cover(uint64_t end, const std::vector<uint64_t>& hashes);
  // Calls visit(first, end) for each range, newest first, whose filter may hold the id,
  // until it returns false.
  template <class Visit>
  void each_range_that_may_hold(uint64_t hash, Visit&& visit) const {
    for (auto it = parts_.rbegin(); it != parts_.rend(); ++it) {
      if (it->bloom.may_contain(hash) && !visit(it->first, it->end)) return;
    }
  }
  uint64_t ids() const { return covered_end() - 1; }
  size_t memory_bytes() const;

  // The file's bytes: one checked frame.
  std::string encode() const;
  // The filters a file holds; nothing when it is not a sound filter file.
  static std::optional<IdFilters> decode(std::string_view file);

 private:
  struct Part {
    uint64_t first = 1, end = 1;  // positions covered
    uint64_t capacity = 0;        // ids it was sized for
    Bloom bloom;
  };
  uint64_t first_capacity_;
  std::vector<Part> parts_;
};

}  // namespace atomservices
