#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

#include "atomservices/json.hpp"

using namespace atomservices::json;

namespace {
std::string skip(const std::string& text, size_t depth = 64) {
  Scanner s(text);
  auto raw = s.skip_value(depth);
  s.expect_end();
  return std::string(raw);
}
bool malformed(const std::string& text) {
  try {
    skip(text);
    return false;
  } catch (const SyntaxError&) {
    return true;
  }
}
}  // namespace

TEST_CASE("the scanner accepts valid JSON and returns its raw text") {
  CHECK(skip(" {\"a\":[1,-2.5e3,true,false,null,\"x\\u00e9\\n\"]} ") ==
        "{\"a\":[1,-2.5e3,true,false,null,\"x\\u00e9\\n\"]}");
  CHECK(skip("\"caf\xC3\xA9 \xF0\x9F\x98\x80\"") == "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
  CHECK(skip("0") == "0");
  CHECK(skip("[]") == "[]");
}

TEST_CASE("the scanner rejects malformed JSON") {
  for (const char* bad : {"", "{", "[1,]", "{\"a\"}", "{a:1}", "01", "1.", "-", "1e", "tru", "nul",
                          "\"abc", "\"\\x\"", "\"\\u12g4\"", "[1] x", "{\"a\":1,}", "'a'"}) {
    INFO(bad);
    CHECK(malformed(bad));
  }
}

TEST_CASE("the scanner rejects control characters and invalid UTF-8 in strings") {
  CHECK(malformed(std::string("\"a\nb\"")));
  CHECK(malformed("\"\xC0\xAF\""));          // overlong
  CHECK(malformed("\"\xED\xA0\x80\""));      // UTF-8 encoded surrogate
  CHECK(malformed("\"\xF4\x90\x80\x80\""));  // above U+10FFFF
  CHECK(malformed("\"\xE2\x82\""));          // truncated
  CHECK(malformed("\"\x80\""));              // stray continuation byte
}

TEST_CASE("nesting beyond the limit is reported without deep recursion") {
  std::string deep(100000, '[');
  Scanner s(deep);
  bool too_deep = false;
  s.skip_value(64, &too_deep);
  CHECK(too_deep);
  std::string ok = std::string(64, '[') + std::string(64, ']');
  CHECK(skip(ok, 64) == ok);
  std::string over = std::string(65, '[') + std::string(65, ']');
  Scanner s2(over);
  too_deep = false;
  s2.skip_value(64, &too_deep);
  CHECK(too_deep);
}

TEST_CASE("strings decode escapes and surrogate pairs") {
  Scanner s("\"a\\\"b\\\\c\\/\\t\\u00e9\\ud83d\\ude00\"");
  std::string out;
  CHECK(s.read_string(out));
  CHECK(out == "a\"b\\c/\t\xC3\xA9\xF0\x9F\x98\x80");
  Scanner lone("\"x\\ud800y\"");
  CHECK_FALSE(lone.read_string(out));
}

TEST_CASE("safe integers are recognised exactly") {
  CHECK(to_safe_integer("1") == 1);
  CHECK(to_safe_integer("9007199254740991") == 9007199254740991LL);
  CHECK_FALSE(to_safe_integer("9007199254740992"));
  CHECK_FALSE(to_safe_integer("1.5"));
  CHECK(to_safe_integer("2e3") == 2000);
  CHECK(to_safe_integer("-3") == -3);
}

TEST_CASE("numbers read as the same double strtod gives, fast path or not") {
  auto same_as_strtod = [](const std::string& token) {
    double expected = std::strtod(token.c_str(), nullptr);
    double got = to_double(token);
    INFO(token);
    CHECK(std::memcmp(&expected, &got, sizeof got) == 0);  // bit for bit, so -0 and 0 differ
  };
  for (const char* token : {"0", "-0", "0.0", "-0.0", "1", "0.1", "0.3", "12.25", "-97.75", "1e22", "1e23", "1e-22",
                            "1e-23", "123456789012345", "1234567890123456", "9007199254740993", "0.000001",
                            "1E5", "1e+5", "2.5e-3", "100000000000000000000000", "5e-324", "1.7976931348623157e308",
                            "0.00000000000000000000001", "000.5e1", "4.35", "3.14159265358979"}) {
    same_as_strtod(token);
  }
  // Random decimals of up to 17 digits and exponents around the fast path's edges.
  std::mt19937_64 random(42);
  for (int i = 0; i < 20000; ++i) {
    std::string token = (random() & 1) ? "-" : "";
    int digits = 1 + static_cast<int>(random() % 17);
    std::string mantissa;
    for (int d = 0; d < digits; ++d) mantissa += static_cast<char>('0' + random() % 10);
    size_t point = random() % (mantissa.size() + 1);
    if (point > 0 && point < mantissa.size()) mantissa.insert(point, ".");
    token += mantissa;
    if (random() % 3 == 0) token += "e" + std::to_string(static_cast<int>(random() % 61) - 30);
    same_as_strtod(token);
  }
  CHECK(std::isnan(to_double("1x")));
}

TEST_CASE("append_string escapes what JSON requires") {
  std::string out;
  append_string(out, std::string("a\"\\\x01", 4));
  CHECK(out == "\"a\\\"\\\\\\u0001\"");
}
