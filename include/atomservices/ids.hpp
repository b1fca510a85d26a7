#pragma once
// Event ids and timestamps.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace atomservices {

// A random (version 4) UUID in lowercase 8-4-4-4-12 form, from a ChaCha20 generator
// keyed from the operating system's entropy source (getentropy), rekeyed regularly.
std::string new_uuid_v4();

// `count` such UUIDs, one after another (36 characters each): ids are made in bulk, since
// one call across to the core per id costs more than making it.
std::string new_uuids(size_t count);

// Fills out with n bytes from the same generator.
void random_bytes(uint8_t* out, size_t n);

// The current UTC time as ISO-8601 with milliseconds: 2026-11-26T08:35:12.345Z.
std::string now_iso8601();

// Formats milliseconds since the Unix epoch as above.
std::string format_iso8601(int64_t epoch_ms);

// A UUID as 128 bits: what the indexes key events by.
struct Uuid128 {
  uint64_t high = 0;
  uint64_t low = 0;
  bool operator==(const Uuid128& other) const { return high == other.high && low == other.low; }
};

// The bits of 8-4-4-4-12 hexadecimal digits (any UUID version, either case), or nothing.
std::optional<Uuid128> parse_uuid(std::string_view text);

// True for 8-4-4-4-12 hexadecimal digits (any UUID version, either case).
inline bool is_uuid(std::string_view text) { return parse_uuid(text).has_value(); }

// True for exactly YYYY-MM-DDTHH:MM:SS.sssZ naming a real calendar instant.
bool is_iso8601_utc_ms(std::string_view text);

}  // namespace atomservices
