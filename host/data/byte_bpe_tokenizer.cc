#include "host/data/byte_bpe_tokenizer.h"

#include <algorithm>
#include <queue>
#include <stdexcept>

#include "host/data/byte_level.h"
#include "host/runtime/utf8.h"

namespace jstip::data {
namespace {

// The per-piece cache is cleared when it reaches this many entries (a
// corpus's distinct words fit; adversarial text cannot grow it without bound).
constexpr size_t kCacheEntries = 1 << 18;
constexpr size_t kCachedPieceBytes = 64;

std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace

ByteLevelBpeTokenizer::ByteLevelBpeTokenizer(ByteBpeDefinition definition)
    : definition_(std::move(definition)), pre_(definition_.pre_tokenizer) {
  const ByteBpeDefinition& d = definition_;
  const std::string& where = d.source;
  const int n = int(d.pieces.size());
  if (n == 0) throw std::runtime_error(where + ": the vocabulary is empty");

  std::vector<bool> is_added(n, false);
  for (const AddedToken& t : d.added) {
    if (t.id < 0 || t.id >= n)
      throw std::runtime_error(where + ": added token " + quoted(t.content) + " has id " + std::to_string(t.id) +
                               ", outside the vocabulary of " + std::to_string(n));
    if (t.content.empty()) throw std::runtime_error(where + ": added token " + std::to_string(t.id) + " is empty");
    if (utf8::invalid_offset(t.content) != std::string_view::npos)
      throw std::runtime_error(where + ": added token " + std::to_string(t.id) + " is not valid UTF-8");
    if (d.pieces[t.id] != t.content)
      throw std::runtime_error(where + ": added token " + std::to_string(t.id) + " " + quoted(t.content) +
                               " differs from the vocabulary's piece " + quoted(d.pieces[t.id]));
    if (is_added[t.id]) throw std::runtime_error(where + ": token " + std::to_string(t.id) + " is added twice");
    is_added[t.id] = true;
  }
  id_of_.reserve(n);
  for (int id = 0; id < n; ++id) {
    auto [it, fresh] = id_of_.emplace(d.pieces[id], id);
    if (!fresh)
      throw std::runtime_error(where + ": piece " + quoted(d.pieces[id]) + " appears twice (ids " +
                               std::to_string(it->second) + " and " + std::to_string(id) + ")");
  }
  // A byte whose piece is missing is dropped from the text before merging, as
  // tokenizers' BPE does with no unk token (SmolLM2 lacks six control bytes and
  // the UTF-8 lead bytes 0xF1, 0xF2). Printable ASCII must all be there.
  const auto& symbols = byte_level::byte_symbols();
  for (int b = 0; b < 256; ++b) {
    auto it = id_of_.find(symbols[b]);
    byte_id_[b] = it == id_of_.end() || is_added[it->second] ? -1 : it->second;
    if (byte_id_[b] < 0 && b >= '!' && b <= '~')
      throw std::runtime_error(where + ": the vocabulary lacks the byte-level piece " + quoted(symbols[b]) +
                               ": not a byte-level BPE vocabulary");
  }
  merges_.reserve(d.merges.size());
  for (size_t rank = 0; rank < d.merges.size(); ++rank) {
    const auto& [left, right] = d.merges[rank];
    const auto a = id_of_.find(left), b = id_of_.find(right), ab = id_of_.find(left + right);
    if (a == id_of_.end() || b == id_of_.end() || ab == id_of_.end())
      throw std::runtime_error(where + ": merge " + std::to_string(rank) + " " + quoted(left + " " + right) +
                               " uses or makes a piece outside the vocabulary");
    // tokenizers keeps the last rank of a repeated merge, llama.cpp the first: a file that relies on either is refused.
    auto [it, fresh] = merges_.emplace(pair_key(a->second, b->second), Merge{int(rank), ab->second});
    if (!fresh)
      throw std::runtime_error(where + ": merge " + quoted(left + " " + right) + " appears twice (ranks " +
                               std::to_string(it->second.rank) + " and " + std::to_string(rank) + ")");
  }
  for (int id : {d.bos, d.eos, d.pad})
    if (id < -1 || id >= n)
      throw std::runtime_error(where + ": bos/eos/pad id " + std::to_string(id) + " is outside the vocabulary of " +
                               std::to_string(n));

  bytes_.resize(n);
  for (int id = 0; id < n; ++id) {
    // As tokenizers' ByteLevel decoder: a piece with a character outside the
    // alphabet (added tokens, odd vocabularies) decodes as its own text.
    if (is_added[id] || !byte_level::to_bytes(d.pieces[id], &bytes_[id])) bytes_[id] = d.pieces[id];
  }
  for (const AddedToken& t : d.added)
    added_by_first_byte_[t.normalized ? 1 : 0][static_cast<uint8_t>(t.content[0])].push_back(&t);
  for (auto& pass : added_by_first_byte_)
    for (auto& list : pass)
      std::stable_sort(list.begin(), list.end(),
                       [](const AddedToken* x, const AddedToken* y) { return x->content.size() > y->content.size(); });
}

ByteLevelBpeTokenizer::~ByteLevelBpeTokenizer() = default;

std::vector<int> ByteLevelBpeTokenizer::encode(const std::string& text) const {
  const size_t bad = utf8::invalid_offset(text);
  if (bad != std::string_view::npos)
    throw std::invalid_argument(definition_.source + ": cannot tokenize text that is not valid UTF-8 (byte " +
                                std::to_string(bad) + " of " + std::to_string(text.size()) + ")");
  std::vector<int> ids;
  ids.reserve(text.size() / 3 + 1);
  encode_added(text, 0, &ids);
  return ids;
}

// Cuts out the added tokens of `pass` (leftmost, then longest) and encodes
// the stretches between them with the next pass, then as plain text.
void ByteLevelBpeTokenizer::encode_added(std::string_view text, int pass, std::vector<int>* ids) const {
  const auto next = [&](std::string_view stretch) {
    if (pass == 0)
      encode_added(stretch, 1, ids);
    else
      encode_ordinary(stretch, ids);
  };
  size_t plain = 0;  // start of the text not yet encoded
  for (size_t pos = 0; pos < text.size(); ++pos) {
    for (const AddedToken* t : added_by_first_byte_[pass][static_cast<uint8_t>(text[pos])]) {
      if (text.compare(pos, t->content.size(), t->content) != 0) continue;
      next(text.substr(plain, pos - plain));
      ids->push_back(t->id);
      plain = pos + t->content.size();
      pos = plain - 1;
      break;
    }
  }
  next(text.substr(plain));
}

void ByteLevelBpeTokenizer::encode_ordinary(std::string_view text, std::vector<int>* ids) const {
  if (text.empty()) return;
  thread_local std::vector<std::string_view> pieces;
  pieces.clear();
  pre_.split(text, &pieces);
  for (std::string_view piece : pieces) encode_piece(piece, ids);
}

void ByteLevelBpeTokenizer::encode_piece(std::string_view piece, std::vector<int>* ids) const {
  if (piece.size() == 1) {
    if (const int id = byte_id_[static_cast<uint8_t>(piece[0])]; id >= 0) ids->push_back(id);
    return;
  }
  const bool cached = piece.size() <= kCachedPieceBytes;
  if (cached) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(std::string(piece));
    if (it != cache_.end()) {
      ids->insert(ids->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int> own;
  merge(piece, &own);
  ids->insert(ids->end(), own.begin(), own.end());
  if (cached) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kCacheEntries) cache_.clear();
    cache_.emplace(std::string(piece), std::move(own));
  }
}

// tokenizers' Word::merge_all: a queue of candidate merges ordered by rank,
// then position; an entry whose pair has changed since it was queued is skipped.
void ByteLevelBpeTokenizer::merge(std::string_view piece, std::vector<int>* ids) const {
  if (definition_.ignore_merges) {
    auto it = id_of_.find(byte_level::to_symbols(piece));
    if (it != id_of_.end()) {
      ids->push_back(it->second);
      return;
    }
  }
  struct Symbol {
    int id, prev, next;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(piece.size());
  for (char c : piece) {
    const int id = byte_id_[static_cast<uint8_t>(c)];
    if (id < 0) continue;  // no piece for this byte: dropped (see the constructor)
    const int index = int(symbols.size());
    if (index > 0) symbols.back().next = index;
    symbols.push_back({id, index - 1, -1});
  }
  if (symbols.empty()) return;
  struct Candidate {
    int rank, pos, id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  auto offer = [&](int pos) {
    if (pos < 0 || symbols[pos].next < 0) return;
    auto it = merges_.find(pair_key(symbols[pos].id, symbols[symbols[pos].next].id));
    if (it != merges_.end()) queue.push({it->second.rank, pos, it->second.id});
  };
  for (int i = 0; i + 1 < int(symbols.size()); ++i) offer(i);
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (left.id < 0 || left.next < 0) continue;
    auto it = merges_.find(pair_key(left.id, symbols[left.next].id));
    if (it == merges_.end() || it->second.rank != top.rank || it->second.id != top.id) continue;
    Symbol& right = symbols[left.next];
    left.id = top.id;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.pos;
    right.id = -1;
    offer(left.prev);
    offer(top.pos);
  }
  for (int i = 0; i >= 0; i = symbols[i].next) ids->push_back(symbols[i].id);
}

std::string ByteLevelBpeTokenizer::decode(const std::vector<int>& ids) const {
  std::string text;
  for (int id : ids) {
    if (id < 0 || id >= vocab_size())
      throw std::out_of_range(definition_.source + ": cannot decode id " + std::to_string(id) +
                              " (the vocabulary has " + std::to_string(vocab_size()) + ")");
    text += bytes_[id];
  }
  return text;
}

std::vector<std::string> ByteLevelBpeTokenizer::pieces(const std::vector<int>& ids) const {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (int id : ids) {
    if (id < 0 || id >= vocab_size())
      throw std::out_of_range(definition_.source + ": no piece has id " + std::to_string(id) +
                              " (the vocabulary has " + std::to_string(vocab_size()) + ")");
    out.push_back(definition_.pieces[id]);
  }
  return out;
}

std::optional<int> ByteLevelBpeTokenizer::token_id(const std::string& piece) const {
  auto it = id_of_.find(piece);
  if (it == id_of_.end()) return std::nullopt;
  return it->second;
}

}  // namespace jstip::data
