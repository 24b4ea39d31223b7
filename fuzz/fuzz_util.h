// Helpers shared by the fuzz harnesses: the readers under test take a path,
// so each input is written to an in-memory file, and a finding is an abort
// with a message (libFuzzer then saves the input).
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace jstip::fuzz {

// A memfd reused for every input: no disk I/O, and the path
// (/proc/self/fd/N) opens like any file.
class MemFile {
 public:
  MemFile() : fd_(::memfd_create("jstip-fuzz", 0)) {
    if (fd_ < 0) std::abort();
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  const std::string& write(const uint8_t* data, size_t size) {
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, data, size, 0) != ssize_t(size)) std::abort();
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "FUZZ FINDING: %s\n", what.c_str());
  std::abort();
}

// The issue asks for errors that name the place: the file (or override).
inline void require_names(const std::exception& error, const std::string& place) {
  if (std::string(error.what()).find(place) == std::string::npos)
    finding("error does not name '" + place + "': " + error.what());
}

// A reader that throws must still close its file; ASan cannot see a leaked
// descriptor (glibc keeps every open FILE reachable), so check it here: the
// lowest free descriptor goes up when one leaks.
class NoFdLeak {
 public:
  NoFdLeak() : before_(lowest_free_fd()) {}
  ~NoFdLeak() {
    if (lowest_free_fd() != before_) finding("a file descriptor leaked");
  }

 private:
  static int lowest_free_fd() {
    const int fd = ::open("/dev/null", O_RDONLY);
    ::close(fd);
    return fd;
  }
  int before_;
};

}  // namespace jstip::fuzz
