// Child processes for `jstip compare`: train, decode and eval run as real
// processes of the same binary (a crash or leak in one cannot corrupt the
// next), gnuplot as an external one. Output is streamed line by line with a
// prefix ("[train asr-only] ...") so interleaved logs stay readable.
#pragma once

#include <string>
#include <vector>

namespace jstip::compare {

struct ProcessOptions {
  std::string prefix;       // put before every output line; "" = none
  std::string working_dir;  // "" = the current one
  bool quiet = false;       // discard the output (still captured when `captured` is set)
  std::string* captured = nullptr;  // receives stdout+stderr when non-null
};

// Runs argv[0] (a path) with argv, stdout and stderr merged into one pipe.
// Returns the exit status, or 128 + signal number when a signal ended it;
// 127 when the program could not be started.
int run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// This process's executable (/proc/self/exe resolved), to re-launch itself.
std::string self_executable();

// The full path of `name` found on PATH, or "" when absent.
std::string find_on_path(const std::string& name);

// argv as one line for logs: words with blanks or quotes are single-quoted.
std::string command_line(const std::vector<std::string>& argv);

}  // namespace jstip::compare
