// Opening a store: the closed segments come back through their index files, the active one
// is scanned frame by frame; building and checking index files.
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

// Closed segments come back through their index files (rebuilt from the segment when
// missing or damaged); only the last segment without one, the active segment, is scanned.
void SegmentStore::recover() {
  checking_segments_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{checking_segments_};
  std::vector<std::pair<uint64_t, std::string>> found;
  std::vector<std::string> indexes;
  for (const std::string& name : files::list(options_.directory)) {
    if (ends_with(name, ".tmp")) files::remove(options_.directory + "/" + name);  // an unfinished merge or index
    if (auto first = first_position_of(name)) found.emplace_back(*first, name);
    if (ends_with(name, ".idx")) indexes.push_back(name);
  }
  std::sort(found.begin(), found.end());
  // The index of a merge's input whose segment was removed before a crash let it go too.
  for (const std::string& name : indexes) {
    std::string segment = name.substr(0, name.size() - 4) + std::string(kSuffix);
    if (!std::any_of(found.begin(), found.end(), [&](const auto& f) { return f.second == segment; })) {
      files::remove(options_.directory + "/" + name);
    }
  }
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
    IndexFile index_file = IndexFile::Missing;
    if ((segment.index = load_index(segment, index_file))) {
      segment.events = segment.index->events();
      adopt(segment);
      continue;
    }
    if (index_file == IndexFile::SegmentCut) {
      corruption_ = Corruption{found[i].second, segment.bytes,
                               "the segment is shorter than when it was sealed (its index file says so); was it cut or replaced?"};
      break;
    }
    // An index file is written only once its segment is synced whole, so a segment that has
    // one (even a damaged or stale one) holds no torn write: it is rebuilt, any damage reported.
    if (i + 1 < found.size() || index_file != IndexFile::Missing) {
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

// The descriptor stays open for the reads that follow: one open of each file per store.
// `found` says what was there when no index comes back.
std::shared_ptr<const SegmentIndex> SegmentStore::load_index(const Segment& segment, IndexFile& found) const {
  const std::string path = index_path_of(segment.first);
  int fd = ::open(path.c_str(), O_RDONLY);
  found = fd < 0 ? IndexFile::Missing : IndexFile::Unusable;
  if (fd < 0) return nullptr;
  std::optional<SegmentIndex> index;
  std::optional<uint64_t> sealed_bytes;
  try {
    auto read = [&](uint64_t at, uint32_t length) {
      std::string bytes(length, '\0');
      files::read_at(fd, bytes.data(), length, at, path);
      return bytes;
    };
    index = SegmentIndex::open(files::size_of(fd, path), read, segment.first, segment.bytes, &sealed_bytes);
  } catch (const Error&) {
    index.reset();  // unreadable: rebuilt from the segment
  }
  // Shorter than when it was sealed: cut. (A merge only replaces a segment with a larger one,
  // whose old index, left when a crash came between their renames, records less.)
  if (!index && sealed_bytes && *sealed_bytes > segment.bytes) found = IndexFile::SegmentCut;
  if (!index || !readers_.emplace(segment.first | kIndexFile, Reader{fd, path}).second) files::close(fd);
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
  install_index(segment, build_index(segment_path, segment, check_versions), index_path);
}

// The segment's index from its bytes, and (unless the segment is damaged) its file.
void SegmentStore::install_index(Segment& segment, const std::string& bytes, const std::string& index_path) {
  auto read = [&](uint64_t at, uint32_t length) { return bytes.substr(static_cast<size_t>(at), length); };
  std::optional<SegmentIndex> index = SegmentIndex::open(bytes.size(), read, segment.first, segment.bytes);
  if (!index) throw Error(ErrorCode::INTERNAL, "a segment index just built does not read back");
  segment.index = std::make_shared<const SegmentIndex>(std::move(*index));
  if (corruption_) return;
  const std::string temporary = index_path + ".tmp";
  int fd = files::open_for_append(temporary, true);
  try {
    files::write_at(fd, bytes, 0, temporary);
    synced_file(fd);  // whole on disk before its name is: a summary must not outlive its pages
  } catch (...) {
    files::close(fd);
    throw;
  }
  files::close(fd);
  files::rename(temporary, index_path);
  directory_dirty_ = true;
}

uint64_t SegmentStore::verify_segment(size_t n) {
  if (n >= closed_.size()) throw Error(ErrorCode::INVALID_ARGUMENT, "there is no closed segment " + std::to_string(n));
  Segment copy = closed_[n];
  std::vector<Segment> later(closed_.begin() + static_cast<std::ptrdiff_t>(n), closed_.end());
  closed_.resize(n);  // versions are checked against the segments before it only
  std::string rebuilt;
  checking_segments_ = true;
  try {
    sealed_versions_.clear();  // what it remembers was asked of every closed segment
    rebuilt = build_index(path_of(copy.first), copy, true);
  } catch (...) {
    checking_segments_ = false;
    closed_.insert(closed_.end(), later.begin(), later.end());
    sealed_versions_.clear();
    throw;
  }
  checking_segments_ = false;
  closed_.insert(closed_.end(), later.begin(), later.end());
  sealed_versions_.clear();
  refuse_if_corrupt();
  const std::string index_path = index_path_of(copy.first);
  if (copy.events != closed_[n].events) {
    corruption_ = Corruption{index_path.substr(options_.directory.size() + 1), 0, "the index does not match its segment"};
    refuse_if_corrupt();
  }
  // The segment is sound and holds what the index says it holds: an index whose bytes differ
  // is damaged derived data, made again from the segment, as the open and searches do.
  if (files::read_if_present(index_path) != rebuilt) {
    forget_readers();  // the damaged file's descriptor and cached pieces
    install_index(copy, rebuilt, index_path);
    closed_[n].index = copy.index;
  }
  return copy.events;
}

}  // namespace atomservices
