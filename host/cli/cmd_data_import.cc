// jstip data import: Kaldi data dirs, JSON-lines manifests or audio<TAB>text
// lists -> shards.
#include <iostream>

#include "host/cli/command.h"
#include "host/data/corpus_import.h"
#include "host/data/progress_bar.h"

namespace {

using namespace jstip::data;

int run_import(const jstip::cli::Args& args) {
  const int sources = int(args.options.count("kaldi") + args.options.count("jsonl") + args.options.count("list") +
                          args.options.count("text"));
  if (sources != 1 || !args.options.count("out"))
    throw std::invalid_argument("usage: jstip data import (--kaldi DIR | --jsonl FILE | --list FILE | --text FILE) --out DIR");
  ImportOptions options;
  options.domain = args.get("domain");
  options.split = args.get("split");
  const std::string audio = args.get("audio", "path");
  if (audio != "path" && audio != "inline")
    throw std::invalid_argument("--audio must be 'path' (reference files) or 'inline' (store 16 kHz PCM), got '" +
                                audio + "'");
  options.inline_audio = audio == "inline";
  options.keep_written = !args.flag("no-written");
  std::vector<Utterance> records = args.options.count("kaldi") ? import_kaldi_dir(args.get("kaldi"), options)
                                   : args.options.count("jsonl") ? import_jsonl(args.get("jsonl"), options)
                                   : args.options.count("list")  ? import_tsv_list(args.get("list"), options)
                                                                 : import_text_lines(args.get("text"), options);
  ShardSetWriter writer(args.get("out"), args.get("prefix", "import"), args.get_int("per-shard", 1000));
  ProgressBar progress("import", int64_t(records.size()), !args.flag("no-progress"));
  int64_t untimed = 0, text_only = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    bool timed = records[i].words_size() > 0;
    for (const auto& w : records[i].words()) timed = timed && w.has_timing();
    const bool has_audio = !records[i].audio_path().empty() || !records[i].pcm16().empty();
    untimed += timed || !has_audio ? 0 : 1;
    text_only += has_audio ? 0 : 1;
    writer.write(records[i]);
    progress.update(int64_t(i + 1));
  }
  writer.close();
  progress.finish();
  std::cout << "wrote " << writer.count() << " utterances in " << writer.paths().size() << " shards under "
            << args.get("out") << "; " << text_only << " text-only, " << untimed
            << " with audio but without word timings (usable for asr, not for word/segment interleaving)\n";
  return 0;
}

}  // namespace

JSTIP_COMMAND("data import", "Import Kaldi dirs, JSON-lines manifests, audio<TAB>text lists or plain text into shards",
              "jstip data import (--kaldi DIR | --jsonl FILE | --list FILE | --text FILE) --out DIR\n"
              "                  [--audio path|inline] [--prefix import] [--per-shard 1000] [--domain D] [--split S]\n"
              "                  [--no-written]\n\n"
              "Kaldi: wav.scp (file paths), text, optional segments and utt2spk.\n"
              "JSON lines: {\"id\", \"audio\", \"text\", \"words\": [\"w\" | {\"word\", \"start\", \"end\"}], \"speaker\",\n"
              "\"domain\", \"split\", \"entities\": [{\"begin\", \"end\", \"type\"}]}; no audio = text-only sample.\n"
              "--text: one text-only sample per line (\"text\" or \"id<TAB>text\", [[entity|type]] markup).\n"
              "Relative audio paths are resolved against the list's directory; transcripts are normalized.\n"
              "The text as given is kept as the record's `written` text (what a cased LLM trains on);\n"
              "--no-written leaves it out, for sources whose text is not as written (upper-case Kaldi text).",
              run_import);
