#include "atomservices/event_log.hpp"

#include <algorithm>

#include "atomservices/crc32c.hpp"
#include "atomservices/errors.hpp"
#include "atomservices/json.hpp"

namespace atomservices {
namespace {

[[noreturn]] void conflict(const Event& e, size_t index, int64_t actual) {
  throw concurrency_conflict(index, e.aggregate_type, e.aggregate_id, e.version, actual);
}

[[noreturn]] void duplicate(const Event& e, size_t index) { throw duplicate_event_id(index, e.id); }

}  // namespace

Error concurrency_conflict(size_t index, std::string_view type, std::string_view id, int64_t version, int64_t actual) {
  std::string details = "{\"index\":" + std::to_string(index) + ",\"expectedVersion\":" + std::to_string(version - 1) +
                        ",\"actualVersion\":" + std::to_string(actual) + ",\"AggregateType\":";
  json::append_string(details, type);
  details += ",\"AggregateID\":";
  json::append_string(details, id);
  details += "}";
  return Error(ErrorCode::CONCURRENCY_CONFLICT,
               "events[" + std::to_string(index) + "] has _version " + std::to_string(version) + ", but " + std::string(type) + " '" +
                   std::string(id) + "' is at version " + std::to_string(actual) + ", so its next event must have _version " +
                   std::to_string(actual + 1) + "; reload the aggregate and dispatch again",
               details);
}

Error duplicate_event_id(size_t index, std::string_view id) {
  std::string details = "{\"index\":" + std::to_string(index) + ",\"eventId\":";
  json::append_string(details, id);
  return Error(ErrorCode::DUPLICATE_EVENT_ID,
               "events[" + std::to_string(index) + "] has _id " + std::string(id) +
                   ", which is already stored with different content; give a new fact a new _id (EventBuilder makes one)",
               details + "}");
}

std::string EventLog::stream_key(std::string_view type, std::string_view id) {
  std::string key;
  key.reserve(type.size() + id.size() + 1);
  key.append(type).append(1, '\0').append(id);  // names hold no control characters
  return key;
}

const std::string& EventLog::lookup_key(std::string_view type, std::string_view id) {
  thread_local std::string key;
  key.assign(type).append(1, '\0').append(id);
  return key;
}

EventLog::IdIndex::IdIndex() { random_bytes(reinterpret_cast<uint8_t*>(&seed_), sizeof seed_); }

size_t EventLog::IdIndex::home(const Uuid128& key) const {
  auto mix = [](uint64_t x) {  // splitmix64's finaliser
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  };
  return static_cast<size_t>(mix(key.high ^ seed_) ^ mix(key.low + seed_)) & (slots_.size() - 1);
}

uint64_t EventLog::IdIndex::find(const Uuid128& key) const {
  if (slots_.empty()) return 0;
  for (size_t i = home(key);; i = (i + 1) & (slots_.size() - 1)) {
    const Slot& slot = slots_[i];
    if (slot.position == 0 || slot.key == key) return slot.position;
  }
}

bool EventLog::IdIndex::insert(const Uuid128& key, uint64_t position) {
  if ((size_ + 1) * 2 > slots_.size()) grow();  // at most half full: probes stay short
  for (size_t i = home(key);; i = (i + 1) & (slots_.size() - 1)) {
    Slot& slot = slots_[i];
    if (slot.position != 0 && slot.key == key) return false;
    if (slot.position == 0) {
      slot = Slot{key, position};
      ++size_;
      return true;
    }
  }
}

void EventLog::IdIndex::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  size_ = 0;
  for (const Slot& slot : old) {
    if (slot.position != 0) insert(slot.key, slot.position);
  }
}

const EventLog::Stream* EventLog::find_stream(std::string_view type, std::string_view id) const {
  auto it = stream_index_.find(lookup_key(type, id));
  return it == stream_index_.end() ? nullptr : &streams_[it->second];
}

int64_t EventLog::version(std::string_view type, std::string_view id) const {
  if (const Stream* stream = find_stream(type, id)) return stream->version();
  return source_ ? source_->sealed_version(lookup_key(type, id)) : 0;
}

std::vector<uint64_t> EventLog::positions(std::string_view type, std::string_view id, int64_t from, int64_t to) const {
  std::vector<uint64_t> out;
  const Stream* stream = find_stream(type, id);
  int64_t sealed_until = stream ? stream->first_version - 1 : std::numeric_limits<int64_t>::max();
  if (source_ && from <= sealed_until && from <= to) {
    source_->sealed_positions(stream_key(type, id), from, std::min(to, sealed_until), out);
  }
  if (!stream) return out;
  for (int64_t v = std::max(from, stream->first_version); v <= std::min(to, stream->version()); ++v) {
    out.push_back(stream->positions[static_cast<size_t>(v - stream->first_version)]);
  }
  return out;
}

void EventLog::each_in_stream(std::string_view type, std::string_view id, int64_t from, int64_t to,
                              const LogStorage::StreamVisitor& visit) const {
  const Stream* stream = find_stream(type, id);
  int64_t sealed_until = stream ? stream->first_version - 1 : std::numeric_limits<int64_t>::max();
  bool going = true;
  if (source_ && base_ > 0 && from <= std::min(to, sealed_until)) {
    source_->sealed_stream(stream_key(type, id), from, std::min(to, sealed_until), [&](int64_t v, std::string_view json) {
      return going = visit(v, json);
    });
  }
  if (!stream) return;
  for (int64_t v = std::max(from, stream->first_version); going && v <= std::min(to, stream->version()); ++v) {
    going = visit(v, body(stream->positions[static_cast<size_t>(v - stream->first_version)]));
  }
}

void EventLog::seal_through(uint64_t position) {
  events_.clear();
  bodies_.clear();
  streams_.clear();
  stream_index_.clear();
  id_index_ = IdIndex();
  base_ = position;
}

std::optional<std::string_view> EventLog::find(std::string_view event_id) const {
  std::optional<Uuid128> key = parse_uuid(event_id);  // either case: ids are kept as numbers
  return key ? find(*key) : std::nullopt;
}

std::optional<std::string_view> EventLog::find(const Uuid128& key) const {
  uint64_t position = id_index_.find(key);
  if (position != 0) return body(position);
  if (source_ && base_ > 0) return source_->sealed_find(key);
  return std::nullopt;
}

std::string_view EventLog::body(uint64_t position) const {
  if (position <= base_) return source_->sealed_body(position);
  const Stored& stored = events_[position - base_ - 1];
  return source_ ? source_->read(position, stored.at, stored.length) : std::string_view(bodies_[stored.at]);
}

void EventLog::add(uint32_t stream, std::string_view json, uint64_t at) {
  if (!source_) {
    at = bodies_.size();
    bodies_.emplace_back(json);
  }
  events_.push_back(Stored{at, static_cast<uint32_t>(json.size()), stream});
}



// Decides every event of the batch against the log and the batch's own earlier events,
// before anything is written.
std::vector<bool> EventLog::prepare(const std::vector<Event>& batch) const {
  std::vector<bool> is_retry(batch.size(), false);
  if (batch.size() == 1) {  // the common case needs no bookkeeping across the batch
    const Event& e = batch[0];
    if (std::optional<std::string_view> stored = find(e.key)) {
      if (*stored != e.json) duplicate(e, 0);
      is_retry[0] = true;
      return is_retry;
    }
    int64_t current = version(e.aggregate_type, e.aggregate_id);
    if (e.version != current + 1) conflict(e, 0, current);
    return is_retry;
  }
  std::unordered_map<std::string, int64_t> next_versions;
  std::unordered_map<std::string_view, const Event*> batch_ids;
  for (size_t i = 0; i < batch.size(); ++i) {
    const Event& e = batch[i];
    if (std::optional<std::string_view> stored = find(e.key)) {
      if (*stored != e.json) duplicate(e, i);
      is_retry[i] = true;
      continue;
    }
    auto [seen, inserted] = batch_ids.emplace(e.id, &e);
    if (!inserted) {
      if (seen->second->json != e.json) duplicate(e, i);
      is_retry[i] = true;
      continue;
    }
    std::string key = stream_key(e.aggregate_type, e.aggregate_id);
    auto pending = next_versions.find(key);
    int64_t current = pending != next_versions.end() ? pending->second
                                                     : version(e.aggregate_type, e.aggregate_id);
    if (e.version != current + 1) conflict(e, i, current);
    next_versions[key] = e.version;
  }
  return is_retry;
}

uint32_t EventLog::stream_for(std::string_view type, std::string_view id) {
  auto found = stream_index_.find(lookup_key(type, id));
  if (found != stream_index_.end()) return found->second;
  stream_index_.emplace(stream_key(type, id), static_cast<uint32_t>(streams_.size()));
  streams_.emplace_back();
  if (source_ && base_ > 0) streams_.back().first_version = source_->sealed_version(lookup_key(type, id)) + 1;
  return static_cast<uint32_t>(streams_.size() - 1);
}

AppendResult EventLog::commit(std::vector<Event>& batch, const std::vector<bool>& is_retry,
                              const std::vector<uint64_t>& at) {
  AppendResult result;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (is_retry[i]) continue;
    Event& e = batch[i];
    uint32_t stream = stream_for(e.aggregate_type, e.aggregate_id);
    uint64_t position = last_position() + 1;
    streams_[stream].positions.push_back(position);
    id_index_.insert(e.key, position);
    if (source_) {
      add(stream, e.json, at[result.appended]);
    } else {
      events_.push_back(Stored{bodies_.size(), static_cast<uint32_t>(e.json.size()), stream});
      bodies_.push_back(std::move(e.json));  // the batch is ours: no copy
    }
    ++result.appended;
  }
  result.last_position = last_position();
  return result;
}

AppendResult EventLog::append(std::vector<Event> batch) {
  std::vector<bool> is_retry = prepare(batch);
  return commit(batch, is_retry);
}

bool EventLog::restore(std::string_view type, std::string_view aggregate_id, std::string_view event_id,
                       int64_t version, std::string_view json, uint64_t at) {
  std::optional<Uuid128> key = parse_uuid(event_id);
  if (!key) return false;
  uint32_t stream = stream_for(type, aggregate_id);
  if (streams_[stream].version() + 1 != version) return false;
  uint64_t position = last_position() + 1;
  if (!id_index_.insert(*key, position)) return false;
  streams_[stream].positions.push_back(position);
  add(stream, json, at);
  return true;
}

std::string EventLog::read_stream(std::string_view type, std::string_view id,
                                  const StreamReadOptions& options) const {
  std::string out = "[";
  int64_t low = std::max<int64_t>(options.from_version, 1);
  size_t count = 0;
  auto add = [&](std::string_view json) {
    if (count++ > 0) out += ',';
    out += json;
  };
  auto wants_more = [&] { return count < options.limit && out.size() < Limits::kMaxAnswerBytes; };
  if (options.backward) {
    std::vector<uint64_t> found = positions(type, id, low, options.to_version);
    for (size_t n = 0; n < found.size() && wants_more(); ++n) add(body(found[found.size() - 1 - n]));
  } else if (options.limit > 0) {
    each_in_stream(type, id, low, options.to_version, [&](int64_t, std::string_view json) {
      add(json);
      return wants_more();
    });
  }
  out += ']';
  return out;
}

std::string EventLog::read_all(const GlobalReadOptions& options) const {
  std::string out = "[";
  uint64_t first = std::max<uint64_t>(options.from_position, 1);
  size_t count = 0;
  auto add = [&](uint64_t position, std::string_view json) {
    if (count++ > 0) out += ',';
    out += "{\"position\":";
    out += std::to_string(position);
    out += ",\"event\":";
    out += json;
    out += '}';
    return count < options.limit && out.size() < Limits::kMaxAnswerBytes;
  };
  bool going = options.limit > 0 && first <= last_position();
  if (going && first <= base_) {
    uint64_t wanted = std::min<uint64_t>(options.limit, base_ - first + 1);
    source_->sealed_bodies(first, first + wanted - 1, [&](uint64_t position, std::string_view json) {
      return going = add(position, json);
    });
  }
  for (uint64_t position = std::max(first, base_ + 1); going && position <= last_position();) {
    if (!source_) {
      going = add(position, body(position));
      ++position;
      continue;
    }
    size_t from = position - base_ - 1, length = active_run(from, options.limit - count);
    const Stored& head = events_[from];
    const Stored& tail = events_[from + length - 1];
    std::string_view run = source_->read(position, head.at, static_cast<uint32_t>(tail.at + tail.length - head.at));
    for (size_t i = from; going && i < from + length; ++i, ++position) {
      going = add(position, run.substr(events_[i].at - head.at, events_[i].length));
    }
  }
  out += ']';
  return out;
}

// How many events from events_[first] on (at least one, at most `most`) lie one after the
// other within LogStorage::kScanBytes, to be read at once.
size_t EventLog::active_run(size_t first, size_t most) const {
  size_t count = 1;
  uint64_t end = events_[first].at + events_[first].length;
  while (count < most && first + count < events_.size()) {
    const Stored& next = events_[first + count];
    if (next.at < end || next.at + next.length - events_[first].at > LogStorage::kScanBytes) break;
    end = next.at + next.length;
    ++count;
  }
  return count;
}

}  // namespace atomservices

namespace atomservices {

void EventLog::put_snapshot(const std::string& key, std::string_view type, std::string_view id, int64_t version,
                            std::string state_json) {
  snapshots_[key + '\0' + stream_key(type, id)][version] = SavedSnapshot{std::move(state_json)};
}

void EventLog::put_snapshot_at(const std::string& key, std::string_view type, std::string_view id, int64_t version,
                               uint64_t segment, uint64_t at, uint32_t length, uint32_t crc) {
  snapshots_[key + '\0' + stream_key(type, id)][version] = SavedSnapshot{{}, segment, at, length, crc};
}

void EventLog::move_snapshots(uint64_t from, uint64_t to, int64_t delta) {
  for (auto& [stream, versions] : snapshots_) {
    for (auto& [version, saved] : versions) {
      if (saved.length == 0 || saved.segment != from) continue;
      saved.segment = to;
      saved.at += static_cast<uint64_t>(delta);
    }
  }
}

std::optional<std::pair<int64_t, std::string_view>> EventLog::find_snapshot(const std::string& key,
                                                                            std::string_view type,
                                                                            std::string_view id,
                                                                            int64_t max_version) const {
  auto it = snapshots_.find(key + '\0' + stream_key(type, id));
  if (it == snapshots_.end()) return std::nullopt;
  auto at = it->second.upper_bound(max_version);
  if (at == it->second.begin()) return std::nullopt;
  --at;
  const SavedSnapshot& saved = at->second;
  if (saved.length == 0 || !source_) return std::make_pair(at->first, std::string_view(saved.state));
  std::string_view state = source_->read(saved.segment, saved.at, saved.length);
  if (crc32c(state.data(), state.size()) != saved.crc) {
    throw Error(ErrorCode::STORE_CORRUPT, "a saved snapshot of " + std::string(type) + " '" + std::string(id) +
                                              "' fails its checksum; rehydrate with snapshots: false, or restore the store from a backup");
  }
  return std::make_pair(at->first, state);
}

std::optional<uint64_t> EventLog::checkpoint(const std::string& name) const {
  auto it = checkpoints_.find(name);
  return it == checkpoints_.end() ? std::nullopt : std::optional<uint64_t>(it->second);
}

}  // namespace atomservices
