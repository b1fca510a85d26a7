#pragma once
// The in-memory event log: global order, per-aggregate streams, the _id index, and the
// rules every store enforces (dense versions, idempotent retries, all-or-nothing batches).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "atomservices/errors.hpp"
#include "atomservices/event.hpp"

namespace atomservices {

// The errors of a refused append, the same whichever store refuses it (a store written in
// JS asks the core for them): events[index] does not continue its aggregate's version, or
// reuses an _id stored with other content.
Error concurrency_conflict(size_t index, std::string_view type, std::string_view id, int64_t version, int64_t actual);
Error duplicate_event_id(size_t index, std::string_view id);

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

// Where a durable log's events live beyond its memory: bodies are read back from the
// segment files, and the events of closed segments ("sealed") are found through their
// index files, so memory grows with neither the events' size nor their number.
class LogStorage {
 public:
  virtual ~LogStorage() = default;
  // The body of the event at `position`, `length` bytes stored at `at` (a place the storage
  // chose when the event was appended or restored). Valid until the next call.
  virtual std::string_view read(uint64_t position, uint64_t at, uint32_t length) const = 0;
  // Sealed events (positions up to the log's sealed()): a stream's newest version there (0:
  // none), an id's position (0: none), a stream's positions for versions from..to, a body.
  // Visits versions from..to of a sealed stream with their bodies, until visit says stop.
  using StreamVisitor = std::function<bool(int64_t version, std::string_view body)>;
  virtual int64_t sealed_version(std::string_view stream_key) const = 0;
  virtual std::optional<std::string_view> sealed_find(const Uuid128& id) const = 0;
  virtual void sealed_positions(std::string_view stream_key, int64_t from, int64_t to, std::vector<uint64_t>& out) const = 0;
  virtual void sealed_stream(std::string_view stream_key, int64_t from, int64_t to, const StreamVisitor& visit) const = 0;
  virtual std::string_view sealed_body(uint64_t position) const = 0;
  // Visits the bodies of sealed positions from..to in order, until visit says stop. A
  // storage may read them in long runs (one read for many events) rather than one by one,
  // of up to kScanBytes (read() too takes a run of events lying one after the other).
  static constexpr uint64_t kScanBytes = 256 << 10;
  using BodyVisitor = std::function<bool(uint64_t position, std::string_view body)>;
  virtual void sealed_bodies(uint64_t from, uint64_t to, const BodyVisitor& visit) const {
    for (uint64_t position = from; position <= to; ++position) {
      if (!visit(position, sealed_body(position))) return;
    }
  }
};

class EventLog {
 public:
  // From now on bodies are read from `storage` (which outlives the log), not kept here.
  void read_bodies_from(const LogStorage* storage) { source_ = storage; }
  // The events held so far move to the storage (their segment closed); the log keeps
  // only what comes next. At open, `seal_through` says how many are there already.
  void seal() { seal_through(last_position()); }
  void seal_through(uint64_t position);
  uint64_t sealed() const { return base_; }
  // Stores the batch, or nothing of it: throws CONCURRENCY_CONFLICT or DUPLICATE_EVENT_ID.
  AppendResult append(std::vector<Event> batch);
  // The two halves of append, for stores that write the batch somewhere in between.
  // prepare() decides without changing anything and returns which events are retries of
  // stored ones; commit() then stores the others.
  std::vector<bool> prepare(const std::vector<Event>& batch) const;
  // With a body source, `at` says where each newly stored event's body is (retries skipped).
  AppendResult commit(std::vector<Event>& batch, const std::vector<bool>& is_retry,
                      const std::vector<uint64_t>& at = {});
  // Adds an event read back from storage, its body at `at` in the body source (or copied,
  // without one). Returns false when its version does not follow its stream's (the stored
  // data is inconsistent).
  bool restore(std::string_view type, std::string_view aggregate_id, std::string_view event_id,
               int64_t version, std::string_view json, uint64_t at = 0);


  // JSON array of the stream's events in version order (reversed when backward).
  std::string read_stream(std::string_view type, std::string_view id,
                          const StreamReadOptions& options) const;
  // JSON array of {"position":N,"event":{...}} in global order.
  std::string read_all(const GlobalReadOptions& options) const;
  // The aggregate's current version, 0 when it has no events.
  int64_t version(std::string_view type, std::string_view id) const;
  // The event's canonical JSON (valid until the next read), or nothing.
  std::optional<std::string_view> find(std::string_view event_id) const;
  uint64_t last_position() const { return base_ + events_.size(); }
  // Calls visit(version, json) for the stream's events from..to, in version order (json is
  // valid during the call).
  template <class Visit>
  void visit_stream(std::string_view type, std::string_view id, int64_t from, int64_t to, Visit&& visit) const;

  // Folded states saved beside the log, by key (a reducer's identity) and aggregate.
  void put_snapshot(const std::string& key, std::string_view type, std::string_view id, int64_t version,
                    std::string state_json);
  // A snapshot whose state the storage holds: read(segment, at, length), checked by crc.
  void put_snapshot_at(const std::string& key, std::string_view type, std::string_view id, int64_t version,
                       uint64_t segment, uint64_t at, uint32_t length, uint32_t crc);
  // Snapshots stored in segment `from` are now in segment `to`, `delta` bytes further.
  void move_snapshots(uint64_t from, uint64_t to, int64_t delta);
  // The newest snapshot at or below max_version: (version, state JSON valid until the next read).
  std::optional<std::pair<int64_t, std::string_view>> find_snapshot(const std::string& key, std::string_view type,
                                                                       std::string_view id, int64_t max_version) const;
  // Named subscriptions' checkpoints: the last global position they handled.
  void put_checkpoint(const std::string& name, uint64_t position) { checkpoints_[name] = position; }
  std::optional<uint64_t> checkpoint(const std::string& name) const;

 private:
  size_t active_run(size_t first, size_t most) const;
  struct Stored {
    uint64_t at;  // in the body source, or the index in bodies_
    uint32_t length;
    uint32_t stream;
  };
  struct Stream {
    int64_t first_version = 1;        // versions before it are sealed
    std::vector<uint64_t> positions;  // positions[v - first_version] holds version v
    int64_t version() const { return first_version - 1 + static_cast<int64_t>(positions.size()); }
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
  std::optional<std::string_view> find(const Uuid128& key) const;
  std::string_view body(uint64_t position) const;
  // Visits the stream's versions from..to with their bodies, in order, until visit says stop.
  void each_in_stream(std::string_view type, std::string_view id, int64_t from, int64_t to,
                      const LogStorage::StreamVisitor& visit) const;
  // The positions of the stream's versions from..to, in version order.
  std::vector<uint64_t> positions(std::string_view type, std::string_view id, int64_t from, int64_t to) const;
  void add(uint32_t stream, std::string_view json, uint64_t at);

  static std::string stream_key(std::string_view type, std::string_view id);
  // The same key in a reused buffer, for lookups.
  static const std::string& lookup_key(std::string_view type, std::string_view id);
  const Stream* find_stream(std::string_view type, std::string_view id) const;
  uint32_t stream_for(std::string_view type, std::string_view id);

  std::vector<Stored> events_;  // events_[p - base_ - 1] is at global position p
  uint64_t base_ = 0;           // positions up to this are sealed
  const LogStorage* source_ = nullptr;
  std::vector<std::string> bodies_;  // without a source
  std::vector<Stream> streams_;
  std::unordered_map<std::string, uint32_t> stream_index_;
  IdIndex id_index_;
  struct SavedSnapshot {
    std::string state;  // without storage
    uint64_t segment = 0, at = 0;
    uint32_t length = 0, crc = 0;
  };
  std::unordered_map<std::string, std::map<int64_t, SavedSnapshot>> snapshots_;
  std::unordered_map<std::string, uint64_t> checkpoints_;
};

template <class Visit>
void EventLog::visit_stream(std::string_view type, std::string_view id, int64_t from, int64_t to, Visit&& visit) const {
  each_in_stream(type, id, from < 1 ? 1 : from, to, [&](int64_t version, std::string_view json) {
    visit(version, json);
    return true;
  });
}

}  // namespace atomservices
