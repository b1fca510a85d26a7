#include "segment_index.hpp"

#include <algorithm>
#include <cstring>

#include "atomservices/errors.hpp"
#include "frames.hpp"
#include "index_format.hpp"

namespace atomservices {

using namespace index_format;

namespace {

[[noreturn]] void damaged(const std::string& what) { throw IndexDamaged(what); }

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

std::vector<SegmentIndex::FrameRef> SegmentIndex::body_tables(uint64_t from, uint64_t to, const Fetch& fetch) const {
  if (from < first_ || to < from || to - first_ >= events_) damaged("events outside their segment were asked for");
  const std::vector<FrameRef>& refs = body_frames(fetch);
  return std::vector<FrameRef>(refs.begin() + static_cast<ptrdiff_t>((from - first_) / kBodiesPerFrame),
                               refs.begin() + static_cast<ptrdiff_t>((to - first_) / kBodiesPerFrame + 1));
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
