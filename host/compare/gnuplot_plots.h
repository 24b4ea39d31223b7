// PNG plots of a comparison with Debian's gnuplot: training loss curves of
// all configs on one plot (dev loss dashed, same colour), and WER / entity
// accuracy per config and test set as bars with 95% CI error bars.
// Generation (data files + scripts) is separate from rendering, so the
// scripts are tested as text and the PNGs by running gnuplot.
#pragma once

#include <string>
#include <vector>

#include "host/compare/comparison.h"

namespace jstip::compare {

struct PlotFile {
  std::string path;  // relative to the output folder
  std::string content;
};

struct Plot {
  std::string caption;         // "training loss"
  std::string png;             // "loss.png", relative to the output folder
  std::string script;          // "plots/loss.gp"
  std::vector<PlotFile> files; // data files and the script
};

// The plots a comparison has data for (no entity plot without entities, no
// loss plot without logged losses). `terminal` is "pngcairo" or "png".
std::vector<Plot> comparison_plots(const Comparison& comparison, const std::string& terminal);

// gnuplot's path; throws naming the Debian package when it is not installed.
std::string require_gnuplot();

// "pngcairo" when this gnuplot has it, else "png" (Debian's gnuplot-nox has both).
std::string choose_png_terminal(const std::string& gnuplot);

// Writes the files under `out_dir`, runs gnuplot on each script (in
// `out_dir`) and checks that each PNG was written with the PNG signature.
void render_plots(const std::vector<Plot>& plots, const std::string& out_dir, const std::string& gnuplot);

// True when `path` starts with the 8-byte PNG signature.
bool is_png_file(const std::string& path);

}  // namespace jstip::compare
