#include "host/compare/process_runner.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace jstip::compare {
namespace {

TEST(ProcessRunner, ExitStatusAndMergedOutput) {
  std::string out;
  ProcessOptions options;
  options.quiet = true;
  options.captured = &out;
  EXPECT_EQ(run_process({"/bin/sh", "-c", "echo one; echo two >&2; exit 3"}, options), 3);
  EXPECT_EQ(out, "one\ntwo\n");
}

TEST(ProcessRunner, PrefixesEveryLine) {
  ProcessOptions options;
  options.prefix = "[child] ";
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_process({"/bin/sh", "-c", "printf 'a\\nb\\rc'"}, options), 0);
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "[child] a\n[child] b\n[child] c\n");
}

TEST(ProcessRunner, SignalAndMissingProgram) {
  ProcessOptions options;
  options.quiet = true;
  EXPECT_EQ(run_process({"/bin/sh", "-c", "kill -9 $$"}, options), 128 + 9);
  EXPECT_EQ(run_process({"/nonexistent/program"}, options), 127);
}

TEST(ProcessRunner, WorkingDirectory) {
  std::string out;
  ProcessOptions options;
  options.quiet = true;
  options.captured = &out;
  options.working_dir = "/";
  EXPECT_EQ(run_process({"/bin/sh", "-c", "pwd"}, options), 0);
  EXPECT_EQ(out, "/\n");
}

TEST(ProcessRunner, SelfAndPath) {
  EXPECT_TRUE(std::filesystem::exists(self_executable()));
  EXPECT_EQ(find_on_path("sh").empty(), false);
  EXPECT_EQ(find_on_path("no-such-program-jstip"), "");
  EXPECT_EQ(command_line({"jstip", "train", "a b", "x='*'"}), "jstip train 'a b' 'x='\\''*'\\'''");
}

}  // namespace
}  // namespace jstip::compare
