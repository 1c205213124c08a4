#pragma once
// SentencePiece, loaded privately at run time.
// Why: Debian's libsentencepiece carries its own copy of protobuf (3.14) and exports its
// symbols, while LibTorch loads the system protobuf (3.21). Linked the ordinary way, the two
// copies collide as soon as the process starts: protobuf's static initialisers crash, or its
// version check aborts, in every program of the project, whether or not it tokenizes. So this
// project never links SentencePiece: it dlopens it with RTLD_LOCAL | RTLD_DEEPBIND (its protobuf
// stays private to it) and calls the few functions it needs through dlsym. Nothing outside
// sentencepiece_library.cpp touches SentencePiece.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace localist::data::spm {

// Trains a model from SentencePiece flags (as spm_train takes them; "input" names the text
// file, one sentence per line). Returns true and the serialised ModelProto, or false and
// SentencePiece's error message. ConfigError if the library cannot be loaded.
bool train(const std::unordered_map<std::string, std::string>& flags, std::string* model_proto,
           std::string* error);

// A SentencePieceProcessor owned by the library.
class Processor {
 public:
  Processor();  // ConfigError if the library cannot be loaded
  ~Processor();
  Processor(const Processor&) = delete;
  Processor& operator=(const Processor&) = delete;

  // False and SentencePiece's message if `model_proto` is not a usable model.
  bool load(std::string_view model_proto, std::string* error);
  std::vector<int> encode(std::string_view text) const;  // DataError on failure
  std::string decode(const std::vector<int>& ids) const;  // DataError on failure
  int piece_size() const;
  int piece_to_id(std::string_view piece) const;
  const std::string& id_to_piece(int id) const;
  bool is_unknown(int id) const;
  bool is_byte(int id) const;

 private:
  void* impl_;  // a sentencepiece::SentencePieceProcessor, constructed by the library
};

}  // namespace localist::data::spm
