#pragma once
// The event contract: what an event is, its limits, and turning JSON into validated events.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "atomservices/ids.hpp"

namespace atomservices {

// Documented limits. Anything beyond them is refused with a coded error.
struct Limits {
  static constexpr size_t kMaxNameChars = 256;        // EventName, AggregateType, AggregateID, _createdBy
  static constexpr size_t kMaxDepth = 64;             // nesting of payloads and metadata
  static constexpr size_t kMaxEventBytes = 1 << 20;   // one event's JSON (UTF-8)
  static constexpr size_t kMaxBatchEvents = 100000;   // events in one dispatch/append
  static constexpr size_t kMaxBatchBytes = 64 << 20;  // one batch's JSON (UTF-8)
  // One read's answer: a read asked for more gives the events that fit (at least one), and
  // the caller asks again from after the last (a log of large events is read in pieces).
  static constexpr size_t kMaxAnswerBytes = 32 << 20;
  static constexpr int64_t kMaxVersion = 9007199254740991;  // 2^53 - 1
};

// A validated event. `json` is its canonical text: contract fields in a fixed order, then
// payloads and metadata exactly as received.
struct Event {
  std::string id;
  Uuid128 key;  // id's bits
  std::string created_at;
  std::string created_by;
  std::string event_name;
  std::string aggregate_type;
  std::string aggregate_id;
  int64_t version = 0;
  std::string json;
};

// Parses and validates a JSON array of events (all of them, or throws). Throws
// Error{INVALID_BATCH | INVALID_EVENT | EVENT_TOO_LARGE} naming the index and field.
std::vector<Event> parse_events(std::string_view json_array);

// The events of a JSON array, validated, as rows for a store that keeps columns beside
// each event's JSON (PostgreSQL): per event _id, AggregateType, AggregateID, _version and
// its canonical JSON, split by U+001F, the events split by U+001E. Neither names (control
// characters are refused in them) nor JSON text (which escapes them in strings) hold those
// separators.
std::string event_rows(std::string_view json_array);

// Checks a name field (EventName, AggregateType, AggregateID, _createdBy): 1..256
// characters, valid Unicode, no control characters. Throws INVALID_ARGUMENT naming `what`.
void check_name_argument(std::string_view what, std::string_view value);

// Why a decoded name is not acceptable, or empty when it is.
std::string name_problem(std::string_view value);

}  // namespace atomservices
