// The gnuplot data files and scripts of the fixture comparison, exactly
// (golden files in fixtures/expected/plots/), and real PNGs when gnuplot is
// installed (Debian gnuplot-nox).
#include "host/compare/gnuplot_plots.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "host/compare/process_runner.h"
#include "tests/compare/fixture_comparison.h"

namespace jstip::compare {
namespace {

TEST(GnuplotPlots, FixtureScriptsAndData) {
  const auto plots = comparison_plots(testing::fixture_comparison(), "pngcairo");
  ASSERT_EQ(plots.size(), 3u);
  EXPECT_EQ(plots[0].png, "loss.png");
  EXPECT_EQ(plots[1].png, "wer.png");
  EXPECT_EQ(plots[2].png, "entity_accuracy.png");
  for (const auto& plot : plots)
    for (const auto& file : plot.files) testing::expect_golden(file.path, file.content);
}

TEST(GnuplotPlots, PlainPngTerminal) {
  const auto plots = comparison_plots(testing::fixture_comparison(), "png");
  const std::string& script = plots[1].files.back().content;
  EXPECT_NE(script.find("\nset terminal png noenhanced size 960,560\nset output 'wer.png'\n"), std::string::npos)
      << script;
}

TEST(GnuplotPlots, NoEntitiesNoEntityPlot) {
  Comparison c = testing::fixture_comparison();
  for (auto& run : c.runs)
    for (auto& score : run.scores) score.entity_accuracy.reset();
  const auto plots = comparison_plots(c, "pngcairo");
  ASSERT_EQ(plots.size(), 2u);
  EXPECT_EQ(plots[1].png, "wer.png");
}

TEST(GnuplotPlots, RendersValidPngs) {
  if (find_on_path("gnuplot").empty()) GTEST_SKIP() << "gnuplot not installed (Debian package gnuplot-nox)";
  const std::string gnuplot = require_gnuplot();
  const std::string terminal = choose_png_terminal(gnuplot);
  EXPECT_EQ(terminal, "pngcairo");  // Debian's gnuplot-nox has it
  const auto dir = std::filesystem::temp_directory_path() / "jstip_compare_plot_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto plots = comparison_plots(testing::fixture_comparison(), terminal);
  render_plots(plots, dir.string(), gnuplot);
  for (const auto& plot : plots) {
    const auto png = dir / plot.png;
    EXPECT_TRUE(is_png_file(png.string())) << png;
    EXPECT_GT(std::filesystem::file_size(png), 1000u) << png;
  }
  std::filesystem::remove_all(dir);
}

TEST(GnuplotPlots, PngSignature) {
  const auto dir = std::filesystem::temp_directory_path() / "jstip_compare_png_sig";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "fake.png") << "GIF89a...";
  EXPECT_FALSE(is_png_file((dir / "fake.png").string()));
  EXPECT_FALSE(is_png_file((dir / "absent.png").string()));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace jstip::compare
