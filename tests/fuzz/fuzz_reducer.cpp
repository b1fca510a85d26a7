// Native reducer definitions on arbitrary bytes: compiling may only throw atomservices::Error;
// an accepted definition then folds a few events of every JSON kind without failing, and
// folding twice from the same state gives the same result.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "atomservices/errors.hpp"
#include "atomservices/event.hpp"
#include "atomservices/reducer.hpp"

using namespace atomservices;

namespace {

const std::vector<Event>& events() {
  static const std::vector<Event> list = parse_events(R"([
    {"_id":"00000000-0000-4000-8000-000000000001","_createdAt":"2026-11-26T08:35:12.345Z","_version":1,"_createdBy":"f",
     "EventName":"A","AggregateType":"T","AggregateID":"x","payloads":{"n":5,"s":"text","l":[1,{"k":null}],"o":{"a":{"b":2.5}},"e":"\u00e9\""}},
    {"_id":"00000000-0000-4000-8000-000000000002","_createdAt":"2026-11-26T08:35:13.345Z","_version":2,"_createdBy":"f",
     "EventName":"B","AggregateType":"T","AggregateID":"x","payloads":[true,false,null,-1e300],"metadata":{"m":{"n":-0.5}}},
    {"_id":"00000000-0000-4000-8000-000000000003","_createdAt":"2026-11-26T08:35:14.345Z","_version":3,"_createdBy":"f",
     "EventName":"A","AggregateType":"T","AggregateID":"x","payloads":"just a string"}
  ])");
  return list;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    NativeReducer reducer = NativeReducer::compile(text);
    State first = reducer.initial_state();
    for (const Event& e : events()) reducer.apply(first, e.json);
    State second = reducer.initial_state();
    for (const Event& e : events()) reducer.apply(second, e.json);
    if (first.dump() != second.dump()) __builtin_trap();  // a fold must be deterministic
  } catch (const Error&) {
  }
  return 0;
}
