#include "atomservices/json.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace atomservices::json {

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::Object: return "object";
    case Kind::Array: return "array";
    case Kind::String: return "string";
    case Kind::Number: return "number";
    case Kind::True:
    case Kind::False: return "boolean";
    case Kind::Null: return "null";
  }
  return "value";
}

std::string got(Kind kind, std::string_view raw) {
  if (kind == Kind::Null) return "got null";
  return "got " + std::string(kind_name(kind)) + " " + preview(raw);
}

void Scanner::fail(const std::string& reason) const { throw SyntaxError{pos_, reason}; }

void Scanner::expect_end() {
  skip_ws();
  if (pos_ != text_.size()) fail("unexpected text after the value");
}

std::string_view Scanner::skip_value(size_t max_depth, bool* too_deep) {
  Kind kind = peek_kind();
  size_t start = pos_;
  switch (kind) {
    case Kind::String: skip_string(); break;
    case Kind::Number: skip_number(); break;
    case Kind::True: skip_literal("true"); break;
    case Kind::False: skip_literal("false"); break;
    case Kind::Null: skip_literal("null"); break;
    case Kind::Object:
    case Kind::Array:
      if (!skip_nested(max_depth)) {
        if (!too_deep) fail("nesting is too deep");
        *too_deep = true;
      }
      break;
  }
  return text_.substr(start, pos_ - start);
}

// Containers are walked recursively, but never deeper than depth_left, so hostile
// input cannot exhaust the stack.
bool Scanner::skip_nested(size_t depth_left) {
  if (depth_left == 0) return false;
  bool ok = true;
  auto nested = [&] {
    Kind kind = peek_kind();
    if (kind == Kind::Object || kind == Kind::Array) {
      if (ok) ok = skip_nested(depth_left - 1);
      if (!ok) return;
    } else {
      skip_value(0);
    }
  };
  if (text_[pos_] == '[') {
    expect('[');
    if (consume(']')) return true;
    do {
      nested();
      if (!ok) return false;
    } while (consume(','));
    expect(']');
  } else {
    expect('{');
    if (consume('}')) return true;
    do {
      skip_ws();
      if (peek_kind() != Kind::String) fail("expected a string key");
      skip_string();
      expect(':');
      nested();
      if (!ok) return false;
    } while (consume(','));
    expect('}');
  }
  return true;
}

void Scanner::skip_literal(std::string_view word) {
  if (text_.substr(pos_, word.size()) != word) fail("invalid literal");
  pos_ += word.size();
}

void Scanner::skip_number() {
  auto digits = [&] {
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    if (pos_ == start) fail("invalid number");
  };
  if (text_[pos_] == '-') ++pos_;
  if (pos_ < text_.size() && text_[pos_] == '0') {
    ++pos_;
  } else {
    digits();
  }
  if (pos_ < text_.size() && text_[pos_] == '.') {
    ++pos_;
    digits();
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    digits();
  }
}

uint32_t Scanner::read_hex4() {
  if (pos_ + 4 > text_.size()) fail("truncated \\u escape");
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    char c = text_[pos_++];
    value <<= 4;
    if (c >= '0' && c <= '9') value |= c - '0';
    else if (c >= 'a' && c <= 'f') value |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') value |= c - 'A' + 10;
    else fail("invalid \\u escape");
  }
  return value;
}

// Checks one multi-byte UTF-8 sequence at the cursor: no overlong forms, no surrogates,
// nothing above U+10FFFF.
void Scanner::validate_utf8_sequence() {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text_[pos_ + i]); };
  unsigned char lead = byte(0);
  size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
  if (lead < 0xC2 || lead > 0xF4 || pos_ + length > text_.size()) fail("invalid UTF-8");
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) fail("invalid UTF-8");
  }
  unsigned char second = byte(1);
  if ((lead == 0xE0 && second < 0xA0) || (lead == 0xED && second >= 0xA0) ||
      (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second >= 0x90)) {
    fail("invalid UTF-8");
  }
  pos_ += length;
}

namespace {
constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighs = 0x8080808080808080ull;

bool has_zero_byte(uint64_t v) { return ((v - kOnes) & ~v & kHighs) != 0; }

bool plain_ascii8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  bool special = (v & kHighs) || ((v - 0x20 * kOnes) & ~v & kHighs) || has_zero_byte(v ^ ('"' * kOnes)) ||
                 has_zero_byte(v ^ ('\\' * kOnes));
  return !special;
}
}  // namespace

void Scanner::skip_string() {
  ++pos_;  // opening quote
  const size_t size = text_.size();
  while (true) {
    // Fast path: plain printable ASCII needs no attention.
    const char* data = text_.data();
    size_t p = pos_;
    // Eight bytes at a time while none is a quote, a backslash, a control or a non-ASCII byte.
    while (p + 8 <= size && plain_ascii8(data + p)) p += 8;
    while (p < size) {
      unsigned char c = static_cast<unsigned char>(data[p]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++p;
    }
    pos_ = p;
    if (pos_ >= size) fail("unterminated string");
    unsigned char c = static_cast<unsigned char>(text_[pos_]);
    if (c == '"') {
      ++pos_;
      return;
    }
    if (c < 0x20) fail("control character in string");
    if (c == '\\') {
      ++pos_;
      if (pos_ >= text_.size()) fail("unterminated string");
      char e = text_[pos_++];
      if (e == 'u') {
        read_hex4();
      } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
                 e != 'r' && e != 't') {
        fail("invalid escape");
      }
    } else if (c >= 0x80) {
      validate_utf8_sequence();
    } else {
      ++pos_;
    }
  }
}

namespace {
void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}
}  // namespace

bool Scanner::read_string(std::string& out) {
  out.clear();
  size_t start = pos_;
  skip_string();  // validates first, so decoding below cannot run off the end
  std::string_view body = text_.substr(start + 1, pos_ - start - 2);
  if (body.find('\\') == std::string_view::npos) {
    out.assign(body.data(), body.size());
    return true;
  }
  bool valid_unicode = true;
  for (size_t i = start + 1; i < pos_ - 1;) {
    char c = text_[i];
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    char e = text_[i + 1];
    i += 2;
    switch (e) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        size_t saved = pos_;
        pos_ = i;
        uint32_t cp = read_hex4();
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 10 <= text_.size() && text_[i + 4] == '\\' &&
            text_[i + 5] == 'u') {
          pos_ = i + 6;
          uint32_t low = read_hex4();
          if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
        }
        pos_ = saved;
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDFFF) {
          valid_unicode = false;
          cp = 0xFFFD;
        }
        append_utf8(out, cp);
        break;
      }
      default: out += e; break;  // " \ /
    }
  }
  return valid_unicode;
}

std::optional<int64_t> to_safe_integer(std::string_view token) {
  // Plain digits (versions, positions) need no strtod; 15 digits cannot pass 2^53.
  if (!token.empty() && token.size() <= 15 && token[0] != '0') {
    int64_t value = 0;
    bool digits = true;
    for (char c : token) {
      if (c < '0' || c > '9') {
        digits = false;
        break;
      }
      value = value * 10 + (c - '0');
    }
    if (digits) return value;
  }
  constexpr double kMaxSafe = 9007199254740991.0;
  double value = to_double(token);
  if (!std::isfinite(value)) return std::nullopt;
  if (value != std::floor(value) || std::fabs(value) > kMaxSafe) return std::nullopt;
  return static_cast<int64_t>(value);
}

namespace {
// A decimal of at most 15 significant digits and a power of ten up to 22: both are exact
// doubles, so one multiplication or division rounds correctly (Clinger's fast path).
// strtod gets the rest; in WebAssembly it works in emulated 128-bit floats, ~1 µs a number.
std::optional<double> exact_decimal(std::string_view t) {
  size_t i = 0;
  const size_t n = t.size();
  bool negative = i < n && t[i] == '-';
  if (negative) ++i;
  uint64_t mantissa = 0;
  int significant = 0;
  int scale = 0;
  bool any = false;
  auto digits = [&](bool fraction) {
    for (; i < n && t[i] >= '0' && t[i] <= '9'; ++i) {
      any = true;
      int digit = t[i] - '0';
      if (fraction) --scale;
      if (mantissa == 0 && digit == 0) continue;  // a leading zero is not significant
      if (++significant > 15) return;             // too precise for the fast path
      mantissa = mantissa * 10 + static_cast<uint64_t>(digit);
    }
  };
  digits(false);
  if (i < n && t[i] == '.') {
    ++i;
    digits(true);
  }
  if (!any || significant > 15) return std::nullopt;
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool negative_exponent = i < n && t[i] == '-';
    if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
    int exponent = 0;
    size_t start = i;
    for (; i < n && t[i] >= '0' && t[i] <= '9' && i - start < 4; ++i) exponent = exponent * 10 + (t[i] - '0');
    if (i == start) return std::nullopt;
    scale += negative_exponent ? -exponent : exponent;
  }
  if (i != n || scale < -22 || scale > 22) return std::nullopt;
  static constexpr double kPowers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  double value = static_cast<double>(mantissa);
  value = scale < 0 ? value / kPowers[-scale] : value * kPowers[scale];
  return negative ? -value : value;
}
}  // namespace

double to_double(std::string_view token) {
  if (std::optional<double> exact = exact_decimal(token)) return *exact;
  std::string copy(token);
  char* end = nullptr;
  double value = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size() ? value : std::nan("");
}

void append_string(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out += '"';
  bool plain = true;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (plain) {
    out.append(s.data(), s.size());
    out += '"';
    return;
  }
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  out += '"';
}

std::string preview(std::string_view raw, size_t max_chars) {
  if (raw.size() <= max_chars) return std::string(raw);
  size_t cut = max_chars;
  while (cut > 0 && (static_cast<unsigned char>(raw[cut]) & 0xC0) == 0x80) --cut;
  return std::string(raw.substr(0, cut)) + "...";
}

}  // namespace atomservices::json
