#include "host/data/corpus_import.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "host/data/audio_io.h"
#include "host/data/entity_markup.h"
#include "host/data/text_normalizer.h"
#include "host/data/timing_check.h"
#include "host/data/utterance.h"

namespace jstip::data {
namespace fs = std::filesystem;
namespace {

std::string where(const std::string& path, int line) { return path + ":" + std::to_string(line); }

// Calls fn(line_number, line) for each non-empty line.
template <typename Fn>
void for_each_line(const std::string& path, Fn fn) {
  std::ifstream in(path);
  if (!in) throw ImportError(path + ": cannot open");
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    fn(number, line);
  }
}

// "key rest of line" -> {key, rest}.
std::pair<std::string, std::string> split_key(const std::string& line) {
  const size_t cut = line.find_first_of(" \t");
  if (cut == std::string::npos) return {line, ""};
  const size_t rest = line.find_first_not_of(" \t", cut);
  return {line.substr(0, cut), rest == std::string::npos ? "" : line.substr(rest)};
}

std::map<std::string, std::string> read_table(const std::string& path, bool required) {
  std::map<std::string, std::string> table;
  if (!required && !fs::exists(path)) return table;
  for_each_line(path, [&](int number, const std::string& line) {
    auto [key, value] = split_key(line);
    if (!table.emplace(key, value).second) throw ImportError(where(path, number) + ": duplicate key '" + key + "'");
  });
  return table;
}

std::string resolve(const std::string& audio, const std::string& list_path) {
  if (audio.empty() || fs::path(audio).is_absolute()) return audio;
  return (fs::absolute(list_path).parent_path() / audio).lexically_normal().string();
}

// Transcript, written text and untimed words from a normalized text; the
// written forms are dropped when the source's text is not as written.
void set_text(Utterance& record, const NormalizedText& text, const ImportOptions& options) {
  record.set_transcript(text.text);
  if (options.keep_written) record.set_written(text.written);
  for (const auto& w : text.words) {
    auto* word = record.add_words();
    word->set_text(w.text);
    if (options.keep_written) word->set_written(w.written);
  }
}

void finish(Utterance& record, const ImportOptions& options, const std::string& origin) {
  if (!options.domain.empty()) record.set_domain(options.domain);
  if (!options.split.empty()) record.set_split(options.split);
  if (options.inline_audio && !record.audio_path().empty()) {
    try {
      record.set_pcm16(to_pcm16(load_audio_16k(record.audio_path(), record.segment_start(), record.segment_end())));
    } catch (const AudioError& e) {
      throw ImportError(origin + ": " + e.what());
    }
    record.set_sample_rate(kSampleRate);
    record.clear_audio_path();
    record.clear_segment_start();
    record.clear_segment_end();
  }
}

// A record training would refuse is refused here, where its file and line
// are known: no words, or word timings that are out of order, end before
// they start or end after the audio (word_span_problem, as SampleBuilder).
void check_record(const Utterance& record, const std::string& origin) {
  const std::string what = origin + ": record '" + record.id() + "'";
  if (record.words_size() == 0) throw ImportError(what + ": empty transcript");
  const double audio_seconds = stated_audio_seconds(record);  // whole files are not opened
  double previous_start = 0;
  for (int k = 0; k < record.words_size(); ++k) {
    const auto& word = record.words(k);
    if (!word.has_timing()) continue;
    const std::string problem = word_span_problem({word.start(), word.end()}, previous_start, audio_seconds);
    if (!problem.empty())
      throw ImportError(what + " word " + std::to_string(k) + " '" + word.text() + "': " + problem);
    previous_start = word.start();
  }
}

}  // namespace

std::vector<Utterance> import_kaldi_dir(const std::string& dir, const ImportOptions& options) {
  const std::string wav_scp = (fs::path(dir) / "wav.scp").string(), text_path = (fs::path(dir) / "text").string(),
                    segments_path = (fs::path(dir) / "segments").string(),
                    utt2spk_path = (fs::path(dir) / "utt2spk").string();
  if (!fs::is_directory(dir)) throw ImportError(dir + ": not a Kaldi data directory");
  const auto wavs = read_table(wav_scp, true);
  const auto utt2spk = read_table(utt2spk_path, false);
  for (const auto& [key, value] : wavs)
    if (!value.empty() && value.back() == '|')
      throw ImportError(wav_scp + ": entry '" + key + "' is a command pipe; only file paths are supported (run the command and list the files)");

  std::map<std::string, std::tuple<std::string, double, double>> segments;
  if (fs::exists(segments_path)) {
    for_each_line(segments_path, [&](int number, const std::string& line) {
      std::istringstream fields(line);
      std::string utt, rec;
      double start = 0, end = 0;
      if (!(fields >> utt >> rec >> start >> end) || end <= start)
        throw ImportError(where(segments_path, number) + ": expected '<utt> <recording> <start> <end>' with end > start");
      if (!wavs.count(rec)) throw ImportError(where(segments_path, number) + ": recording '" + rec + "' not in wav.scp");
      segments[utt] = {rec, start, end};
    });
  }

  std::vector<Utterance> records;
  for_each_line(text_path, [&](int number, const std::string& line) {
    auto [utt, text] = split_key(line);
    Utterance record;
    record.set_id(utt);
    if (!segments.empty()) {
      auto it = segments.find(utt);
      if (it == segments.end()) throw ImportError(where(text_path, number) + ": utterance '" + utt + "' not in segments");
      const auto& [rec, start, end] = it->second;
      record.set_audio_path(resolve(wavs.at(rec), wav_scp));
      record.set_segment_start(start);
      record.set_segment_end(end);
    } else {
      auto it = wavs.find(utt);
      if (it == wavs.end()) throw ImportError(where(text_path, number) + ": utterance '" + utt + "' not in wav.scp");
      record.set_audio_path(resolve(it->second, wav_scp));
    }
    set_text(record, normalize_written(text), options);
    auto spk = utt2spk.find(utt);
    if (spk != utt2spk.end()) record.set_speaker(spk->second);
    record.set_engine("kaldi-import");
    finish(record, options, where(text_path, number));
    check_record(record, where(text_path, number));
    records.push_back(std::move(record));
  });
  return records;
}

std::vector<Utterance> import_jsonl(const std::string& path, const ImportOptions& options) {
  using nlohmann::json;
  std::vector<Utterance> records;
  for_each_line(path, [&](int number, const std::string& line) {
    const std::string at = where(path, number);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      throw ImportError(at + ": not valid JSON: " + e.what());
    }
    if (!j.is_object()) throw ImportError(at + ": expected a JSON object");
    auto get_string = [&](const char* key) -> std::string {
      if (!j.contains(key) || j[key].is_null()) return "";
      if (!j[key].is_string()) throw ImportError(at + ": \"" + key + "\" must be a string");
      return j[key].get<std::string>();
    };
    Utterance record;
    record.set_id(get_string("id").empty() ? fs::path(path).stem().string() + "-" + std::to_string(number) : get_string("id"));
    record.set_audio_path(resolve(get_string("audio"), path));
    record.set_speaker(get_string("speaker"));
    record.set_domain(get_string("domain"));
    record.set_split(get_string("split"));
    record.set_engine("jsonl-import");
    if (j.contains("words") && j["words"].is_array() && !j["words"].empty()) {
      // Words given: each is normalized; one that expands ("42" -> "forty
      // two") shares its span in proportion to the characters. Written
      // forms come from "text" when it normalizes to the same words (words
      // as an aligner spells them, text as written), else from the words.
      std::vector<SourcedWord> sourced;
      std::string joined;  // the words' own texts, one space apart
      for (const auto& item : j["words"]) {
        std::string text;
        double start = 0, end = 0;
        bool timed = false;
        if (item.is_string()) {
          text = item.get<std::string>();
        } else if (item.is_object()) {
          const char* key = item.contains("word") ? "word" : "text";
          if (!item.contains(key) || !item[key].is_string()) throw ImportError(at + ": a word needs \"word\" or \"text\"");
          text = item[key].get<std::string>();
          timed = item.contains("start") && item.contains("end");
          if (timed) {
            if (!item["start"].is_number() || !item["end"].is_number())
              throw ImportError(at + ": word '" + text + "': start/end must be numbers (seconds)");
            start = item["start"].get<double>();
            end = item["end"].get<double>();
          }
        } else {
          throw ImportError(at + ": \"words\" items must be strings or objects");
        }
        if (!joined.empty()) joined += ' ';
        auto pieces = normalize_sourced(text);
        size_t chars = 0;
        for (const auto& p : pieces) chars += p.text.size();
        double t = start;
        for (auto& piece : pieces) {
          const std::string& p = piece.text;
          auto* w = record.add_words();
          w->set_text(p);
          if (timed) {
            const double span = (end - start) * double(p.size()) / double(chars);
            w->set_start(t);
            w->set_end(t + span);
            w->set_has_timing(true);
            t += span;
          }
          piece.source += joined.size();
          sourced.push_back(std::move(piece));
        }
        joined += text;
      }
      NormalizedText written = attach_written(joined, sourced);
      const NormalizedText from_text = normalize_written(get_string("text"));
      if (from_text.text == written.text) written = from_text;
      record.set_transcript(written.text);
      if (options.keep_written) {
        record.set_written(written.written);
        for (int k = 0; k < record.words_size(); ++k) record.mutable_words(k)->set_written(written.words[size_t(k)].written);
      }
    } else {
      set_text(record, normalize_written(get_string("text")), options);
    }
    if (j.contains("entities")) {
      for (const auto& e : j["entities"]) {
        if (!e.is_object() || !e.contains("begin") || !e.contains("end") || !e.contains("type"))
          throw ImportError(at + ": entities need \"begin\", \"end\" (bytes in the normalized text) and \"type\"");
        auto* span = record.add_entities();
        span->set_begin(e["begin"].get<uint32_t>());
        span->set_end(e["end"].get<uint32_t>());
        span->set_type(e["type"].get<std::string>());
        if (span->end() > record.transcript().size() || span->begin() >= span->end())
          throw ImportError(at + ": entity [" + std::to_string(span->begin()) + ", " + std::to_string(span->end()) +
                            ") is outside the transcript");
      }
    }
    finish(record, options, at);
    check_record(record, at);
    records.push_back(std::move(record));
  });
  return records;
}

std::vector<Utterance> import_tsv_list(const std::string& path, const ImportOptions& options) {
  std::vector<Utterance> records;
  for_each_line(path, [&](int number, const std::string& line) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) throw ImportError(where(path, number) + ": expected '<audio><TAB><text>'");
    Utterance record;
    const std::string audio = line.substr(0, tab);
    record.set_id(fs::path(audio).stem().string());
    record.set_audio_path(resolve(audio, path));
    set_text(record, normalize_written(line.substr(tab + 1)), options);
    record.set_engine("list-import");
    finish(record, options, where(path, number));
    check_record(record, where(path, number));
    records.push_back(std::move(record));
  });
  return records;
}

std::vector<Utterance> import_text_lines(const std::string& path, const ImportOptions& options) {
  std::vector<Utterance> records;
  for_each_line(path, [&](int number, const std::string& line) {
    if (line[0] == '#') return;
    const size_t tab = line.find('\t');
    Utterance record;
    record.set_id(tab == std::string::npos ? fs::path(path).stem().string() + "-" + std::to_string(number)
                                           : line.substr(0, tab));
    MarkedText marked;
    try {
      marked = parse_entity_markup(tab == std::string::npos ? line : line.substr(tab + 1));
    } catch (const std::invalid_argument& e) {
      throw ImportError(where(path, number) + ": " + e.what());
    }
    if (marked.text.empty()) return;
    NormalizedText text;
    text.text = marked.text;
    text.written = marked.written;
    const auto normalized = split_words(marked.text);
    for (size_t k = 0; k < normalized.size(); ++k) text.words.push_back({normalized[k], marked.written_words[k]});
    set_text(record, text, options);
    for (const auto& e : marked.entities) {
      auto* span = record.add_entities();
      span->set_begin(uint32_t(e.begin));
      span->set_end(uint32_t(e.end));
      span->set_type(e.type);
    }
    record.set_engine("text-import");
    finish(record, options, where(path, number));
    records.push_back(std::move(record));
  });
  return records;
}

}  // namespace jstip::data
