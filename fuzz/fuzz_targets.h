#pragma once
// Fuzz targets (issue 8): each feeds arbitrary bytes to one reader of files that users receive
// from others. A target returns normally when the input was accepted or refused with a
// localist::UserError (a clear message); anything else (a crash, a sanitizer report, another
// exception, a huge allocation) is a bug. The same functions run under libFuzzer
// (fuzz/fuzz_main.cpp, scripts/fuzz.sh) and, over the kept inputs in fuzz/corpus/ and
// fuzz/regressions/, in the ordinary test suite (tests/fuzz/test_fuzz_inputs.cpp).
#include <string_view>
#include <vector>

namespace localist::fuzz {

void safetensors(std::string_view bytes);  // the checkpoint weights reader
void checkpoint(std::string_view bytes);   // checkpoint.json: configs (the config parser) + tokenizer
void rules(std::string_view bytes);        // a rules file, against window, segment and vocab blocks
void tokenizers(std::string_view bytes);   // char and word: trained on, encoding and decoding bytes

struct Target {
  const char* name;
  void (*run)(std::string_view);
};
const std::vector<Target>& targets();

}  // namespace localist::fuzz
