#pragma once
// Read requests as they arrive from the JS layer (one JSON object each), validated.
#include <string>
#include <string_view>

#include "atomservices/event_log.hpp"

namespace atomservices {

struct StreamQuery {
  std::string aggregate_type;
  std::string aggregate_id;
  StreamReadOptions options;
};

// {"AggregateType":..,"AggregateID":..,"options":{fromVersion,toVersion,limit,direction}}
// Throws INVALID_ARGUMENT naming the argument or option and what it must be.
StreamQuery parse_stream_query(std::string_view json);

// {"fromPosition":..,"limit":..}
GlobalReadOptions parse_global_query(std::string_view json);

struct SnapshotQuery {
  std::string key;  // what the state was folded by: a reducer's identity
  std::string aggregate_type;
  std::string aggregate_id;
  int64_t version = Limits::kMaxVersion;  // get: newest at or below; put: the state's version
};

// {"key":..,"AggregateType":..,"AggregateID":..,"version"?:..}
SnapshotQuery parse_snapshot_query(std::string_view json);

}  // namespace atomservices
