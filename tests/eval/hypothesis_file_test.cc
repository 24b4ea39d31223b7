#include "host/eval/hypothesis_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace jstip::eval {
namespace {

TEST(HypothesisFile, ParsesAllFields) {
  const auto r = parse_hypothesis_line(
      R"({"id":"u1","hypothesis":"take aspirin","reference":"Take aspirin.","speaker":"s1",)"
      R"("entities":[{"begin":5,"end":12,"type":"drug"}],"answers":["aspirin"]})",
      "test:1");
  EXPECT_EQ(r.id, "u1");
  EXPECT_EQ(r.speaker, "s1");
  ASSERT_EQ(r.entities.size(), 1u);
  EXPECT_EQ(r.entities[0].begin, 5);
  EXPECT_EQ(r.entities[0].end, 12);
  EXPECT_EQ(r.entities[0].type, "drug");
  EXPECT_EQ(r.answers, std::vector<std::string>{"aspirin"});
}

TEST(HypothesisFile, ErrorsNameFileLineAndField) {
  auto message_of = [](const std::string& line) {
    try {
      parse_hypothesis_line(line, "hyp.jsonl:3");
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message_of(R"({"id":"u1","reference":"x"})").find("hyp.jsonl:3 (id 'u1'): expected a string field \"hypothesis\""),
            std::string::npos);
  EXPECT_NE(message_of("{not json").find("hyp.jsonl:3: not valid JSON"), std::string::npos);
  EXPECT_NE(message_of(R"({"id":"u","hypothesis":"","reference":"","entities":[{"begin":"0"}]})").find("entities"),
            std::string::npos);
}

TEST(HypothesisFile, ReadsFileSkipsBlankLinesRejectsDuplicates) {
  const auto path = std::filesystem::temp_directory_path() / ("jstip_hyp_" + std::to_string(::getpid()) + ".jsonl");
  {
    std::ofstream out(path);
    out << R"({"id":"a","hypothesis":"x","reference":"x"})" << "\n\n"
        << R"({"id":"b","hypothesis":"y","reference":"z"})" << "\n";
  }
  EXPECT_EQ(read_hypothesis_file(path.string()).size(), 2u);
  {
    std::ofstream out(path, std::ios::app);
    out << R"({"id":"a","hypothesis":"x","reference":"x"})" << "\n";
  }
  try {
    read_hypothesis_file(path.string());
    FAIL() << "expected a duplicate-id error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(":4: duplicate id 'a'"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace jstip::eval
