// The only file that knows about Emscripten: binds the core to JS. Data crosses in batches
// (a UTF-8 buffer in, one JSON string out); every core error is caught here and thrown to
// JS as {code, message, details}, which the JS layer turns into an AtomServicesError.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <initializer_list>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>
#include <vector>

#include "atomservices/errors.hpp"
#include "atomservices/event.hpp"
#include "atomservices/fold.hpp"
#include "atomservices/ids.hpp"
#include "atomservices/queries.hpp"
#include "atomservices/store.hpp"

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

// Makes bytes durable through functions the JS layer supplies (see js/stores/file-store.ts).
class JsSyncer : public as::Syncer {
 public:
  explicit JsSyncer(val target) : target_(std::move(target)) {}
  void sync_file(int fd) override { target_.call<void>("syncFile", fd); }
  void sync_directory(const std::string& path) override { target_.call<void>("syncDirectory", path); }

 private:
  val target_;
};

// What the core may not have, as JS sees it: undefined, or the value converted.
template <class T, class Convert>
val or_undefined(const std::optional<T>& value, Convert&& convert) {
  return value ? convert(*value) : val::undefined();
}

as::SegmentStoreOptions segment_options(const std::string& directory, const val& sizes, bool auto_merge) {
  as::SegmentStoreOptions options;
  options.directory = directory;
  options.segment_bytes = sizes["segmentBytes"].as<size_t>();
  options.max_merged_bytes = sizes["maxMergedBytes"].as<size_t>();
  options.cache_bytes = sizes["cacheBytes"].as<size_t>();
  val seal = sizes["sealAtCloseBytes"];
  options.seal_at_close_bytes = seal.isUndefined() ? 0 : seal.as<size_t>();
  options.auto_merge = auto_merge;
  return options;
}

// A JS object of numbers, its fields in this order.
val numbers(std::initializer_list<std::pair<const char*, double>> fields) {
  val out = val::object();
  for (const auto& [name, value] : fields) out.set(name, value);
  return out;
}

val stats_object(const as::StorageStats& s, uint64_t events) {
  return numbers({{"files", double(s.files)}, {"bytes", double(s.bytes)}, {"tornBytesCut", double(s.torn_bytes_cut)},
                  {"cacheHits", double(s.cache_hits)}, {"cacheMisses", double(s.cache_misses)},
                  {"cacheBytes", double(s.cache_bytes)}, {"indexFiles", double(s.index_files)},
                  {"indexMemory", double(s.index_memory)}, {"events", double(events)}});
}

val corruption_object(const as::Corruption& c) {
  val out = val::object();
  out.set("file", c.file);
  out.set("offset", static_cast<double>(c.offset));
  out.set("reason", c.reason);
  return out;
}

// A core store as a JS class: requests come from the input buffer or as strings, results
// leave through the output buffer. A memory store exists at once; a durable one from open().
template <class Core>
class Bound {
 public:
  Bound() {
    if constexpr (std::is_default_constructible_v<Core>) core_ = std::make_unique<Core>();
  }
  // A plain number crosses far cheaper than an object: the newest position, from which
  // JS (the store's only writer) knows how many events were new.
  double append(size_t bytes) { return guard([&] { return double(core_->append(input(bytes)).last_position); }); }
  val read_stream(const std::string& query) const { return output(guard([&] { return core_->read_stream(query); })); }
  val read_all(const std::string& query) const { return output(guard([&] { return core_->read_all(query); })); }
  double version(const std::string& query) const { return guard([&] { return double(core_->version(query)); }); }
  val get_event(const std::string& id) const {
    return guard([&] { return or_undefined(core_->find(id), [](std::string_view json) { return output(std::string(json)); }); });
  }
  val rehydrate(const std::string& definition, const std::string& query) {
    return output(guard([&] { return core_->rehydrate(definition, query); }));
  }
  // Small: a plain string, not the output buffer.
  val get_snapshot(const std::string& query) const {
    return guard([&] { return or_undefined(core_->get_snapshot(query), [](const std::string& json) { return val(json); }); });
  }
  void put_snapshot(const std::string& query, size_t bytes) { guard([&] { core_->put_snapshot(query, input(bytes)); }); }
  double last_position() const { return double(core_->last_position()); }
  val get_checkpoint(const std::string& name) const {
    return or_undefined(core_->checkpoint(name), [](uint64_t position) { return val(double(position)); });
  }
  void put_checkpoint(const std::string& name, double position) {
    guard([&] { core_->put_checkpoint(name, static_cast<uint64_t>(position)); });
  }

  // Durable stores only (never instantiated for the others).
  void open(const std::string& directory, val sizes, bool auto_merge, val syncer) {
    guard([&] {
      core_ = std::make_unique<Core>(segment_options(directory, sizes, auto_merge), std::make_shared<JsSyncer>(std::move(syncer)));
    });
  }
  void sync() { guard([&] { core_->engine().sync(); }); }
  double verify_segment(size_t n) { return guard([&] { return double(core_->engine().verify_segment(n)); }); }
  double closed_segments() const { return double(core_->engine().closed_segments()); }
  void compact() { guard([&] { core_->engine().compact(); }); }
  void close() { guard([&] { core_->engine().close(); }); }
  val stats() const { return stats_object(core_->engine().stats(), core_->last_position()); }
  val corruption() const { return or_undefined(core_->engine().corruption(), corruption_object); }

 private:
  std::unique_ptr<Core> core_;
};

using MemoryStore = Bound<as::MemoryStore>;
using DurableStore = Bound<as::DurableStore>;

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

// Folds a page of events handed over as JSON (from a store written in JS, or upcast) with a
// native reducer: fold_events validates them, fold_stored takes them as the core wrote them.
template <as::FoldedPage (*Fold)(const as::NativeReducer&, const as::PageStart&, std::string_view)>
val fold_input(const std::string& definition, const std::string& start, double start_version, const std::string& at, bool snapshots, size_t bytes) {
  return output(guard([&] {
    as::PageStart from{start, static_cast<int64_t>(start_version), at, snapshots};
    return as::to_json(Fold(as::compiled_reducer(definition), from, input(bytes)));
  }));
}

val limits() {
  return numbers({{"maxNameChars", double(as::Limits::kMaxNameChars)}, {"maxDepth", double(as::Limits::kMaxDepth)},
                  {"maxEventBytes", double(as::Limits::kMaxEventBytes)}, {"maxBatchEvents", double(as::Limits::kMaxBatchEvents)},
                  {"maxBatchBytes", double(as::Limits::kMaxBatchBytes)}, {"maxAnswerBytes", double(as::Limits::kMaxAnswerBytes)}});
}

}  // namespace

EMSCRIPTEN_BINDINGS(atomservices) {
  using namespace emscripten;
  bind_store<MemoryStore>("MemoryStore");
  bind_store<DurableStore>("DurableStore")
      .function("open", &DurableStore::open)
      .function("verifySegment", &DurableStore::verify_segment)
      .function("closedSegments", &DurableStore::closed_segments)
      .function("compact", &DurableStore::compact)
      .function("sync", &DurableStore::sync)
      .function("close", &DurableStore::close)
      .function("stats", &DurableStore::stats)
      .function("corruption", &DurableStore::corruption);
  function("reserveInput", &reserve_input);
  function("validateEvents", optional_override([](size_t bytes) { return guard([&] { return as::parse_events(input(bytes)).size(); }); }));
  function("eventRows", optional_override([](size_t bytes) { return output(guard([&] { return as::event_rows(input(bytes)); })); }));
  function("checkStreamQuery", optional_override([](const std::string& q) { guard([&] { as::parse_stream_query(q); }); }));
  function("checkGlobalQuery", optional_override([](const std::string& q) { guard([&] { as::parse_global_query(q); }); }));
  function("checkRehydrateQuery", optional_override([](const std::string& q) { guard([&] { as::parse_rehydrate_query(q); }); }));
  function("checkName", optional_override([](const std::string& what, const std::string& value) {
             guard([&] { as::check_name_argument(what, value); });
           }));
  // A native reducer's identity; compiling it validates the definition.
  function("reducerIdentity", optional_override([](const std::string& definition) {
             return guard([&] { return as::compiled_reducer(definition).identity(); });
           }));
  function("foldEvents", &fold_input<as::fold_events>);
  function("foldStored", &fold_input<as::fold_stored>);
  // A store written in JS refuses an append with the core's own errors.
  function("throwConflict", optional_override([](double index, const std::string& type, const std::string& id, double version, double actual) {
    guard([&]() -> void { throw as::concurrency_conflict(size_t(index), type, id, int64_t(version), int64_t(actual)); });
  }));
  function("throwDuplicate", optional_override([](double index, const std::string& id) {
    guard([&]() -> void { throw as::duplicate_event_id(size_t(index), id); });
  }));
  function("snapshotKey", optional_override([](const std::string& reducer_key, const std::string& upcasters) {
    return as::snapshot_key(reducer_key, upcasters);
  }));
  function("eventsWithin", optional_override([](size_t bytes, const std::string& at) {
    return guard([&] { return double(as::events_within(input(bytes), at)); });
  }));
  function("newUuids", optional_override([](size_t count) { return guard([&] { return as::new_uuids(count); }); }));
  function("limits", &limits);
}
