#include "atomservices/fold.hpp"

#include <list>
#include <unordered_map>

#include "atomservices/errors.hpp"
#include "atomservices/ids.hpp"
#include "atomservices/json.hpp"
#include "atomservices/queries.hpp"

namespace atomservices {

int64_t version_at(const EventLog& log, std::string_view type, std::string_view id, std::string_view at, int64_t limit) {
  int64_t last = 0;
  bool open = true;
  log.visit_stream(type, id, 1, limit, [&](int64_t version, std::string_view json) {
    if (open && created_at_of(json) <= at) last = version;  // ISO-8601 UTC strings order as times
    else open = false;
  });
  return last;
}

std::string to_json(const Folded& folded) {
  return "{\"version\":" + std::to_string(folded.version) + ",\"state\":" + folded.state_json + "}";
}

Folded fold(const EventLog& log, const NativeReducer& reducer, const RehydrateQuery& q, const SnapshotSink& save) {
  int64_t target = std::min(q.to_version, log.version(q.aggregate_type, q.aggregate_id));
  if (!q.at.empty()) target = version_at(log, q.aggregate_type, q.aggregate_id, q.at, target);
  State state = reducer.initial_state();
  int64_t version = 0;
  if (q.use_snapshots) {
    if (auto snapshot = log.find_snapshot(reducer.identity(), q.aggregate_type, q.aggregate_id, target)) {
      version = snapshot->first;
      state = State::parse(snapshot->second);
    }
  }
  int64_t every = q.use_snapshots ? reducer.snapshot_every() : 0;
  log.visit_stream(q.aggregate_type, q.aggregate_id, version + 1, target, [&](int64_t v, std::string_view json) {
    reducer.apply(state, json);
    version = v;
    if (every > 0 && v % every == 0) save(v, state.dump());
  });
  return {state.dump(), version};
}

Folded fold_events(const NativeReducer& reducer, std::string_view start, int64_t start_version, std::string_view events_json) {
  State state = start.empty() ? reducer.initial_state() : State::parse(start);
  int64_t version = start_version;
  if (events_json != "[]") {
    for (const Event& e : parse_events(events_json)) {
      reducer.apply(state, e.json);
      version = e.version;
    }
  }
  return {state.dump(), version};
}

Folded fold_stored(const NativeReducer& reducer, std::string_view start, int64_t start_version, std::string_view events_json) {
  State state = start.empty() ? reducer.initial_state() : State::parse(start);
  int64_t version = start_version;
  json::Scanner scanner(events_json);
  scanner.elements([&](size_t index) {
    std::string_view event = scanner.skip_value(Limits::kMaxDepth + 1);
    if (version_of(event) != version + 1) {
      throw Error(ErrorCode::STORE_CORRUPT, "the store gave back event " + std::to_string(index) + " of a page that is not the stored event of version " +
                  std::to_string(version + 1) + "; its stored text was changed outside atomservices");
    }
    reducer.apply(state, event);
    ++version;
  });
  scanner.expect_end();
  return {state.dump(), version};
}

const NativeReducer& compiled_reducer(std::string_view definition_json) {
  static std::unordered_map<std::string, NativeReducer> cache;
  static std::list<std::string> order;
  std::string key(definition_json);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (cache.size() >= 64) {
    cache.erase(order.front());
    order.pop_front();
  }
  NativeReducer reducer = NativeReducer::compile(definition_json);  // throws before anything is kept
  order.push_back(key);
  return cache.emplace(key, std::move(reducer)).first->second;
}

}  // namespace atomservices
