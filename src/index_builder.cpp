// Writing a closed segment's index file (the format: index_format.hpp; reading it back:
// segment_index.cpp).
#include <algorithm>

#include "index_format.hpp"

namespace atomservices {

using namespace index_format;

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

}  // namespace atomservices
