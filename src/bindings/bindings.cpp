// The only file that knows about Emscripten: binds the core to JS. Data crosses in batches
// (a UTF-8 buffer in, one JSON string out); every core error is caught here and thrown to
// JS as {code, message, details}, which the JS layer turns into an AtomServicesError.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <new>
#include <vector>

#include "atomservices/errors.hpp"
#include "atomservices/event.hpp"
#include "atomservices/event_log.hpp"
#include "atomservices/fold.hpp"
#include "atomservices/json.hpp"
#include "atomservices/ids.hpp"
#include "atomservices/queries.hpp"
#include "atomservices/segment_store.hpp"

using emscripten::val;
namespace as = atomservices;

namespace {

[[noreturn]] void throw_to_js(std::string_view code, const char* message, const std::string& details) {
  val error = val::object();
  error.set("code", std::string(code));
  error.set("message", std::string(message));
  error.set("details", details);
  error.throw_();
  __builtin_unreachable();
}

template <class F>
auto guard(F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const as::Error& e) {
    throw_to_js(as::error_code_name(e.code()), e.what(), e.details());
  } catch (const std::bad_alloc&) {
    throw_to_js("OUT_OF_MEMORY", "the WebAssembly core ran out of memory (2 GB at most, shared by every store here)", "{}");
  } catch (const std::exception& e) {
    throw_to_js("INTERNAL", e.what(), "{}");
  }
}

// JS writes UTF-8 straight into this buffer (TextEncoder.encodeInto), then names the
// length in the call that consumes it: one copy, no per-character conversion.
std::vector<char>& input_buffer() {
  static std::vector<char> buffer;
  return buffer;
}

uintptr_t reserve_input(size_t bytes) {
  if (input_buffer().size() < bytes) guard([&] { input_buffer().resize(bytes); });
  return reinterpret_cast<uintptr_t>(input_buffer().data());
}

std::string_view input(size_t bytes) { return {input_buffer().data(), bytes}; }

// Large results leave through one buffer that JS decodes at once (TextDecoder): embind's
// own std::string conversion walks every byte in JS, which costs more than making them.
val output(std::string text) {
  static std::string buffer;
  buffer = std::move(text);
  return val(emscripten::typed_memory_view(buffer.size(), reinterpret_cast<const unsigned char*>(buffer.data())));
}

std::string folded_json(const as::Folded& folded) {
  return "{\"version\":" + std::to_string(folded.version) + ",\"state\":" + folded.state_json + "}";
}

// Makes bytes durable through functions the JS layer supplies (see js/file-store.ts).
class JsSyncer : public as::Syncer {
 public:
  explicit JsSyncer(val target) : target_(std::move(target)) {}
  void sync_file(int fd) override { target_.call<void>("syncFile", fd); }
  void sync_directory(const std::string& path) override { target_.call<void>("syncDirectory", path); }

 private:
  val target_;
};

// What every bound store offers; Backend supplies log() and append_events().
template <class Backend>
class Store : public Backend {
 public:
  // A plain number crosses far cheaper than an object: the newest position, from which
  // JS (the store's only writer) knows how many events were new.
  double append(size_t bytes) {
    as::AppendResult result = guard([&] { return this->append_events(as::parse_events(input(bytes))); });
    return static_cast<double>(result.last_position);
  }
  val read_stream(const std::string& query) const {
    return output(guard([&] {
      as::StreamQuery q = as::parse_stream_query(query);
      return this->log().read_stream(q.aggregate_type, q.aggregate_id, q.options);
    }));
  }
  val read_all(const std::string& query) const {
    return output(guard([&] { return this->log().read_all(as::parse_global_query(query)); }));
  }
  double version(const std::string& query) const {
    return guard([&] {
      as::StreamQuery q = as::parse_stream_query(query);
      return static_cast<double>(this->log().version(q.aggregate_type, q.aggregate_id));
    });
  }
  val get_event(const std::string& id) const {
    return guard([&] {
      std::optional<std::string_view> json = this->log().find(id);
      return json ? output(std::string(*json)) : val::undefined();
    });
  }
  // {"state":..,"version":N}, folded by a native reducer, saving snapshots on the way.
  val rehydrate(const std::string& definition, const std::string& query) {
    return output(guard([&] {
      const as::NativeReducer& reducer = as::compiled_reducer(definition);
      as::RehydrateQuery q = as::parse_rehydrate_query(query);
      as::Folded folded = as::fold(this->log(), reducer, q, [&](int64_t version, const std::string& state) {
        this->save_snapshot(reducer.identity(), q.aggregate_type, q.aggregate_id, version, state);
      });
      return folded_json(folded);
    }));
  }
  val get_snapshot(const std::string& query) const {
    return guard([&] {
      as::SnapshotQuery q = as::parse_snapshot_query(query);
      auto found = this->log().find_snapshot(q.key, q.aggregate_type, q.aggregate_id, q.version);
      return found ? val("{\"version\":" + std::to_string(found->first) + ",\"state\":" + std::string(found->second) + "}")
                   : val::undefined();
    });
  }
  void put_snapshot(const std::string& query, size_t bytes) {
    guard([&] {
      as::SnapshotQuery q = as::parse_snapshot_query(query);
      std::string state(input(bytes));
      check_json(state, "state");
      this->save_snapshot(q.key, q.aggregate_type, q.aggregate_id, q.version, std::move(state));
    });
  }
  double last_position() const { return static_cast<double>(this->log().last_position()); }
  val get_checkpoint(const std::string& name) const {
    auto position = this->log().checkpoint(name);
    return position ? val(static_cast<double>(*position)) : val::undefined();
  }
  void put_checkpoint(const std::string& name, double position) {
    guard([&] {
      as::check_name_argument("name", name);
      this->save_checkpoint(name, static_cast<uint64_t>(position));
    });
  }

 private:
  static void check_json(std::string_view text, const char* what) {
    try {
      as::json::Scanner s(text);
      s.skip_value(1000);
      s.expect_end();
    } catch (const as::json::SyntaxError& e) {
      throw as::Error(as::ErrorCode::INVALID_ARGUMENT, std::string(what) + " is not valid JSON: " + e.reason);
    }
  }
};

class MemoryBackend {
 public:
  const as::EventLog& log() const { return log_; }
  as::AppendResult append_events(std::vector<as::Event> batch) { return log_.append(std::move(batch)); }
  void save_snapshot(const std::string& key, std::string_view type, std::string_view id, int64_t version, std::string state) {
    log_.put_snapshot(key, type, id, version, std::move(state));
  }
  void save_checkpoint(const std::string& name, uint64_t position) { log_.put_checkpoint(name, position); }

 private:
  as::EventLog log_;
};

class DurableBackend {
 public:
  void open(const std::string& directory, val sizes, bool auto_merge, val syncer) {
    guard([&] {
      as::SegmentStoreOptions options;
      options.directory = directory;
      options.segment_bytes = sizes["segmentBytes"].as<size_t>();
      options.max_merged_bytes = sizes["maxMergedBytes"].as<size_t>();
      options.cache_bytes = sizes["cacheBytes"].as<size_t>();
      options.auto_merge = auto_merge;
      store_ = std::make_unique<as::SegmentStore>(options, std::make_shared<JsSyncer>(std::move(syncer)));
    });
  }
  const as::EventLog& log() const { return store_->log(); }
  as::AppendResult append_events(std::vector<as::Event> batch) { return store_->append(std::move(batch)); }
  void save_snapshot(const std::string& key, std::string_view type, std::string_view id, int64_t version, std::string state) {
    if (store_->corruption()) return;  // a damaged store takes nothing new; the fold itself is still right
    store_->put_snapshot(key, type, id, version, std::move(state));
  }
  void save_checkpoint(const std::string& name, uint64_t position) { store_->put_checkpoint(name, position); }
  void sync() { guard([&] { store_->sync(); }); }
  double verify_segment(size_t n) { return static_cast<double>(guard([&] { return store_->verify_segment(n); })); }
  double closed_segments() const { return static_cast<double>(store_->closed_segments()); }
  void compact() { guard([&] { store_->compact(); }); }
  void close() { store_->close(); }
  val stats() const {
    as::StorageStats s = store_->stats();
    val out = val::object();
    out.set("files", static_cast<double>(s.files));
    out.set("bytes", static_cast<double>(s.bytes));
    out.set("tornBytesCut", static_cast<double>(s.torn_bytes_cut));
    out.set("cacheHits", static_cast<double>(s.cache_hits));
    out.set("cacheMisses", static_cast<double>(s.cache_misses));
    out.set("cacheBytes", static_cast<double>(s.cache_bytes));
    out.set("indexFiles", static_cast<double>(s.index_files));
    out.set("indexMemory", static_cast<double>(s.index_memory));
    out.set("events", static_cast<double>(store_->log().last_position()));
    return out;
  }
  val corruption() const {
    const auto& c = store_->corruption();
    if (!c) return val::undefined();
    val out = val::object();
    out.set("file", c->file);
    out.set("offset", static_cast<double>(c->offset));
    out.set("reason", c->reason);
    return out;
  }

 private:
  std::unique_ptr<as::SegmentStore> store_;
};

using MemoryStore = Store<MemoryBackend>;
using DurableStore = Store<DurableBackend>;

template <class T>
emscripten::class_<T> bind_store(const char* name) {
  return emscripten::class_<T>(name)
      .template constructor<>()
      .function("append", &T::append)
      .function("readStream", &T::read_stream)
      .function("readAll", &T::read_all)
      .function("version", &T::version)
      .function("getEvent", &T::get_event)
      .function("rehydrate", &T::rehydrate)
      .function("lastPosition", &T::last_position)
      .function("getSnapshot", &T::get_snapshot)
      .function("putSnapshot", &T::put_snapshot)
      .function("getCheckpoint", &T::get_checkpoint)
      .function("putCheckpoint", &T::put_checkpoint);
}

// The events, validated, as rows for a store that keeps columns beside each event's JSON
// (PostgreSQL): per event _id, AggregateType, AggregateID, _version and its canonical JSON,
// split by U+001F, the events split by U+001E. Neither names (the core refuses control
// characters in them) nor JSON text (which escapes them in strings) hold those separators.
val event_rows(size_t bytes) {
  return output(guard([&] {
    std::string rows;
    for (const as::Event& e : as::parse_events(input(bytes))) {
      if (!rows.empty()) rows += '\x1e';
      rows.append(e.id).append(1, '\x1f').append(e.aggregate_type).append(1, '\x1f').append(e.aggregate_id).append(1, '\x1f');
      rows.append(std::to_string(e.version)).append(1, '\x1f').append(e.json);
    }
    return rows;
  }));
}

size_t validate_events(size_t bytes) {
  return guard([&] { return as::parse_events(input(bytes)).size(); });
}

void check_stream_query(const std::string& query) {
  guard([&] { as::parse_stream_query(query); });
}

void check_global_query(const std::string& query) {
  guard([&] { as::parse_global_query(query); });
}

// A native reducer's identity; compiling it validates the definition.
std::string reducer_identity(const std::string& definition) {
  return guard([&] { return as::compiled_reducer(definition).identity(); });
}

// Folds events handed over as JSON (from a store written in JS) with a native reducer.
val fold_events(const std::string& definition, const std::string& start, double start_version, size_t bytes) {
  return output(guard([&] {
    return folded_json(as::fold_events(as::compiled_reducer(definition), start, static_cast<int64_t>(start_version), input(bytes)));
  }));
}

// Folds stored events that a store written in JS read back as they were written (see fold_stored).
val fold_stored(const std::string& definition, const std::string& start, double start_version, size_t bytes) {
  return output(guard([&] {
    return folded_json(as::fold_stored(as::compiled_reducer(definition), start, static_cast<int64_t>(start_version), input(bytes)));
  }));
}

void check_name(const std::string& what, const std::string& value) {
  guard([&] { as::check_name_argument(what, value); });
}

// Ids are made in bulk: one call per id costs more than making it.
std::string new_uuids(size_t count) {
  return guard([count] {
    std::string ids;
    ids.reserve(count * 36);
    for (size_t i = 0; i < count; ++i) ids += as::new_uuid_v4();
    return ids;
  });
}

val limits() {
  val out = val::object();
  out.set("maxNameChars", static_cast<double>(as::Limits::kMaxNameChars));
  out.set("maxDepth", static_cast<double>(as::Limits::kMaxDepth));
  out.set("maxEventBytes", static_cast<double>(as::Limits::kMaxEventBytes));
  out.set("maxBatchEvents", static_cast<double>(as::Limits::kMaxBatchEvents));
  out.set("maxBatchBytes", static_cast<double>(as::Limits::kMaxBatchBytes));
  return out;
}

}  // namespace

EMSCRIPTEN_BINDINGS(atomservices) {
  using namespace emscripten;
  bind_store<MemoryStore>("MemoryStore");
  // Members of the backend are bound through the store type, which is what embind knows.
  bind_store<DurableStore>("DurableStore")
      .function("open", optional_override([](DurableStore& s, const std::string& d, val sizes, bool m, val v) { s.open(d, sizes, m, v); }))
      .function("verifySegment", optional_override([](DurableStore& s, size_t n) { return s.verify_segment(n); }))
      .function("closedSegments", optional_override([](DurableStore& s) { return s.closed_segments(); }))
      .function("compact", optional_override([](DurableStore& s) { s.compact(); }))
      .function("sync", optional_override([](DurableStore& s) { s.sync(); }))
      .function("close", optional_override([](DurableStore& s) { s.close(); }))
      .function("stats", optional_override([](const DurableStore& s) { return s.stats(); }))
      .function("corruption", optional_override([](const DurableStore& s) { return s.corruption(); }));
  function("reserveInput", &reserve_input);
  function("validateEvents", &validate_events);
  function("eventRows", &event_rows);
  function("checkStreamQuery", &check_stream_query);
  function("checkGlobalQuery", &check_global_query);
  function("checkName", &check_name);
  function("reducerIdentity", &reducer_identity);
  function("foldEvents", &fold_events);
  function("foldStored", &fold_stored);
  function("checkRehydrateQuery", optional_override([](const std::string& q) { guard([&] { as::parse_rehydrate_query(q); }); }));
  function("newUuids", &new_uuids);
  function("limits", &limits);
}
