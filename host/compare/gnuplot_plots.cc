#include "host/compare/gnuplot_plots.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "host/compare/process_runner.h"

namespace jstip::compare {

namespace fs = std::filesystem;

namespace {

// A gnuplot single-quoted string ('' is a literal quote).
std::string gp_string(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Safe in file names: letters, digits, . _ - (others become _).
std::string file_stem(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '_';
  return out;
}

std::string number(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", value);
  return buf;
}

std::string header(const std::string& terminal, const std::string& png, const std::string& comment) {
  const std::string term = terminal == "pngcairo" ? "set terminal pngcairo noenhanced size 960,560 font 'sans,10'"
                                                  : "set terminal png noenhanced size 960,560";
  return "# " + comment + "\n" + term + "\nset output " + gp_string(png) + "\n";
}

const TestScore* find_score(const ConfigRun& run, const std::string& test) {
  for (const auto& s : run.scores)
    if (s.test == test) return &s;
  return nullptr;
}

std::optional<Plot> loss_plot(const Comparison& c, const std::string& terminal) {
  Plot plot{"training loss", "loss.png", "plots/loss.gp", {}};
  std::vector<std::string> curves;
  for (size_t i = 0; i < c.runs.size(); ++i) {
    const ConfigRun& run = c.runs[i];
    const std::string colour = " lc " + std::to_string(i + 1);
    auto add = [&](const std::vector<CurvePoint>& points, const std::string& kind, const std::string& style,
                   const std::string& title) {
      if (points.empty()) return;
      PlotFile data{"plots/" + kind + "-" + file_stem(run.name) + ".dat", "# step " + kind + "\n"};
      for (const auto& p : points) data.content += std::to_string(p.step) + " " + number(p.value) + "\n";
      curves.push_back(gp_string(data.path) + " using 1:2 with " + style + colour + " title " + gp_string(title));
      plot.files.push_back(data);
    };
    add(run.train_loss, "loss", "linespoints lw 2 pt 7 ps 0.4", run.name);
    add(run.dev_loss, "dev_loss", "linespoints lw 2 dt 2 pt 6 ps 0.8", run.name + " (dev)");
  }
  if (curves.empty()) return std::nullopt;
  std::string script = header(terminal, plot.png, "jstip compare: training loss per config (metrics.jsonl)") +
                       "set title 'Training loss (dashed: dev loss)'\n"
                       "set xlabel 'step'\n"
                       "set ylabel 'cross-entropy per target token'\n"
                       "set key top right\n"
                       "set grid\n"
                       "plot ";
  for (size_t i = 0; i < curves.size(); ++i) script += (i ? ", \\\n     " : "") + curves[i];
  plot.files.push_back({plot.script, script + "\n"});
  return plot;
}

// Bars per test set (x) and config (colour) with 95% CI error bars, in percent.
std::optional<Plot> bar_plot(const Comparison& c, const std::string& terminal, const std::string& stem,
                             const std::string& caption, const std::string& title, const std::string& ylabel,
                             const std::string& yrange,
                             const std::function<std::optional<Interval>(const TestScore&)>& value) {
  PlotFile data{"plots/" + stem + ".dat", "# test"};
  for (const auto& run : c.runs) data.content += "  " + run.name + ":estimate,lower,upper(%)";
  data.content += "\n";
  size_t rows = 0;
  for (const auto& test : c.tests) {
    std::string row = "\"" + test.name + "\"";
    bool any = false;
    for (const auto& run : c.runs) {
      const TestScore* s = find_score(run, test.name);
      const auto ci = s ? value(*s) : std::nullopt;
      if (ci) {
        row += "  " + number(100 * ci->estimate) + " " + number(100 * ci->lower) + " " + number(100 * ci->upper);
        any = true;
      } else {
        row += "  ? ? ?";
      }
    }
    if (!any) continue;  // e.g. a test set without entities
    data.content += row + "\n";
    ++rows;
  }
  if (rows == 0 || c.runs.empty()) return std::nullopt;
  Plot plot{caption, stem + ".png", "plots/" + stem + ".gp", {data}};
  std::string script = header(terminal, plot.png, "jstip compare: " + caption + " per config and test set") +
                       "set title " + gp_string(title) + "\n"
                       "set ylabel " + gp_string(ylabel) + "\n"
                       "set yrange " + yrange + "\n"
                       "set style data histogram\n"
                       "set style histogram errorbars gap 2 lw 1\n"
                       "set style fill solid 0.75 border -1\n"
                       "set boxwidth 0.9\n"
                       "set datafile missing '?'\n"
                       "set key outside right top\n"
                       "set grid ytics\n"
                       "plot ";
  for (size_t i = 0; i < c.runs.size(); ++i) {
    const size_t col = 2 + 3 * i;
    script += (i ? ", \\\n     " : "") + gp_string(data.path) + " using " + std::to_string(col) + ":" +
              std::to_string(col + 1) + ":" + std::to_string(col + 2) + (i ? "" : ":xtic(1)") + " title " +
              gp_string(c.runs[i].name);
  }
  plot.files.push_back({plot.script, script + "\n"});
  return plot;
}

}  // namespace

std::vector<Plot> comparison_plots(const Comparison& c, const std::string& terminal) {
  std::vector<Plot> plots;
  if (auto p = loss_plot(c, terminal)) plots.push_back(*p);
  if (auto p = bar_plot(c, terminal, "wer", "WER", "WER per strategy and test set (95% CI)", "WER %", "[0:*]",
                        [](const TestScore& s) { return std::optional<Interval>(s.wer); }))
    plots.push_back(*p);
  if (auto p = bar_plot(c, terminal, "entity_accuracy", "entity accuracy",
                        "Entity accuracy per strategy and test set (95% CI)", "entity accuracy %", "[0:105]",
                        [](const TestScore& s) { return s.entity_accuracy; }))
    plots.push_back(*p);
  return plots;
}

std::string require_gnuplot() {
  const std::string path = find_on_path("gnuplot");
  if (path.empty())
    throw std::runtime_error(
        "gnuplot not found on PATH; jstip compare draws its plots with it: install the Debian package "
        "gnuplot-nox (apt-get install gnuplot-nox, or run scripts/install-deps.sh)");
  return path;
}

std::string choose_png_terminal(const std::string& gnuplot) {
  // A script that only selects the terminal fails when gnuplot lacks it.
  const fs::path probe = fs::temp_directory_path() / ("jstip-gnuplot-probe-" + std::to_string(::getpid()) + ".gp");
  {
    std::ofstream out(probe);
    out << "set terminal pngcairo\n";
  }
  ProcessOptions options;
  options.quiet = true;
  const int rc = run_process({gnuplot, probe.string()}, options);
  std::error_code ec;
  fs::remove(probe, ec);
  return rc == 0 ? "pngcairo" : "png";
}

bool is_png_file(const std::string& path) {
  static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::ifstream in(path, std::ios::binary);
  unsigned char head[8] = {};
  if (!in.read(reinterpret_cast<char*>(head), 8)) return false;
  return std::equal(std::begin(head), std::end(head), std::begin(signature));
}

void render_plots(const std::vector<Plot>& plots, const std::string& out_dir, const std::string& gnuplot) {
  for (const auto& plot : plots) {
    for (const auto& file : plot.files) {
      const fs::path path = fs::path(out_dir) / file.path;
      fs::create_directories(path.parent_path());
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << file.content;
      if (!out) throw std::runtime_error("cannot write " + path.string());
    }
    const fs::path png = fs::path(out_dir) / plot.png;
    std::error_code ec;
    fs::remove(png, ec);  // a stale PNG must not pass for a new one
    std::string output;
    ProcessOptions options;
    options.quiet = true;
    options.captured = &output;
    options.working_dir = out_dir;
    const int rc = run_process({gnuplot, plot.script}, options);
    if (rc != 0)
      throw std::runtime_error("gnuplot failed (exit status " + std::to_string(rc) + ") on " +
                               (fs::path(out_dir) / plot.script).string() + ":\n" + output);
    if (!is_png_file(png.string()))
      throw std::runtime_error("gnuplot ran " + (fs::path(out_dir) / plot.script).string() + " but " +
                               png.string() + " is not a PNG file:\n" + output);
  }
}

}  // namespace jstip::compare
