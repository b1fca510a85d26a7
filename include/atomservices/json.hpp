#pragma once
// A small validating JSON scanner that builds no DOM: it checks syntax and UTF-8, decodes
// the strings the core needs, and hands back the raw text of everything else. Events keep
// their payloads as the exact text they arrived in, so the core never re-encodes them.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace atomservices::json {

enum class Kind { Object, Array, String, Number, True, False, Null };

std::string_view kind_name(Kind kind);

// A malformed document: where and why. Callers turn it into an atomservices::Error.
struct SyntaxError {
  size_t offset;
  std::string reason;
};

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  // Kind of the value at the cursor (after whitespace), without consuming it.
  Kind peek_kind();
  // Validates the value at the cursor and returns its raw text. Nesting deeper than
  // max_depth levels is reported through on_too_deep (returns false) before recursing.
  std::string_view skip_value(size_t max_depth, bool* too_deep = nullptr);
  // Decodes the string at the cursor into UTF-8. Returns false when it holds an unpaired
  // surrogate escape (valid JSON, but not valid Unicode).
  bool read_string(std::string& out);
  // Iterates an object: on_member(key) must consume the member's value.
  template <class OnMember>
  void members(OnMember&& on_member);
  // Iterates an object without decoding keys: on_member(raw key, between its quotes) must
  // consume the member's value and return whether to go on.
  template <class OnMember>
  void raw_members(OnMember&& on_member);
  // Iterates an array: on_element(index) must consume the element.
  template <class OnElement>
  void elements(OnElement&& on_element);
  void expect_end();
  size_t offset() const { return pos_; }

 private:
  void skip_ws();
  [[noreturn]] void fail(const std::string& reason) const;
  void expect(char c);
  bool consume(char c);
  void skip_string();
  void skip_number();
  void skip_literal(std::string_view word);
  bool skip_nested(size_t depth_left);
  uint32_t read_hex4();
  void validate_utf8_sequence();

  std::string_view text_;
  size_t pos_ = 0;
};

// The small steps every value takes are inline: they run a few times per byte of input.
inline void Scanner::skip_ws() {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
    ++pos_;
  }
}

inline bool Scanner::consume(char c) {
  skip_ws();
  if (pos_ < text_.size() && text_[pos_] == c) {
    ++pos_;
    return true;
  }
  return false;
}

inline void Scanner::expect(char c) {
  if (!consume(c)) fail(std::string("expected '") + c + "'");
}

inline Kind Scanner::peek_kind() {
  skip_ws();
  if (pos_ >= text_.size()) fail("unexpected end of input");
  switch (text_[pos_]) {
    case '{': return Kind::Object;
    case '[': return Kind::Array;
    case '"': return Kind::String;
    case 't': return Kind::True;
    case 'f': return Kind::False;
    case 'n': return Kind::Null;
    default:
      if (text_[pos_] == '-' || (text_[pos_] >= '0' && text_[pos_] <= '9')) return Kind::Number;
      fail("unexpected character");
  }
}

template <class OnMember>
void Scanner::members(OnMember&& on_member) {
  expect('{');
  skip_ws();
  if (consume('}')) return;
  std::string key;
  do {
    skip_ws();
    if (peek_kind() != Kind::String) fail("expected a string key");
    if (!read_string(key)) fail("object key is not valid Unicode");
    skip_ws();
    expect(':');
    on_member(static_cast<const std::string&>(key));
    skip_ws();
  } while (consume(','));
  expect('}');
}

template <class OnMember>
void Scanner::raw_members(OnMember&& on_member) {
  expect('{');
  skip_ws();
  if (consume('}')) return;
  do {
    skip_ws();
    if (peek_kind() != Kind::String) fail("expected a string key");
    size_t start = pos_;
    skip_string();
    std::string_view key = text_.substr(start + 1, pos_ - start - 2);
    skip_ws();
    expect(':');
    if (!on_member(key)) return;
    skip_ws();
  } while (consume(','));
  expect('}');
}

template <class OnElement>
void Scanner::elements(OnElement&& on_element) {
  expect('[');
  skip_ws();
  if (consume(']')) return;
  size_t index = 0;
  do {
    on_element(index++);
    skip_ws();
  } while (consume(','));
  expect(']');
}

// A JSON number token as an integer, when it is one exactly and |n| <= 2^53 - 1.
std::optional<int64_t> to_safe_integer(std::string_view number_token);

// A JSON number token as the nearest double (NaN if it is not a number token).
double to_double(std::string_view number_token);

// Appends s as a JSON string literal (quoted, escaped).
void append_string(std::string& out, std::string_view s);

// A short, printable rendering of a raw value for error messages.
std::string preview(std::string_view raw, size_t max_chars = 40);
// "got <kind> <preview>" for a message about a wrong value ("got null" alone for null).
std::string got(Kind kind, std::string_view raw);

}  // namespace atomservices::json
