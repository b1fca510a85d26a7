#include "atomservices/queries.hpp"

#include <functional>
#include <initializer_list>
#include <utility>

#include "atomservices/errors.hpp"
#include "atomservices/fold.hpp"
#include "atomservices/ids.hpp"
#include "atomservices/json.hpp"

namespace atomservices {
namespace {

using json::Kind;

[[noreturn]] void bad(std::string_view name, const std::string& problem) {
  std::string details = "{\"field\":";
  json::append_string(details, name);
  throw Error(ErrorCode::INVALID_ARGUMENT, std::string(name) + " " + problem, details + "}");
}

using json::got;

int64_t read_integer(json::Scanner& s, std::string_view name, int64_t min) {
  Kind kind = s.peek_kind();
  std::string_view raw = s.skip_value(Limits::kMaxDepth);
  auto value = kind == Kind::Number ? json::to_safe_integer(raw) : std::nullopt;
  if (!value || *value < min) {
    bad(name, "must be an integer from " + std::to_string(min) + " to 9007199254740991, " +
                  got(kind, raw));
  }
  return *value;
}

std::string read_name(json::Scanner& s, std::string_view name) {
  Kind kind = s.peek_kind();
  if (kind != Kind::String) bad(name, "must be a string, " + got(kind, s.skip_value(Limits::kMaxDepth)));
  std::string value;
  if (!s.read_string(value)) bad(name, "must be valid Unicode text (it holds an unpaired surrogate)");
  check_name_argument(name, value);
  return value;
}

using MemberReader = std::function<void(json::Scanner&)>;

// Reads an object whose keys must all be known; `prefix` names it in messages.
void read_object(json::Scanner& s, std::string_view prefix,
                 std::initializer_list<std::pair<std::string_view, MemberReader>> known) {
  Kind kind = s.peek_kind();
  if (kind != Kind::Object) bad(prefix, "must be an object, " + got(kind, s.skip_value(Limits::kMaxDepth)));
  s.members([&](const std::string& key) {
    for (const auto& [name, reader] : known) {
      if (name == key) return reader(s);
    }
    std::string list;
    for (const auto& entry : known) list += (list.empty() ? "" : ", ") + std::string(entry.first);
    bad(std::string(prefix) + "." + json::preview(key), "is not a known option; use " + list);
  });
}

template <class Parse>
auto parse_request(std::string_view text, Parse&& parse) {
  json::Scanner s(text);
  try {
    auto result = parse(s);
    s.expect_end();
    return result;
  } catch (const json::SyntaxError& e) {
    throw Error(ErrorCode::INVALID_ARGUMENT,
                "the request is not valid JSON: " + e.reason + " at byte " + std::to_string(e.offset));
  }
}

void read_stream_options(json::Scanner& s, StreamReadOptions& o) {
  read_object(s, "options",
              {{"fromVersion", [&](json::Scanner& s) { o.from_version = read_integer(s, "options.fromVersion", 1); }},
               {"toVersion", [&](json::Scanner& s) { o.to_version = read_integer(s, "options.toVersion", 0); }},
               {"limit", [&](json::Scanner& s) { o.limit = static_cast<size_t>(read_integer(s, "options.limit", 1)); }},
               {"direction", [&](json::Scanner& s) {
                  std::string value;
                  bool ok = s.peek_kind() == Kind::String && s.read_string(value) &&
                            (value == "forward" || value == "backward");
                  if (!ok) bad("options.direction", "must be \"forward\" or \"backward\"");
                  o.backward = value == "backward";
                }}});
}

// AggregateType and AggregateID, both required, then whatever `more` knows.
template <class Q>
void read_aggregate(json::Scanner& s, Q& q, std::initializer_list<std::pair<std::string_view, MemberReader>> more) {
  bool has_type = false, has_id = false;
  std::vector<std::pair<std::string_view, MemberReader>> known = {
      {"AggregateType", [&](json::Scanner& s) { q.aggregate_type = read_name(s, "AggregateType"); has_type = true; }},
      {"AggregateID", [&](json::Scanner& s) { q.aggregate_id = read_name(s, "AggregateID"); has_id = true; }}};
  known.insert(known.end(), more.begin(), more.end());
  Kind kind = s.peek_kind();
  if (kind != Kind::Object) bad("arguments", "must be an object, " + got(kind, s.skip_value(Limits::kMaxDepth)));
  s.members([&](const std::string& key) {
    for (const auto& [name, reader] : known) {
      if (name == key) return reader(s);
    }
    bad(json::preview(key), "is not a known argument");
  });
  if (!has_type) bad("AggregateType", "is missing; pass the aggregate's type as a string");
  if (!has_id) bad("AggregateID", "is missing; pass the aggregate's id as a string");
}

}  // namespace

RehydrateQuery parse_rehydrate_query(std::string_view text) {
  return parse_request(text, [](json::Scanner& s) {
    RehydrateQuery q;
    read_aggregate(s, q, {{"options", [&](json::Scanner& s) {
      read_object(s, "options",
                  {{"toVersion", [&](json::Scanner& s) { q.to_version = read_integer(s, "options.toVersion", 0); }},
                   {"at", [&](json::Scanner& s) {
                      std::string at;
                      if (s.peek_kind() != Kind::String || !s.read_string(at) || !is_iso8601_utc_ms(at)) {
                        bad("options.at", "must be an ISO-8601 UTC time with milliseconds, like 2026-11-26T08:35:12.345Z");
                      }
                      q.at = at;
                    }},
                   {"snapshots", [&](json::Scanner& s) {
                      Kind kind = s.peek_kind();
                      if (kind != Kind::True && kind != Kind::False) bad("options.snapshots", "must be true or false");
                      q.use_snapshots = kind == Kind::True;
                      s.skip_value(1);
                    }}});
    }}});
    return q;
  });
}

SnapshotQuery parse_snapshot_query(std::string_view text) {
  return parse_request(text, [](json::Scanner& s) {
    SnapshotQuery q;
    bool has_key = false;
    read_aggregate(s, q, {{"key", [&](json::Scanner& s) { q.key = read_name(s, "key"); has_key = true; }},
                          {"version", [&](json::Scanner& s) { q.version = read_integer(s, "version", 1); }}});
    if (!has_key) bad("key", "is missing; name what the state was folded by (a reducer's version)");
    return q;
  });
}

StreamQuery parse_stream_query(std::string_view text) {
  return parse_request(text, [](json::Scanner& s) {
    StreamQuery q;
    read_aggregate(s, q, {{"options", [&](json::Scanner& s) { read_stream_options(s, q.options); }}});
    return q;
  });
}

GlobalReadOptions parse_global_query(std::string_view text) {
  return parse_request(text, [](json::Scanner& s) {
    GlobalReadOptions o;
    read_object(s, "options",
                {{"fromPosition", [&](json::Scanner& s) { o.from_position = static_cast<uint64_t>(read_integer(s, "options.fromPosition", 1)); }},
                 {"limit", [&](json::Scanner& s) { o.limit = static_cast<size_t>(read_integer(s, "options.limit", 1)); }}});
    return o;
  });
}

}  // namespace atomservices
