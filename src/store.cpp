#include "atomservices/store.hpp"

#include "atomservices/errors.hpp"
#include "atomservices/event.hpp"
#include "atomservices/fold.hpp"
#include "atomservices/json.hpp"
#include "atomservices/queries.hpp"

namespace atomservices {
namespace {

// A state is stored as given and handed back to JS as it is, so it must be one JSON value;
// it nests no deeper than events may, so whatever reads it back never walks further.
void check_json_value(std::string_view text, std::string_view what) {
  bool too_deep = false;
  try {
    json::Scanner s(text);
    s.skip_value(Limits::kMaxDepth, &too_deep);
    if (!too_deep) s.expect_end();
  } catch (const json::SyntaxError& e) {
    throw Error(ErrorCode::INVALID_ARGUMENT, std::string(what) + " is not valid JSON: " + e.reason);
  }
  if (too_deep) {
    throw Error(ErrorCode::INVALID_ARGUMENT, std::string(what) + " nests deeper than " +
                                                 std::to_string(Limits::kMaxDepth) + " levels; flatten the data");
  }
}

}  // namespace

AppendResult Store::append(std::string_view events_json) { return append_events(parse_events(events_json)); }

std::string Store::read_stream(std::string_view query_json) const {
  StreamQuery q = parse_stream_query(query_json);
  return log().read_stream(q.aggregate_type, q.aggregate_id, q.options);
}

std::string Store::read_all(std::string_view query_json) const { return log().read_all(parse_global_query(query_json)); }

int64_t Store::version(std::string_view query_json) const {
  StreamQuery q = parse_stream_query(query_json);
  return log().version(q.aggregate_type, q.aggregate_id);
}

std::optional<std::string_view> Store::find(std::string_view event_id) const { return log().find(event_id); }

std::string Store::rehydrate(std::string_view definition_json, std::string_view query_json) {
  const NativeReducer& reducer = compiled_reducer(definition_json);
  RehydrateQuery q = parse_rehydrate_query(query_json);
  Folded folded = fold(log(), reducer, q, [&](int64_t version, const std::string& state) {
    save_snapshot(snapshot_key(reducer.identity(), ""), q.aggregate_type, q.aggregate_id, version, state);
  });
  return to_json(folded);
}

std::optional<std::string> Store::get_snapshot(std::string_view query_json) const {
  SnapshotQuery q = parse_snapshot_query(query_json);
  auto found = log().find_snapshot(q.key, q.aggregate_type, q.aggregate_id, q.version);
  if (!found) return std::nullopt;
  return to_json(Folded{std::string(found->second), found->first});
}

void Store::put_snapshot(std::string_view query_json, std::string_view state_json) {
  SnapshotQuery q = parse_snapshot_query(query_json);
  check_json_value(state_json, "state");
  save_snapshot(q.key, q.aggregate_type, q.aggregate_id, q.version, std::string(state_json));
}

void Store::put_checkpoint(const std::string& name, uint64_t position) {
  check_name_argument("name", name);
  save_checkpoint(name, position);
}

AppendResult MemoryStore::append_events(std::vector<Event> batch) { return log_.append(std::move(batch)); }

void MemoryStore::save_snapshot(const std::string& key, std::string_view type, std::string_view id, int64_t version,
                                std::string state_json) {
  log_.put_snapshot(key, type, id, version, std::move(state_json));
}

void MemoryStore::save_checkpoint(const std::string& name, uint64_t position) { log_.put_checkpoint(name, position); }

AppendResult DurableStore::append_events(std::vector<Event> batch) { return engine_.append(std::move(batch)); }

void DurableStore::save_snapshot(const std::string& key, std::string_view type, std::string_view id, int64_t version,
                                 std::string state_json) {
  if (engine_.corruption()) return;  // a damaged store takes nothing new; the fold itself is still right
  engine_.put_snapshot(key, type, id, version, std::move(state_json));
}

void DurableStore::save_checkpoint(const std::string& name, uint64_t position) { engine_.put_checkpoint(name, position); }

}  // namespace atomservices
