// SegmentStore opening a directory of arbitrary segment files, then writing to it. It must
// never crash or hang, only atomservices::Error may escape, and what it holds after each
// session of writes must be exactly what it holds when opened again.
//
// Input: one options byte, then files separated by "--8<--". A file's first byte picks
// its name (see name_of), the rest is its content. Options: bits 0-1 segment_bytes,
// bits 2-3 merge_fanout, bit 4 recompute the frames' checksums (so mutations reach the
// records' content), bits 5-6 how many writes after the first (per session), bit 7 the
// first session writes snapshots and checkpoints instead of events.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "../../src/frames.hpp"
#include "atomservices/crc32c.hpp"
#include "atomservices/errors.hpp"
#include "atomservices/segment_store.hpp"

using namespace atomservices;

namespace {

constexpr std::string_view kSeparator = "--8<--";

// A private directory on tmpfs when there is one, removed at exit (never destroyed before
// that, so the exit handler can still name it).
const std::string& base_directory() {
  static const std::string& base = *[] {
    auto* pattern = new std::string(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    *pattern += "/atomservices-fuzz-XXXXXX";
    if (!mkdtemp(pattern->data())) std::abort();
    std::atexit([] { rmdir(base_directory().c_str()); });
    return pattern;
  }();
  return base;
}

void remove_directory(const std::string& path) {
  if (DIR* dir = opendir(path.c_str())) {
    while (dirent* e = readdir(dir)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") unlink((path + "/" + name).c_str());
    }
    closedir(dir);
  }
  rmdir(path.c_str());
}

std::string segment_name(uint64_t first) {
  char name[40];
  std::snprintf(name, sizeof name, "segment-%016" PRIx64 ".log", first);
  return name;
}

// Mostly segment names with small first positions; a few others the store must cope with.
std::string name_of(uint8_t selector, std::string_view content) {
  if (selector < 0xF0) return segment_name(selector);
  switch (selector) {
    case 0xF0: {  // the position its own header names
      frames::Frame head = frames::read(content, 0);
      auto first = head.status == frames::Status::Ok ? frames::read_header(head.payload) : std::nullopt;
      return segment_name(first.value_or(0));
    }
    case 0xF1: return segment_name(UINT64_MAX);
    case 0xF2: return segment_name(1) + ".tmp";
    case 0xF3: return "segment-000000000000000A.log";
    case 0xF4: return "segment-0000000000000001.idx";  // an index file, damaged or not
    default: return "notes.txt";
  }
}

// Rewrites each frame's CRC, following the declared lengths while they fit.
void repair_checksums(std::string& bytes) {
  size_t offset = 0;
  while (bytes.size() - offset >= frames::kFrameHeaderBytes) {
    uint32_t length = 0;
    for (int i = 0; i < 4; ++i) length |= uint32_t(uint8_t(bytes[offset + 4 + i])) << (8 * i);
    if (length > bytes.size() - offset - frames::kFrameHeaderBytes) return;
    uint32_t crc = crc32c(bytes.data() + offset + frames::kFrameHeaderBytes, length);
    for (int i = 0; i < 4; ++i) bytes[offset + 8 + i] = static_cast<char>(crc >> (8 * i));
    offset += frames::kFrameHeaderBytes + length;
  }
}

void write_files(const std::string& dir, std::string_view input, bool repair) {
  while (!input.empty()) {
    size_t cut = input.find(kSeparator);
    std::string_view chunk = input.substr(0, cut);
    input = cut == std::string_view::npos ? std::string_view() : input.substr(cut + kSeparator.size());
    if (chunk.empty()) continue;
    std::string content(chunk.substr(1));
    if (repair) repair_checksums(content);
    std::string path = dir + "/" + name_of(static_cast<uint8_t>(chunk[0]), content);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size())) std::abort();
    close(fd);
  }
}

std::string event(int n, int64_t version) {
  return "[{\"_id\":\"0f8fad5b-d9cb-469f-a165-70867728950" + std::to_string(n) +
         "\",\"_createdAt\":\"2026-11-26T08:35:12.345Z\",\"_version\":" + std::to_string(version) +
         ",\"_createdBy\":\"fuzz\",\"EventName\":\"Fuzzed\",\"AggregateType\":\"Fuzz\",\"AggregateID\":\"f1\","
         "\"payloads\":{\"n\":" + std::to_string(n) + "}}]";
}

// What a store holds, as far as this target writes it.
struct State {
  std::string events;
  std::optional<uint64_t> checkpoint;
  std::optional<std::pair<int64_t, std::string>> snapshot;
  bool corrupt;
  bool operator!=(const State& o) const {
    return events != o.events || checkpoint != o.checkpoint || snapshot != o.snapshot || corrupt != o.corrupt;
  }
};

// Damage in a closed segment whose index file reads is found when its events are read:
// then the state is that refusal, the same on every open.
State state_of(const SegmentStore& store) {
  State s{{}, store.log().checkpoint("fuzz"), std::nullopt, false};
  try {
    s.events = store.log().read_all({});
    if (auto found = store.log().find_snapshot("fuzz@1", "Fuzz", "f1", Limits::kMaxVersion)) {
      s.snapshot = std::make_pair(found->first, std::string(found->second));
    }
  } catch (const Error& e) {
    s.events = "refused: " + std::string(error_code_name(e.code()));
  }
  s.corrupt = store.corruption().has_value();
  return s;
}

// Events, or (records_only) a snapshot and a checkpoint per write. Returns false after a
// failed write: what the disk holds then is not checked.
bool write(SegmentStore& store, int writes, bool records_only) {
  try {
    for (int n = 0; n < writes; ++n) {
      int64_t version = store.log().version("Fuzz", "f1") + 1;
      if (records_only) {
        store.put_snapshot("fuzz@1", "Fuzz", "f1", version, "{\"n\":" + std::to_string(n) + "}");
        store.put_checkpoint("fuzz", store.log().last_position() + n);
      } else {
        store.append(parse_events(event(n, version)));
      }
    }
    store.sync();
  } catch (const Error& e) {
    return e.code() != ErrorCode::STORE_FAILURE;
  }
  return true;
}

// Two sessions of writes; every open must find what the session before it left.
void run(const SegmentStoreOptions& options, int writes, bool records_first) {
  std::optional<State> before;
  for (int session = 0; session < 3; ++session) {
    SegmentStore store(options, posix_syncer());
    store.stats();
    if (before && state_of(store) != *before) std::abort();
    if (session == 2 || !write(store, writes, records_first && session == 0)) return;
    before = state_of(store);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  static const size_t kSegmentBytes[] = {64, 512, 4096, 4 << 20};
  static const size_t kFanout[] = {2, 3, 4, 8};
  SegmentStoreOptions options;
  options.directory = base_directory() + "/store";
  options.segment_bytes = kSegmentBytes[flags & 3];
  options.merge_fanout = kFanout[(flags >> 2) & 3];
  if (mkdir(options.directory.c_str(), 0755) != 0) std::abort();
  write_files(options.directory, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1), flags & 16);
  try {
    run(options, 1 + ((flags >> 5) & 3), flags & 128);
  } catch (const Error&) {
  }
  remove_directory(options.directory);
  return 0;
}
