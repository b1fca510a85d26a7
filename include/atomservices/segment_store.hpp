#pragma once
// The log-structured storage engine under every durable store. Events are appended to a
// small active segment file as checksummed frames, one frame per batch (so a batch is
// atomic: a torn frame is dropped whole). Closed segments are merged in size tiers, so the
// file count stays small and each commit writes only the batch. Opening a store reads each
// closed segment's index summary and scans only the active segment's frames (cutting a torn
// tail, and indexing it in memory from the frames' own fields, without parsing any JSON).
#include <algorithm>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "atomservices/event_log.hpp"

namespace atomservices {

// Makes written bytes durable. Natively: fsync(2). In WebAssembly the JS layer supplies it
// (Node: fsync on the real file; IndexedDB: nothing, the flush's transaction covers it).
class Syncer {
 public:
  virtual ~Syncer() = default;
  virtual void sync_file(int fd) = 0;
  virtual void sync_directory(const std::string& path) = 0;
};

std::shared_ptr<Syncer> posix_syncer();

struct SegmentStoreOptions {
  std::string directory;
  size_t segment_bytes = 4 << 20;      // the active segment is closed once past this size
  size_t merge_fanout = 8;             // this many closed segments of one size tier merge into one
  size_t max_merged_bytes = 64 << 20;  // segments are not merged beyond this size
  // Merge closed segments as soon as a segment is closed. Off when the caller saves the
  // directory elsewhere after each sync (IndexedDB): it calls compact() just before saving.
  bool auto_merge = true;
  // Event bodies are read back from the segment files when asked; this many bytes of what
  // was read stay cached.
  size_t cache_bytes = 16 << 20;
  // close() ends an active segment of at least this many bytes with its index, so that the
  // next open reads a summary instead of scanning its frames (as SQLite checkpoints its WAL
  // on close). 0: never.
  size_t seal_at_close_bytes = 0;
};

// Where stored data stopped being trustworthy.
struct Corruption {
  std::string file;
  uint64_t offset = 0;
  std::string reason;
};

struct StorageStats {
  size_t files = 0;
  uint64_t bytes = 0;
  uint64_t torn_bytes_cut = 0;  // bytes of a torn tail cut when the store was opened
  uint64_t cache_hits = 0;      // reads of event bodies served from the cache
  uint64_t cache_misses = 0;    // ... and those that read a file
  uint64_t cache_bytes = 0;     // bytes the cache holds now
  uint64_t index_files = 0;     // closed segments' index files
  uint64_t index_memory = 0;    // bytes of their summaries held in memory
};

// A piece of an immutable file, and where in it the events already checked begin (an event
// is checked against its checksum once per read from the file, not once per read from memory).
struct CachedBlock {
  struct Checked {
    uint16_t offset;
    uint16_t length;
    uint32_t crc;
    bool operator==(const Checked& o) const { return offset == o.offset && length == o.length && crc == o.crc; }
  };
  std::string_view bytes() const { return std::string_view(data_.get() + begin_, size_); }
  // Room for `size` bytes for a read to fill, reusing what an evicted block held (a cold
  // read would otherwise allocate and zero every piece before reading over it).
  char* reset(size_t size) {
    checked.clear();
    if (size > capacity_) {
      data_.reset(new char[size]);
      capacity_ = size;
    }
    begin_ = 0;
    size_ = size;
    return data_.get();
  }
  // Keeps only `size` bytes from `begin` of what was read (a frame's payload).
  void keep(size_t begin, size_t size) {
    begin_ += begin;
    size_ = size;
  }
  std::vector<Checked> checked;

 private:
  std::unique_ptr<char[]> data_;
  size_t begin_ = 0, size_ = 0, capacity_ = 0;
};

// Pieces of immutable files (closed segments, index files), least recently used out first.
class BlockCache {
 public:
  static constexpr size_t kBlockBytes = 4 << 10;  // a page: a random read costs little more than its event
  explicit BlockCache(size_t capacity_bytes) : capacity_(capacity_bytes) {
    where_.reserve(std::min<size_t>(capacity_bytes / kBlockBytes + 1, 1 << 16));
  }
  // The block, filled by `load(CachedBlock&)` when it is not cached.
  template <class Load>
  CachedBlock& get(uint64_t file, uint64_t block, Load&& load);
  bool contains(uint64_t file, uint64_t block) const { return where_.count(Key{file, block}) > 0; }
  size_t capacity() const { return capacity_; }
  void count_read_past() { ++misses_; }  // a read of a file that the cache does not keep
  void clear();
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  uint64_t bytes() const { return bytes_; }

 private:
  using Key = std::pair<uint64_t, uint64_t>;
  struct KeyHash {
    size_t operator()(const Key& key) const { return std::hash<uint64_t>()(key.first * 0x9E3779B97F4A7C15ull ^ key.second); }
  };
  using Entries = std::list<std::pair<Key, CachedBlock>>;
  Entries order_;  // most recent first
  Entries spare_;  // one evicted entry, whose memory the next miss reuses
  std::unordered_map<Key, Entries::iterator, KeyHash> where_;
  size_t capacity_;  // bytes
  uint64_t hits_ = 0, misses_ = 0, bytes_ = 0;
};

template <class Load>
CachedBlock& BlockCache::get(uint64_t file, uint64_t block, Load&& load) {
  Key key{file, block};
  auto found = where_.find(key);
  if (found != where_.end()) {
    ++hits_;
    order_.splice(order_.begin(), order_, found->second);
    return found->second->second;
  }
  ++misses_;
  Entries entry;
  if (spare_.empty()) entry.emplace_front();
  else entry.splice(entry.begin(), spare_);
  entry.front().first = key;
  load(entry.front().second);
  const size_t size = entry.front().second.bytes().size();
  while (!order_.empty() && bytes_ + size > capacity_) {
    bytes_ -= order_.back().second.bytes().size();
    where_.erase(order_.back().first);
    if (spare_.empty()) spare_.splice(spare_.begin(), order_, std::prev(order_.end()));
    else order_.pop_back();
  }
  order_.splice(order_.begin(), entry);
  bytes_ += size;
  where_.emplace(key, order_.begin());
  return order_.front().second;
}

class SegmentIndex;
class RangeFilters;
struct BodyLocation;
struct StreamRun;

class SegmentStore : private LogStorage {
 public:
  // Opens (creating when missing) the store in options.directory and recovers it: reads the
  // index files of closed segments (rebuilding any that is missing or damaged) and scans
  // only the active segment, cutting a torn tail. A corrupt record does not fail the open:
  // the events before it are readable, corruption() says where, and append() refuses with
  // STORE_CORRUPT. Damage in a closed segment is found when its events are read, or by verify().
  SegmentStore(SegmentStoreOptions options, std::shared_ptr<Syncer> syncer);
  ~SegmentStore();
  SegmentStore(const SegmentStore&) = delete;
  SegmentStore& operator=(const SegmentStore&) = delete;

  // Validates and takes the batch (all or nothing); written and durable by the next sync().
  AppendResult append(std::vector<Event> batch);
  // Saves a folded state, or a subscription's checkpoint, beside the events (durable after
  // the next sync()).
  void put_snapshot(const std::string& key, std::string_view type, std::string_view id, int64_t version,
                    std::string state_json);
  void put_checkpoint(const std::string& name, uint64_t position);
  // Makes every appended event durable.
  void sync();
  // Merges closed segments that are due (see SegmentStoreOptions::auto_merge).
  void compact();
  // Writes what waits, seals the active segment when SegmentStoreOptions::seal_at_close_bytes
  // says so, and releases the files. The destructor only releases them.
  void close();
  // Checks closed segment `n` (0 = oldest) whole: every frame's checksum, and its index
  // against it (an index that does not match a sound segment is written again from it).
  // Returns the events it holds; damage is reported by corruption() and throws.
  uint64_t verify_segment(size_t n);
  size_t closed_segments() const { return closed_.size(); }

  const EventLog& log() const { return log_; }
  const std::optional<Corruption>& corruption() const { return corruption_; }
  StorageStats stats() const;

 private:
  struct Segment {
    uint64_t first = 0;   // global position of its first event
    uint64_t events = 0;
    uint64_t bytes = 0;
    // Closed segments only; replaced when found damaged (it derives from the segment).
    mutable std::shared_ptr<const SegmentIndex> index;
  };
  using RecordVisitor = std::function<bool(std::string_view payload, uint64_t payload_at)>;

  std::string_view read(uint64_t position, uint64_t at, uint32_t length) const override;
  int64_t sealed_version(std::string_view stream_key) const override;
  std::optional<std::string_view> sealed_find(const Uuid128& id) const override;
  void sealed_positions(std::string_view stream_key, int64_t from, int64_t to, std::vector<uint64_t>& out) const override;
  void sealed_stream(std::string_view stream_key, int64_t from, int64_t to, const StreamVisitor& visit) const override;
  std::string_view checked_body(const Segment& segment, const BodyLocation& location) const;
  void each_sealed_version(std::string_view stream_key, int64_t from, int64_t to,
                           const std::function<bool(const Segment&, const StreamRun&, size_t)>& visit) const;
  std::string_view sealed_body(uint64_t position) const override;
  void sealed_bodies(uint64_t from, uint64_t to, const BodyVisitor& visit) const override;
  bool scan_closed(const Segment& segment, uint64_t from, uint64_t to, const BodyVisitor& visit) const;
  const Segment& closed_holding(uint64_t position) const;
  std::string_view read_closed(const Segment& segment, uint64_t at, uint32_t length) const;
  CachedBlock& closed_block(const Segment& segment, uint64_t index) const;
  bool spans_uncached(const Segment& segment, const BodyLocation& location) const;
  std::string_view read_uncached(const Segment& segment, const BodyLocation& location) const;
  std::string_view index_frame(const Segment& segment, uint64_t at, uint32_t length, bool once) const;
  void prefetch_body_tables(const Segment& segment, uint64_t from, uint64_t to) const;
  template <class Search>
  auto searched(const Segment& segment, Search&& search) const;
  void rebuild_index(const Segment& segment) const;
  // The open descriptor of a closed segment's file (or its index file), and its path.
  struct Reader {
    int fd;
    std::string path;
  };
  const Reader& reader_for(uint64_t first, bool index_file) const;
  std::string_view checked_index_frame(const Reader& reader, char* frame, uint32_t length, uint64_t at) const;
  static constexpr uint64_t kIndexFile = 1ull << 63;  // keys of index files apart from their segments' (cache, readers)
  void forget_readers();
  [[noreturn]] void damaged_at(const Segment& segment, uint64_t offset, const std::string& reason) const;

  std::string path_of(uint64_t first) const;
  std::string index_path_of(uint64_t first) const;
  void recover();
  bool scan(const std::string& path, Segment& segment, bool is_last, const RecordVisitor& visit);
  bool restore_record(std::string_view payload, uint64_t payload_at, Segment& segment);
  // What a segment's index file was, when it did not open: none, unusable (damaged, or a
  // merge's leftover; rebuilt), or sound but recording a larger segment (the segment was cut).
  enum class IndexFile { Missing, Unusable, SegmentCut };
  std::shared_ptr<const SegmentIndex> load_index(const Segment& segment, IndexFile& found) const;
  // Versions are checked against the segments before it when the segment comes from disk
  // (not when this store just wrote or merged it).
  std::string build_index(const std::string& path, Segment& segment, bool check_versions);
  void index_closed(Segment& segment, const std::string& segment_path, const std::string& index_path, bool check_versions);
  void install_index(Segment& segment, const std::string& bytes, const std::string& index_path);
  void adopt(Segment segment);
  void open_active(const Segment& segment);
  void write_record(const std::string& frame);
  void write_pending();
  void refuse_if_corrupt() const;
  void start_segment();
  void seal_active();
  void release();
  void synced_file(int fd);
  void synced_directory(const std::string& path);
  // Filters of the ids and of the streams over the closed segments (range_filters.hpp):
  // read from their file the first time one is needed, then brought up to every closed
  // segment from the segments' index tables; saved once enough keys were added since.
  struct Filters {
    char kind;          // 'i' or 's'
    const char* file;   // in the store's directory
    std::shared_ptr<RangeFilters> filters;  // shared_ptr: its type is complete only where it is made
    uint64_t saved = 0;  // the end of what their file covers
  };
  const RangeFilters& caught_up(Filters& f) const;
  std::optional<RangeFilters> read_filters(const Filters& f) const;
  void keys_of(const Filters& f, const Segment& segment, uint64_t from, std::vector<uint64_t>& hashes) const;
  void save(Filters& f) const;
  void save_filters_at_close();
  // Segments overlapping [first, end), newest first, until visit returns true.
  template <class Visit>
  bool newest_first_within(uint64_t first, uint64_t end, Visit&& visit) const;
  template <class Search>
  bool filtered_search(Filters& f, uint64_t hash, Search&& search) const;
  uint64_t sealed_end() const { return closed_.empty() ? 1 : closed_.back().first + closed_.back().events; }
  // Saved when they cover this many more positions than their file: at once (a first open after
  // an upgrade, or after crashes), or at close (an open then reads at most these many again).
  static constexpr uint64_t kSaveFiltersAfter = 1 << 20;
  static constexpr uint64_t kSaveFiltersAtClose = 1 << 16;
  void roll();
  void merge_closed();
  void merge(size_t from);
  size_t tier(uint64_t bytes) const;

  SegmentStoreOptions options_;
  std::shared_ptr<Syncer> syncer_;
  EventLog log_;
  std::vector<Segment> closed_;
  Segment active_;
  int active_fd_ = -1;
  std::string pending_;  // records of the active segment not yet written
  bool active_dirty_ = false;
  bool directory_dirty_ = false;
  bool sync_failed_ = false;
  uint64_t torn_bytes_cut_ = 0;
  mutable std::optional<Corruption> corruption_;
  // For reading back: descriptors of closed segments and index files, the cache of their
  // pieces, and a scratch buffer for reads the cache does not hold whole.
  mutable std::unordered_map<uint64_t, Reader> readers_;  // by first position, | kIndexFile for index files
  mutable BlockCache cache_;
  mutable std::string scratch_, lookup_scratch_, scan_;
  mutable std::unordered_map<std::string, int64_t> sealed_versions_;
  bool checking_segments_ = false;  // recover() and verify_segment() run, with closed_ in part
  mutable Filters id_filters_{'i', "ids.filter", nullptr, 0}, stream_filters_{'s', "streams.filter", nullptr, 0};
};

}  // namespace atomservices
