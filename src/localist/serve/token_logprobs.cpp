#include "localist/serve/token_logprobs.h"

#include <algorithm>

namespace localist::serve {

using json = nlohmann::json;

std::vector<ScoredToken> score_tokens(const torch::Tensor& lp, const std::vector<int32_t>& ids, size_t first,
                                      int64_t top_n, const data::Tokenizer& tok) {
  std::vector<ScoredToken> out;
  std::vector<int32_t> upto;  // ids[first..i]: the token ends where their text ends (a word
  for (size_t i = first; i < ids.size(); ++i) {  // tokenizer puts spaces between tokens)
    ScoredToken t;
    t.text = tok.decode({ids[i]});
    upto.push_back(ids[i]);
    t.offset = std::max<int64_t>(0, static_cast<int64_t>(tok.decode(upto).size()) - static_cast<int64_t>(t.text.size()));
    if (i > 0) {  // row i - 1 predicted it
      const auto row = lp[static_cast<int64_t>(i) - 1];
      t.logprob = row[ids[i]].item<double>();
      if (top_n > 0) {
        const auto best = row.topk(std::min<int64_t>(top_n, row.size(0)));
        const auto v = std::get<0>(best), id = std::get<1>(best);
        for (int64_t k = 0; k < v.size(0); ++k)
          t.top.emplace_back(tok.decode({static_cast<int32_t>(id[k].item<int64_t>())}), v[k].item<double>());
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

json completion_logprobs(const std::vector<ScoredToken>& tokens) {
  json text = json::array(), logprob = json::array(), top = json::array(), offset = json::array();
  for (const auto& t : tokens) {
    text.push_back(t.text), offset.push_back(t.offset);
    logprob.push_back(t.logprob ? json(*t.logprob) : json(nullptr));
    json alternatives = json::object();  // two ids that decode alike share a key: the likelier stays
    for (const auto& [s, v] : t.top)
      if (!alternatives.contains(s)) alternatives[s] = v;
    top.push_back(t.logprob ? alternatives : json(nullptr));
  }
  return {{"tokens", text}, {"token_logprobs", logprob}, {"top_logprobs", top}, {"text_offset", offset}};
}

namespace {
json bytes_of(const std::string& s) {
  json b = json::array();
  for (unsigned char c : s) b.push_back(c);
  return b;
}
}  // namespace

json chat_logprobs(const std::vector<ScoredToken>& tokens) {
  json content = json::array();
  for (const auto& t : tokens) {
    json top = json::array();
    for (const auto& [s, v] : t.top) top.push_back({{"token", s}, {"logprob", v}, {"bytes", bytes_of(s)}});
    content.push_back({{"token", t.text}, {"logprob", t.logprob.value_or(0.0)}, {"bytes", bytes_of(t.text)},
                       {"top_logprobs", top}});
  }
  return {{"content", content}};
}

}  // namespace localist::serve
