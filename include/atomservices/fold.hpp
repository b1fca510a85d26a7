#pragma once
// Rehydration inside the core: folding an aggregate's stored events with a native reducer,
// starting from the newest usable snapshot and saving new ones as it goes.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// The rules every rehydration follows, whichever side reads the events: the key a snapshot
// is stored under (a native reducer's identity, or "js:" and the version a JS reducer's
// author named, then the fingerprint of the upcasters), which events a time cut keeps, and
// where snapshots are taken (at every multiple of `every`).
std::string snapshot_key(std::string_view reducer_key, std::string_view upcasters);
bool within_time(std::string_view event_json, std::string_view at);
inline bool snapshot_due(int64_t version, int64_t every) { return every > 0 && version % every == 0; }

// A page of a fold that JS reads (from a store written in JS, or upcast): where it starts,
// the time cut and whether to take snapshots (at the reducer's snapshot_every).
struct PageStart {
  std::string_view state;  // a state's JSON; empty for the reducer's initial state
  int64_t version = 0;
  std::string_view at;     // empty: no time cut
  bool snapshots = false;
};

struct FoldedPage {
  Folded folded;
  std::vector<std::pair<int64_t, std::string>> snapshots;  // (version, state JSON) to save
  bool ended = false;  // the time cut stopped it: nothing later is folded
};

// {"version":N,"state":..,"snapshots":[[version,state],..],"ended":bool}
std::string to_json(const FoldedPage& page);

// Folds events given as a JSON array (from a store written in JS, or upcast in JS),
// validated first.
FoldedPage fold_events(const NativeReducer& reducer, const PageStart& from, std::string_view events_json);
// Folds stored events that a store written in JS gives back: a JSON array of the canonical
// events the core wrote when they were appended, in version order from the start version + 1.
// They were validated then, so each is only split off and applied; one that is not a stored
// event, or not the next version, is STORE_CORRUPT.
FoldedPage fold_stored(const NativeReducer& reducer, const PageStart& from, std::string_view events_json);

// How many of the events (a JSON array) a time cut at `at` keeps: the longest prefix
// created at or before it.
size_t events_within(std::string_view events_json, std::string_view at);

// The compiled reducer for a definition, compiled once and kept (a few dozen at most).
const NativeReducer& compiled_reducer(std::string_view definition_json);

}  // namespace atomservices
