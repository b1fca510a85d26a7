#include "files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "atomservices/errors.hpp"

namespace atomservices::files {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw Error(ErrorCode::STORE_FAILURE, "could not " + what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

void make_directories(const std::string& path) {
  for (size_t slash = path.find('/', 1); ; slash = path.find('/', slash + 1)) {
    std::string part = path.substr(0, slash);
    if (!part.empty() && ::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) fail("create directory", part);
    if (slash == std::string::npos) break;
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    errno = ENOTDIR;
    fail("use directory", path);
  }
}

std::vector<std::string> list(const std::string& directory) {
  DIR* dir = ::opendir(directory.c_str());
  if (!dir) fail("list", directory);
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(dir);
  return names;
}

std::string read_all(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail("open", path);
  std::string content;
  char buffer[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      ::close(fd);
      fail("read", path);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

std::optional<std::string> read_if_present(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> bytes;
  try {
    bytes.emplace(static_cast<size_t>(size_of(fd, path)), '\0');
    read_at(fd, bytes->data(), bytes->size(), 0, path);
  } catch (const Error&) {
    bytes.reset();
  }
  ::close(fd);
  return bytes;
}

int open_for_append(const std::string& path, bool create_new) {
  int flags = O_RDWR | (create_new ? O_CREAT | O_EXCL : 0);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) fail(create_new ? "create" : "open", path);
  return fd;
}

int open_for_reading(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail("open", path);
  return fd;
}

uint64_t size_of(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) fail("read the size of", path);
  return static_cast<uint64_t>(info.st_size);
}

uint64_t size_of(int fd, const std::string& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) fail("read the size of", path);
  return static_cast<uint64_t>(info.st_size);
}

void read_at(int fd, char* into, size_t size, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, into + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("read", path);
    if (n == 0) {
      throw Error(ErrorCode::STORE_CORRUPT, "the segment " + path + " is shorter than its records say (" +
                                                std::to_string(offset + done) + " bytes); was it cut or replaced?");
    }
    done += static_cast<size_t>(n);
  }
}

void write_at(int fd, std::string_view bytes, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      (void)::ftruncate(fd, static_cast<off_t>(offset));  // leave no partial record behind
      errno = saved;
      fail("write", path);
    }
    done += static_cast<size_t>(n);
  }
}

uint64_t copy_into(int fd, uint64_t offset, const std::string& to, const std::string& from, uint64_t skip) {
  int in = ::open(from.c_str(), O_RDONLY);
  if (in < 0) fail("open", from);
  std::string buffer(1 << 20, '\0');
  uint64_t copied = 0;
  while (true) {
    ssize_t n = ::pread(in, buffer.data(), buffer.size(), static_cast<off_t>(skip + copied));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(in);
      fail("read", from);
    }
    if (n == 0) break;
    try {
      write_at(fd, std::string_view(buffer.data(), static_cast<size_t>(n)), offset + copied, to);
    } catch (...) {
      ::close(in);
      throw;
    }
    copied += static_cast<uint64_t>(n);
  }
  ::close(in);
  return copied;
}

void truncate(const std::string& path, uint64_t size) {
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) fail("truncate", path);
}

void rename(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) fail("rename", from);
}

void remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail("remove", path);
}

void close(int fd) { ::close(fd); }

}  // namespace atomservices::files
