#include "atomservices/segment_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "atomservices/errors.hpp"
#include "files.hpp"
#include "frames.hpp"

namespace atomservices {
namespace {

constexpr std::string_view kPrefix = "segment-";
constexpr std::string_view kSuffix = ".log";

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

size_t SegmentStore::tier(uint64_t bytes) const {
  size_t t = 0;
  for (uint64_t limit = options_.segment_bytes * options_.merge_fanout; bytes >= limit; limit *= options_.merge_fanout) ++t;
  return t;
}

void SegmentStore::recover() {
  std::vector<std::pair<uint64_t, std::string>> found;
  for (const std::string& name : files::list(options_.directory)) {
    if (ends_with(name, ".tmp")) files::remove(options_.directory + "/" + name);  // an unfinished merge
    if (auto first = first_position_of(name)) found.emplace_back(*first, name);
  }
  std::sort(found.begin(), found.end());
  for (size_t i = 0; i < found.size() && !corruption_; ++i) {
    Segment segment;
    segment.first = found[i].first;
    if (!load_segment(found[i].second, segment, i + 1 == found.size())) continue;
    closed_.push_back(segment);
  }
  // A segment without events stays active whatever its size (records other than events do
  // not roll it): a new one would start at the same position, under the same name.
  if (!closed_.empty() && !corruption_ && (closed_.back().bytes < options_.segment_bytes || closed_.back().events == 0)) {
    Segment last = closed_.back();
    closed_.pop_back();
    open_active(last);
  }
}

// Loads one segment's events into the log. Returns false when the segment holds nothing to
// keep (a leftover merge input, or a new segment torn before its header was complete).
bool SegmentStore::load_segment(const std::string& name, Segment& segment, bool is_last) {
  const std::string path = options_.directory + "/" + name;
  const std::string bytes = files::read_all(path);
  auto corrupt = [&](uint64_t offset, const std::string& reason) {
    corruption_ = Corruption{name, offset, reason};
  };
  uint64_t next = log_.last_position() + 1;
  frames::Frame head = frames::read(bytes, 0);
  auto first = head.status == frames::Status::Ok ? frames::read_header(head.payload) : std::nullopt;
  if (!first || *first != segment.first) {
    // Only a file shorter than a header can be a header write cut short; in a longer one the
    // header was damaged later, and the records after it may hold acknowledged events.
    bool torn_header = bytes.size() < frames::header(segment.first).size();
    if (is_last && head.status == frames::Status::Truncated && torn_header) {
      files::remove(path);  // created, but not even its header was written: nothing was acknowledged
      return false;
    }
    corrupt(0, "the segment header is damaged");
    return false;
  }
  if (segment.first < next) {
    // Left over from an interrupted merge: the merged segment before it holds its events.
    files::remove(path);
    return false;
  }
  if (segment.first > next) {
    corrupt(0, "events " + std::to_string(next) + " to " + std::to_string(segment.first - 1) + " are missing");
    return false;
  }
  size_t offset = head.end;
  while (offset < bytes.size()) {
    frames::Frame frame = frames::read(bytes, offset);
    // A kill can only tear the last write: a bad frame with nothing intact after it.
    bool torn_tail = is_last && frame.status != frames::Status::Ok && !frames::intact_frame_after(bytes, offset);
    if (torn_tail) {
      // The last write was cut short: it was never acknowledged. Cut it off.
      torn_bytes_cut_ += bytes.size() - offset;
      files::truncate(path, offset);
      break;
    }
    if (frame.status != frames::Status::Ok) {
      corrupt(offset, frame.status == frames::Status::BadChecksum ? "a record fails its checksum" : "a record's frame is damaged");
      break;
    }
    if (!restore_record(frame.payload, bytes.data(), segment)) {
      corrupt(offset, "a record's content is malformed or contradicts the records before it");
      break;
    }
    offset = frame.end;
  }
  segment.bytes = corruption_ ? bytes.size() : std::min<uint64_t>(offset, bytes.size());
  return segment.events > 0 || is_last;
}

// Applies one record read back from a segment; false when it is malformed or inconsistent.
bool SegmentStore::restore_record(std::string_view payload, const char* file_start, Segment& segment) {
  switch (frames::kind_of(payload)) {
    case frames::RecordKind::Batch: {
      auto events = frames::read_batch(payload);
      if (!events) return false;
      for (const auto& e : *events) {
        uint64_t at = static_cast<uint64_t>(e.json.data() - file_start);
        if (!log_.restore(e.aggregate_type, e.aggregate_id, e.id, e.version, e.json, at)) return false;
        ++segment.events;
      }
      return true;
    }
    case frames::RecordKind::Snapshot: {
      auto s = frames::read_snapshot(payload);
      if (!s) return false;
      log_.put_snapshot(std::string(s->key), s->aggregate_type, s->aggregate_id, s->version, std::string(s->state));
      return true;
    }
    case frames::RecordKind::Checkpoint: {
      auto c = frames::read_checkpoint(payload);
      if (!c) return false;
      log_.put_checkpoint(std::string(c->name), c->position);
      return true;
    }
    default:
      return false;
  }
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
  std::string head = frames::header(segment.first);
  int fd = files::open_for_append(path, true);
  files::write_at(fd, head, 0, path);
  segment.bytes = head.size();
  active_ = segment;
  active_fd_ = fd;
  active_dirty_ = true;
  directory_dirty_ = true;
}

// Closes the active segment (durably: the group sync only covers the new one) and
// starts a new one.
void SegmentStore::roll() {
  if (active_fd_ >= 0) {
    write_pending();
    if (active_dirty_) syncer_->sync_file(active_fd_);
    files::close(active_fd_);
    active_fd_ = -1;
    closed_.push_back(active_);
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

// Concatenates the records of closed_[from..] into one segment. The merged file replaces
// the first input by an atomic rename; the other inputs, if a crash leaves them, are
// recognised on open as covered by it and removed.
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
      merged.events += closed_[i].events;
      moves.push_back(static_cast<int64_t>(lands_at) - static_cast<int64_t>(head.size()));
    }
    syncer_->sync_file(fd);
  } catch (...) {
    files::close(fd);
    files::remove(temporary);
    throw;
  }
  files::close(fd);
  forget_readers();  // the inputs' descriptors name files about to be replaced or removed
  files::rename(temporary, target);
  for (size_t i = from; i < closed_.size(); ++i) {
    log_.move_bodies(closed_[i].first, closed_[i].first + closed_[i].events, moves[i - from]);
  }
  syncer_->sync_directory(options_.directory);
  for (size_t i = from + 1; i < closed_.size(); ++i) files::remove(path_of(closed_[i].first));
  directory_dirty_ = true;
  closed_.resize(from);
  closed_.push_back(merged);
}

// Records wait in memory until the next sync(): one write per group commit instead of
// one per append (reads never touch the files, so nothing else needs them sooner).
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
  write_record(frames::snapshot({key, type, id, version, state_json}));
  log_.put_snapshot(key, type, id, version, std::move(state_json));
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

StorageStats SegmentStore::stats() const {
  StorageStats stats;
  stats.files = closed_.size() + (active_fd_ >= 0 ? 1 : 0);
  for (const Segment& s : closed_) stats.bytes += s.bytes;
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
  auto after = std::upper_bound(closed_.begin(), closed_.end(), position,
                                [](uint64_t p, const Segment& s) { return p < s.first; });
  if (after == closed_.begin()) throw Error(ErrorCode::INTERNAL, "no segment holds position " + std::to_string(position));
  return read_closed(*std::prev(after), at, length);
}

std::string_view SegmentStore::read_closed(const Segment& segment, uint64_t at, uint32_t length) const {
  constexpr uint64_t kBlock = BlockCache::kBlockBytes;
  auto block = [&](uint64_t index) -> const std::string& {
    return cache_.get(segment.first, index, [&] {
      uint64_t start = index * kBlock;
      std::string bytes(static_cast<size_t>(std::min<uint64_t>(kBlock, segment.bytes - start)), '\0');
      files::read_at(reader_for(segment.first), bytes.data(), bytes.size(), start, path_of(segment.first));
      return bytes;
    });
  };
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

int SegmentStore::reader_for(uint64_t first) const {
  auto found = readers_.find(first);
  if (found != readers_.end()) return found->second;
  int fd = files::open_for_reading(path_of(first));
  readers_.emplace(first, fd);
  return fd;
}

void SegmentStore::forget_readers() {
  for (auto& [first, fd] : readers_) files::close(fd);
  readers_.clear();
  cache_.clear();
}

void BlockCache::clear() {
  order_.clear();
  where_.clear();
  bytes_ = 0;
}

}  // namespace atomservices
