#include "range_filters.hpp"

#include <algorithm>
#include <cstring>

#include "atomservices/crc32c.hpp"
#include "frames.hpp"

namespace atomservices {
namespace {

constexpr std::string_view kMagic = "ATOMRF2";  // then the kind
// A filter that may hold a new key costs a search of every segment of its range, so these
// take more bits a key than a segment's own: about 1 false positive in 8,000 keys against
// 1 in 1,000 at 16 (these blocked filters, 7 probes).
constexpr size_t kBitsPerKey = 24;
constexpr uint64_t kMaxCapacity = uint64_t{1} << 27;  // 384 MiB of filter, whose words a 32-bit size_t still counts
constexpr size_t kMaxParts = 64;

}  // namespace

void RangeFilters::cover(uint64_t end, const std::vector<uint64_t>& hashes) {
  const uint64_t from = covered_end();
  if (end <= from) return;
  const uint64_t count = hashes.size();  // at most this many new keys
  if (parts_.empty() || parts_.back().keys + count > parts_.back().capacity) {
    uint64_t doubled = parts_.empty() ? 0 : std::min(kMaxCapacity, 2 * parts_.back().capacity);
    uint64_t capacity = std::max({first_capacity_, doubled, count});
    parts_.push_back(Part{from, from, capacity, 0, Bloom(static_cast<size_t>(capacity), kBitsPerKey)});
  }
  // A key already held counts once: a stream's events lie in many segments of one range.
  Part& part = parts_.back();
  for (uint64_t hash : hashes) {
    if (part.bloom.may_contain(hash)) continue;
    part.bloom.add(hash);
    ++part.keys;
  }
  part.end = end;
}

uint64_t RangeFilters::keys() const {
  uint64_t keys = 0;
  for (const Part& part : parts_) keys += part.keys;
  return keys;
}

size_t RangeFilters::memory_bytes() const {
  size_t bytes = 0;
  for (const Part& part : parts_) bytes += part.bloom.words().size() * 8;
  return bytes;
}

// [magic][kind][u64 payload bytes][u32 CRC-32C of the payload][payload]: not a frame, whose
// length limit a large store's filters pass. The payload: the count of parts, then each
// part's range, capacity and keys, and its words.
namespace {
constexpr size_t kHeaderBytes = kMagic.size() + 1 + 8 + 4;
constexpr size_t kPartHeaderBytes = 32;
constexpr size_t kWordsAPiece = 8192;  // 64 KiB

// Words are stored little-endian: on such a machine (WebAssembly, x86, ARM) a copy, else
// byte by byte.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
void put_words(std::string& out, const uint64_t* words, size_t n) {
  out.append(reinterpret_cast<const char*>(words), n * 8);
}
void get_words(std::string_view in, uint64_t* words, size_t n) { std::memcpy(words, in.data(), n * 8); }
#else
void put_words(std::string& out, const uint64_t* words, size_t n) {
  for (size_t i = 0; i < n; ++i) frames::put<uint64_t>(out, words[i]);
}
void get_words(std::string_view in, uint64_t* words, size_t n) {
  frames::Reader r(in);
  for (size_t i = 0; i < n; ++i) words[i] = r.get<uint64_t>();
}
#endif
}  // namespace

void RangeFilters::encode(const std::function<void(std::string_view piece)>& write) const {
  auto payload = [&](const std::function<void(std::string_view)>& out) {
    std::string piece;
    frames::put<uint32_t>(piece, static_cast<uint32_t>(parts_.size()));
    out(piece);
    for (const Part& part : parts_) {
      piece.clear();
      for (uint64_t field : {part.first, part.end, part.capacity, part.keys}) frames::put<uint64_t>(piece, field);
      out(piece);
      const std::vector<uint64_t>& words = part.bloom.words();
      for (size_t at = 0; at < words.size(); at += kWordsAPiece) {
        piece.clear();
        put_words(piece, words.data() + at, std::min(words.size() - at, kWordsAPiece));
        out(piece);
      }
    }
  };
  uint64_t length = 0;
  uint32_t crc = 0;
  payload([&](std::string_view piece) {  // a first pass for the header's length and checksum
    length += piece.size();
    crc = crc32c(piece.data(), piece.size(), crc);
  });
  std::string head(kMagic);
  head += kind_;
  frames::put<uint64_t>(head, length);
  frames::put<uint32_t>(head, crc);
  write(head);
  payload(write);
}

std::string RangeFilters::encode() const {
  std::string file;
  encode([&](std::string_view piece) { file += piece; });
  return file;
}

std::optional<RangeFilters> RangeFilters::decode(std::string_view file, char kind) {
  return decode(file.size(), [&](uint64_t at, char* into, size_t n) { std::copy_n(file.data() + at, n, into); }, kind);
}

std::optional<RangeFilters> RangeFilters::decode(uint64_t size, const Read& read, char kind) {
  if (size < kHeaderBytes) return std::nullopt;
  std::string bytes(kHeaderBytes, '\0');
  read(0, bytes.data(), bytes.size());
  frames::Reader head(bytes);
  if (head.take(kMagic.size()) != kMagic || head.get<uint8_t>() != static_cast<uint8_t>(kind)) return std::nullopt;
  const uint64_t length = head.get<uint64_t>();
  const uint32_t expected_crc = head.get<uint32_t>();
  if (!head.ok() || length != size - kHeaderBytes) return std::nullopt;
  uint64_t at = kHeaderBytes;
  uint32_t crc = 0;
  auto take = [&](size_t n) -> std::string_view {  // the payload's next n bytes, checksummed as read
    bytes.resize(n);
    if (n > size - at) return {};
    read(at, bytes.data(), n);
    at += n;
    crc = crc32c(bytes.data(), n, crc);
    return bytes;
  };
  frames::Reader count_field(take(4));
  uint32_t count = count_field.get<uint32_t>();
  if (!count_field.ok() || count > kMaxParts) return std::nullopt;
  RangeFilters filters(kind);
  uint64_t next = 1;
  for (uint32_t i = 0; i < count; ++i) {
    frames::Reader r(take(kPartHeaderBytes));
    Part part;
    part.first = r.get<uint64_t>();
    part.end = r.get<uint64_t>();
    part.capacity = r.get<uint64_t>();
    part.keys = r.get<uint64_t>();
    // The ranges run on from position 1, each part was sized before it was filled, and
    // its words are in the file before any memory is taken for them.
    if (!r.ok() || part.first != next || part.end <= part.first || part.capacity == 0 || part.capacity > kMaxCapacity ||
        part.keys > part.capacity || Bloom::words_for(part.capacity, kBitsPerKey) > (size - at) / 8) {
      return std::nullopt;
    }
    part.bloom = Bloom(static_cast<size_t>(part.capacity), kBitsPerKey);
    std::vector<uint64_t>& words = part.bloom.words();
    for (size_t from = 0; from < words.size(); from += kWordsAPiece) {
      const size_t n = std::min(words.size(), from + kWordsAPiece) - from;
      std::string_view piece = take(n * 8);
      if (piece.size() != n * 8) return std::nullopt;
      get_words(piece, words.data() + from, n);
    }
    next = part.end;
    filters.parts_.push_back(std::move(part));
  }
  if (at != size) return std::nullopt;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  (void)crc;  // as frames do in fuzzing builds, so that mutations reach the decoder
  (void)expected_crc;
#else
  if (crc != expected_crc) return std::nullopt;
#endif
  return filters;
}

}  // namespace atomservices
