#include "segment_index.hpp"

#include <algorithm>

#include "atomservices/errors.hpp"
#include "frames.hpp"

namespace atomservices {
namespace {

using frames::put;
using frames::Reader;

constexpr std::string_view kMagic = "ATOMIDX1";
constexpr uint32_t kTrailerMagic = 0x58444941;
enum Kind : uint8_t { kBodies = 10, kIds = 11, kStreams = 12, kSummary = 13 };
constexpr size_t kBodiesPerFrame = 128;  // small table frames: a random lookup reads little
constexpr size_t kIdsPerFrame = 110;
constexpr size_t kIdEntryBytes = 36;      // id, position, where its body is
constexpr size_t kStreamEventBytes = 20;  // position, where its body is
constexpr size_t kStreamFrameBytes = 4 << 10;
constexpr int kBloomProbes = 7;

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

bool id_less(const Uuid128& a, const Uuid128& b) { return a.high != b.high ? a.high < b.high : a.low < b.low; }

[[noreturn]] void damaged(const std::string& what) {
  throw Error(ErrorCode::STORE_CORRUPT, "a segment index is damaged (" + what + "); delete the .idx files to have them rebuilt");
}

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

void put_string(std::string& out, std::string_view s) {
  put<uint16_t>(out, static_cast<uint16_t>(s.size()));
  out.append(s);
}

std::string_view take_string(Reader& r) { return r.take(r.get<uint16_t>()); }

void put_location(std::string& out, const BodyLocation& b) {
  put<uint64_t>(out, b.at);
  put<uint32_t>(out, b.length);
  put<uint32_t>(out, b.crc);
}

BodyLocation take_location(Reader& r) {
  BodyLocation b;
  b.at = r.get<uint64_t>();
  b.length = r.get<uint32_t>();
  b.crc = r.get<uint32_t>();
  return b;
}

std::string_view table(const SegmentIndex::Fetch& fetch, uint64_t at, uint32_t length, uint8_t kind) {
  std::string_view payload = fetch(at, length);
  if (payload.empty() || static_cast<uint8_t>(payload[0]) != kind) damaged("a table frame is of the wrong kind");
  return payload.substr(1);
}

}  // namespace

uint64_t hash_id(const Uuid128& id) { return mix(id.high ^ mix(id.low)); }

uint64_t hash_key(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a, then mixed
  for (char c : key) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  return mix(h);
}

void Bloom::add(uint64_t hash) {
  uint64_t bits = bits_.size() * 64, step = mix(hash) | 1;
  for (int i = 0; i < kBloomProbes; ++i, hash += step) bits_[(hash % bits) / 64] |= 1ull << (hash % bits % 64);
}

bool Bloom::may_contain(uint64_t hash) const {
  if (bits_.empty()) return false;
  uint64_t bits = bits_.size() * 64, step = mix(hash) | 1;
  for (int i = 0; i < kBloomProbes; ++i, hash += step) {
    if (!(bits_[(hash % bits) / 64] & (1ull << (hash % bits % 64)))) return false;
  }
  return true;
}

void IndexBuilder::add_event(const Uuid128& id, std::string stream_key, int64_t version, BodyLocation body) {
  uint32_t offset = static_cast<uint32_t>(bodies_.size());
  bodies_.push_back(body);
  ids_.emplace_back(id, offset);
  Run& run = streams_[std::move(stream_key)];
  if (run.offsets.empty()) run.first_version = version;
  run.offsets.push_back(offset);
}

std::string IndexBuilder::finish(uint64_t segment_bytes) const {
  std::string file, summary;
  put<uint8_t>(summary, kSummary);
  summary.append(kMagic);
  put<uint64_t>(summary, first_);
  put<uint64_t>(summary, bodies_.size());
  put<uint64_t>(summary, segment_bytes);

  std::string refs;  // each table's frame references, gathered while its frames are written
  auto note_into = [&](std::string& out, uint32_t& count) {
    return [&out, &count](uint64_t at, uint32_t length) {
      put<uint64_t>(out, at);
      put<uint32_t>(out, length);
      ++count;
    };
  };

  uint32_t body_frames = 0;
  std::string body_refs;
  TableWriter bodies(file, kBodies);
  for (size_t i = 0; i < bodies_.size(); ++i) {
    put_location(bodies.payload(), bodies_[i]);
    if ((i + 1) % kBodiesPerFrame == 0) bodies.flush(note_into(body_refs, body_frames));
  }
  bodies.flush(note_into(body_refs, body_frames));
  put<uint32_t>(summary, body_frames);
  summary += body_refs;

  std::vector<std::pair<Uuid128, uint32_t>> ids = ids_;
  std::sort(ids.begin(), ids.end(), [](const auto& a, const auto& b) { return id_less(a.first, b.first); });
  uint32_t id_frames = 0;
  std::string id_refs;
  TableWriter id_table(file, kIds);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i % kIdsPerFrame == 0) {
      put<uint64_t>(id_refs, ids[i].first.high);
      put<uint64_t>(id_refs, ids[i].first.low);
    }
    put<uint64_t>(id_table.payload(), ids[i].first.high);
    put<uint64_t>(id_table.payload(), ids[i].first.low);
    put<uint32_t>(id_table.payload(), ids[i].second);
    put_location(id_table.payload(), bodies_[ids[i].second]);
    if ((i + 1) % kIdsPerFrame == 0 || i + 1 == ids.size()) id_table.flush(note_into(id_refs, id_frames));
  }
  put<uint32_t>(summary, id_frames);
  summary += id_refs;

  uint32_t stream_frames = 0;
  std::string stream_refs;
  TableWriter streams(file, kStreams);
  for (auto it = streams_.begin(); it != streams_.end(); ++it) {
    if (streams.size() == 0) put_string(stream_refs, it->first);
    put_string(streams.payload(), it->first);
    put<uint64_t>(streams.payload(), static_cast<uint64_t>(it->second.first_version));
    put<uint32_t>(streams.payload(), static_cast<uint32_t>(it->second.offsets.size()));
    for (uint32_t offset : it->second.offsets) {
      put<uint32_t>(streams.payload(), offset);
      put_location(streams.payload(), bodies_[offset]);
    }
    if (streams.size() >= kStreamFrameBytes || std::next(it) == streams_.end()) {
      streams.flush(note_into(stream_refs, stream_frames));
    }
  }
  put<uint32_t>(summary, stream_frames);
  summary += stream_refs;

  Bloom id_bloom(ids_.size()), stream_bloom(streams_.size());
  for (const auto& [id, offset] : ids_) id_bloom.add(hash_id(id));
  for (const auto& [key, run] : streams_) stream_bloom.add(hash_key(key));
  for (const Bloom* bloom : {&id_bloom, &stream_bloom}) {
    put<uint32_t>(summary, static_cast<uint32_t>(bloom->words().size()));
    for (uint64_t word : bloom->words()) put<uint64_t>(summary, word);
  }
  put<uint32_t>(summary, static_cast<uint32_t>(snapshots_.size()));
  for (const IndexedSnapshot& s : snapshots_) {
    put_string(summary, s.key);
    put_string(summary, s.aggregate_type);
    put_string(summary, s.aggregate_id);
    put<uint64_t>(summary, static_cast<uint64_t>(s.version));
    put_location(summary, s.state);
  }
  put<uint32_t>(summary, static_cast<uint32_t>(checkpoints_.size()));
  for (const auto& [name, position] : checkpoints_) {
    put_string(summary, name);
    put<uint64_t>(summary, position);
  }
  std::string framed = frames::wrap(summary);
  uint64_t summary_at = file.size();
  file += framed;
  put<uint64_t>(file, summary_at);
  put<uint32_t>(file, static_cast<uint32_t>(framed.size()));
  put<uint32_t>(file, kTrailerMagic);
  return file;
}

std::optional<SegmentIndex> SegmentIndex::open(uint64_t file_bytes, const std::function<std::string(uint64_t, uint32_t)>& read,
                                               uint64_t first, uint64_t segment_bytes) {
  if (file_bytes < kTrailerBytes) return std::nullopt;
  std::string trailer = read(file_bytes - kTrailerBytes, kTrailerBytes);
  Reader t(trailer);
  uint64_t summary_at = t.get<uint64_t>();
  uint32_t summary_bytes = t.get<uint32_t>();
  if (t.get<uint32_t>() != kTrailerMagic || summary_at + summary_bytes + kTrailerBytes != file_bytes) return std::nullopt;
  std::string framed = read(summary_at, summary_bytes);
  frames::Frame frame = frames::read(framed, 0);
  if (frame.status != frames::Status::Ok || frame.end != framed.size()) return std::nullopt;
  Reader r(frame.payload);
  SegmentIndex index;
  if (r.get<uint8_t>() != kSummary || r.take(kMagic.size()) != kMagic) return std::nullopt;
  index.first_ = r.get<uint64_t>();
  index.events_ = r.get<uint64_t>();
  if (index.first_ != first || r.get<uint64_t>() != segment_bytes) return std::nullopt;
  auto take_ref = [&r]() { return FrameRef{r.get<uint64_t>(), r.get<uint32_t>()}; };
  for (uint32_t n = r.get<uint32_t>(); n > 0 && r.ok(); --n) index.body_frames_.push_back(take_ref());
  for (uint32_t n = r.get<uint32_t>(); n > 0 && r.ok(); --n) {
    Uuid128 id{r.get<uint64_t>(), r.get<uint64_t>()};
    index.id_frames_.emplace_back(id, take_ref());
  }
  for (uint32_t n = r.get<uint32_t>(); n > 0 && r.ok(); --n) {
    std::string key(take_string(r));
    index.stream_frames_.emplace_back(std::move(key), take_ref());
  }
  for (Bloom* bloom : {&index.ids_, &index.streams_}) {
    uint32_t words = r.get<uint32_t>();
    if (!r.ok() || words > frame.payload.size() / 8) return std::nullopt;
    bloom->words().resize(words);
    for (uint64_t& word : bloom->words()) word = r.get<uint64_t>();
  }
  for (uint32_t n = r.get<uint32_t>(); n > 0 && r.ok(); --n) {
    IndexedSnapshot s;
    s.key = take_string(r);
    s.aggregate_type = take_string(r);
    s.aggregate_id = take_string(r);
    s.version = static_cast<int64_t>(r.get<uint64_t>());
    s.state = take_location(r);
    index.snapshots_.push_back(std::move(s));
  }
  for (uint32_t n = r.get<uint32_t>(); n > 0 && r.ok(); --n) {
    std::string name(take_string(r));
    index.checkpoints_[name] = r.get<uint64_t>();
  }
  bool sizes_agree = index.body_frames_.size() == (index.events_ + kBodiesPerFrame - 1) / kBodiesPerFrame &&
                     index.id_frames_.size() == (index.events_ + kIdsPerFrame - 1) / kIdsPerFrame;
  if (!r.done() || !sizes_agree) return std::nullopt;
  for (const auto* refs : {&index.body_frames_}) {
    for (const FrameRef& ref : *refs) {
      if (ref.at + ref.length > summary_at) return std::nullopt;
    }
  }
  for (const auto& [id, ref] : index.id_frames_) {
    if (ref.at + ref.length > summary_at) return std::nullopt;
  }
  for (const auto& [key, ref] : index.stream_frames_) {
    if (ref.at + ref.length > summary_at) return std::nullopt;
  }
  return index;
}

size_t SegmentIndex::memory_bytes() const {
  size_t bytes = sizeof *this + body_frames_.size() * sizeof(FrameRef) + id_frames_.size() * sizeof id_frames_[0] +
                 (ids_.words().size() + streams_.words().size()) * 8;
  for (const auto& [key, ref] : stream_frames_) bytes += sizeof ref + key.size() + 32;
  return bytes + snapshots_.size() * sizeof(IndexedSnapshot);
}

BodyLocation SegmentIndex::body(uint64_t position, const Fetch& fetch) const {
  uint64_t offset = position - first_;
  if (position < first_ || offset >= events_) damaged("an event outside its segment was asked for");
  const FrameRef& ref = body_frames_[offset / kBodiesPerFrame];
  std::string_view entries = table(fetch, ref.at, ref.length, kBodies);
  size_t at = (offset % kBodiesPerFrame) * 16;
  if (at + 16 > entries.size()) damaged("a body table is short");
  Reader r(entries.substr(at, 16));
  return take_location(r);
}

std::optional<std::pair<uint64_t, BodyLocation>> SegmentIndex::find(const Uuid128& id, const Fetch& fetch) const {
  if (!ids_.may_contain(hash_id(id))) return std::nullopt;
  auto after = std::upper_bound(id_frames_.begin(), id_frames_.end(), id,
                                [](const Uuid128& key, const auto& entry) { return id_less(key, entry.first); });
  if (after == id_frames_.begin()) return std::nullopt;
  const FrameRef& ref = std::prev(after)->second;
  std::string_view entries = table(fetch, ref.at, ref.length, kIds);
  size_t low = 0, high = entries.size() / kIdEntryBytes;
  while (low < high) {  // binary search over fixed-size entries
    size_t middle = (low + high) / 2;
    Reader r(entries.substr(middle * kIdEntryBytes, kIdEntryBytes));
    Uuid128 key{r.get<uint64_t>(), r.get<uint64_t>()};
    if (key == id) {
      uint64_t position = first_ + r.get<uint32_t>();
      return std::make_pair(position, take_location(r));
    }
    if (id_less(key, id)) low = middle + 1;
    else high = middle;
  }
  return std::nullopt;
}

std::optional<StreamRun> SegmentIndex::stream(std::string_view key, const Fetch& fetch) const {
  if (!streams_.may_contain(hash_key(key))) return std::nullopt;
  auto after = std::upper_bound(stream_frames_.begin(), stream_frames_.end(), key,
                                [](std::string_view k, const auto& entry) { return k < entry.first; });
  if (after == stream_frames_.begin()) return std::nullopt;
  const FrameRef& ref = std::prev(after)->second;
  Reader r(table(fetch, ref.at, ref.length, kStreams));
  while (r.ok() && !r.done()) {
    std::string_view entry_key = take_string(r);
    int64_t first_version = static_cast<int64_t>(r.get<uint64_t>());
    uint32_t count = r.get<uint32_t>();
    if (entry_key != key) {
      r.take(static_cast<size_t>(count) * kStreamEventBytes);
      continue;
    }
    StreamRun run{first_version, {}, {}};
    run.positions.reserve(count);
    run.bodies.reserve(count);
    for (uint32_t i = 0; i < count && r.ok(); ++i) {
      run.positions.push_back(first_ + r.get<uint32_t>());
      run.bodies.push_back(take_location(r));
    }
    if (!r.ok()) break;
    return run;
  }
  if (!r.ok()) damaged("a stream table is malformed");
  return std::nullopt;
}

}  // namespace atomservices
