#include "segment_index.hpp"

#include <algorithm>
#include <cstring>

#include "atomservices/errors.hpp"
#include "frames.hpp"

namespace atomservices {
namespace {

using frames::put;
using frames::Reader;

constexpr std::string_view kMagic = "ATOMIDX2";  // ATOMIDX1 files (one summary of everything) are rebuilt
constexpr uint32_t kTrailerMagic = 0x58444941;
enum Kind : uint8_t {
  kBodies = 10, kIds = 11, kStreams = 12, kSummary = 13,
  kBodyLookup = 14, kIdLookup = 15, kStreamLookup = 16, kStreamRefs = 17, kStreamBloom = 18,
};
constexpr size_t kBodiesPerFrame = 128;  // small table frames: a random lookup reads little
constexpr size_t kIdsPerFrame = 110;
constexpr size_t kIdEntryBytes = 36;      // id, position, where its body is
constexpr size_t kStreamEventBytes = 20;  // position, where its body is
constexpr size_t kStreamFrameBytes = 4 << 10;
constexpr int kBloomProbes = 7;
constexpr uint64_t kBloomPageBits = 4096 * 8;  // a page of a paged Bloom filter

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

bool id_less(const Uuid128& a, const Uuid128& b) { return a.high != b.high ? a.high < b.high : a.low < b.low; }

[[noreturn]] void damaged(const std::string& what) { throw IndexDamaged(what); }

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
  bool once = kind == kBodyLookup || kind == kIdLookup || kind == kStreamLookup;
  std::string_view payload = fetch(at, length, once);
  if (payload.empty() || static_cast<uint8_t>(payload[0]) != kind) damaged("a table frame is of the wrong kind");
  return payload.substr(1);
}

// A table frame read past the cache (a filter is built from the tables once).
std::string_view uncached_table(const SegmentIndex::Fetch& fetch, const SegmentIndex::FrameRef& ref, uint8_t kind) {
  std::string_view payload = fetch(ref.at, ref.length, true);
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

namespace {

// A paged Bloom filter: each key is in one page, chosen by other bits of its hash than the
// probes use; bit b of a page is bit b % 8 of its byte b / 8.
uint64_t bloom_page(uint64_t hash, uint32_t pages) { return mix(hash ^ 0x9E3779B97F4A7C15ull) % pages; }

void paged_bloom_add(std::string& page, uint64_t hash) {
  uint64_t step = mix(hash) | 1;
  for (int i = 0; i < kBloomProbes; ++i, hash += step) page[(hash % kBloomPageBits) / 8] |= static_cast<char>(1 << (hash % 8));
}

bool paged_bloom_may_contain(std::string_view page, uint64_t hash) {
  uint64_t step = mix(hash) | 1;
  for (int i = 0; i < kBloomProbes; ++i, hash += step) {
    if (!(static_cast<uint8_t>(page[(hash % kBloomPageBits) / 8]) & (1 << (hash % 8)))) return false;
  }
  return true;
}

// The block of a key (its hash's high half, scaled without a division), and its probes
// in the block's 512 bits (from the low half).
size_t bloom_block(uint64_t hash, size_t blocks) { return static_cast<size_t>(((hash >> 32) * blocks) >> 32); }

}  // namespace

void Bloom::add(uint64_t hash) {
  uint64_t* block = bits_.data() + bloom_block(hash, bits_.size() / kBlockWords) * kBlockWords;
  uint32_t probe = static_cast<uint32_t>(hash), step = static_cast<uint32_t>(mix(hash)) | 1;
  for (int i = 0; i < kBloomProbes; ++i, probe += step) block[(probe & 511) / 64] |= 1ull << (probe & 63);
}

bool Bloom::may_contain(uint64_t hash) const {
  size_t blocks = bits_.size() / kBlockWords;
  if (blocks == 0) return false;
  const uint64_t* block = bits_.data() + bloom_block(hash, blocks) * kBlockWords;
  uint32_t probe = static_cast<uint32_t>(hash), step = static_cast<uint32_t>(mix(hash)) | 1;
  for (int i = 0; i < kBloomProbes; ++i, probe += step) {
    if (!(block[(probe & 511) / 64] & (1ull << (probe & 63)))) return false;
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

namespace {

// Notes a table frame's place into a lookup frame's payload.
auto note_into(std::string& out) {
  return [&out](uint64_t at, uint32_t length) {
    put<uint64_t>(out, at);
    put<uint32_t>(out, length);
  };
}

}  // namespace

// Body tables; the lookup: their places.
std::string IndexBuilder::write_bodies(std::string& file) const {
  std::string lookup(1, static_cast<char>(kBodyLookup));
  TableWriter bodies(file, kBodies);
  for (size_t i = 0; i < bodies_.size(); ++i) {
    put_location(bodies.payload(), bodies_[i]);
    if ((i + 1) % kBodiesPerFrame == 0) bodies.flush(note_into(lookup));
  }
  bodies.flush(note_into(lookup));
  return lookup;
}

// Id tables in id order; the lookup: the Bloom filter, then each table's first id and place.
std::string IndexBuilder::write_ids(std::string& file) const {
  std::string lookup(1, static_cast<char>(kIdLookup));
  Bloom bloom(ids_.size());
  for (const auto& [id, offset] : ids_) bloom.add(hash_id(id));
  put<uint32_t>(lookup, static_cast<uint32_t>(bloom.words().size()));
  for (uint64_t word : bloom.words()) put<uint64_t>(lookup, word);
  std::vector<std::pair<Uuid128, uint32_t>> ids = ids_;
  std::sort(ids.begin(), ids.end(), [](const auto& a, const auto& b) { return id_less(a.first, b.first); });
  TableWriter table(file, kIds);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i % kIdsPerFrame == 0) {
      put<uint64_t>(lookup, ids[i].first.high);
      put<uint64_t>(lookup, ids[i].first.low);
    }
    put<uint64_t>(table.payload(), ids[i].first.high);
    put<uint64_t>(table.payload(), ids[i].first.low);
    put<uint32_t>(table.payload(), ids[i].second);
    put_location(table.payload(), bodies_[ids[i].second]);
    if ((i + 1) % kIdsPerFrame == 0 || i + 1 == ids.size()) table.flush(note_into(lookup));
  }
  return lookup;
}

// Stream tables, the Bloom filter in pages, then pages of each table's first stream and
// place; the lookup says where the Bloom pages are and holds each reference page's first
// stream and place, so that a search reads one page of each.
std::string IndexBuilder::write_streams(std::string& file) const {
  std::string refs;
  TableWriter streams(file, kStreams);
  for (auto it = streams_.begin(); it != streams_.end(); ++it) {
    if (streams.size() == 0) put_string(refs, it->first);
    put_string(streams.payload(), it->first);
    put<uint64_t>(streams.payload(), static_cast<uint64_t>(it->second.first_version));
    put<uint32_t>(streams.payload(), static_cast<uint32_t>(it->second.offsets.size()));
    for (uint32_t offset : it->second.offsets) {
      put<uint32_t>(streams.payload(), offset);
      put_location(streams.payload(), bodies_[offset]);
    }
    if (streams.size() >= kStreamFrameBytes || std::next(it) == streams_.end()) streams.flush(note_into(refs));
  }
  std::string lookup(1, static_cast<char>(kStreamLookup));
  write_stream_bloom(file, lookup);
  TableWriter page(file, kStreamRefs);
  Reader r(refs);
  while (r.left() > 0) {
    size_t start = refs.size() - r.left();
    std::string_view key = take_string(r);
    r.take(12);
    if (page.size() == 0) put_string(lookup, key);
    page.payload().append(refs, start, refs.size() - r.left() - start);
    if (page.size() >= kStreamFrameBytes || r.left() == 0) page.flush(note_into(lookup));
  }
  return lookup;
}

void IndexBuilder::write_stream_bloom(std::string& file, std::string& lookup) const {
  uint32_t count = static_cast<uint32_t>(std::max<size_t>(1, (streams_.size() * 10 + kBloomPageBits - 1) / kBloomPageBits));
  std::vector<std::string> pages(count, std::string(kBloomPageBits / 8, '\0'));
  for (const auto& [key, run] : streams_) {
    uint64_t hash = hash_key(key);
    paged_bloom_add(pages[bloom_page(hash, count)], hash);
  }
  put<uint32_t>(lookup, count);
  put<uint64_t>(lookup, file.size());
  uint32_t page_bytes = 0;
  for (const std::string& page : pages) {
    std::string framed = frames::wrap(std::string(1, static_cast<char>(kStreamBloom)) + page);
    page_bytes = static_cast<uint32_t>(framed.size());
    file += framed;
  }
  put<uint32_t>(lookup, page_bytes);
}

std::string IndexBuilder::finish(uint64_t segment_bytes) const {
  std::string file;
  std::string lookups[] = {write_bodies(file), write_ids(file), write_streams(file)};
  std::string summary;
  put<uint8_t>(summary, kSummary);
  summary.append(kMagic);
  put<uint64_t>(summary, first_);
  put<uint64_t>(summary, bodies_.size());
  put<uint64_t>(summary, segment_bytes);
  for (const std::string& lookup : lookups) {
    std::string framed = frames::wrap(lookup);
    put<uint64_t>(summary, file.size());
    put<uint32_t>(summary, static_cast<uint32_t>(framed.size()));
    file += framed;
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
                                               uint64_t first, uint64_t segment_bytes, std::optional<uint64_t>* sealed_bytes) {
  if (file_bytes < kTrailerBytes) return std::nullopt;
  // One read for the trailer, the summary and (when small) the stream lookup before it.
  const uint64_t tail_at = file_bytes - std::min<uint64_t>(file_bytes, kTailBytes);
  const std::string tail = read(tail_at, static_cast<uint32_t>(file_bytes - tail_at));
  auto from_file = [&](uint64_t at, uint32_t length) {
    return at >= tail_at ? tail.substr(static_cast<size_t>(at - tail_at), length) : read(at, length);
  };
  Reader t(std::string_view(tail).substr(tail.size() - kTrailerBytes));
  uint64_t summary_at = t.get<uint64_t>();
  uint32_t summary_bytes = t.get<uint32_t>();
  if (t.get<uint32_t>() != kTrailerMagic || summary_at > file_bytes || summary_bytes != file_bytes - summary_at - kTrailerBytes) {
    return std::nullopt;
  }
  std::string framed = from_file(summary_at, summary_bytes);
  frames::Frame frame = frames::read(framed, 0);
  if (frame.status != frames::Status::Ok || frame.end != framed.size()) return std::nullopt;
  Reader r(frame.payload);
  SegmentIndex index;
  if (r.get<uint8_t>() != kSummary || r.take(kMagic.size()) != kMagic) return std::nullopt;
  index.first_ = r.get<uint64_t>();
  index.events_ = r.get<uint64_t>();
  const uint64_t recorded_bytes = r.get<uint64_t>();
  if (index.first_ != first || !r.ok()) return std::nullopt;
  if (sealed_bytes) *sealed_bytes = recorded_bytes;
  if (recorded_bytes != segment_bytes) return std::nullopt;
  for (FrameRef* ref : {&index.body_lookup_at_, &index.id_lookup_at_, &index.stream_lookup_at_}) {
    *ref = FrameRef{r.get<uint64_t>(), r.get<uint32_t>()};
    if (ref->at > summary_at || ref->length > summary_at - ref->at) return std::nullopt;
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
  if (!r.done()) return std::nullopt;
  if (index.stream_lookup_at_.at >= tail_at && !index.take_stream_lookup(tail.substr(index.stream_lookup_at_.at - tail_at,
                                                                                       index.stream_lookup_at_.length))) {
    return std::nullopt;
  }
  return index;
}

// The stream lookup, already read with the summary: a cold rehydration then reads only a
// Bloom page, a reference page and a table frame of each segment.
bool SegmentIndex::take_stream_lookup(std::string framed) {
  std::string payload;
  Fetch from_tail = [&](uint64_t, uint32_t, bool) -> std::string_view {
    frames::Frame frame = frames::read(framed, 0);
    if (frame.status != frames::Status::Ok || frame.end != framed.size()) damaged("the stream lookup fails its checksum");
    return payload.assign(frame.payload);
  };
  try {
    stream_lookup(from_tail);
    return true;
  } catch (const IndexDamaged&) {
    return false;
  }
}

namespace {

// A table frame's place, as a lookup frame or page gives it: within the tables (before `end`).
SegmentIndex::FrameRef take_ref(Reader& r, uint64_t end) {
  uint64_t at = r.get<uint64_t>();
  uint32_t length = r.get<uint32_t>();
  if (!r.ok() || at > end || length > end - at) damaged("a table reference points outside its tables");
  return {at, length};
}

void take_bloom(Reader& r, Bloom& bloom) {
  uint32_t words = r.get<uint32_t>();
  if (!r.ok() || words == 0 || words > r.left() / 8 || words % Bloom::kBlockWords != 0) damaged("a Bloom filter is short");
  std::string_view bytes = r.take(size_t{words} * 8);
  bloom.words().resize(words);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  std::memcpy(bloom.words().data(), bytes.data(), bytes.size());  // the file's order: one copy, not a loop
#else
  Reader words_reader(bytes);
  for (uint64_t& word : bloom.words()) word = words_reader.get<uint64_t>();
#endif
}

}  // namespace

const std::vector<SegmentIndex::FrameRef>& SegmentIndex::body_frames(const Fetch& fetch) const {
  if (body_frames_) return *body_frames_;
  Reader r(table(fetch, body_lookup_at_.at, body_lookup_at_.length, kBodyLookup));
  std::vector<FrameRef> refs;
  while (r.left() > 0) refs.push_back(take_ref(r, body_lookup_at_.at));
  if (!r.done() || refs.size() != (events_ + kBodiesPerFrame - 1) / kBodiesPerFrame) {
    damaged("the body lookup does not match the segment's count");
  }
  return *(body_frames_ = std::move(refs));
}

const SegmentIndex::IdLookup& SegmentIndex::id_lookup(const Fetch& fetch) const {
  if (ids_) return *ids_;
  Reader r(table(fetch, id_lookup_at_.at, id_lookup_at_.length, kIdLookup));
  IdLookup lookup;
  take_bloom(r, lookup.bloom);
  while (r.left() > 0) {
    Uuid128 first_id{r.get<uint64_t>(), r.get<uint64_t>()};
    lookup.frames.emplace_back(first_id, take_ref(r, id_lookup_at_.at));
  }
  if (!r.done() || lookup.frames.size() != (events_ + kIdsPerFrame - 1) / kIdsPerFrame) {
    damaged("the id lookup does not match the segment's count");
  }
  return *(ids_ = std::move(lookup));
}

const SegmentIndex::StreamLookup& SegmentIndex::stream_lookup(const Fetch& fetch) const {
  if (streams_) return *streams_;
  std::string_view payload = table(fetch, stream_lookup_at_.at, stream_lookup_at_.length, kStreamLookup);
  Reader r(payload);
  StreamLookup lookup;
  lookup.bloom_pages = r.get<uint32_t>();
  lookup.bloom_at = r.get<uint64_t>();
  lookup.bloom_page_bytes = r.get<uint32_t>();
  uint64_t end = stream_lookup_at_.at;
  if (!r.ok() || lookup.bloom_pages == 0 || lookup.bloom_at > end ||
      uint64_t{lookup.bloom_pages} * lookup.bloom_page_bytes > end - lookup.bloom_at) {
    damaged("the stream Bloom filter is out of place");
  }
  lookup.bytes.assign(payload.substr(payload.size() - r.left()));
  Reader entries(lookup.bytes);
  while (entries.left() > 0) {
    uint32_t start = static_cast<uint32_t>(lookup.bytes.size() - entries.left());
    take_string(entries);
    take_ref(entries, stream_lookup_at_.at);
    lookup.entries.push_back(start);
  }
  return *(streams_ = std::move(lookup));
}

std::string_view SegmentIndex::StreamLookup::key(size_t n) const {
  Reader r(std::string_view(bytes).substr(entries[n]));
  return take_string(r);
}

SegmentIndex::FrameRef SegmentIndex::StreamLookup::ref(size_t n) const {
  Reader r(std::string_view(bytes).substr(entries[n]));
  take_string(r);
  uint64_t at = r.get<uint64_t>();
  return FrameRef{at, r.get<uint32_t>()};
}

size_t SegmentIndex::memory_bytes() const {
  size_t bytes = sizeof *this + snapshots_.size() * sizeof(IndexedSnapshot);
  if (body_frames_) bytes += body_frames_->size() * sizeof(FrameRef);
  if (ids_) bytes += ids_->frames.size() * sizeof ids_->frames[0] + ids_->bloom.words().size() * 8;
  if (streams_) {
    bytes += streams_->bytes.size() + streams_->entries.size() * 4;
  }
  return bytes;
}

BodyLocation SegmentIndex::body(uint64_t position, const Fetch& fetch) const {
  uint64_t offset = position - first_;
  if (position < first_ || offset >= events_) damaged("an event outside its segment was asked for");
  const FrameRef ref = body_frames(fetch)[offset / kBodiesPerFrame];
  std::string_view entries = table(fetch, ref.at, ref.length, kBodies);
  size_t at = (offset % kBodiesPerFrame) * 16;
  if (at + 16 > entries.size()) damaged("a body table is short");
  Reader r(entries.substr(at, 16));
  return take_location(r);
}

void SegmentIndex::each_id_hash(const Fetch& fetch, const std::function<void(uint64_t, uint64_t)>& visit) const {
  std::vector<FrameRef> refs;
  {
    Reader r(table(fetch, id_lookup_at_.at, id_lookup_at_.length, kIdLookup));
    uint32_t words = r.get<uint32_t>();
    r.take(size_t{words} * 8);  // the segment's own filter
    while (r.left() > 0) {
      r.take(16);  // the frame's first id
      refs.push_back(take_ref(r, id_lookup_at_.at));
    }
    if (!r.done()) damaged("the id lookup is malformed");
  }
  uint64_t seen = 0;
  for (const FrameRef& ref : refs) {
    std::string_view entries = uncached_table(fetch, ref, kIds);
    if (entries.size() % kIdEntryBytes != 0) damaged("an id table is malformed");
    for (size_t at = 0; at < entries.size(); at += kIdEntryBytes, ++seen) {
      Reader r(entries.substr(at, kIdEntryBytes));
      Uuid128 id{r.get<uint64_t>(), r.get<uint64_t>()};
      uint64_t offset = r.get<uint32_t>();
      if (offset >= events_) damaged("an id table names an event outside its segment");
      visit(hash_id(id), first_ + offset);
    }
  }
  // A filter built from fewer ids than the segment holds would turn duplicates away as new.
  if (seen != events_) damaged("the id tables do not hold every event of the segment");
}

void SegmentIndex::each_stream_hash(const Fetch& fetch, const std::function<void(uint64_t, uint64_t)>& visit) const {
  const StreamLookup& lookup = stream_lookup(fetch);
  std::vector<FrameRef> tables;
  for (size_t n = 0; n < lookup.entries.size(); ++n) {
    Reader refs(uncached_table(fetch, lookup.ref(n), kStreamRefs));
    while (refs.left() > 0) {
      take_string(refs);
      tables.push_back(take_ref(refs, lookup.bloom_at));
    }
    if (!refs.done()) damaged("a stream reference page is malformed");
  }
  uint64_t seen = 0;
  for (const FrameRef& ref : tables) {
    Reader r(uncached_table(fetch, ref, kStreams));
    while (r.ok() && r.left() > 0) {
      std::string_view key = take_string(r);
      r.get<uint64_t>();  // first version
      uint32_t count = r.get<uint32_t>();
      if (!r.ok() || count == 0 || count > r.left() / kStreamEventBytes) damaged("a stream table is malformed");
      std::string_view events = r.take(size_t{count} * kStreamEventBytes);
      Reader last(events.substr(events.size() - kStreamEventBytes));
      uint64_t offset = last.get<uint32_t>();
      if (offset >= events_) damaged("a stream table names an event outside its segment");
      visit(hash_key(key), first_ + offset);
      seen += count;
    }
    if (!r.done()) damaged("a stream table is malformed");
  }
  // A filter built from fewer streams than the segment holds would take a stream for new.
  if (seen != events_) damaged("the stream tables do not hold every event of the segment");
}

std::optional<std::pair<uint64_t, BodyLocation>> SegmentIndex::find(const Uuid128& id, const Fetch& fetch) const {
  const IdLookup& lookup = id_lookup(fetch);
  if (!lookup.bloom.may_contain(hash_id(id))) return std::nullopt;
  auto after = std::upper_bound(lookup.frames.begin(), lookup.frames.end(), id,
                                [](const Uuid128& key, const auto& entry) { return id_less(key, entry.first); });
  if (after == lookup.frames.begin()) return std::nullopt;
  const FrameRef ref = std::prev(after)->second;
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
  const StreamLookup& lookup = stream_lookup(fetch);
  uint64_t hash = hash_key(key);
  uint64_t page = bloom_page(hash, lookup.bloom_pages);
  std::string_view bits = table(fetch, lookup.bloom_at + page * lookup.bloom_page_bytes, lookup.bloom_page_bytes, kStreamBloom);
  if (bits.size() != kBloomPageBits / 8) damaged("a Bloom filter page is short");
  if (!paged_bloom_may_contain(bits, hash)) return std::nullopt;
  size_t low = 0, high = lookup.entries.size();  // the first page whose first key is after `key`
  while (low < high) {
    size_t middle = (low + high) / 2;
    if (key < lookup.key(middle)) high = middle;
    else low = middle + 1;
  }
  if (low == 0) return std::nullopt;
  const FrameRef page_ref = lookup.ref(low - 1);
  std::optional<FrameRef> found;  // the last table frame whose first key is not after `key`
  Reader refs(table(fetch, page_ref.at, page_ref.length, kStreamRefs));
  while (refs.left() > 0) {
    std::string_view first_key = take_string(refs);
    FrameRef ref = take_ref(refs, lookup.bloom_at);
    if (key < first_key) break;
    found = ref;
  }
  if (!found) return std::nullopt;
  const FrameRef ref = *found;
  Reader r(table(fetch, ref.at, ref.length, kStreams));
  while (r.ok() && !r.done()) {
    std::string_view entry_key = take_string(r);
    int64_t first_version = static_cast<int64_t>(r.get<uint64_t>());
    uint32_t count = r.get<uint32_t>();
    if (!r.ok() || count > r.left() / kStreamEventBytes) damaged("a stream table is malformed");
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
