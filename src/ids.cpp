#include "atomservices/ids.hpp"

#include <sys/random.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "atomservices/errors.hpp"

namespace atomservices {
namespace {

// ChaCha20 as a stream generator, in the manner of arc4random: one getentropy call per
// 1 MiB of output instead of one system call per id.
class ChaChaRandom {
 public:
  void fill(uint8_t* out, size_t n) {
    while (n > 0) {
      if (available_ == 0) refill();
      size_t take = n < available_ ? n : available_;
      std::memcpy(out, block_.data() + (block_.size() - available_), take);
      // Forget what was handed out, so a memory dump cannot reveal past ids' randomness.
      std::memset(block_.data() + (block_.size() - available_), 0, take);
      available_ -= take;
      out += take;
      n -= take;
    }
  }

 private:
  static uint32_t rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
  static void quarter(uint32_t* s, int a, int b, int c, int d) {
    s[a] += s[b]; s[d] = rotl(s[d] ^ s[a], 16);
    s[c] += s[d]; s[b] = rotl(s[b] ^ s[c], 12);
    s[a] += s[b]; s[d] = rotl(s[d] ^ s[a], 8);
    s[c] += s[d]; s[b] = rotl(s[b] ^ s[c], 7);
  }

  void rekey() {
    uint8_t seed[40];
    if (getentropy(seed, sizeof seed) != 0) {
      throw Error(ErrorCode::INTERNAL, "the system's random source (getentropy) failed");
    }
    static const uint32_t kSigma[4] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
    std::memcpy(state_, kSigma, sizeof kSigma);
    std::memcpy(state_ + 4, seed, 32);
    state_[12] = 0;
    state_[13] = 0;
    std::memcpy(state_ + 14, seed + 32, 8);
    std::memset(seed, 0, sizeof seed);
    blocks_left_ = kBlocksPerKey;
  }

  void refill() {
    if (blocks_left_ == 0) rekey();
    --blocks_left_;
    uint32_t x[16];
    std::memcpy(x, state_, sizeof x);
    for (int i = 0; i < 10; ++i) {
      quarter(x, 0, 4, 8, 12); quarter(x, 1, 5, 9, 13);
      quarter(x, 2, 6, 10, 14); quarter(x, 3, 7, 11, 15);
      quarter(x, 0, 5, 10, 15); quarter(x, 1, 6, 11, 12);
      quarter(x, 2, 7, 8, 13); quarter(x, 3, 4, 9, 14);
    }
    for (int i = 0; i < 16; ++i) {
      uint32_t v = x[i] + state_[i];
      for (int b = 0; b < 4; ++b) block_[i * 4 + b] = static_cast<uint8_t>(v >> (8 * b));
    }
    if (++state_[12] == 0) ++state_[13];
    available_ = block_.size();
  }

  static constexpr uint32_t kBlocksPerKey = 16384;  // 1 MiB of output per key
  uint32_t state_[16] = {};
  uint32_t blocks_left_ = 0;
  std::array<uint8_t, 64> block_{};
  size_t available_ = 0;
};

ChaChaRandom& generator() {
  static thread_local ChaChaRandom instance;
  return instance;
}

bool is_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int to_int(std::string_view s) {
  int value = 0;
  for (char c : s) value = value * 10 + (c - '0');
  return value;
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

// Days since 1970-01-01 to the civil date (Howard Hinnant's algorithm, inverted).
void civil_from_days(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

}  // namespace

void random_bytes(uint8_t* out, size_t n) { generator().fill(out, n); }

std::string new_uuid_v4() {
  uint8_t b[16];
  random_bytes(b, sizeof b);
  b[6] = (b[6] & 0x0F) | 0x40;  // version 4
  b[8] = (b[8] & 0x3F) | 0x80;  // RFC 4122 variant
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0xF];
  }
  return out;
}

std::string new_uuids(size_t count) {
  std::string ids;
  ids.reserve(count * 36);
  for (size_t i = 0; i < count; ++i) ids += new_uuid_v4();
  return ids;
}

std::string format_iso8601(int64_t epoch_ms) {
  int64_t days = epoch_ms >= 0 ? epoch_ms / 86400000 : (epoch_ms - 86399999) / 86400000;
  int64_t ms_of_day = epoch_ms - days * 86400000;
  int y, m, d;
  civil_from_days(days, y, m, d);
  char buf[64];
  int secs = static_cast<int>(ms_of_day / 1000);
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d, secs / 3600,
                (secs / 60) % 60, secs % 60, static_cast<int>(ms_of_day % 1000));
  return buf;
}

std::string now_iso8601() {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  return format_iso8601(ms);
}

namespace {
struct HexDigits {
  int8_t value[256];
  constexpr HexDigits() : value() {
    for (int c = 0; c < 256; ++c) {
      value[c] = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }
  }
};
constexpr HexDigits kHexDigits;
// Where the 32 hex digits of 8-4-4-4-12 sit.
constexpr uint8_t kDigitAt[32] = {0,  1,  2,  3,  4,  5,  6,  7,  9,  10, 11, 12, 14, 15, 16, 17,
                                  19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35};
}  // namespace

std::optional<Uuid128> parse_uuid(std::string_view t) {
  if (t.size() != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-') return std::nullopt;
  uint64_t halves[2] = {0, 0};
  int bad = 0;
  for (int half = 0; half < 2; ++half) {
    for (int i = half * 16; i < half * 16 + 16; ++i) {
      int8_t digit = kHexDigits.value[static_cast<unsigned char>(t[kDigitAt[i]])];
      bad |= digit;  // -1 sets the sign bit
      halves[half] = (halves[half] << 4) | static_cast<uint64_t>(digit & 0xF);
    }
  }
  if (bad < 0) return std::nullopt;
  return Uuid128{halves[0], halves[1]};
}

bool is_iso8601_utc_ms(std::string_view t) {
  // 2026-11-26T08:35:12.345Z
  if (t.size() != 24 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' ||
      t[16] != ':' || t[19] != '.' || t[23] != 'Z') {
    return false;
  }
  std::string_view parts[] = {t.substr(0, 4),  t.substr(5, 2),  t.substr(8, 2), t.substr(11, 2),
                              t.substr(14, 2), t.substr(17, 2), t.substr(20, 3)};
  for (auto part : parts) {
    if (!is_digits(part)) return false;
  }
  int year = to_int(parts[0]), month = to_int(parts[1]), day = to_int(parts[2]);
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return false;
  return to_int(parts[3]) < 24 && to_int(parts[4]) < 60 && to_int(parts[5]) < 60;
}

}  // namespace atomservices
