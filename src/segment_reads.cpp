// Reading a store back: bodies of the active segment from memory or its file, closed
// segments through their indexes and one cache of 4 KiB pieces, every event checked.
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
#include "range_filters.hpp"
#include "segment_index.hpp"

namespace atomservices {
namespace {

constexpr size_t kRememberedVersions = 1 << 16;
// A scan reads ahead the body tables of this many events (32 table frames, ~64 KiB).
constexpr uint64_t kPrefetchedEvents = 4096;

}  // namespace

// Runs a search of a closed segment's index. An index found damaged is rebuilt from its
// segment (which it derives from) and the search runs again; damage found twice is the
// store's.
template <class Search>
auto SegmentStore::searched(const Segment& segment, Search&& search) const {
  auto fetch = [&](uint64_t at, uint32_t length, bool once) { return index_frame(segment, at, length, once); };
  try {
    return search(*segment.index, SegmentIndex::Fetch(fetch));
  } catch (const IndexDamaged&) {
    rebuild_index(segment);
  }
  try {
    return search(*segment.index, SegmentIndex::Fetch(fetch));
  } catch (const IndexDamaged& e) {
    if (!corruption_) corruption_ = Corruption{index_path_of(segment.first).substr(options_.directory.size() + 1), 0, e.what()};
    throw;
  }
}

// Indexes are derived data: rebuilding one changes what the store knows, not what it holds.
void SegmentStore::rebuild_index(const Segment& segment) const {
  auto& self = const_cast<SegmentStore&>(*this);
  self.forget_readers();  // the damaged file's descriptor and cached pieces
  Segment rebuilt = segment;
  self.index_closed(rebuilt, path_of(segment.first), index_path_of(segment.first), false);
  segment.index = rebuilt.index;
}

// Bodies of the active segment are read as they are (it still grows, so nothing of it is
// cached), from memory while not yet written; closed segments go through the cache.
std::string_view SegmentStore::read(uint64_t position, uint64_t at, uint32_t length) const {
  if (active_fd_ >= 0 && position >= active_.first) {
    uint64_t written = active_.bytes - pending_.size();
    if (at >= written) return std::string_view(pending_).substr(at - written, length);
    // A run of events may end in what is not written yet.
    uint64_t from_file = std::min<uint64_t>(length, written - at);
    scratch_.resize(length);
    files::read_at(active_fd_, scratch_.data(), from_file, at, path_of(active_.first));
    std::copy_n(pending_.data(), length - from_file, scratch_.data() + from_file);
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
  filtered_search(stream_filters_, hash_key(stream_key), [&](const Segment& segment) {
    auto run = searched(segment, [&](const SegmentIndex& index, const SegmentIndex::Fetch& fetch) { return index.stream(stream_key, fetch); });
    if (run) version = run->first_version + static_cast<int64_t>(run->positions.size()) - 1;
    return run.has_value();
  });
  if (sealed_versions_.size() >= kRememberedVersions) sealed_versions_.clear();
  sealed_versions_.emplace(stream_key, version);
  return version;
}

template <class Visit>
bool SegmentStore::newest_first_within(uint64_t first, uint64_t end, Visit&& visit) const {
  auto it = std::lower_bound(closed_.begin(), closed_.end(), end, [](const Segment& s, uint64_t p) { return s.first < p; });
  while (it != closed_.begin()) {
    --it;
    if (it->first + it->events <= first) return false;
    if (visit(*it)) return true;
  }
  return false;
}

// A search of the closed segments, newest first, for a key whose filters are `f`: the
// segments past what the filters cover by themselves (none once caught up), then those of
// each range whose filter may hold the key. `search` says whether a segment held it.
template <class Search>
bool SegmentStore::filtered_search(Filters& f, uint64_t hash, Search&& search) const {
  // While the closed segments are being read back or checked, they are not all there.
  if (checking_segments_) return newest_first_within(1, sealed_end(), search);
  const RangeFilters& filters = caught_up(f);
  const uint64_t covered = filters.covered_end();
  if (newest_first_within(covered, sealed_end(), search)) return true;
  bool found = false;
  filters.each_range_that_may_hold(hash, [&](uint64_t first, uint64_t end) {
    found = newest_first_within(first, end, search);
    return !found;
  });
  return found;
}

std::optional<std::string_view> SegmentStore::sealed_find(const Uuid128& id) const {
  const uint64_t hash = hash_id(id);
  std::optional<std::string_view> body;
  filtered_search(id_filters_, hash, [&](const Segment& segment) {
    if (!segment.index->may_hold_id(hash)) return false;
    auto found = searched(segment, [&](const SegmentIndex& index, const SegmentIndex::Fetch& fetch) { return index.find(id, fetch); });
    if (found) body = checked_body(segment, found->second);
    return found.has_value();
  });
  return body;
}

const RangeFilters& SegmentStore::caught_up(Filters& f) const {
  if (!f.filters) {
    std::optional<RangeFilters> saved;
    saved = read_filters(f);
    // A file covering more than the store holds is not this store's (a backup restored beside it).
    if (saved && saved->covered_end() > sealed_end()) saved.reset();
    f.filters = std::make_shared<RangeFilters>(saved ? std::move(*saved) : RangeFilters(f.kind));
    f.saved = f.filters->covered_end();
  }
  std::vector<uint64_t> hashes;
  for (uint64_t from = f.filters->covered_end(); from < sealed_end(); from = f.filters->covered_end()) {
    const Segment& segment = closed_holding(from);
    if (segment.first + segment.events <= from) break;  // holds no events past it: nothing to cover
    keys_of(f, segment, from, hashes);
    f.filters->cover(segment.first + segment.events, hashes);
  }
  if (f.filters->covered_end() - f.saved >= kSaveFiltersAfter) save(f);
  return *f.filters;
}

// The keys of the segment's events at `from` and after (a range may end inside a merged segment).
void SegmentStore::keys_of(const Filters& f, const Segment& segment, uint64_t from, std::vector<uint64_t>& hashes) const {
  searched(segment, [&](const SegmentIndex& index, const SegmentIndex::Fetch& fetch) {
    hashes.clear();  // a search that found damage runs again on the rebuilt index
    auto keep = [&](uint64_t hash, uint64_t position) {
      if (position >= from) hashes.push_back(hash);
    };
    if (f.kind == 'i') index.each_id_hash(fetch, keep);
    else index.each_stream_hash(fetch, keep);
    return true;
  });
}

// The filters their file holds, read piece by piece (they can be hundreds of MB); nothing
// when it is missing, unreadable or unsound (they are made again from the index files).
std::optional<RangeFilters> SegmentStore::read_filters(const Filters& f) const {
  const std::string path = options_.directory + "/" + f.file;
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return std::nullopt;
  std::optional<RangeFilters> filters;
  try {
    auto read = [&](uint64_t at, char* into, size_t n) { files::read_at(fd, into, n, at, path); };
    filters = RangeFilters::decode(files::size_of(fd, path), read, f.kind);
  } catch (const Error&) {
    filters.reset();
  }
  files::close(fd);
  return filters;
}

// Derived data: a file that could not be saved is made again from the index files.
void SegmentStore::save(Filters& f) const {
  if (corruption_ || !f.filters) return;
  const std::string path = options_.directory + "/" + f.file, temporary = path + ".tmp";
  try {
    int fd = files::open_for_append(temporary, true);
    try {
      uint64_t at = 0;
      f.filters->encode([&](std::string_view piece) {
        files::write_at(fd, piece, at, temporary);
        at += piece.size();
      });
      syncer_->sync_file(fd);  // whole on disk before its name is
    } catch (...) {
      files::close(fd);
      throw;
    }
    files::close(fd);
    files::rename(temporary, path);
    f.saved = f.filters->covered_end();
    const_cast<SegmentStore&>(*this).directory_dirty_ = true;
  } catch (const Error&) {
    try {
      files::remove(temporary);
    } catch (const Error&) {
    }
  }
}

// Calls visit(segment, run, i) for the sealed stream's versions from..to, in order, until it says stop.
void SegmentStore::each_sealed_version(std::string_view stream_key, int64_t from, int64_t to,
                                       const std::function<bool(const Segment&, const StreamRun&, size_t)>& visit) const {
  for (const Segment& segment : closed_) {
    auto run = searched(segment, [&](const SegmentIndex& index, const SegmentIndex::Fetch& fetch) { return index.stream(stream_key, fetch); });
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
  BodyLocation location =
      searched(segment, [&](const SegmentIndex& index, const SegmentIndex::Fetch& fetch) { return index.body(position, fetch); });
  return checked_body(segment, location);
}

void SegmentStore::sealed_bodies(uint64_t from, uint64_t to, const BodyVisitor& visit) const {
  for (uint64_t position = from; position <= to;) {
    const Segment& segment = closed_holding(position);
    uint64_t last = std::min(to, segment.first + segment.events - 1);
    if (!scan_closed(segment, position, last, visit)) return;
    position = last + 1;
  }
}

// Consecutive events lie one after the other in their segment: a scan reads up to
// kScanBytes of them at once, past the cache (which a long scan would only flush), and
// checks each event's checksum as it visits it.
bool SegmentStore::scan_closed(const Segment& segment, uint64_t from, uint64_t to, const BodyVisitor& visit) const {
  std::vector<BodyLocation> run;
  for (uint64_t position = from; position <= to; position += run.size()) {
    prefetch_body_tables(segment, position, std::min(to, position + kPrefetchedEvents - 1));
    run.clear();
    uint64_t start = 0, end = 0;
    for (uint64_t next = position; next <= to; ++next) {
      BodyLocation location = searched(segment, [&](const SegmentIndex& index, const SegmentIndex::Fetch& fetch) { return index.body(next, fetch); });
      if (run.empty()) start = location.at;
      bool follows = location.at >= end && location.at + location.length - start <= kScanBytes;
      if (!run.empty() && !follows) break;
      run.push_back(location);
      end = location.at + location.length;
    }
    if (end > segment.bytes) damaged_at(segment, start, "an index points past the end of its segment");
    const Reader& reader = reader_for(segment.first, false);
    cache_.count_read_past();
    scan_.resize(end - start);
    files::read_at(reader.fd, scan_.data(), scan_.size(), start, reader.path);
    for (size_t i = 0; i < run.size(); ++i) {
      std::string_view body = std::string_view(scan_).substr(run[i].at - start, run[i].length);
      if (crc32c(body.data(), body.size()) != run[i].crc) damaged_at(segment, run[i].at, "an event fails its checksum");
      if (!visit(position + i, body)) return false;
    }
  }
  return true;
}

// A scan looks up every position in the body tables, which lie one after the other in the
// index file: those not cached are read together, in one read instead of one each (a cold
// readAll of 1,000 events needs eight). Not when the cache is too small to keep them.
void SegmentStore::prefetch_body_tables(const Segment& segment, uint64_t from, uint64_t to) const {
  using FrameRef = SegmentIndex::FrameRef;
  std::vector<FrameRef> refs = searched(segment, [&](const SegmentIndex& index, const SegmentIndex::Fetch& fetch) {
    return index.body_tables(from, to, fetch);
  });
  const uint64_t file = segment.first | kIndexFile;
  refs.erase(std::remove_if(refs.begin(), refs.end(), [&](const FrameRef& ref) { return cache_.contains(file, ref.at); }), refs.end());
  if (refs.size() < 2) return;
  uint64_t start = refs.front().at, end = refs.back().at + refs.back().length;
  if (end - start > cache_.capacity() / 4) return;
  const Reader& reader = reader_for(segment.first, true);
  scan_.resize(end - start);
  files::read_at(reader.fd, scan_.data(), scan_.size(), start, reader.path);
  try {
    for (const FrameRef& ref : refs) {
      if (ref.at < start || ref.at + ref.length > end) throw IndexDamaged("the body tables are out of order");
      cache_.get(file, ref.at, [&](CachedBlock& block) {
        char* into = block.reset(ref.length);
        std::copy_n(scan_.data() + (ref.at - start), ref.length, into);
        std::string_view payload = checked_index_frame(reader, into, ref.length, ref.at);
        block.keep(static_cast<size_t>(payload.data() - into), payload.size());
      });
    }
  } catch (const IndexDamaged&) {
    // Left to the lookups, which read each frame again and rebuild a damaged index.
  }
}

std::string_view SegmentStore::checked_body(const Segment& segment, const BodyLocation& location) const {
  constexpr uint64_t kBlock = BlockCache::kBlockBytes;
  uint64_t index = location.at / kBlock;
  bool in_one_block = location.length > 0 && (location.at + location.length - 1) / kBlock == index;
  if (in_one_block && location.at + location.length <= segment.bytes) {
    CachedBlock& block = closed_block(segment, index);
    CachedBlock::Checked checked{static_cast<uint16_t>(location.at - index * kBlock), static_cast<uint16_t>(location.length), location.crc};
    std::string_view body = block.bytes().substr(checked.offset, location.length);
    if (std::find(block.checked.begin(), block.checked.end(), checked) != block.checked.end()) return body;
    if (crc32c(body.data(), body.size()) != location.crc) damaged_at(segment, location.at, "an event fails its checksum");
    block.checked.push_back(checked);
    return body;
  }
  std::string_view body = spans_uncached(segment, location) ? read_uncached(segment, location)
                                                             : read_closed(segment, location.at, location.length);
  if (crc32c(body.data(), body.size()) != location.crc) damaged_at(segment, location.at, "an event fails its checksum");
  return body;
}

// An event across two pieces neither of which is cached (a stream's events lie apart): one
// read of the event itself instead of two of the pieces. A scan has the first piece cached.
bool SegmentStore::spans_uncached(const Segment& segment, const BodyLocation& location) const {
  constexpr uint64_t kBlock = BlockCache::kBlockBytes;
  uint64_t first = location.at / kBlock, last = (location.at + location.length - 1) / kBlock;
  return location.length > 0 && location.at + location.length <= segment.bytes && last == first + 1 &&
         !cache_.contains(segment.first, first) && !cache_.contains(segment.first, last);
}

std::string_view SegmentStore::read_uncached(const Segment& segment, const BodyLocation& location) const {
  const Reader& reader = reader_for(segment.first, false);
  cache_.count_read_past();
  scratch_.resize(location.length);
  files::read_at(reader.fd, scratch_.data(), location.length, location.at, reader.path);
  return scratch_;
}

void SegmentStore::damaged_at(const Segment& segment, uint64_t offset, const std::string& reason) const {
  if (!corruption_) corruption_ = Corruption{path_of(segment.first).substr(options_.directory.size() + 1), offset, reason};
  refuse_if_corrupt();
  throw Error(ErrorCode::STORE_CORRUPT, reason);  // not reached
}

CachedBlock& SegmentStore::closed_block(const Segment& segment, uint64_t index) const {
  return cache_.get(segment.first, index, [&](CachedBlock& block) {
    constexpr uint64_t kBlock = BlockCache::kBlockBytes;
    uint64_t start = index * kBlock;
    if (start >= segment.bytes) damaged_at(segment, start, "an index points past the end of its segment");
    size_t size = static_cast<size_t>(std::min<uint64_t>(kBlock, segment.bytes - start));
    const Reader& reader = reader_for(segment.first, false);
    files::read_at(reader.fd, block.reset(size), size, start, reader.path);
  });
}

std::string_view SegmentStore::read_closed(const Segment& segment, uint64_t at, uint32_t length) const {
  constexpr uint64_t kBlock = BlockCache::kBlockBytes;
  auto block = [&](uint64_t index) { return closed_block(segment, index).bytes(); };
  if (at + length > segment.bytes) damaged_at(segment, at, "an index points past the end of its segment");
  uint64_t first = at / kBlock, last = (at + length - (length > 0 ? 1 : 0)) / kBlock;
  if (first == last) return block(first).substr(at - first * kBlock, length);
  scratch_.clear();
  for (uint64_t index = first; index <= last; ++index) {
    std::string_view piece = block(index);
    uint64_t from = index == first ? at - first * kBlock : 0;
    uint64_t to = index == last ? at + length - last * kBlock : piece.size();
    scratch_.append(piece.substr(from, to - from));
  }
  return scratch_;
}

// A frame of a closed segment's index file, checked; table frames and pages go through the
// cache, lookup frames (read once, then kept by the index) do not.
std::string_view SegmentStore::index_frame(const Segment& segment, uint64_t at, uint32_t length, bool once) const {
  const Reader& reader = reader_for(segment.first, true);
  auto load = [&](char* into) {
    files::read_at(reader.fd, into, length, at, reader.path);
    return checked_index_frame(reader, into, length, at);
  };
  if (once) {
    lookup_scratch_.resize(length);
    std::string_view payload = load(lookup_scratch_.data());
    return std::string_view(lookup_scratch_).substr(static_cast<size_t>(payload.data() - lookup_scratch_.data()), payload.size());
  }
  return cache_.get(segment.first | kIndexFile, at, [&](CachedBlock& block) {
    char* into = block.reset(length);
    std::string_view payload = load(into);
    block.keep(static_cast<size_t>(payload.data() - into), payload.size());
  }).bytes();
}

// The payload of the index frame read into `frame` from byte `at`, or IndexDamaged.
std::string_view SegmentStore::checked_index_frame(const Reader& reader, char* frame, uint32_t length, uint64_t at) const {
  frames::Frame read = frames::read(std::string_view(frame, length), 0);
  if (read.status != frames::Status::Ok || read.end != length) {
    throw IndexDamaged("a record at byte " + std::to_string(at) + " of " + reader.path.substr(options_.directory.size() + 1) +
                       " fails its checksum");
  }
  return read.payload;
}

const SegmentStore::Reader& SegmentStore::reader_for(uint64_t first, bool index_file) const {
  const uint64_t key = index_file ? first | kIndexFile : first;
  auto found = readers_.find(key);
  if (found != readers_.end()) return found->second;
  std::string path = index_file ? index_path_of(first) : path_of(first);
  int fd = files::open_for_reading(path);
  return readers_.emplace(key, Reader{fd, std::move(path)}).first->second;
}

void SegmentStore::forget_readers() {
  for (auto& [key, reader] : readers_) files::close(reader.fd);
  readers_.clear();
  cache_.clear();
}

void BlockCache::clear() {
  order_.clear();
  spare_.clear();
  where_.clear();
  bytes_ = 0;
}

}  // namespace atomservices
