// Writes the binary seed inputs of fuzz_frames, fuzz_store_open and fuzz_index from what the real
// engine writes: make_seeds <corpus directory>. The committed seeds came from it; run it
// again only when the record format changes.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../../src/frames.hpp"
#include "../../src/range_filters.hpp"
#include "../../src/segment_index.hpp"
#include "atomservices/segment_store.hpp"

using namespace atomservices;

namespace {

std::string event(int n, int version, const std::string& aggregate = "a1") {
  return "{\"_id\":\"0f8fad5b-d9cb-469f-a165-7086772895" + std::to_string(10 + n) +
         "\",\"_createdAt\":\"2026-11-26T08:35:12.345Z\",\"_version\":" + std::to_string(version) +
         ",\"_createdBy\":\"t\",\"EventName\":\"E\",\"AggregateType\":\"A\",\"AggregateID\":\"" + aggregate +
         "\",\"payloads\":{}}";
}

std::vector<Event> events(std::initializer_list<std::string> json) {
  std::string array = "[";
  for (const std::string& e : json) array += (array.size() > 1 ? "," : "") + e;
  return parse_events(array + "]");
}

std::string batch(std::initializer_list<std::string> json) {
  std::vector<Event> list = events(json);
  return frames::batch(list, std::vector<bool>(list.size(), false));
}

void save(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The segment files a real store leaves after `appends`, packed as a fuzz_store_open input.
std::string store_input(uint8_t flags, size_t segment_bytes, size_t fanout, int appends) {
  char dir[] = "/tmp/atomservices-seeds-XXXXXX";
  mkdtemp(dir);
  {
    SegmentStore store({dir, segment_bytes, fanout}, posix_syncer());
    for (int n = 0; n < appends; ++n) store.append(events({event(n, n / 2 + 1, n % 2 ? "a2" : "a1")}));
    store.sync();
  }
  std::vector<std::string> names;
  DIR* d = opendir(dir);
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    bool index = name.size() > 4 && name.compare(name.size() - 4, 4, ".idx") == 0;  // rebuilt when missing
    if (name[0] != '.' && !index) names.push_back(name);
    if (index) unlink((std::string(dir) + "/" + name).c_str());
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  std::string input(1, static_cast<char>(flags));
  for (const std::string& name : names) {
    input += (input.size() > 1 ? "--8<--" : "") + std::string(1, '\xF0') + read(std::string(dir) + "/" + name);
    unlink((std::string(dir) + "/" + name).c_str());
  }
  rmdir(dir);
  return input;
}

// Markers each declaring a frame to the end of the file, none intact (a review finding:
// checking them once took quadratic time).
std::string overlapping_frames(size_t count) {
  std::string bytes = frames::header(1);
  for (size_t i = count; i-- > 0;) {
    uint32_t length = static_cast<uint32_t>(i * frames::kFrameHeaderBytes);
    bytes += bytes.substr(0, 4);
    for (int b = 0; b < 4; ++b) bytes += static_cast<char>(length >> (8 * b));
    bytes += std::string("\1\0\0\0", 4);
  }
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds <corpus directory>\n");
    return 2;
  }
  const std::string frames_dir = std::string(argv[1]) + "/fuzz_frames/";
  const std::string store_dir = std::string(argv[1]) + "/fuzz_store_open/";
  const std::string head = frames::header(1);
  const std::string two = batch({event(0, 1), event(1, 1, "a2")});
  const std::string one = batch({event(2, 2)});

  save(frames_dir + "header", head);
  save(frames_dir + "segment", head + two + one);
  save(frames_dir + "torn-tail", head + two + one.substr(0, one.size() / 2));
  std::string flipped = head + two + one;
  flipped[head.size() + 20] ^= 1;
  save(frames_dir + "bad-checksum", flipped);
  save(frames_dir + "overlapping-frames", overlapping_frames(40));
  save(frames_dir + "snapshot-and-checkpoint",
       head + frames::snapshot({"reducer@1", "A", "a1", 2, "{\"n\":2}"}) + frames::checkpoint({"projection", 3}));

  const uint8_t kLarge = 3, kSmallSegments = 1 | (1 << 2), kRepair = 16;
  save(store_dir + "empty", std::string(1, static_cast<char>(kLarge)));
  save(store_dir + "one-segment", store_input(kLarge, 4 << 20, 8, 3));
  save(store_dir + "rolled-and-merged", store_input(kSmallSegments, 512, 3, 6));
  std::string torn = store_input(kLarge, 4 << 20, 8, 2);
  save(store_dir + "torn-tail", torn.substr(0, torn.size() - 40));
  std::string bad = store_input(kLarge, 4 << 20, 8, 2);
  bad[bad.size() - 30] ^= 1;
  save(store_dir + "bad-checksum", bad);
  bad[0] |= kRepair;
  save(store_dir + "bad-checksum-repaired", bad);
  // Review findings: a damaged header length (once read as a torn header and deleted), and
  // overlapping fake frames in the last segment.
  std::string damaged = store_input(kLarge, 4 << 20, 8, 2);
  damaged[1] = 0x01;        // named for position 1: its header no longer says
  damaged[2 + 5] ^= 0x40;  // after the options and name bytes: the header's length field
  save(store_dir + "damaged-header-length", damaged);
  save(store_dir + "overlapping-frames", std::string("\3\1", 2) + overlapping_frames(40));
  // A merge interrupted after its rename: segment 2 is covered by segment 1; a .tmp remains.
  save(store_dir + "merge-leftover", std::string(1, static_cast<char>(kLarge)) + "\x01" + head + two + one +
                                         "--8<--\x02" + frames::header(2) + one + "--8<--\xF2" + head);
  const std::string index_dir = std::string(argv[1]) + "/fuzz_index/";
  auto index_input = [](uint64_t first, uint64_t segment_bytes, const IndexBuilder& builder) {
    std::string input;
    frames::put<uint64_t>(input, first);
    frames::put<uint64_t>(input, segment_bytes);
    return input + builder.finish(segment_bytes);
  };
  IndexBuilder small(1);
  small.add_event(*parse_uuid("0f8fad5b-d9cb-469f-a165-7086772895aa"), std::string("A\0a1", 4), 1, {29, 100, 7});
  small.add_event(*parse_uuid("1f8fad5b-d9cb-469f-a165-7086772895aa"), std::string("A\0a2", 4), 1, {129, 80, 9});
  small.add_snapshot({"reducer@1", "A", "a1", 1, {300, 10, 3}});
  small.add_checkpoint("projection", 2);
  save(index_dir + "two-events", index_input(1, 400, small));
  IndexBuilder many(1000);
  for (int n = 0; n < 600; ++n) {  // several frames in every table, within the fuzzer's input size
    char id[37];
    std::snprintf(id, sizeof id, "%08x-d9cb-469f-a165-7086772895aa", n * 2654435761u);
    many.add_event(*parse_uuid(id), "A" + std::string(1, '\0') + "a" + std::to_string(n % 60), n / 60 + 1,
                   {29 + 200ull * n, 200, static_cast<uint32_t>(n)});
  }
  save(index_dir + "many-events", index_input(1000, 29 + 200 * 600, many));
  RangeFilters filters('i', 16);  // two small filters, within the fuzzer's input size
  filters.cover(11, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  filters.cover(31, std::vector<uint64_t>(20, 0x9E3779B97F4A7C15ull));
  save(index_dir + "range-filters", std::string(16, '\0') + filters.encode());
  return 0;
}
