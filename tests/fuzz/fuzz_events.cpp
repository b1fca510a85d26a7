// parse_events() on arbitrary bytes. Only atomservices::Error may escape (anything else
// reaches libFuzzer as a crash). What it accepts must survive a round trip: the canonical
// JSON parses back to itself, and the log takes the batch or refuses it with an Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "atomservices/errors.hpp"
#include "atomservices/event.hpp"
#include "atomservices/event_log.hpp"

using namespace atomservices;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<Event> events;
  try {
    events = parse_events(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const Error&) {
    return 0;
  }
  for (const Event& e : events) {
    std::vector<Event> again = parse_events("[" + e.json + "]");  // must not throw
    if (again.size() != 1 || again[0].json != e.json || again[0].version != e.version) std::abort();
  }
  EventLog log;
  try {
    log.append(events);
  } catch (const Error&) {
    return 0;
  }
  log.read_all({});
  return 0;
}
