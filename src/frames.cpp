#include "frames.hpp"

#include <algorithm>

#include "atomservices/crc32c.hpp"

namespace atomservices::frames {
namespace {

constexpr std::string_view kMagic = "ATOMSEG1";
constexpr uint32_t kMarker = 0x4D52FA7E;
enum Kind : uint8_t { kHeader = 0, kBatch = 1, kSnapshot = 2, kCheckpoint = 3 };

}  // namespace

std::string wrap(const std::string& payload) {
  std::string out;
  out.reserve(payload.size() + kFrameHeaderBytes);
  put<uint32_t>(out, kMarker);
  put<uint32_t>(out, static_cast<uint32_t>(payload.size()));
  put<uint32_t>(out, crc32c(payload.data(), payload.size()));
  return out + payload;
}

namespace {

// Events and snapshots share one layout: a version, a name (the event's id or the
// snapshot's key), the aggregate, and a JSON body.
struct Entry {
  int64_t version;
  std::string_view name;
  std::string_view aggregate_type;
  std::string_view aggregate_id;
  std::string_view body;
};

void put_entry(std::string& out, const Entry& e) {
  put<uint64_t>(out, static_cast<uint64_t>(e.version));
  put<uint16_t>(out, static_cast<uint16_t>(e.name.size()));
  put<uint16_t>(out, static_cast<uint16_t>(e.aggregate_type.size()));
  put<uint16_t>(out, static_cast<uint16_t>(e.aggregate_id.size()));
  put<uint32_t>(out, static_cast<uint32_t>(e.body.size()));
  out.append(e.name).append(e.aggregate_type).append(e.aggregate_id).append(e.body);
}

Entry read_entry(Reader& r) {
  Entry e{};
  e.version = static_cast<int64_t>(r.get<uint64_t>());
  uint16_t name_size = r.get<uint16_t>(), type_size = r.get<uint16_t>(), aggregate_size = r.get<uint16_t>();
  uint32_t body_size = r.get<uint32_t>();
  e.name = r.take(name_size);
  e.aggregate_type = r.take(type_size);
  e.aggregate_id = r.take(aggregate_size);
  e.body = r.take(body_size);
  return e;
}

}  // namespace

std::string header(uint64_t first_position) {
  std::string payload;
  put<uint8_t>(payload, kHeader);
  payload += kMagic;
  put<uint64_t>(payload, first_position);
  return wrap(payload);
}

std::string batch(const std::vector<Event>& events, const std::vector<bool>& skip, std::vector<uint64_t>* body_offsets) {
  std::string payload;
  uint32_t count = 0;
  for (size_t i = 0; i < events.size(); ++i) count += skip[i] ? 0 : 1;
  if (count == 0) return {};
  put<uint8_t>(payload, kBatch);
  put<uint32_t>(payload, count);
  for (size_t i = 0; i < events.size(); ++i) {
    if (skip[i]) continue;
    const Event& e = events[i];
    put_entry(payload, {e.version, e.id, e.aggregate_type, e.aggregate_id, e.json});
    if (body_offsets) body_offsets->push_back(kFrameHeaderBytes + payload.size() - e.json.size());
  }
  return wrap(payload);
}

std::string snapshot(const StoredSnapshot& s, uint64_t* state_offset) {
  std::string payload;
  put<uint8_t>(payload, kSnapshot);
  put_entry(payload, {s.version, s.key, s.aggregate_type, s.aggregate_id, s.state});
  if (state_offset) *state_offset = kFrameHeaderBytes + payload.size() - s.state.size();
  return wrap(payload);
}

std::string checkpoint(const StoredCheckpoint& c) {
  std::string payload;
  put<uint8_t>(payload, kCheckpoint);
  put<uint64_t>(payload, c.position);
  put<uint16_t>(payload, static_cast<uint16_t>(c.name.size()));
  payload.append(c.name);
  return wrap(payload);
}

RecordKind kind_of(std::string_view payload) {
  if (payload.empty()) return RecordKind::Unknown;
  switch (static_cast<uint8_t>(payload[0])) {
    case kHeader: return RecordKind::Header;
    case kBatch: return RecordKind::Batch;
    case kSnapshot: return RecordKind::Snapshot;
    case kCheckpoint: return RecordKind::Checkpoint;
    default: return RecordKind::Unknown;
  }
}

Frame read(std::string_view bytes, size_t offset) {
  Reader head(bytes.substr(offset));
  uint32_t marker = head.get<uint32_t>();
  uint32_t length = head.get<uint32_t>();
  uint32_t crc = head.get<uint32_t>();
  size_t available = bytes.size() - offset;
  if (head.ok() && marker != kMarker) return {Status::BadPayload, offset + kFrameHeaderBytes, {}};
  if (!head.ok() || length > kMaxPayloadBytes || available - kFrameHeaderBytes < length) {
    return {Status::Truncated, offset + kFrameHeaderBytes + length, {}};
  }
  std::string_view payload = bytes.substr(offset + kFrameHeaderBytes, length);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  (void)crc;  // fuzzing builds take any checksum, so that mutations reach the decoders behind it
  Status status = Status::Ok;
#else
  Status status = crc32c(payload.data(), payload.size()) == crc ? Status::Ok : Status::BadChecksum;
#endif
  return {status, offset + kFrameHeaderBytes + length, payload};
}

bool intact_frame_after(std::string_view bytes, size_t offset) {
  char marker[4];
  for (int i = 0; i < 4; ++i) marker[i] = static_cast<char>((kMarker >> (8 * i)) & 0xFF);
  // Real frames do not overlap, so checksumming them costs at most the bytes after offset.
  // Markers declaring overlapping frames would cost quadratic time: past twice that, answer
  // yes, so the open reports damage instead of cutting it off as a torn tail.
  size_t budget = 2 * (bytes.size() - std::min(offset, bytes.size()));
  for (size_t at = bytes.find(std::string_view(marker, 4), offset + 1); at != std::string_view::npos;
       at = bytes.find(std::string_view(marker, 4), at + 1)) {
    Frame frame = read(bytes, at);
    if (frame.status == Status::Ok || frame.payload.size() > budget) return true;
    budget -= frame.payload.size();
  }
  return false;
}

std::optional<uint64_t> read_header(std::string_view payload) {
  Reader r(payload);
  bool ok = r.get<uint8_t>() == kHeader && r.take(kMagic.size()) == kMagic;
  uint64_t first = r.get<uint64_t>();
  if (!ok || !r.done() || first == 0) return std::nullopt;
  return first;
}

std::optional<std::vector<StoredEvent>> read_batch(std::string_view payload) {
  Reader r(payload);
  if (r.get<uint8_t>() != kBatch) return std::nullopt;
  uint32_t count = r.get<uint32_t>();
  std::vector<StoredEvent> events;
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    Entry entry = read_entry(r);
    events.push_back({entry.version, entry.name, entry.aggregate_type, entry.aggregate_id, entry.body});
  }
  if (!r.done() || count == 0) return std::nullopt;
  return events;
}

std::optional<StoredSnapshot> read_snapshot(std::string_view payload) {
  Reader r(payload);
  if (r.get<uint8_t>() != kSnapshot) return std::nullopt;
  Entry entry = read_entry(r);
  if (!r.done()) return std::nullopt;
  return StoredSnapshot{entry.name, entry.aggregate_type, entry.aggregate_id, entry.version, entry.body};
}

std::optional<StoredCheckpoint> read_checkpoint(std::string_view payload) {
  Reader r(payload);
  if (r.get<uint8_t>() != kCheckpoint) return std::nullopt;
  StoredCheckpoint c{};
  c.position = r.get<uint64_t>();
  c.name = r.take(r.get<uint16_t>());
  if (!r.done()) return std::nullopt;
  return c;
}

}  // namespace atomservices::frames
