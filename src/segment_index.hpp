#pragma once
// The index file of a closed segment (segment-<first>.idx), written once when the segment
// closes or a merge makes it, so that opening a store reads small summaries instead of
// every event (as SSTables and EventStoreDB's PTables do). Layout:
//   table frames: where each event's body is (position order), the event ids in order,
//                 the streams in order with their positions;
//   three lookup frames: the first key of every table frame of one table, with a Bloom
//                 filter of the ids (or the streams) beside theirs;
//   a summary frame: the segment's count, snapshots and checkpoints, where the lookups are;
//   a trailer: where the summary is.
// Opening a store reads only the summaries; a lookup frame is read the first time its
// table is searched, so an open costs the same whatever the store holds. Every frame carries
// a CRC-32C, checked when it is read.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atomservices/errors.hpp"
#include "atomservices/ids.hpp"

namespace atomservices {

// Damage in an index file (a frame failing its checksum, or content that does not add up):
// STORE_CORRUPT, but the index derives from its segment, so the store rebuilds it.
class IndexDamaged : public Error {
 public:
  explicit IndexDamaged(const std::string& what)
      : Error(ErrorCode::STORE_CORRUPT, "a segment index is damaged (" + what + ")") {}
};

// Where an event's JSON is in its segment file, and its checksum.
struct BodyLocation {
  uint64_t at = 0;
  uint32_t length = 0;
  uint32_t crc = 0;
};

struct IndexedSnapshot {
  std::string key, aggregate_type, aggregate_id;
  int64_t version = 0;
  BodyLocation state;
};

// Collects what a scan of a segment finds, then writes the index file's bytes.
class IndexBuilder {
 public:
  explicit IndexBuilder(uint64_t first) : first_(first) {}
  void add_event(const Uuid128& id, std::string stream_key, int64_t version, BodyLocation body);
  void add_snapshot(IndexedSnapshot snapshot) { snapshots_.push_back(std::move(snapshot)); }
  void add_checkpoint(const std::string& name, uint64_t position) { checkpoints_[name] = position; }
  uint64_t events() const { return bodies_.size(); }
  std::string finish(uint64_t segment_bytes) const;

 private:
  // Each appends its tables to `file` and returns its lookup frame's payload.
  std::string write_bodies(std::string& file) const;
  std::string write_ids(std::string& file) const;
  std::string write_streams(std::string& file) const;
  void write_stream_bloom(std::string& file, std::string& lookup) const;

  struct Run {
    int64_t first_version = 0;
    std::vector<uint32_t> offsets;  // positions, counted from the segment's first
  };
  uint64_t first_;
  std::vector<BodyLocation> bodies_;
  std::vector<std::pair<Uuid128, uint32_t>> ids_;  // and the offset of its body in bodies_
  std::map<std::string, Run> streams_;
  std::vector<IndexedSnapshot> snapshots_;
  std::map<std::string, uint64_t> checkpoints_;
};

// A blocked Bloom filter: each key's probes fall in one 64-byte block, so a search touches
// one cache line (every new event's id is searched in every closed segment). 16 bits a key
// make ~0.19% false positives, each a read of an id table: at 10 bits (~1.1%) a store of
// 49 segments read one table for every other new event. The reader takes the size from
// the file, so filters of either size are read alike.
class Bloom {
 public:
  static constexpr size_t kBlockWords = 8;
  static constexpr size_t kBitsPerKey = 16;
  Bloom() = default;
  explicit Bloom(size_t entries, size_t bits_per_key = kBitsPerKey) : bits_(words_for(entries, bits_per_key), 0) {}
  static size_t words_for(uint64_t entries, size_t bits_per_key = kBitsPerKey) {
    return static_cast<size_t>(((entries * bits_per_key + 511) / 512 + 1) * kBlockWords);
  }
  void add(uint64_t hash);
  bool may_contain(uint64_t hash) const;
  const std::vector<uint64_t>& words() const { return bits_; }
  std::vector<uint64_t>& words() { return bits_; }

 private:
  std::vector<uint64_t> bits_;
};

uint64_t hash_id(const Uuid128& id);
uint64_t hash_key(std::string_view key);

// A stream's versions in one segment: versions first_version, first_version + 1, ... at
// these global positions.
struct StreamRun {
  int64_t first_version = 0;
  std::vector<uint64_t> positions;
  std::vector<BodyLocation> bodies;
};

// A closed segment's index: the summary lives in memory; table frames are read on demand
// through `fetch`, which returns a frame's checked payload (or throws STORE_CORRUPT).
class SegmentIndex {
 public:
  // Where a frame of the index file is.
  struct FrameRef {
    uint64_t at;
    uint32_t length;
  };
  // A frame of the index file, checked: its payload, valid until the next call (or throws
  // IndexDamaged). `once`: a lookup frame, which the index keeps, so no cache need hold it.
  using Fetch = std::function<std::string_view(uint64_t at, uint32_t length, bool once)>;

  // The index in a file of `file_bytes` bytes, read with `read(at, length)`; nothing when
  // it is not a valid index of a segment of that first position and size. `sealed_bytes`,
  // when given, gets the segment's size as the index recorded it, whenever its summary is
  // sound (also when that size is not `segment_bytes`).
  static std::optional<SegmentIndex> open(uint64_t file_bytes, const std::function<std::string(uint64_t, uint32_t)>& read,
                                          uint64_t first, uint64_t segment_bytes, std::optional<uint64_t>* sealed_bytes = nullptr);
  // Bytes of the trailer, which the file's last bytes are.
  static constexpr size_t kTrailerBytes = 16;
  // Bytes read from the file's end at open: the trailer, the summary, the stream lookup.
  static constexpr size_t kTailBytes = 8 << 10;

  uint64_t first() const { return first_; }
  uint64_t events() const { return events_; }
  const std::vector<IndexedSnapshot>& snapshots() const { return snapshots_; }
  const std::map<std::string, uint64_t>& checkpoints() const { return checkpoints_; }
  size_t memory_bytes() const;

  BodyLocation body(uint64_t position, const Fetch& fetch) const;
  // Where the body tables of positions from..to are, in file order (one after the other).
  std::vector<FrameRef> body_tables(uint64_t from, uint64_t to, const Fetch& fetch) const;
  // The event's global position and body, when the segment holds it.
  std::optional<std::pair<uint64_t, BodyLocation>> find(const Uuid128& id, const Fetch& fetch) const;
  // False when the id filter, once read, rules out `hash_id(id)`: a search of every closed
  // segment for a new id then costs a probe a segment, without a call through `find`.
  bool may_hold_id(uint64_t id_hash) const { return !ids_ || ids_->bloom.may_contain(id_hash); }
  // Calls visit(hash_id(id), position) for every event of the segment, from its id tables,
  // read past the cache and without keeping the segment's id filter.
  void each_id_hash(const Fetch& fetch, const std::function<void(uint64_t, uint64_t)>& visit) const;
  // Calls visit(hash_key(stream), position of its last event here) for every stream of the
  // segment, from its stream tables, read past the cache.
  void each_stream_hash(const Fetch& fetch, const std::function<void(uint64_t, uint64_t)>& visit) const;
  std::optional<StreamRun> stream(std::string_view key, const Fetch& fetch) const;

 private:
  struct IdLookup {
    std::vector<std::pair<Uuid128, FrameRef>> frames;
    Bloom bloom;
  };
  // Where the stream Bloom filter's pages are, and the first stream of each page of table
  // references with the page's place, as the file has them (no string per entry: a cold
  // rehydration reads one of these per segment).
  struct StreamLookup {
    uint32_t bloom_pages = 0;
    uint64_t bloom_at = 0;
    uint32_t bloom_page_bytes = 0;
    std::string bytes;
    std::vector<uint32_t> entries;  // where each entry starts in bytes
    std::string_view key(size_t n) const;
    FrameRef ref(size_t n) const;
  };
  const std::vector<FrameRef>& body_frames(const Fetch& fetch) const;
  const IdLookup& id_lookup(const Fetch& fetch) const;
  const StreamLookup& stream_lookup(const Fetch& fetch) const;
  bool take_stream_lookup(std::string framed);

  uint64_t first_ = 0, events_ = 0;
  FrameRef body_lookup_at_{}, id_lookup_at_{}, stream_lookup_at_{};
  // Read the first time they are needed.
  mutable std::optional<std::vector<FrameRef>> body_frames_;
  mutable std::optional<IdLookup> ids_;
  mutable std::optional<StreamLookup> streams_;
  std::vector<IndexedSnapshot> snapshots_;
  std::map<std::string, uint64_t> checkpoints_;
};

}  // namespace atomservices
