#pragma once
// Fuzz targets (issue 8): each feeds arbitrary bytes to one reader of files that users receive
// from others. A target returns true when the reader accepted the input, false when it refused
// it with a localist::UserError (a clear message); anything else (a crash, a sanitizer report,
// another exception, a huge allocation) is a bug. The kept seeds are valid files: the test
// suite requires each to be accepted, so a reader that refuses everything fails. The same functions run under libFuzzer
// (fuzz/fuzz_main.cpp, scripts/fuzz.sh) and, over the kept inputs in fuzz/corpus/ and
// fuzz/regressions/, in the ordinary test suite (tests/fuzz/test_fuzz_inputs.cpp).
#include <string_view>
#include <vector>

namespace localist::fuzz {

bool safetensors(std::string_view bytes);  // the checkpoint weights reader
bool checkpoint(std::string_view bytes);   // checkpoint.json: configs (the config parser) + tokenizer
bool rules(std::string_view bytes);        // a rules file, against window, segment and vocab blocks
bool tokenizers(std::string_view bytes);   // char and word: trained on, encoding and decoding bytes
bool requests(std::string_view bytes);     // a request body of `serve`: completions, chat, /tokenize, /detokenize (the first byte)

struct Target {
  const char* name;
  bool (*run)(std::string_view);
};
const std::vector<Target>& targets();

}  // namespace localist::fuzz
