#include "atomservices/event.hpp"

#include <algorithm>

#include "atomservices/errors.hpp"
#include "atomservices/ids.hpp"
#include "atomservices/json.hpp"

namespace atomservices {
namespace {

using json::Kind;

enum class Field { Id, CreatedAt, Version, CreatedBy, EventName, AggregateType, AggregateId, Payloads, Metadata, Count };

constexpr std::string_view kFieldNames[] = {"_id",          "_createdAt",    "_version",
                                            "_createdBy",   "EventName",     "AggregateType",
                                            "AggregateID",  "payloads",      "metadata"};

int field_of(std::string_view key) {
  for (int i = 0; i < static_cast<int>(Field::Count); ++i) {
    if (kFieldNames[i] == key) return i;
  }
  return -1;
}

std::string path(size_t index, std::string_view field) {
  std::string out = "events[" + std::to_string(index) + "]";
  if (!field.empty()) out += "." + std::string(field);
  return out;
}

[[noreturn]] void fail(ErrorCode code, size_t index, std::string_view field, const std::string& problem) {
  std::string details = "{\"index\":" + std::to_string(index) + ",\"field\":";
  json::append_string(details, field);
  details += "}";
  throw Error(code, path(index, field) + " " + problem, details);
}

using json::got;

// One event object being read: the scanner's cursor is at its '{'.
class EventReader {
 public:
  EventReader(json::Scanner& scanner, size_t index) : s_(scanner), index_(index) {}

  Event read() {
    size_t start = s_.offset();
    s_.members([&](const std::string& key) { member(key); });
    size_t size = s_.offset() - start;
    if (size > Limits::kMaxEventBytes) {
      fail(ErrorCode::EVENT_TOO_LARGE, index_, "",
           "is " + std::to_string(size) + " bytes of JSON; the limit is " +
               std::to_string(Limits::kMaxEventBytes) + " bytes");
    }
    check_complete();
    return finish();
  }

 private:
  void member(const std::string& key) {
    int field = field_of(key);
    if (field < 0) {
      std::string shown = json::preview(key);
      fail(ErrorCode::INVALID_EVENT, index_, shown,
           "is not a field of an event; put your own data in payloads or metadata");
    }
    if (seen_[field]) fail(ErrorCode::INVALID_EVENT, index_, key, "appears twice");
    seen_[field] = true;
    switch (static_cast<Field>(field)) {
      case Field::Id: read_name(key, event_.id); break;
      case Field::CreatedAt: read_name(key, event_.created_at); break;
      case Field::CreatedBy: read_name(key, event_.created_by); break;
      case Field::EventName: read_name(key, event_.event_name); break;
      case Field::AggregateType: read_name(key, event_.aggregate_type); break;
      case Field::AggregateId: read_name(key, event_.aggregate_id); break;
      case Field::Version: read_version(); break;
      case Field::Payloads: payloads_ = read_nested(key); break;
      case Field::Metadata:
        if (s_.peek_kind() != Kind::Object) {
          Kind kind = s_.peek_kind();
          fail(ErrorCode::INVALID_EVENT, index_, key,
               "must be an object when given, " + got(kind, s_.skip_value(Limits::kMaxDepth)));
        }
        metadata_ = read_nested(key);
        break;
      case Field::Count: break;
    }
  }

  void read_name(std::string_view key, std::string& out) {
    Kind kind = s_.peek_kind();
    if (kind != Kind::String) {
      bool deep = false;
      std::string_view raw = s_.skip_value(Limits::kMaxDepth, &deep);
      fail(ErrorCode::INVALID_EVENT, index_, key, "must be a string, " + got(kind, raw));
    }
    if (!s_.read_string(out)) {
      fail(ErrorCode::INVALID_EVENT, index_, key,
           "must be valid Unicode text (it holds an unpaired surrogate)");
    }
  }

  void read_version() {
    Kind kind = s_.peek_kind();
    bool deep = false;
    std::string_view raw = s_.skip_value(Limits::kMaxDepth, &deep);
    auto value = kind == Kind::Number ? json::to_safe_integer(raw) : std::nullopt;
    if (!value || *value < 1) {
      fail(ErrorCode::INVALID_EVENT, index_, "_version",
           "must be an integer from 1 to 9007199254740991 (the aggregate version this event "
           "creates: 1 for the first event), " + got(kind, raw));
    }
    event_.version = *value;
  }

  std::string_view read_nested(std::string_view key) {
    bool too_deep = false;
    std::string_view raw = s_.skip_value(Limits::kMaxDepth, &too_deep);
    if (too_deep) {
      fail(ErrorCode::INVALID_EVENT, index_, key,
           "nests deeper than " + std::to_string(Limits::kMaxDepth) +
               " levels; flatten the data");
    }
    return raw;
  }

  void check_complete() {
    static const char* kHints[] = {
        "is missing; EventBuilder sets it to a new UUID",
        "is missing; EventBuilder sets it to the current time",
        "is missing; set it to the aggregate version this event creates (1 for the first)",
        "is missing; set it to who or what caused the event",
        "is missing",
        "is missing",
        "is missing; EventBuilder makes a new UUID when you give none",
        "is missing; use {} for an event without data",
    };
    for (int i = 0; i < static_cast<int>(Field::Metadata); ++i) {
      if (!seen_[i]) fail(ErrorCode::INVALID_EVENT, index_, kFieldNames[i], kHints[i]);
    }
    check_name(Field::CreatedBy, event_.created_by);
    check_name(Field::EventName, event_.event_name);
    check_name(Field::AggregateType, event_.aggregate_type);
    check_name(Field::AggregateId, event_.aggregate_id);
    std::optional<Uuid128> key = parse_uuid(event_.id);
    if (key) event_.key = *key;
    if (!key) {
      fail(ErrorCode::INVALID_EVENT, index_, "_id",
           "must be a UUID like 0f8fad5b-d9cb-469f-a165-70867728950e, got \"" +
               json::preview(event_.id) + "\"");
    }
    if (!is_iso8601_utc_ms(event_.created_at)) {
      fail(ErrorCode::INVALID_EVENT, index_, "_createdAt",
           "must be an ISO-8601 UTC time with milliseconds like 2026-11-26T08:35:12.345Z "
           "(as Date.prototype.toISOString() prints), got \"" +
               json::preview(event_.created_at) + "\"");
    }
  }

  void check_name(Field field, const std::string& value) {
    std::string problem = name_problem(value);
    if (!problem.empty()) {
      fail(ErrorCode::INVALID_EVENT, index_, kFieldNames[static_cast<int>(field)], problem);
    }
  }

  Event finish() {
    for (char& c : event_.id) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    std::string& out = event_.json;
    out.reserve(payloads_.size() + metadata_.size() + event_.created_by.size() + event_.event_name.size() +
                event_.aggregate_type.size() + event_.aggregate_id.size() + 200);
    out += "{\"_id\":\"";
    out += event_.id;
    out += "\",\"_createdAt\":\"";
    out += event_.created_at;
    out += "\",\"_version\":";
    out += std::to_string(event_.version);
    out += ",\"_createdBy\":";
    json::append_string(out, event_.created_by);
    out += ",\"EventName\":";
    json::append_string(out, event_.event_name);
    out += ",\"AggregateType\":";
    json::append_string(out, event_.aggregate_type);
    out += ",\"AggregateID\":";
    json::append_string(out, event_.aggregate_id);
    out += ",\"payloads\":";
    out += payloads_;
    if (!metadata_.empty()) {
      out += ",\"metadata\":";
      out += metadata_;
    }
    out += '}';
    return std::move(event_);
  }

  json::Scanner& s_;
  size_t index_;
  Event event_;
  bool seen_[static_cast<int>(Field::Count)] = {};
  std::string_view payloads_;
  std::string_view metadata_;
};

}  // namespace

std::string name_problem(std::string_view value) {
  if (value.empty()) return "must not be empty";
  // Most names are short printable ASCII: nothing to count or look for.
  if (value.size() <= Limits::kMaxNameChars &&
      std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c < 0x7F; })) {
    return {};
  }
  size_t chars = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    auto c = static_cast<unsigned char>(value[i]);
    if ((c & 0xC0) == 0x80) continue;
    ++chars;
    bool c1_control = c == 0xC2 && i + 1 < value.size() &&
                      static_cast<unsigned char>(value[i + 1]) < 0xA0;
    if (c < 0x20 || c == 0x7F || c1_control) {
      return "must not contain control characters (found one at character " +
             std::to_string(chars) + ")";
    }
  }
  if (chars > Limits::kMaxNameChars) {
    return "must be at most " + std::to_string(Limits::kMaxNameChars) + " characters, got " +
           std::to_string(chars);
  }
  return {};
}

void check_name_argument(std::string_view what, std::string_view value) {
  std::string problem = name_problem(value);
  if (!problem.empty()) {
    std::string details = "{\"field\":";
    json::append_string(details, what);
    throw Error(ErrorCode::INVALID_ARGUMENT, std::string(what) + " " + problem, details + "}");
  }
}

std::vector<Event> parse_events(std::string_view text) {
  if (text.size() > Limits::kMaxBatchBytes) {
    throw Error(ErrorCode::EVENT_TOO_LARGE,
                "the batch is " + std::to_string(text.size()) + " bytes of JSON; the limit is " +
                    std::to_string(Limits::kMaxBatchBytes) + " bytes; dispatch it in parts");
  }
  json::Scanner s(text);
  std::vector<Event> events;
  try {
    if (s.peek_kind() != Kind::Array) {
      throw Error(ErrorCode::INVALID_BATCH, "events must be an array of events, got " +
                                                std::string(json::kind_name(s.peek_kind())));
    }
    s.elements([&](size_t index) {
      if (index >= Limits::kMaxBatchEvents) {
        throw Error(ErrorCode::INVALID_BATCH,
                    "a batch holds at most " + std::to_string(Limits::kMaxBatchEvents) +
                        " events; dispatch it in parts");
      }
      Kind kind = s.peek_kind();
      if (kind != Kind::Object) {
        fail(ErrorCode::INVALID_EVENT, index, "",
             "must be an event object, got " + std::string(json::kind_name(kind)));
      }
      events.push_back(EventReader(s, index).read());
    });
    s.expect_end();
  } catch (const json::SyntaxError& e) {
    throw Error(ErrorCode::INVALID_ARGUMENT, "the events are not valid JSON: " + e.reason +
                                                 " at byte " + std::to_string(e.offset));
  }
  if (events.empty()) {
    throw Error(ErrorCode::INVALID_BATCH, "the batch is empty; pass at least one event");
  }
  return events;
}

std::string event_rows(std::string_view json_array) {
  std::string rows;
  for (const Event& e : parse_events(json_array)) {
    if (!rows.empty()) rows += '\x1e';
    rows.append(e.id).append(1, '\x1f').append(e.aggregate_type).append(1, '\x1f').append(e.aggregate_id).append(1, '\x1f');
    rows.append(std::to_string(e.version)).append(1, '\x1f').append(e.json);
  }
  return rows;
}

}  // namespace atomservices
