#pragma once
// The in-memory event log: global order, per-aggregate streams, the _id index, and the
// rules every store enforces (dense versions, idempotent retries, all-or-nothing batches).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "atomservices/event.hpp"

namespace atomservices {

struct AppendResult {
  size_t appended = 0;         // events newly stored (retries of stored events are not counted)
  uint64_t last_position = 0;  // global position of the newest event in the log
};

struct StreamReadOptions {
  int64_t from_version = 1;
  int64_t to_version = Limits::kMaxVersion;
  size_t limit = std::numeric_limits<size_t>::max();
  bool backward = false;
};

struct GlobalReadOptions {
  uint64_t from_position = 1;
  size_t limit = std::numeric_limits<size_t>::max();
};

class EventLog {
 public:
  // Stores the batch, or nothing of it: throws CONCURRENCY_CONFLICT or DUPLICATE_EVENT_ID.
  AppendResult append(std::vector<Event> batch);
  // The two halves of append, for stores that write the batch somewhere in between.
  // prepare() decides without changing anything and returns which events are retries of
  // stored ones; commit() then stores the others.
  std::vector<bool> prepare(const std::vector<Event>& batch) const;
  AppendResult commit(std::vector<Event>& batch, const std::vector<bool>& is_retry);
  // Adds an event read back from storage. Returns false when its version does not follow
  // its stream's (the stored data is inconsistent).
  bool restore(std::string_view type, std::string_view aggregate_id, std::string_view event_id,
               int64_t version, std::string json);

  // JSON array of the stream's events in version order (reversed when backward).
  std::string read_stream(std::string_view type, std::string_view id,
                          const StreamReadOptions& options) const;
  // JSON array of {"position":N,"event":{...}} in global order.
  std::string read_all(const GlobalReadOptions& options) const;
  // The aggregate's current version, 0 when it has no events.
  int64_t version(std::string_view type, std::string_view id) const;
  // The event's canonical JSON, or nullptr.
  const std::string* find(std::string_view event_id) const;
  uint64_t last_position() const { return events_.size(); }
  // Calls visit(version, json) for the stream's events from..to, in version order.
  template <class Visit>
  void visit_stream(std::string_view type, std::string_view id, int64_t from, int64_t to, Visit&& visit) const;

  // Folded states saved beside the log, by key (a reducer's identity) and aggregate.
  void put_snapshot(const std::string& key, std::string_view type, std::string_view id, int64_t version,
                    std::string state_json);
  // The newest snapshot at or below max_version: (version, state JSON).
  std::optional<std::pair<int64_t, const std::string*>> find_snapshot(const std::string& key, std::string_view type,
                                                                       std::string_view id, int64_t max_version) const;
  // Named subscriptions' checkpoints: the last global position they handled.
  void put_checkpoint(const std::string& name, uint64_t position) { checkpoints_[name] = position; }
  std::optional<uint64_t> checkpoint(const std::string& name) const;

 private:
  struct Stored {
    std::string json;
    uint32_t stream;
  };
  struct Stream {
    std::vector<uint64_t> positions;  // positions[v - 1] holds version v
  };

  // Event id → global position, by open addressing over one array: no allocation per
  // event, and a keyed hash, so chosen ids cannot pile up in one place.
  class IdIndex {
   public:
    IdIndex();
    uint64_t find(const Uuid128& key) const;             // 0 when absent
    bool insert(const Uuid128& key, uint64_t position);  // false when present

   private:
    struct Slot {
      Uuid128 key;
      uint64_t position = 0;  // 0: empty (positions start at 1)
    };
    size_t home(const Uuid128& key) const;
    void grow();
    std::vector<Slot> slots_;
    size_t size_ = 0;
    uint64_t seed_ = 0;
  };
  const std::string* find(const Uuid128& key) const;

  static std::string stream_key(std::string_view type, std::string_view id);
  // The same key in a reused buffer, for lookups.
  static const std::string& lookup_key(std::string_view type, std::string_view id);
  const Stream* find_stream(std::string_view type, std::string_view id) const;
  uint32_t stream_for(std::string_view type, std::string_view id);

  std::vector<Stored> events_;  // events_[p - 1] is at global position p
  std::vector<Stream> streams_;
  std::unordered_map<std::string, uint32_t> stream_index_;
  IdIndex id_index_;
  std::unordered_map<std::string, std::map<int64_t, std::string>> snapshots_;
  std::unordered_map<std::string, uint64_t> checkpoints_;
};

template <class Visit>
void EventLog::visit_stream(std::string_view type, std::string_view id, int64_t from, int64_t to, Visit&& visit) const {
  const Stream* stream = find_stream(type, id);
  if (!stream) return;
  int64_t last = std::min<int64_t>(to, static_cast<int64_t>(stream->positions.size()));
  for (int64_t v = from < 1 ? 1 : from; v <= last; ++v) visit(v, events_[stream->positions[v - 1] - 1].json);
}

}  // namespace atomservices
