#include "atomservices/segment_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <unordered_map>

#include "atomservices/crc32c.hpp"
#include "atomservices/errors.hpp"
#include "atomservices/ids.hpp"
#include "files.hpp"
#include "frames.hpp"
#include "segment_index.hpp"

namespace atomservices {
namespace {

constexpr std::string_view kPrefix = "segment-";
constexpr std::string_view kSuffix = ".log";
constexpr std::string_view kIndexSuffix = ".idx";
constexpr size_t kRememberedVersions = 1 << 16;

class PosixSyncer : public Syncer {
 public:
  void sync_file(int fd) override {
    if (::fsync(fd) != 0) throw Error(ErrorCode::STORE_FAILURE, "fsync failed");
  }
  void sync_directory(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) throw Error(ErrorCode::STORE_FAILURE, "could not open directory " + path + " to sync it");
    int result = ::fsync(fd);
    ::close(fd);
    if (result != 0) throw Error(ErrorCode::STORE_FAILURE, "fsync of directory " + path + " failed");
  }
};

// segment-<16 hex digits>.log → its first position.
// What to do with each kind of record read back from a segment; each says whether it was sound.
struct RecordHandlers {
  std::function<bool(const frames::StoredEvent&, const BodyLocation&)> event;
  std::function<bool(const frames::StoredSnapshot&, const BodyLocation&)> snapshot;
  std::function<bool(const frames::StoredCheckpoint&)> checkpoint;
  bool event_checksums = true;  // an index needs them; the log of the active segment does not
};

// Decodes a record that starts at `payload_at` in its file and hands it on, with where its
// JSON is; false when it is malformed or a handler refused it.
bool decode_record(std::string_view payload, uint64_t payload_at, const RecordHandlers& handlers) {
  auto located = [&](std::string_view part, bool checksum = true) {
    return BodyLocation{payload_at + static_cast<uint64_t>(part.data() - payload.data()), static_cast<uint32_t>(part.size()),
                        checksum ? crc32c(part.data(), part.size()) : 0};
  };
  switch (frames::kind_of(payload)) {
    case frames::RecordKind::Batch: {
      auto events = frames::read_batch(payload);
      if (!events) return false;
      for (const auto& e : *events) {
        if (!handlers.event(e, located(e.json, handlers.event_checksums))) return false;
      }
      return true;
    }
    case frames::RecordKind::Snapshot: {
      auto s = frames::read_snapshot(payload);
      return s && handlers.snapshot(*s, located(s->state));
    }
    case frames::RecordKind::Checkpoint: {
      auto c = frames::read_checkpoint(payload);
      return c && handlers.checkpoint(*c);
    }
    default:
      return false;
  }
}

std::optional<uint64_t> first_position_of(const std::string& name) {
  if (name.size() != kPrefix.size() + 16 + kSuffix.size() || name.compare(0, kPrefix.size(), kPrefix) != 0 ||
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (size_t i = kPrefix.size(); i < kPrefix.size() + 16; ++i) {
    char c = name[i];
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return std::nullopt;
    value = value * 16 + static_cast<uint64_t>(digit);
  }
  return value;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::shared_ptr<Syncer> posix_syncer() { return std::make_shared<PosixSyncer>(); }

SegmentStore::SegmentStore(SegmentStoreOptions options, std::shared_ptr<Syncer> syncer)
    : options_(std::move(options)), syncer_(std::move(syncer)), cache_(options_.cache_bytes) {
  log_.read_bodies_from(this);
  while (options_.directory.size() > 1 && options_.directory.back() == '/') options_.directory.pop_back();
  files::make_directories(options_.directory);
  recover();
}

SegmentStore::~SegmentStore() { close(); }

void SegmentStore::close() {
  forget_readers();
  if (active_fd_ < 0) return;
  try {
    write_pending();  // not synced, so never acknowledged: best effort
  } catch (const Error&) {
  }
  files::close(active_fd_);
  active_fd_ = -1;
}

std::string SegmentStore::path_of(uint64_t first) const {
  char name[40];
  std::snprintf(name, sizeof name, "segment-%016" PRIx64 ".log", first);
  return options_.directory + "/" + name;
}

std::string SegmentStore::index_path_of(uint64_t first) const {
  std::string path = path_of(first);
  return path.replace(path.size() - kSuffix.size(), kSuffix.size(), kIndexSuffix);
}

size_t SegmentStore::tier(uint64_t bytes) const {
  size_t t = 0;
  for (uint64_t limit = options_.segment_bytes * options_.merge_fanout; bytes >= limit; limit *= options_.merge_fanout) ++t;
  return t;
}

// Closed segments come back through their index files (rebuilt from the segment when
// missing or damaged); only the last segment without one, the active segment, is scanned.
void SegmentStore::recover() {
  std::vector<std::pair<uint64_t, std::string>> found;
  for (const std::string& name : files::list(options_.directory)) {
    if (ends_with(name, ".tmp")) files::remove(options_.directory + "/" + name);  // an unfinished merge or index
    if (auto first = first_position_of(name)) found.emplace_back(*first, name);
  }
  std::sort(found.begin(), found.end());
  for (size_t i = 0; i < found.size() && !corruption_; ++i) {
    Segment segment;
    segment.first = found[i].first;
    const std::string path = options_.directory + "/" + found[i].second;
    uint64_t next = log_.last_position() + 1;
    if (segment.first < next) {
      // Left over from an interrupted merge: the merged segment before it holds its events.
      files::remove(path);
      files::remove(index_path_of(segment.first));
      continue;
    }
    if (segment.first > next) {
      corruption_ = Corruption{found[i].second, 0,
                               "events " + std::to_string(next) + " to " + std::to_string(segment.first - 1) + " are missing"};
      break;
    }
    segment.bytes = files::size_of(path);
    if ((segment.index = load_index(segment))) {
      segment.events = segment.index->events();
      adopt(segment);
      continue;
    }
    if (i + 1 < found.size()) {
      index_closed(segment, path, index_path_of(segment.first), true);
      adopt(segment);
      continue;
    }
    files::remove(index_path_of(segment.first));
    if (scan(path, segment, true, [&](std::string_view payload, uint64_t at) { return restore_record(payload, at, segment); })) {
      open_active(segment);
    }
  }
}

void SegmentStore::adopt(Segment segment) {
  sealed_versions_.clear();
  for (const IndexedSnapshot& s : segment.index->snapshots()) {
    log_.put_snapshot_at(s.key, s.aggregate_type, s.aggregate_id, s.version, segment.first, s.state.at, s.state.length, s.state.crc);
  }
  for (const auto& [name, position] : segment.index->checkpoints()) log_.put_checkpoint(name, position);
  log_.seal_through(segment.first + segment.events - 1);
  closed_.push_back(std::move(segment));
}

std::shared_ptr<const SegmentIndex> SegmentStore::load_index(const Segment& segment) const {
  const std::string path = index_path_of(segment.first);
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return nullptr;
  std::optional<SegmentIndex> index;
  try {
    auto read = [&](uint64_t at, uint32_t length) {
      std::string bytes(length, '\0');
      files::read_at(fd, bytes.data(), length, at, path);
      return bytes;
    };
    index = SegmentIndex::open(files::size_of(path), read, segment.first, segment.bytes);
  } catch (const Error&) {
    index.reset();  // unreadable: rebuilt from the segment
  }
  files::close(fd);
  return index ? std::make_shared<const SegmentIndex>(std::move(*index)) : nullptr;
}

// Scans a segment's records (a kill can only tear the last segment's last write, which is
// cut off). Returns false when it holds nothing to keep (a new last segment torn before its
// header was complete); damage is recorded in corruption_.
bool SegmentStore::scan(const std::string& path, Segment& segment, bool is_last, const RecordVisitor& visit) {
  const std::string name = path.substr(options_.directory.size() + 1);
  auto corrupt = [&](uint64_t offset, const std::string& reason) { corruption_ = Corruption{name, offset, reason}; };
  const uint64_t size = files::size_of(path);
  const size_t header_bytes = frames::header(segment.first).size();
  int fd = files::open_for_reading(path);
  auto read = [&](uint64_t at, uint64_t length) {
    std::string bytes(static_cast<size_t>(length), '\0');
    files::read_at(fd, bytes.data(), bytes.size(), at, path);
    return bytes;
  };
  struct Closer {
    int fd;
    ~Closer() { files::close(fd); }
  } closer{fd};
  std::string head = read(0, std::min<uint64_t>(size, header_bytes));
  frames::Frame frame = frames::read(head, 0);
  auto first = frame.status == frames::Status::Ok ? frames::read_header(frame.payload) : std::nullopt;
  if (!first || *first != segment.first) {
    // Only a file shorter than a header can be a header write cut short; in a longer one the
    // header was damaged later, and the records after it may hold acknowledged events.
    if (is_last && size < header_bytes) {
      files::remove(path);  // created, but not even its header was written: nothing was acknowledged
      return false;
    }
    corrupt(0, "the segment header is damaged");
    segment.bytes = size;
    return false;
  }
  uint64_t offset = header_bytes;
  while (offset < size) {
    std::string bytes = read(offset, std::min<uint64_t>(size - offset, frames::kFrameHeaderBytes));
    frames::Frame peek = frames::read(bytes, 0);
    if (peek.status != frames::Status::BadPayload && peek.end <= size - offset) bytes = read(offset, peek.end);
    frame = frames::read(bytes, 0);
    if (frame.status != frames::Status::Ok) {
      // A bad frame with nothing intact after it is a torn last write: never acknowledged.
      if (is_last && !frames::intact_frame_after(read(offset, size - offset), 0)) {
        torn_bytes_cut_ += size - offset;
        files::truncate(path, offset);
        break;
      }
      corrupt(offset, frame.status == frames::Status::BadChecksum ? "a record fails its checksum" : "a record's frame is damaged");
      break;
    }
    if (!visit(frame.payload, offset + frames::kFrameHeaderBytes)) {
      corrupt(offset, "a record's content is malformed or contradicts the records before it");
      break;
    }
    offset += frame.end;
  }
  segment.bytes = corruption_ ? size : std::min(offset, size);
  return true;
}

// Applies one record of the active segment to the log; false when it is malformed or inconsistent.
bool SegmentStore::restore_record(std::string_view payload, uint64_t payload_at, Segment& segment) {
  return decode_record(payload, payload_at, {
    [&](const frames::StoredEvent& e, const BodyLocation& body) {
      if (!log_.restore(e.aggregate_type, e.aggregate_id, e.id, e.version, e.json, body.at)) return false;
      ++segment.events;
      return true;
    },
    [&](const frames::StoredSnapshot& s, const BodyLocation& state) {
      log_.put_snapshot_at(std::string(s.key), s.aggregate_type, s.aggregate_id, s.version, segment.first, state.at,
                           state.length, state.crc);
      return true;
    },
    [&](const frames::StoredCheckpoint& c) {
      log_.put_checkpoint(std::string(c.name), c.position);
      return true;
    },
    false});
}

// The index file's bytes for the segment at `path`, from a scan of it (which counts its
// events into `segment`).
std::string SegmentStore::build_index(const std::string& path, Segment& segment, bool check_versions) {
  IndexBuilder builder(segment.first);
  std::unordered_map<std::string, int64_t> versions;  // newest version seen per stream
  segment.events = 0;
  RecordHandlers handlers{
    [&](const frames::StoredEvent& e, const BodyLocation& body) {
      std::optional<Uuid128> id = parse_uuid(e.id);
      std::string key = std::string(e.aggregate_type).append(1, '\0').append(e.aggregate_id);
      if (!id) return false;
      if (check_versions) {
        auto [seen, is_new] = versions.emplace(key, 0);
        if (is_new) seen->second = sealed_version(key);
        if (e.version != seen->second + 1) return false;
        seen->second = e.version;
      }
      builder.add_event(*id, std::move(key), e.version, body);
      ++segment.events;
      return true;
    },
    [&](const frames::StoredSnapshot& s, const BodyLocation& state) {
      builder.add_snapshot({std::string(s.key), std::string(s.aggregate_type), std::string(s.aggregate_id), s.version, state});
      return true;
    },
    [&](const frames::StoredCheckpoint& c) {
      builder.add_checkpoint(std::string(c.name), c.position);
      return true;
    }};
  auto visit = [&](std::string_view payload, uint64_t payload_at) { return decode_record(payload, payload_at, handlers); };
  scan(path, segment, false, visit);
  return builder.finish(segment.bytes);
}

// Gives a closed segment its index: written beside it, or, when the segment is damaged,
// kept in memory for the events before the damage.
void SegmentStore::index_closed(Segment& segment, const std::string& segment_path, const std::string& index_path,
                                bool check_versions) {
  std::string bytes = build_index(segment_path, segment, check_versions);
  auto read = [&](uint64_t at, uint32_t length) { return bytes.substr(static_cast<size_t>(at), length); };
  std::optional<SegmentIndex> index = SegmentIndex::open(bytes.size(), read, segment.first, segment.bytes);
  if (!index) throw Error(ErrorCode::INTERNAL, "a segment index just built does not read back");
  segment.index = std::make_shared<const SegmentIndex>(std::move(*index));
  if (corruption_) return;
  const std::string temporary = index_path + ".tmp";
  int fd = files::open_for_append(temporary, true);
  files::write_at(fd, bytes, 0, temporary);
  files::close(fd);
  files::rename(temporary, index_path);  // an index cut short by a crash fails its checks and is rebuilt
  directory_dirty_ = true;
}

void SegmentStore::open_active(const Segment& segment) {
  active_ = segment;
  active_fd_ = files::open_for_append(path_of(segment.first), false);
}

void SegmentStore::start_segment() {
  Segment segment;
  segment.first = log_.last_position() + 1;
  std::string path = path_of(segment.first);
  files::remove(path);  // an empty segment left by an earlier open with the same first position
  files::remove(index_path_of(segment.first));
  std::string head = frames::header(segment.first);
  int fd = files::open_for_append(path, true);
  files::write_at(fd, head, 0, path);
  segment.bytes = head.size();
  active_ = segment;
  active_fd_ = fd;
  active_dirty_ = true;
  directory_dirty_ = true;
}

// Closes the active segment (durably: the group sync only covers the new one), writes its
// index, and starts a new one; the log keeps only the new segment's events in memory.
void SegmentStore::roll() {
  if (active_fd_ >= 0) {
    write_pending();
    if (active_dirty_) syncer_->sync_file(active_fd_);
    files::close(active_fd_);
    active_fd_ = -1;
    Segment closed = active_;
    index_closed(closed, path_of(closed.first), index_path_of(closed.first), false);
    closed_.push_back(std::move(closed));
    log_.seal();
    sealed_versions_.clear();
  }
  if (options_.auto_merge) merge_closed();
  start_segment();
}

void SegmentStore::merge_closed() {
  while (closed_.size() >= options_.merge_fanout) {
    size_t run_tier = tier(closed_.back().bytes);
    size_t from = closed_.size();
    while (from > 0 && tier(closed_[from - 1].bytes) == run_tier) --from;
    if (closed_.size() - from < options_.merge_fanout) return;
    from = closed_.size() - options_.merge_fanout;
    uint64_t total = 0;
    for (size_t i = from; i < closed_.size(); ++i) total += closed_[i].bytes;
    if (total > options_.max_merged_bytes) return;
    merge(from);
  }
}

// Concatenates the records of closed_[from..] into one segment, and indexes it. The merged
// file replaces the first input by an atomic rename (its index after it); the other
// inputs, if a crash leaves them, are recognised on open as covered by it and removed.
void SegmentStore::merge(size_t from) {
  Segment merged;
  merged.first = closed_[from].first;
  std::string target = path_of(merged.first);
  std::string temporary = target + ".tmp";
  std::string head = frames::header(merged.first);
  std::vector<int64_t> moves;  // how far each input's bytes move in the merged file
  int fd = files::open_for_append(temporary, true);
  try {
    files::write_at(fd, head, 0, temporary);
    merged.bytes = head.size();
    // Copied file by file in small pieces: a merge needs no memory of the size of its inputs.
    for (size_t i = from; i < closed_.size(); ++i) {
      uint64_t lands_at = merged.bytes;
      merged.bytes += files::copy_into(fd, merged.bytes, temporary, path_of(closed_[i].first), head.size());
      moves.push_back(static_cast<int64_t>(lands_at) - static_cast<int64_t>(head.size()));
    }
    syncer_->sync_file(fd);
  } catch (...) {
    files::close(fd);
    files::remove(temporary);
    throw;
  }
  files::close(fd);
  std::vector<Segment> inputs(closed_.begin() + static_cast<std::ptrdiff_t>(from), closed_.end());
  closed_.resize(from);  // the merged segment's versions follow the segments before it
  std::string index_temporary = index_path_of(merged.first) + ".merged.tmp";
  try {
    index_closed(merged, temporary, index_temporary, false);
  } catch (...) {
    closed_.insert(closed_.end(), inputs.begin(), inputs.end());
    files::remove(temporary);
    throw;
  }
  forget_readers();  // the inputs' descriptors name files about to be replaced or removed
  files::rename(temporary, target);
  files::rename(index_temporary, index_path_of(merged.first));
  syncer_->sync_directory(options_.directory);
  for (size_t i = 1; i < inputs.size(); ++i) {
    files::remove(path_of(inputs[i].first));
    files::remove(index_path_of(inputs[i].first));
  }
  for (size_t i = 0; i < inputs.size(); ++i) log_.move_snapshots(inputs[i].first, merged.first, moves[i]);
  directory_dirty_ = true;
  closed_.push_back(std::move(merged));
}

// Records wait in memory until the next sync(): one write per group commit instead of
// one per append (reads of them are served from memory meanwhile).
void SegmentStore::write_record(const std::string& frame) {
  if (active_fd_ < 0 || (active_.events > 0 && active_.bytes + frame.size() > options_.segment_bytes)) roll();
  pending_ += frame;
  active_.bytes += frame.size();
  active_dirty_ = true;
}

void SegmentStore::write_pending() {
  if (pending_.empty()) return;
  files::write_at(active_fd_, pending_, active_.bytes - pending_.size(), path_of(active_.first));
  pending_.clear();
}

void SegmentStore::put_snapshot(const std::string& key, std::string_view type, std::string_view id, int64_t version,
                                std::string state_json) {
  refuse_if_corrupt();
  uint64_t state_offset = 0;
  std::string frame = frames::snapshot({key, type, id, version, state_json}, &state_offset);
  write_record(frame);
  uint64_t at = active_.bytes - frame.size() + state_offset;
  log_.put_snapshot_at(key, type, id, version, active_.first, at, static_cast<uint32_t>(state_json.size()),
                       crc32c(state_json.data(), state_json.size()));
}

void SegmentStore::put_checkpoint(const std::string& name, uint64_t position) {
  refuse_if_corrupt();
  write_record(frames::checkpoint({name, position}));
  log_.put_checkpoint(name, position);
}

void SegmentStore::refuse_if_corrupt() const {
  if (!corruption_) return;
  throw Error(ErrorCode::STORE_CORRUPT,
                "the store is damaged at " + corruption_->file + " byte " + std::to_string(corruption_->offset) + " (" +
                    corruption_->reason + "); events up to position " + std::to_string(log_.last_position()) +
                    " are readable, and no new events are accepted until the store is restored from a backup",
                "{\"file\":\"" + corruption_->file + "\",\"offset\":" + std::to_string(corruption_->offset) + "}");
}

AppendResult SegmentStore::append(std::vector<Event> batch) {
  refuse_if_corrupt();
  std::vector<bool> is_retry = log_.prepare(batch);
  std::vector<uint64_t> at;
  std::string frame = frames::batch(batch, is_retry, &at);
  if (frame.empty()) return {0, log_.last_position()};
  write_record(frame);
  uint64_t frame_start = active_.bytes - frame.size();  // after write_record, which may start a new segment
  for (uint64_t& offset : at) offset += frame_start;
  AppendResult result = log_.commit(batch, is_retry, at);
  active_.events += result.appended;
  return result;
}

void SegmentStore::compact() {
  if (!corruption_) merge_closed();
}

void SegmentStore::sync() {
  if (active_fd_ >= 0) write_pending();
  if (active_dirty_ && active_fd_ >= 0) syncer_->sync_file(active_fd_);
  active_dirty_ = false;
  if (directory_dirty_) syncer_->sync_directory(options_.directory);
  directory_dirty_ = false;
}

uint64_t SegmentStore::verify_segment(size_t n) {
  if (n >= closed_.size()) throw Error(ErrorCode::INVALID_ARGUMENT, "there is no closed segment " + std::to_string(n));
  Segment copy = closed_[n];
  std::vector<Segment> later(closed_.begin() + static_cast<std::ptrdiff_t>(n), closed_.end());
  closed_.resize(n);  // versions are checked against the segments before it only
  std::string rebuilt;
  try {
    sealed_versions_.clear();  // what it remembers was asked of every closed segment
    rebuilt = build_index(path_of(copy.first), copy, true);
  } catch (...) {
    closed_.insert(closed_.end(), later.begin(), later.end());
    sealed_versions_.clear();
    throw;
  }
  closed_.insert(closed_.end(), later.begin(), later.end());
  sealed_versions_.clear();
  refuse_if_corrupt();
  const std::string index_path = index_path_of(copy.first);
  if (copy.events != closed_[n].events || files::read_all(index_path) != rebuilt) {
    corruption_ = Corruption{index_path.substr(options_.directory.size() + 1), 0, "the index does not match its segment"};
    refuse_if_corrupt();
  }
  return copy.events;
}

StorageStats SegmentStore::stats() const {
  StorageStats stats;
  stats.files = closed_.size() + (active_fd_ >= 0 ? 1 : 0);
  for (const Segment& s : closed_) {
    stats.bytes += s.bytes;
    stats.index_memory += s.index->memory_bytes();
  }
  stats.index_files = closed_.size();
  if (active_fd_ >= 0) stats.bytes += active_.bytes;
  stats.torn_bytes_cut = torn_bytes_cut_;
  stats.cache_hits = cache_.hits();
  stats.cache_misses = cache_.misses();
  stats.cache_bytes = cache_.bytes();
  return stats;
}

// Bodies of the active segment are read as they are (it still grows, so nothing of it is
// cached), from memory while not yet written; closed segments go through the cache.
std::string_view SegmentStore::read(uint64_t position, uint64_t at, uint32_t length) const {
  if (active_fd_ >= 0 && position >= active_.first) {
    uint64_t written = active_.bytes - pending_.size();
    if (at >= written) return std::string_view(pending_).substr(at - written, length);
    scratch_.resize(length);
    files::read_at(active_fd_, scratch_.data(), length, at, path_of(active_.first));
    return scratch_;
  }
  return read_closed(closed_holding(position), at, length);
}

const SegmentStore::Segment& SegmentStore::closed_holding(uint64_t position) const {
  auto after = std::upper_bound(closed_.begin(), closed_.end(), position,
                                [](uint64_t p, const Segment& s) { return p < s.first; });
  if (after == closed_.begin()) throw Error(ErrorCode::INTERNAL, "no segment holds position " + std::to_string(position));
  return *std::prev(after);
}

// Remembered until the next segment closes (which may give a stream newer versions): an
// append asks once for its check and once to start the stream in memory.
int64_t SegmentStore::sealed_version(std::string_view stream_key) const {
  auto known = sealed_versions_.find(std::string(stream_key));
  if (known != sealed_versions_.end()) return known->second;
  int64_t version = 0;
  for (auto it = closed_.rbegin(); it != closed_.rend() && version == 0; ++it) {
    auto fetch = [&](uint64_t at, uint32_t length) { return index_frame(*it, at, length); };
    if (auto run = it->index->stream(stream_key, fetch)) version = run->first_version + static_cast<int64_t>(run->positions.size()) - 1;
  }
  if (sealed_versions_.size() >= kRememberedVersions) sealed_versions_.clear();
  sealed_versions_.emplace(stream_key, version);
  return version;
}

std::optional<std::string_view> SegmentStore::sealed_find(const Uuid128& id) const {
  for (auto it = closed_.rbegin(); it != closed_.rend(); ++it) {
    auto fetch = [&](uint64_t at, uint32_t length) { return index_frame(*it, at, length); };
    if (auto found = it->index->find(id, fetch)) return checked_body(*it, found->second);
  }
  return std::nullopt;
}

// Calls visit(segment, run, i) for the sealed stream's versions from..to, in order, until it says stop.
void SegmentStore::each_sealed_version(std::string_view stream_key, int64_t from, int64_t to,
                                       const std::function<bool(const Segment&, const StreamRun&, size_t)>& visit) const {
  for (const Segment& segment : closed_) {
    auto fetch = [&](uint64_t at, uint32_t length) { return index_frame(segment, at, length); };
    auto run = segment.index->stream(stream_key, fetch);
    if (!run) continue;
    for (size_t i = 0; i < run->positions.size(); ++i) {
      int64_t version = run->first_version + static_cast<int64_t>(i);
      if (version > to) return;
      if (version >= from && !visit(segment, *run, i)) return;
    }
  }
}

void SegmentStore::sealed_stream(std::string_view stream_key, int64_t from, int64_t to, const StreamVisitor& visit) const {
  each_sealed_version(stream_key, from, to, [&](const Segment& segment, const StreamRun& run, size_t i) {
    return visit(run.first_version + static_cast<int64_t>(i), checked_body(segment, run.bodies[i]));
  });
}

void SegmentStore::sealed_positions(std::string_view stream_key, int64_t from, int64_t to, std::vector<uint64_t>& out) const {
  each_sealed_version(stream_key, from, to, [&](const Segment&, const StreamRun& run, size_t i) {
    out.push_back(run.positions[i]);
    return true;
  });
}

std::string_view SegmentStore::sealed_body(uint64_t position) const {
  const Segment& segment = closed_holding(position);
  auto fetch = [&](uint64_t at, uint32_t length) { return index_frame(segment, at, length); };
  return checked_body(segment, segment.index->body(position, fetch));
}

std::string_view SegmentStore::checked_body(const Segment& segment, const BodyLocation& location) const {
  std::string_view body = read_closed(segment, location.at, location.length);
  if (crc32c(body.data(), body.size()) != location.crc) damaged_at(segment, location.at, "an event fails its checksum");
  return body;
}

void SegmentStore::damaged_at(const Segment& segment, uint64_t offset, const std::string& reason) const {
  if (!corruption_) corruption_ = Corruption{path_of(segment.first).substr(options_.directory.size() + 1), offset, reason};
  refuse_if_corrupt();
  throw Error(ErrorCode::STORE_CORRUPT, reason);  // not reached
}

std::string_view SegmentStore::read_closed(const Segment& segment, uint64_t at, uint32_t length) const {
  constexpr uint64_t kBlock = BlockCache::kBlockBytes;
  const std::string path = path_of(segment.first);
  auto block = [&](uint64_t index) -> const std::string& {
    return cache_.get(segment.first, index, [&] {
      uint64_t start = index * kBlock;
      if (start >= segment.bytes) damaged_at(segment, start, "an index points past the end of its segment");
      std::string bytes(static_cast<size_t>(std::min<uint64_t>(kBlock, segment.bytes - start)), '\0');
      files::read_at(reader_for(path), bytes.data(), bytes.size(), start, path);
      return bytes;
    });
  };
  if (at + length > segment.bytes) damaged_at(segment, at, "an index points past the end of its segment");
  uint64_t first = at / kBlock, last = (at + length - (length > 0 ? 1 : 0)) / kBlock;
  if (first == last) return std::string_view(block(first)).substr(at - first * kBlock, length);
  scratch_.clear();
  for (uint64_t index = first; index <= last; ++index) {
    std::string_view piece = block(index);
    uint64_t from = index == first ? at - first * kBlock : 0;
    uint64_t to = index == last ? at + length - last * kBlock : piece.size();
    scratch_.append(piece.substr(from, to - from));
  }
  return scratch_;
}

// A frame of a closed segment's index file, checked, through the cache.
std::string_view SegmentStore::index_frame(const Segment& segment, uint64_t at, uint32_t length) const {
  constexpr uint64_t kIndexFile = 1ull << 63;  // cache keys apart from the segment's own blocks
  const std::string& payload = cache_.get(segment.first | kIndexFile, at, [&] {
    const std::string path = index_path_of(segment.first);
    std::string bytes(length, '\0');
    files::read_at(reader_for(path), bytes.data(), length, at, path);
    frames::Frame frame = frames::read(bytes, 0);
    if (frame.status != frames::Status::Ok || frame.end != bytes.size()) {
      corruption_ = Corruption{path.substr(options_.directory.size() + 1), at, "an index record fails its checksum"};
      refuse_if_corrupt();
    }
    return std::string(frame.payload);
  });
  return payload;
}

int SegmentStore::reader_for(const std::string& path) const {
  auto found = readers_.find(path);
  if (found != readers_.end()) return found->second;
  int fd = files::open_for_reading(path);
  readers_.emplace(path, fd);
  return fd;
}

void SegmentStore::forget_readers() {
  for (auto& [path, fd] : readers_) files::close(fd);
  readers_.clear();
  cache_.clear();
}

void BlockCache::clear() {
  order_.clear();
  where_.clear();
  bytes_ = 0;
}

}  // namespace atomservices
