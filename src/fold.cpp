#include "atomservices/fold.hpp"

#include <list>
#include <unordered_map>

#include "atomservices/errors.hpp"
#include "atomservices/ids.hpp"
#include "atomservices/json.hpp"
#include "atomservices/queries.hpp"

namespace atomservices {

std::string snapshot_key(std::string_view reducer_key, std::string_view upcasters) {
  return std::string(reducer_key).append(upcasters);
}

bool within_time(std::string_view event_json, std::string_view at) {
  return at.empty() || created_at_of(event_json) <= at;  // ISO-8601 UTC strings order as times
}

int64_t version_at(const EventLog& log, std::string_view type, std::string_view id, std::string_view at, int64_t limit) {
  int64_t last = 0;
  bool open = true;
  log.visit_stream(type, id, 1, limit, [&](int64_t version, std::string_view json) {
    if (open && within_time(json, at)) last = version;
    else open = false;
  });
  return last;
}

std::string to_json(const Folded& folded) {
  return "{\"version\":" + std::to_string(folded.version) + ",\"state\":" + folded.state_json + "}";
}

std::string to_json(const FoldedPage& page) {
  std::string out = "{\"version\":" + std::to_string(page.folded.version) + ",\"state\":" + page.folded.state_json + ",\"snapshots\":[";
  for (size_t i = 0; i < page.snapshots.size(); ++i) {
    if (i > 0) out += ',';
    out.append("[").append(std::to_string(page.snapshots[i].first)).append(",").append(page.snapshots[i].second).append("]");
  }
  return out.append("],\"ended\":").append(page.ended ? "true" : "false").append("}");
}

Folded fold(const EventLog& log, const NativeReducer& reducer, const RehydrateQuery& q, const SnapshotSink& save) {
  int64_t target = std::min(q.to_version, log.version(q.aggregate_type, q.aggregate_id));
  if (!q.at.empty()) target = version_at(log, q.aggregate_type, q.aggregate_id, q.at, target);
  State state = reducer.initial_state();
  int64_t version = 0;
  if (q.use_snapshots) {
    if (auto snapshot = log.find_snapshot(snapshot_key(reducer.identity(), ""), q.aggregate_type, q.aggregate_id, target)) {
      version = snapshot->first;
      state = State::parse(snapshot->second);
    }
  }
  int64_t every = q.use_snapshots ? reducer.snapshot_every() : 0;
  log.visit_stream(q.aggregate_type, q.aggregate_id, version + 1, target, [&](int64_t v, std::string_view json) {
    reducer.apply(state, json);
    version = v;
    if (snapshot_due(v, every)) save(v, state.dump());
  });
  return {state.dump(), version};
}

namespace {

// One page folded from outside the core, under the same rules as fold().
class PageFolder {
 public:
  PageFolder(const NativeReducer& reducer, const PageStart& from)
      : reducer_(reducer), state_(from.state.empty() ? reducer.initial_state() : State::parse(from.state)),
        version_(from.version), at_(from.at), every_(from.snapshots ? reducer.snapshot_every() : 0) {}

  int64_t version() const { return version_; }

  void apply(std::string_view event_json, int64_t version) {
    if (page_.ended || !within_time(event_json, at_)) {
      page_.ended = true;  // a later event is cut, and every one after it
      return;
    }
    reducer_.apply(state_, event_json);
    version_ = version;
    if (snapshot_due(version, every_)) page_.snapshots.emplace_back(version, state_.dump());
  }

  FoldedPage finish() {
    page_.folded = {state_.dump(), version_};
    return std::move(page_);
  }

 private:
  const NativeReducer& reducer_;
  State state_;
  int64_t version_;
  std::string_view at_;
  int64_t every_;
  FoldedPage page_;
};

}  // namespace

FoldedPage fold_events(const NativeReducer& reducer, const PageStart& from, std::string_view events_json) {
  PageFolder folder(reducer, from);
  if (events_json != "[]") {
    for (const Event& e : parse_events(events_json)) folder.apply(e.json, e.version);
  }
  return folder.finish();
}

FoldedPage fold_stored(const NativeReducer& reducer, const PageStart& from, std::string_view events_json) {
  PageFolder folder(reducer, from);
  int64_t expected = from.version;
  json::Scanner scanner(events_json);
  scanner.elements([&](size_t index) {
    std::string_view event = scanner.skip_value(Limits::kMaxDepth + 1);
    if (version_of(event) != ++expected) {
      throw Error(ErrorCode::STORE_CORRUPT, "the store gave back event " + std::to_string(index) + " of a page that is not the stored event of version " +
                  std::to_string(expected) + "; its stored text was changed outside atomservices");
    }
    folder.apply(event, expected);
  });
  scanner.expect_end();
  return folder.finish();
}

size_t events_within(std::string_view events_json, std::string_view at) {
  if (events_json == "[]") return 0;
  std::vector<Event> events = parse_events(events_json);
  size_t kept = 0;
  while (kept < events.size() && within_time(events[kept].json, at)) ++kept;
  return kept;
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
