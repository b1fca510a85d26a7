// Writing a store: appends into the active segment, group-syncable flushes, closing a
// segment with its index, and merges. Opening is in segment_recovery.cpp, reading back in
// segment_reads.cpp.
#include "atomservices/segment_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_map>

#include "atomservices/crc32c.hpp"
#include "atomservices/errors.hpp"
#include "atomservices/ids.hpp"
#include "files.hpp"
#include "frames.hpp"
#include "range_filters.hpp"
#include "segment_index.hpp"

namespace atomservices {
namespace {

constexpr std::string_view kSuffix = ".log";
constexpr std::string_view kIndexSuffix = ".idx";

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

}  // namespace

std::shared_ptr<Syncer> posix_syncer() { return std::make_shared<PosixSyncer>(); }

SegmentStore::SegmentStore(SegmentStoreOptions options, std::shared_ptr<Syncer> syncer)
    : options_(std::move(options)), syncer_(std::move(syncer)), cache_(options_.cache_bytes) {
  log_.read_bodies_from(this);
  while (options_.directory.size() > 1 && options_.directory.back() == '/') options_.directory.pop_back();
  files::make_directories(options_.directory);
  recover();
}

SegmentStore::~SegmentStore() { release(); }

void SegmentStore::close() {
  bool seal = options_.seal_at_close_bytes > 0 && active_fd_ >= 0 && !corruption_ && !sync_failed_ &&
              active_.events > 0 && active_.bytes >= options_.seal_at_close_bytes;
  try {
    if (seal) {
      seal_active();
      synced_directory(options_.directory);
      directory_dirty_ = false;
    }
  } catch (const Error&) {
    // Unsealed, the segment is scanned by the next open, as after a crash.
  }
  save_filters_at_close();
  release();
}

// Only filters this store read: a store that never searched leaves their files as they were.
void SegmentStore::save_filters_at_close() {
  if (corruption_) return;
  for (Filters* f : {&id_filters_, &stream_filters_}) {
    if (!f->filters) continue;
    try {
      caught_up(*f);
    } catch (const Error&) {
      continue;  // derived data: the next open makes what is missing
    }
    if (f->filters->covered_end() - f->saved >= kSaveFiltersAtClose) save(*f);
  }
}

void SegmentStore::release() {
  forget_readers();
  if (active_fd_ < 0) return;
  try {
    write_pending();  // not synced, so never acknowledged: best effort
  } catch (const Error&) {
  }
  files::close(active_fd_);
  active_fd_ = -1;
}

// Asked on every read, so written out by hand (snprintf costs more than a cached read).
std::string SegmentStore::path_of(uint64_t first) const {
  std::string path = options_.directory;
  path += "/segment-0000000000000000.log";
  for (size_t digit = path.size() - kSuffix.size(); first > 0; first >>= 4) path[--digit] = "0123456789abcdef"[first & 15];
  return path;
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

// Closes the active segment (durably: the group sync only covers the next one) and writes
// its index; the log keeps no events in memory after it.
void SegmentStore::seal_active() {
  write_pending();
  synced_file(active_fd_);  // even when nothing was written since the open: what it recovered is sealed
  active_dirty_ = false;
  Segment closed = active_;
  index_closed(closed, path_of(closed.first), index_path_of(closed.first), false);  // failing, it stays active
  files::close(active_fd_);
  active_fd_ = -1;
  closed_.push_back(std::move(closed));
  log_.seal();
  sealed_versions_.clear();
}

// Seals the active segment and starts a new one.
void SegmentStore::roll() {
  if (active_fd_ >= 0) seal_active();
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
    synced_file(fd);
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
  synced_directory(options_.directory);
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
                    corruption_->reason + "); events that are not damaged can still be read, and no new events are " +
                    "accepted until the store is restored from a backup",
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
  if (active_dirty_ && active_fd_ >= 0) synced_file(active_fd_);
  active_dirty_ = false;
  if (directory_dirty_) synced_directory(options_.directory);
  directory_dirty_ = false;
}

// A failed sync may have lost what was written (a retried fsync can succeed without it), so
// close() seals nothing after one.
void SegmentStore::synced_file(int fd) {
  try {
    syncer_->sync_file(fd);
  } catch (...) {
    sync_failed_ = true;
    throw;
  }
}

void SegmentStore::synced_directory(const std::string& path) {
  try {
    syncer_->sync_directory(path);
  } catch (...) {
    sync_failed_ = true;
    throw;
  }
}

StorageStats SegmentStore::stats() const {
  StorageStats stats;
  stats.files = closed_.size() + (active_fd_ >= 0 ? 1 : 0);
  for (const Segment& s : closed_) {
    stats.bytes += s.bytes;
    stats.index_memory += s.index->memory_bytes();
  }
  for (const Filters* f : {&id_filters_, &stream_filters_}) {
    if (f->filters) stats.index_memory += f->filters->memory_bytes();
  }
  stats.index_files = closed_.size();
  if (active_fd_ >= 0) stats.bytes += active_.bytes;
  stats.torn_bytes_cut = torn_bytes_cut_;
  stats.cache_hits = cache_.hits();
  stats.cache_misses = cache_.misses();
  stats.cache_bytes = cache_.bytes();
  return stats;
}

}  // namespace atomservices
