#pragma once
// `localist export-hf RUN --out DIR`: a run's model as a Hugging Face GPT-2 directory that
// transformers' GPT2LMHeadModel.from_pretrained(DIR) and AutoTokenizer load: config.json,
// model.safetensors (GPT-2's names and Conv1D layout), the tokenizer's vocab.json + merges.txt
// (GPT-2 byte-level BPE runs only) and generation_config.json. A stock GPT-2 runs the model
// without the dial: the export says so in config.json ("localist") and in `notes`.
#include <string>
#include <vector>

namespace localist::hf {

struct ExportSummary {
  int64_t params = 0;
  bool tokenizer = false;          // vocab.json + merges.txt written
  std::vector<std::string> notes;  // what a stock GPT-2 does differently from this run
};

ExportSummary export_gpt2(const std::string& run, const std::string& out_dir);

}  // namespace localist::hf
