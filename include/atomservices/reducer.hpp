#pragma once
// Native reducers: an aggregate's fold declared as data (per EventName, a list of
// operations on the state) and run inside the core, one scan of each event's JSON and no
// DOM of the event. The same definition gives the same state as the equivalent JS reducer.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace atomservices {

using State = nlohmann::ordered_json;

enum class OpKind { Set, Unset, Add, Subtract, Increment, Push, Remove, Merge, Min, Max };

struct Operation {
  OpKind kind = OpKind::Set;
  std::vector<std::string> path;  // where in the state
  std::vector<std::string> from;  // where in the event (empty: use `value`)
  State value;                    // a constant, when `from` is empty
};

class NativeReducer {
 public:
  // Validates and compiles a definition:
  //   { "initialState": <JSON>, "on": { "<EventName>" | "*": [ <operation>, ... ] }, "snapshotEvery"?: N }
  // operation: { "op": "set"|"unset"|"add"|"subtract"|"increment"|"push"|"remove"|"merge"|"min"|"max",
  //              "path": "a.b", "from"?: "payloads.x", "value"?: <JSON> }
  // Throws INVALID_ARGUMENT naming the place in the definition and the reason.
  static NativeReducer compile(std::string_view definition_json);

  // Identifies the definition (its meaning: initial state and operations); snapshots are keyed by it.
  const std::string& identity() const { return identity_; }
  const State& initial_state() const { return initial_; }
  int64_t snapshot_every() const { return snapshot_every_; }
  // Applies one stored (canonical) event to the state.
  void apply(State& state, std::string_view event_json) const;

 private:
  const std::vector<Operation>* operations_for(std::string_view event_name) const;

  // Few event names per reducer: a short list searched by view beats hashing a new string.
  std::vector<std::pair<std::string, std::vector<Operation>>> on_;
  std::vector<Operation> any_;
  State initial_;
  std::string identity_;
  int64_t snapshot_every_ = 0;
};

// The fields of a stored event at fixed places of its canonical JSON.
std::string_view created_at_of(std::string_view event_json);
// Its _version; 0 when the text does not start as a stored event does.
int64_t version_of(std::string_view event_json);

}  // namespace atomservices
