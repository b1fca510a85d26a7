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
#include "atomservices/ids.hpp"
#include "atomservices/queries.hpp"

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
    throw_to_js("INTERNAL", "out of memory in the WebAssembly core", "{}");
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

class MemoryStore {
 public:
  val append(size_t bytes) {
    as::AppendResult result = guard([&] { return log_.append(as::parse_events(input(bytes))); });
    val out = val::object();
    out.set("appended", static_cast<double>(result.appended));
    out.set("lastPosition", static_cast<double>(result.last_position));
    return out;
  }
  std::string read_stream(const std::string& query) const {
    return guard([&] {
      as::StreamQuery q = as::parse_stream_query(query);
      return log_.read_stream(q.aggregate_type, q.aggregate_id, q.options);
    });
  }
  std::string read_all(const std::string& query) const {
    return guard([&] { return log_.read_all(as::parse_global_query(query)); });
  }
  double version(const std::string& query) const {
    return guard([&] {
      as::StreamQuery q = as::parse_stream_query(query);
      return static_cast<double>(log_.version(q.aggregate_type, q.aggregate_id));
    });
  }
  val get_event(const std::string& id) const {
    const std::string* json = log_.find(id);
    return json ? val(*json) : val::undefined();
  }

 private:
  as::EventLog log_;
};

size_t validate_events(size_t bytes) {
  return guard([&] { return as::parse_events(input(bytes)).size(); });
}

void check_stream_query(const std::string& query) {
  guard([&] { as::parse_stream_query(query); });
}

void check_global_query(const std::string& query) {
  guard([&] { as::parse_global_query(query); });
}

void check_name(const std::string& what, const std::string& value) {
  guard([&] { as::check_name_argument(what, value); });
}

// A new event's _id and _createdAt in one call: 36 + 24 characters.
std::string event_stamp() {
  return guard([] { return as::new_uuid_v4() + as::now_iso8601(); });
}

std::string new_uuid() {
  return guard([] { return as::new_uuid_v4(); });
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
  class_<MemoryStore>("MemoryStore")
      .constructor<>()
      .function("append", &MemoryStore::append)
      .function("readStream", &MemoryStore::read_stream)
      .function("readAll", &MemoryStore::read_all)
      .function("version", &MemoryStore::version)
      .function("getEvent", &MemoryStore::get_event);
  function("reserveInput", &reserve_input);
  function("validateEvents", &validate_events);
  function("checkStreamQuery", &check_stream_query);
  function("checkGlobalQuery", &check_global_query);
  function("checkName", &check_name);
  function("eventStamp", &event_stamp);
  function("newUuid", &new_uuid);
  function("limits", &limits);
}
