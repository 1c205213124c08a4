#include "localist/data/synthetic.h"

#include <cmath>
#include <random>

#include "localist/core/errors.h"
#include "localist/data/portable_random.h"

namespace localist::data {
namespace {

void require(bool ok, const char* field, int64_t value, const char* expected) {
  if (!ok)
    throw ConfigError(std::string("synthetic: ") + field + " = " + std::to_string(value) +
                      " is impossible; expected " + expected);
}

// P(L >= p) and P(L = p) for L ~ uniform{min..max}, as counts out of (max - min + 1).
int64_t lengths_at_least(const SyntheticSpec& s, int64_t p) {
  return std::max<int64_t>(0, s.max_segment - std::max(p, s.min_segment) + 1);
}

}  // namespace

void SyntheticSpec::validate() const {
  require(n_blocks >= 1 && n_blocks <= 26, "n_blocks", n_blocks, "in [1, 26] (one letter each)");
  require(vocab_per_block >= 1, "vocab_per_block", vocab_per_block, ">= 1");
  require(min_segment >= 1, "min_segment", min_segment, ">= 1");
  require(max_segment >= min_segment, "max_segment", max_segment, ">= min_segment");
  require(n_tokens >= 1, "n_tokens", n_tokens, ">= 1");
  if (!(recall >= 0 && recall < 1))
    throw ConfigError("synthetic: recall = " + std::to_string(recall) + " is impossible; expected in [0, 1)");
  if (recall > 0 && interleave) throw ConfigError("synthetic: recall and interleave cannot be combined");
  if (interleave && !(stay > 0 && stay < 1) && n_blocks > 1)
    throw ConfigError("synthetic: stay = " + std::to_string(stay) + " is impossible; expected in (0, 1)");
}

std::string synthetic_word(int64_t block, int64_t index) {
  return std::string(1, static_cast<char>('a' + block)) + std::to_string(index);
}

std::string synthetic_anchor(int64_t block, int64_t value) {
  return std::string(1, static_cast<char>('A' + block)) + std::to_string(value);
}

std::string synthetic_marker(int64_t block) { return std::string(1, static_cast<char>('a' + block)) + "_"; }

int64_t synthetic_echo_index(const SyntheticSpec& spec, int64_t block, int64_t value, int64_t k) {
  return (value * (2 * k + 1) + block) % spec.vocab_per_block;
}

SyntheticCorpus generate_synthetic(const SyntheticSpec& spec) {
  spec.validate();
  std::mt19937_64 rng(spec.seed);
  const auto K = static_cast<uint64_t>(spec.n_blocks);
  const auto V = static_cast<uint64_t>(spec.vocab_per_block);
  const auto n_lengths = static_cast<uint64_t>(spec.max_segment - spec.min_segment + 1);

  SyntheticCorpus c;
  const auto reserve = static_cast<size_t>(spec.n_tokens + spec.max_segment + 1);
  c.block.reserve(reserve), c.anchor.reserve(reserve), c.depends_on.reserve(reserve);
  c.is_anchor.reserve(reserve), c.role.reserve(reserve);
  c.text.reserve(reserve * 4);

  const auto emit = [&](int64_t block, int64_t anchor, int64_t depends_on, SyntheticRole role) {
    c.block.push_back(static_cast<int32_t>(block));
    c.anchor.push_back(anchor);
    c.depends_on.push_back(depends_on);
    c.is_anchor.push_back(role == SyntheticRole::Anchor);
    c.role.push_back(role);
  };
  if (spec.interleave) {
    struct Stream { int64_t anchor = -1, value = 0, length = 0, pos = 0; };
    std::vector<Stream> streams(K);
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    int64_t i = static_cast<int64_t>(uniform_below(rng, K));
    while (c.size() < spec.n_tokens) {
      if (c.size() > 0 && K > 1 && coin(rng) >= spec.stay) {  // switch to another stream
        const auto j = static_cast<int64_t>(uniform_below(rng, K - 1));
        i = j < i ? j : j + 1;
      }
      auto& st = streams[i];
      if (c.size() > 0) c.text += ' ';
      if (st.anchor < 0 || st.pos == st.length) {  // a new segment of block i
        st.value = static_cast<int64_t>(uniform_below(rng, V));
        st.length = spec.min_segment + static_cast<int64_t>(uniform_below(rng, n_lengths));
        st.anchor = c.size();
        st.pos = 1;
        c.text += synthetic_anchor(i, st.value);
        emit(i, st.anchor, -1, SyntheticRole::Anchor);
        continue;
      }
      if (st.pos % 2 == 1) {
        c.text += synthetic_word(i, static_cast<int64_t>(uniform_below(rng, V)));
        emit(i, st.anchor, -1, SyntheticRole::Filler);
      } else {
        c.text += synthetic_word(i, synthetic_echo_index(spec, i, st.value, st.pos / 2));
        emit(i, st.anchor, st.anchor, SyntheticRole::Echo);
      }
      ++st.pos;
    }
    return c;
  }
  // Per block: its latest anchor's position and value (recall segments read them).
  std::vector<int64_t> last_anchor(K, -1), last_value(K, 0);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  while (c.size() < spec.n_tokens) {
    const auto i = static_cast<int64_t>(uniform_below(rng, K));
    // Drawn only when recall is on, so r = 0 keeps the original stream of draws.
    const bool recall = spec.recall > 0 && last_anchor[i] >= 0 && coin(rng) < spec.recall;
    if (!recall) last_value[i] = static_cast<int64_t>(uniform_below(rng, V));
    const auto v = last_value[i];
    const auto L = spec.min_segment + static_cast<int64_t>(uniform_below(rng, n_lengths));
    if (recall) {
      c.text += synthetic_marker(i);
      emit(i, last_anchor[i], -1, SyntheticRole::Marker);
    } else {
      last_anchor[i] = c.size();
      c.text += synthetic_anchor(i, v);
      emit(i, last_anchor[i], -1, SyntheticRole::Anchor);
    }
    const int64_t a = last_anchor[i];
    for (int64_t p = 1; p < L; ++p) {
      c.text += ' ';
      if (p % 2 == 1) {
        c.text += synthetic_word(i, static_cast<int64_t>(uniform_below(rng, V)));
        emit(i, a, -1, SyntheticRole::Filler);
      } else {
        c.text += synthetic_word(i, synthetic_echo_index(spec, i, v, p / 2));
        emit(i, a, a, SyntheticRole::Echo);
      }
    }
    c.text += '\n';
    emit(i, a, -1, SyntheticRole::End);
  }
  return c;
}

double synthetic_optimal_nll(const SyntheticSpec& spec) {
  spec.validate();
  const double K = static_cast<double>(spec.n_blocks), V = static_cast<double>(spec.vocab_per_block);
  const double n_lengths = static_cast<double>(spec.max_segment - spec.min_segment + 1);
  double mean_fillers = 0, mean_length = 0;
  for (int64_t L = spec.min_segment; L <= spec.max_segment; ++L) {
    mean_fillers += static_cast<double>(L / 2) / n_lengths;  // odd positions in 1..L-1
    mean_length += static_cast<double>(L) / n_lengths;
  }
  const double choice = K > 1 ? -spec.stay * std::log(spec.stay) -
                                     (1 - spec.stay) * std::log((1 - spec.stay) / (K - 1))
                               : 0.0;
  if (spec.interleave)
    return choice + (std::log(V) + std::log(n_lengths) + mean_fillers * std::log(V)) / mean_length;
  if (spec.recall > 0) {
    const double r = spec.recall;
    const double h = -r * std::log(r) - (1 - r) * std::log(1 - r);
    return (std::log(K) + h + (1 - r) * std::log(V) + std::log(n_lengths) + mean_fillers * std::log(V)) /
           (mean_length + 1);
  }
  const double segment_nll = std::log(K * V) + std::log(n_lengths) + mean_fillers * std::log(V);
  return segment_nll / (mean_length + 1);
}

std::vector<double> synthetic_oracle_nll(const SyntheticCorpus& corpus, const SyntheticSpec& spec) {
  spec.validate();
  const double K = static_cast<double>(spec.n_blocks), V = static_cast<double>(spec.vocab_per_block);
  std::vector<double> nll(corpus.role.size());
  if (spec.interleave) {
    std::vector<int64_t> pos(spec.n_blocks, -1);  // per stream: position in its segment
    for (size_t t = 0; t < nll.size(); ++t) {
      auto& p = pos[corpus.block[t]];
      double own = 0;
      if (corpus.role[t] == SyntheticRole::Anchor) {
        own = std::log(V) + (p < 0 ? 0.0 : std::log(static_cast<double>(lengths_at_least(spec, p))));
        p = 1;
      } else {
        const double at_least = static_cast<double>(lengths_at_least(spec, p));
        own = std::log(at_least / static_cast<double>(lengths_at_least(spec, p + 1))) +
              (corpus.role[t] == SyntheticRole::Filler ? std::log(V) : 0.0);
        ++p;
      }
      const double choice = t == 0 ? std::log(K)
                            : K == 1 ? 0.0
                            : corpus.block[t] == corpus.block[t - 1] ? -std::log(spec.stay)
                                                                     : -std::log((1 - spec.stay) / (K - 1));
      nll[t] = choice + own;
    }
    return nll;
  }
  std::vector<bool> seen(spec.n_blocks, false);  // recall: blocks whose value was set
  int64_t p = 0;                                 // position in the segment (the anchor slot is 0)
  for (size_t t = 0; t < nll.size(); ++t) {
    const bool first = t == 0 || corpus.role[t - 1] == SyntheticRole::End;
    p = first ? 0 : p + 1;
    const double at_least = static_cast<double>(lengths_at_least(spec, p));
    const double more = static_cast<double>(lengths_at_least(spec, p + 1));
    switch (corpus.role[t]) {
      case SyntheticRole::Anchor:
        nll[t] = std::log(K * V);
        break;
      case SyntheticRole::Filler:
        nll[t] = std::log(at_least / more) + std::log(V);
        break;
      case SyntheticRole::Marker:
        nll[t] = std::log(K);
        break;
      case SyntheticRole::Echo:
        nll[t] = std::log(at_least / more);
        break;
      case SyntheticRole::End:
        nll[t] = std::log(at_least);  // P(L = p | L >= p) = 1 / at_least
        break;
    }
    if (first && spec.recall > 0) {  // anchor or recall: a choice only once the block has a value
      const auto b = static_cast<size_t>(corpus.block[t]);
      if (seen[b]) nll[t] -= std::log(corpus.role[t] == SyntheticRole::Anchor ? 1 - spec.recall : spec.recall);
      seen[b] = true;
    }
  }
  return nll;
}

}  // namespace localist::data
