#pragma once
// The stores the core keeps, behind one interface of JSON text in and out: requests and
// events arrive as the JS layer sends them, results leave as the JSON it reads, and every
// refusal is an Error. A store in memory and a durable one (a SegmentStore) differ only in
// where the log lives and how snapshots and checkpoints are kept.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atomservices/event_log.hpp"
#include "atomservices/segment_store.hpp"

namespace atomservices {

class Store {
 public:
  virtual ~Store() = default;

  // Parses, checks and stores a JSON array of events, all or nothing (see EventLog::append).
  AppendResult append(std::string_view events_json);
  // JSON arrays of events, for the queries parse_stream_query and parse_global_query take.
  std::string read_stream(std::string_view query_json) const;
  std::string read_all(std::string_view query_json) const;
  // The stream's current version, 0 when it has no events.
  int64_t version(std::string_view query_json) const;
  // The event's canonical JSON (valid until the next read), or nothing.
  std::optional<std::string_view> find(std::string_view event_id) const;
  uint64_t last_position() const { return log().last_position(); }

  // {"version":N,"state":..}: the stream folded by a native reducer (its definition),
  // saving snapshots on the way.
  std::string rehydrate(std::string_view definition_json, std::string_view query_json);
  // {"version":N,"state":..}: the newest snapshot the query allows, or nothing.
  std::optional<std::string> get_snapshot(std::string_view query_json) const;
  // Saves a state (JSON text, nesting at most Limits::kMaxDepth) for the query's key, stream and version.
  void put_snapshot(std::string_view query_json, std::string_view state_json);

  // The last position a named subscription handled, or nothing.
  std::optional<uint64_t> checkpoint(const std::string& name) const { return log().checkpoint(name); }
  // The name follows the rule for names (check_name_argument).
  void put_checkpoint(const std::string& name, uint64_t position);

 protected:
  virtual const EventLog& log() const = 0;
  virtual AppendResult append_events(std::vector<Event> batch) = 0;
  virtual void save_snapshot(const std::string& key, std::string_view type, std::string_view id, int64_t version,
                             std::string state_json) = 0;
  virtual void save_checkpoint(const std::string& name, uint64_t position) = 0;
};

// Everything in memory, gone with the store.
class MemoryStore final : public Store {
 protected:
  const EventLog& log() const override { return log_; }
  AppendResult append_events(std::vector<Event> batch) override;
  void save_snapshot(const std::string& key, std::string_view type, std::string_view id, int64_t version,
                     std::string state_json) override;
  void save_checkpoint(const std::string& name, uint64_t position) override;

 private:
  EventLog log_;
};

// The log in a directory of segment files (see SegmentStore); what is appended becomes
// durable with the engine's next sync().
class DurableStore final : public Store {
 public:
  // Opens (creating when missing) the store in options.directory and recovers it.
  DurableStore(SegmentStoreOptions options, std::shared_ptr<Syncer> syncer) : engine_(std::move(options), std::move(syncer)) {}
  // The storage engine: sync, merges, close, verification, stats and corruption.
  SegmentStore& engine() { return engine_; }
  const SegmentStore& engine() const { return engine_; }

 protected:
  const EventLog& log() const override { return engine_.log(); }
  AppendResult append_events(std::vector<Event> batch) override;
  void save_snapshot(const std::string& key, std::string_view type, std::string_view id, int64_t version,
                     std::string state_json) override;
  void save_checkpoint(const std::string& name, uint64_t position) override;

 private:
  SegmentStore engine_;
};

}  // namespace atomservices
