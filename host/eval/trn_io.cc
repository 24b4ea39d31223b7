#include "host/eval/trn_io.h"

#include <fstream>
#include <stdexcept>

namespace jstip::eval {
namespace {

std::string sanitize_tag_part(std::string part) {
  for (char& c : part) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')') c = '_';
  }
  return part;
}

}  // namespace

std::string trn_tag(const std::string& speaker, const std::string& id) {
  return "(" + sanitize_tag_part(speaker.empty() ? "spk" : speaker) + "-" + sanitize_tag_part(id) + ")";
}

std::string trn_line(const TrnEntry& entry) {
  return entry.text.empty() ? trn_tag(entry.speaker, entry.id) : entry.text + " " + trn_tag(entry.speaker, entry.id);
}

void write_trn_file(const std::string& path, const std::vector<TrnEntry>& entries) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write trn file " + path);
  for (const auto& entry : entries) out << trn_line(entry) << '\n';
  out.flush();
  if (!out) throw std::runtime_error("error while writing trn file " + path);
}

}  // namespace jstip::eval
