#pragma once
// The on-disk record format. A frame is [u32 marker][u32 payload length][u32 CRC-32C of
// payload][payload], little-endian. The marker lets recovery find later intact frames after
// a damaged one, to tell a torn tail (nothing intact after it) from damage in the middle. Payloads: a segment header (kind 0: magic, first position) or a batch of
// events (kind 1: count, then per event its version, id, stream and JSON), so an open can
// rebuild the indexes from the frame alone.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atomservices/event.hpp"

namespace atomservices::frames {

constexpr size_t kFrameHeaderBytes = 12;
constexpr uint32_t kMaxPayloadBytes = Limits::kMaxBatchBytes + (16 << 20);

struct StoredEvent {
  int64_t version;
  std::string_view id;
  std::string_view aggregate_type;
  std::string_view aggregate_id;
  std::string_view json;
};

struct StoredSnapshot {
  std::string_view key;
  std::string_view aggregate_type;
  std::string_view aggregate_id;
  int64_t version;
  std::string_view state;
};

struct StoredCheckpoint {
  std::string_view name;
  uint64_t position;
};

enum class RecordKind { Header, Batch, Snapshot, Checkpoint, Unknown };

// Little-endian fields, as every file of the store writes them.
template <class T>
inline void put(std::string& out, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) out += static_cast<char>((static_cast<uint64_t>(value) >> (8 * i)) & 0xFF);
}

// Reads little-endian fields with bounds checks; any overrun marks the reader failed.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  template <class T>
  T get() {
    if (!ok_ || bytes_.size() - pos_ < sizeof(T)) return fail<T>();
    uint64_t value = 0;
    for (size_t i = 0; i < sizeof(T); ++i) value |= uint64_t(static_cast<uint8_t>(bytes_[pos_ + i])) << (8 * i);
    pos_ += sizeof(T);
    return static_cast<T>(value);
  }
  std::string_view take(size_t n) {
    if (!ok_ || bytes_.size() - pos_ < n) return fail<std::string_view>();
    std::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  bool done() const { return ok_ && pos_ == bytes_.size(); }
  bool ok() const { return ok_; }
  size_t left() const { return ok_ ? bytes_.size() - pos_ : 0; }

 private:
  template <class T>
  T fail() {
    ok_ = false;
    return T{};
  }
  std::string_view bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// The payload framed: marker, length, checksum.
std::string wrap(const std::string& payload);


std::string header(uint64_t first_position);
// `state_offset` receives where the state's JSON starts in the frame.
std::string snapshot(const StoredSnapshot& s, uint64_t* state_offset = nullptr);
std::string checkpoint(const StoredCheckpoint& c);
RecordKind kind_of(std::string_view payload);
// The batch's events that are not retries, as one frame; empty when there are none.
// `body_offsets` receives where each stored event's JSON starts in the frame.
std::string batch(const std::vector<Event>& events, const std::vector<bool>& skip,
                  std::vector<uint64_t>* body_offsets = nullptr);

enum class Status { Ok, Truncated, BadChecksum, BadPayload };

struct Frame {
  Status status;
  size_t end;               // offset just past the frame (as declared)
  std::string_view payload;
};

// Reads the frame at `offset` of `bytes`.
Frame read(std::string_view bytes, size_t offset);
// True when an intact frame starts anywhere after `offset`.
bool intact_frame_after(std::string_view bytes, size_t offset);
// The header's first position, if the payload is a valid header.
std::optional<uint64_t> read_header(std::string_view payload);
// The events of a batch payload, if it is well-formed.
std::optional<std::vector<StoredEvent>> read_batch(std::string_view payload);
std::optional<StoredSnapshot> read_snapshot(std::string_view payload);
std::optional<StoredCheckpoint> read_checkpoint(std::string_view payload);

}  // namespace atomservices::frames
