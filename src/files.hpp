#pragma once
// Thin POSIX file helpers for the storage engine. Failures throw STORE_FAILURE naming the
// path and the system's reason.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atomservices::files {

void make_directories(const std::string& path);
std::vector<std::string> list(const std::string& directory);
std::string read_all(const std::string& path);
// The file's bytes; nothing when it is missing or cannot be read (for derived files).
std::optional<std::string> read_if_present(const std::string& path);
int open_for_append(const std::string& path, bool create_new);
int open_for_reading(const std::string& path);
uint64_t size_of(const std::string& path);
uint64_t size_of(int fd, const std::string& path);
// Reads exactly `size` bytes at `offset`; a short file is STORE_CORRUPT.
void read_at(int fd, char* into, size_t size, uint64_t offset, const std::string& path);
void write_at(int fd, std::string_view bytes, uint64_t offset, const std::string& path);
// Appends the bytes of the file at `from` past its first `skip` bytes to `fd` at `offset`,
// in bounded chunks; returns how many were copied.
uint64_t copy_into(int fd, uint64_t offset, const std::string& to, const std::string& from, uint64_t skip);
void truncate(const std::string& path, uint64_t size);
void rename(const std::string& from, const std::string& to);
void remove(const std::string& path);
void close(int fd);

}  // namespace atomservices::files
