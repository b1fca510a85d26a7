#include <catch2/catch.hpp>

#include <set>

#include "atomservices/ids.hpp"

using namespace atomservices;

TEST_CASE("new ids are distinct version-4 UUIDs") {
  std::set<std::string> seen;
  for (int i = 0; i < 20000; ++i) {
    std::string id = new_uuid_v4();
    REQUIRE(is_uuid(id));
    REQUIRE(id[14] == '4');
    REQUIRE((id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b'));
    REQUIRE(seen.insert(id).second);
  }
}

TEST_CASE("random bits are balanced") {
  // 1 MiB+ of output crosses a rekey; each bit position should be set about half the time.
  std::vector<uint8_t> bytes(1 << 21);
  random_bytes(bytes.data(), bytes.size());
  size_t ones = 0;
  for (uint8_t b : bytes) ones += __builtin_popcount(b);
  double ratio = static_cast<double>(ones) / (bytes.size() * 8.0);
  CHECK(ratio > 0.499);
  CHECK(ratio < 0.501);
}

TEST_CASE("timestamps are ISO-8601 UTC with milliseconds") {
  CHECK(format_iso8601(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_iso8601(1795163712345) == "2026-11-20T08:35:12.345Z");
  CHECK(format_iso8601(951782400000) == "2000-02-29T00:00:00.000Z");
  CHECK(format_iso8601(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(is_iso8601_utc_ms(now_iso8601()));
}

TEST_CASE("timestamp validation accepts only real instants in the exact form") {
  CHECK(is_iso8601_utc_ms("2024-02-29T23:59:59.999Z"));
  CHECK_FALSE(is_iso8601_utc_ms("2023-02-29T00:00:00.000Z"));
  CHECK_FALSE(is_iso8601_utc_ms("2024-13-01T00:00:00.000Z"));
  CHECK_FALSE(is_iso8601_utc_ms("2024-01-01T24:00:00.000Z"));
  CHECK_FALSE(is_iso8601_utc_ms("2024-01-01T00:00:00Z"));
  CHECK_FALSE(is_iso8601_utc_ms("2024-01-01 00:00:00.000Z"));
  CHECK_FALSE(is_iso8601_utc_ms("2024-01-01T00:00:00.000+01:00"));
  CHECK_FALSE(is_iso8601_utc_ms("yesterday"));
}

TEST_CASE("UUID validation") {
  CHECK(is_uuid("0F8FAD5B-D9CB-469F-A165-70867728950E"));
  CHECK_FALSE(is_uuid("0f8fad5b-d9cb-469f-a165-70867728950"));
  CHECK_FALSE(is_uuid("0f8fad5bxd9cb-469f-a165-70867728950e"));
  CHECK_FALSE(is_uuid("0f8fad5b-d9cb-469f-a165-70867728950g"));
}
