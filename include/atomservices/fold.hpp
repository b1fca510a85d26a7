#pragma once
// Rehydration inside the core: folding an aggregate's stored events with a native reducer,
// starting from the newest usable snapshot and saving new ones as it goes.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "atomservices/event_log.hpp"
#include "atomservices/reducer.hpp"

namespace atomservices {

struct RehydrateQuery {
  std::string aggregate_type;
  std::string aggregate_id;
  int64_t to_version = Limits::kMaxVersion;
  std::string at;           // ISO time: only events created at or before it (empty: no limit)
  bool use_snapshots = true;
};

// {"AggregateType":..,"AggregateID":..,"options":{"toVersion"?,"at"?,"snapshots"?}}
RehydrateQuery parse_rehydrate_query(std::string_view json);

struct Folded {
  std::string state_json;
  int64_t version = 0;
};

// {"version":N,"state":..}: how a folded state (or a snapshot) leaves the core.
std::string to_json(const Folded& folded);

// Called with each snapshot the fold decides to save: (version, state JSON).
using SnapshotSink = std::function<void(int64_t, const std::string&)>;

// The version a time-travel query stops at: the last of the longest prefix of the stream
// whose events were all created at or before `at`.
int64_t version_at(const EventLog& log, std::string_view type, std::string_view id, std::string_view at, int64_t limit);

Folded fold(const EventLog& log, const NativeReducer& reducer, const RehydrateQuery& query, const SnapshotSink& save);

// Folds events given as a JSON array (from a store written in JS), validated first,
// continuing from `start` (a state's JSON; empty for the reducer's initial state).
Folded fold_events(const NativeReducer& reducer, std::string_view start, int64_t start_version, std::string_view events_json);
// Folds stored events that a store written in JS gives back: a JSON array of the canonical
// events the core wrote when they were appended, in version order from start_version + 1.
// They were validated then, so each is only split off and applied; one that is not a stored
// event, or not the next version, is STORE_CORRUPT.
Folded fold_stored(const NativeReducer& reducer, std::string_view start, int64_t start_version, std::string_view events_json);

// The compiled reducer for a definition, compiled once and kept (a few dozen at most).
const NativeReducer& compiled_reducer(std::string_view definition_json);

}  // namespace atomservices
