// The read requests' parsers (stream, global, snapshot, rehydrate) on arbitrary bytes; only
// atomservices::Error may escape. Accepted stream and global queries then run on a small log.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "atomservices/errors.hpp"
#include "atomservices/event.hpp"
#include "atomservices/event_log.hpp"
#include "atomservices/fold.hpp"
#include "atomservices/queries.hpp"

using namespace atomservices;

namespace {

const EventLog& small_log() {
  static const EventLog log = [] {
    EventLog l;
    for (int v = 1; v <= 3; ++v) {
      l.restore("Account", "a1", "00000000-0000-4000-8000-00000000000" + std::to_string(v), v, "{}");
    }
    l.restore("Account", "a2", "00000000-0000-4000-8000-000000000004", 1, "{}");
    return l;
  }();
  return log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    StreamQuery q = parse_stream_query(text);
    small_log().read_stream(q.aggregate_type, q.aggregate_id, q.options);
  } catch (const Error&) {
  }
  try {
    small_log().read_all(parse_global_query(text));
  } catch (const Error&) {
  }
  try {
    parse_snapshot_query(text);
  } catch (const Error&) {
  }
  try {
    parse_rehydrate_query(text);
  } catch (const Error&) {
  }
  return 0;
}
