// The record decoder on arbitrary bytes, walked the way SegmentStore's recovery walks a
// segment. Every record it accepts must encode back to exactly the payload it came from (the
// fuzzing build takes any checksum, so frames are compared by payload).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../../src/frames.hpp"

using namespace atomservices;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_encodes_to(const std::string& encoded, std::string_view payload) {
  frames::Frame again = frames::read(encoded, 0);
  check(again.status == frames::Status::Ok && again.end == encoded.size() && again.payload == payload);
}

// A well-formed batch payload, re-encoded, must give back the frame it was read from.
void check_batch(const std::vector<frames::StoredEvent>& stored, std::string_view payload) {
  std::vector<Event> events;
  for (const auto& s : stored) {
    Event e;
    e.version = s.version;
    e.id = s.id;
    e.aggregate_type = s.aggregate_type;
    e.aggregate_id = s.aggregate_id;
    e.json = s.json;
    events.push_back(std::move(e));
  }
  check_encodes_to(frames::batch(events, std::vector<bool>(events.size(), false)), payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  size_t offset = 0;
  while (offset < bytes.size()) {
    frames::Frame f = frames::read(bytes, offset);
    if (f.status != frames::Status::Ok) {
      frames::intact_frame_after(bytes, offset);
      break;
    }
    check(f.end > offset && f.end <= bytes.size());
    if (auto first = frames::read_header(f.payload)) check_encodes_to(frames::header(*first), f.payload);
    if (auto events = frames::read_batch(f.payload)) check_batch(*events, f.payload);
    if (auto snapshot = frames::read_snapshot(f.payload)) check_encodes_to(frames::snapshot(*snapshot), f.payload);
    if (auto checkpoint = frames::read_checkpoint(f.payload)) check_encodes_to(frames::checkpoint(*checkpoint), f.payload);
    offset = f.end;
  }
  return 0;
}
