#pragma once
#include <cstdlib>
#include <string>

#include <stdlib.h>

#include "atomservices/errors.hpp"
#include "atomservices/ids.hpp"

namespace test {

// A fresh directory under /tmp, removed with everything in it when the object goes.
struct TempDir {
  std::string path;
  TempDir() {
    char pattern[] = "/tmp/atomservices-test-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path + "/" + name; }
};

// A valid event JSON object for tests; pieces can be overridden.
inline std::string event_json(const std::string& id, int version, const std::string& aggregate = "a1",
                              const std::string& payloads = "{\"n\":1}") {
  return "{\"_id\":\"" + id + "\",\"_createdAt\":\"2026-11-26T08:35:12.345Z\",\"_version\":" +
         std::to_string(version) +
         ",\"_createdBy\":\"tester\",\"EventName\":\"Opened\",\"AggregateType\":\"Account\","
         "\"AggregateID\":\"" + aggregate + "\",\"payloads\":" + payloads + "}";
}

inline std::string fresh_event(int version, const std::string& aggregate = "a1") {
  return event_json(atomservices::new_uuid_v4(), version, aggregate);
}

template <class F>
atomservices::ErrorCode code_of(F&& f) {
  try {
    f();
  } catch (const atomservices::Error& e) {
    return e.code();
  }
  throw std::runtime_error("expected an atomservices::Error");
}

template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const atomservices::Error& e) {
    return e.what();
  }
  throw std::runtime_error("expected an atomservices::Error");
}

}  // namespace test
