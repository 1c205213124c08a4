#include "localist/data/sentencepiece_library.h"

#include <dlfcn.h>

#include <cstddef>
#include <new>

// For sizes only: calling anything declared here would link SentencePiece (see the header).
// Without the development header, a generous fixed size stands in (0.1.97 needs 88 bytes).
#if __has_include(<sentencepiece_processor.h>)
#include <sentencepiece_processor.h>
#define LOCALIST_HAVE_SPM_HEADER 1
#endif

#include "localist/core/errors.h"

namespace localist::data::spm {
namespace {

constexpr const char* kLibrary = "libsentencepiece_train.so.0";  // pulls libsentencepiece.so.0

// The layout of sentencepiece::util::Status: one unique_ptr, null when OK. The user-declared
// destructor makes it non-trivial, so the ABI returns it through memory exactly like Status.
struct RawStatus {
  void* rep = nullptr;
  RawStatus() = default;
  RawStatus(const RawStatus&) = delete;
  RawStatus& operator=(const RawStatus&) = delete;
  ~RawStatus();
  bool ok() const { return rep == nullptr; }
  std::string message() const;
};
constexpr size_t kProcessorBytes = 512;
constexpr std::align_val_t kProcessorAlign{alignof(std::max_align_t)};
#ifdef LOCALIST_HAVE_SPM_HEADER
static_assert(sizeof(RawStatus) == sizeof(sentencepiece::util::Status));
static_assert(sizeof(sentencepiece::SentencePieceProcessor) <= kProcessorBytes);
static_assert(alignof(sentencepiece::SentencePieceProcessor) <= alignof(std::max_align_t));
#endif

using Flags = std::unordered_map<std::string, std::string>;

// Member functions are called as free functions taking `this` first (the Itanium C++ ABI).
struct Library {
  void* handle = nullptr;
  void (*status_destroy)(RawStatus*) = nullptr;
  std::string (*status_to_string)(const RawStatus*) = nullptr;
  RawStatus (*train)(const Flags&, void* iterator, std::string* model_proto) = nullptr;
  void (*construct)(void* self) = nullptr;
  void (*destroy)(void* self) = nullptr;
  RawStatus (*load)(void* self, std::string_view model_proto) = nullptr;
  RawStatus (*encode)(const void* self, std::string_view text, std::vector<int>* ids) = nullptr;
  RawStatus (*decode)(const void* self, const std::vector<int>& ids, std::string* text) = nullptr;
  int (*piece_size)(const void* self) = nullptr;
  int (*piece_to_id)(const void* self, std::string_view piece) = nullptr;
  const std::string& (*id_to_piece)(const void* self, int id) = nullptr;
  bool (*is_unknown)(const void* self, int id) = nullptr;
  bool (*is_byte)(const void* self, int id) = nullptr;
};

template <typename F>
void bind(void* handle, F& slot, const char* symbol) {
  void* p = ::dlsym(handle, symbol);
  if (p == nullptr)
    throw ConfigError(std::string("SentencePiece: ") + kLibrary + " lacks " + symbol +
                      " (expected version 0.1.9x); use --tokenizer char or word");
  slot = reinterpret_cast<F>(p);
}

Library open_library() {
#ifdef LOCALIST_SANITIZE
  // RTLD_DEEPBIND (below) is what keeps its protobuf apart from LibTorch's, and the sanitizer
  // runtime refuses it: a sanitizer build has no SentencePiece
  throw ConfigError("SentencePiece (needed by --tokenizer bpe/unigram) is not available in a sanitizer "
                    "build (it needs RTLD_DEEPBIND, which the sanitizer runtime forbids)");
#endif
  Library lib;
  lib.handle = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (lib.handle == nullptr)
    throw ConfigError(std::string("SentencePiece (needed by --tokenizer bpe/unigram) cannot be "
                                  "loaded: ") +
                      ::dlerror() + "; install libsentencepiece0 or use --tokenizer char or word");
  void* h = lib.handle;
  bind(h, lib.status_destroy, "_ZN13sentencepiece4util6StatusD1Ev");
  bind(h, lib.status_to_string, "_ZNK13sentencepiece4util6Status8ToStringB5cxx11Ev");
  bind(h, lib.train,
       "_ZN13sentencepiece20SentencePieceTrainer5TrainERKSt13unordered_mapINSt7__cxx1112basic_"
       "stringIcSt11char_traitsIcESaIcEEES7_St4hashIS7_ESt8equal_toIS7_ESaISt4pairIKS7_S7_EEEPNS_"
       "16SentenceIteratorEPS7_");
  bind(h, lib.construct, "_ZN13sentencepiece22SentencePieceProcessorC1Ev");
  bind(h, lib.destroy, "_ZN13sentencepiece22SentencePieceProcessorD1Ev");
  bind(h, lib.load,
       "_ZN13sentencepiece22SentencePieceProcessor23LoadFromSerializedProtoESt17basic_string_"
       "viewIcSt11char_traitsIcEE");
  bind(h, lib.encode,
       "_ZNK13sentencepiece22SentencePieceProcessor6EncodeESt17basic_string_viewIcSt11char_"
       "traitsIcEEPSt6vectorIiSaIiEE");
  bind(h, lib.decode,
       "_ZNK13sentencepiece22SentencePieceProcessor6DecodeERKSt6vectorIiSaIiEEPNSt7__cxx1112basic_"
       "stringIcSt11char_traitsIcESaIcEEE");
  bind(h, lib.piece_size, "_ZNK13sentencepiece22SentencePieceProcessor12GetPieceSizeEv");
  bind(h, lib.piece_to_id,
       "_ZNK13sentencepiece22SentencePieceProcessor9PieceToIdESt17basic_string_viewIcSt11char_"
       "traitsIcEE");
  bind(h, lib.id_to_piece, "_ZNK13sentencepiece22SentencePieceProcessor9IdToPieceB5cxx11Ei");
  bind(h, lib.is_unknown, "_ZNK13sentencepiece22SentencePieceProcessor9IsUnknownEi");
  bind(h, lib.is_byte, "_ZNK13sentencepiece22SentencePieceProcessor6IsByteEi");
  return lib;
}

// Loaded on first use, once per process, never unloaded (models may outlive any one caller).
const Library& library() {
  static const Library lib = open_library();
  return lib;
}

RawStatus::~RawStatus() {
  if (rep != nullptr) library().status_destroy(this);
}

std::string RawStatus::message() const { return ok() ? "OK" : library().status_to_string(this); }

}  // namespace

bool train(const Flags& flags, std::string* model_proto, std::string* error) {
  const RawStatus status = library().train(flags, nullptr, model_proto);
  if (!status.ok() && error != nullptr) *error = status.message();
  return status.ok();
}

Processor::Processor() {
  const Library& lib = library();
  impl_ = ::operator new(kProcessorBytes, kProcessorAlign);
  lib.construct(impl_);
}

Processor::~Processor() {
  library().destroy(impl_);
  ::operator delete(impl_, kProcessorAlign);
}

bool Processor::load(std::string_view model_proto, std::string* error) {
  const RawStatus status = library().load(impl_, model_proto);
  if (!status.ok() && error != nullptr) *error = status.message();
  return status.ok();
}

std::vector<int> Processor::encode(std::string_view text) const {
  std::vector<int> ids;
  const RawStatus status = library().encode(impl_, text, &ids);
  if (!status.ok()) throw DataError("SentencePiece encode failed: " + status.message());
  return ids;
}

std::string Processor::decode(const std::vector<int>& ids) const {
  std::string text;
  const RawStatus status = library().decode(impl_, ids, &text);
  if (!status.ok()) throw DataError("SentencePiece decode failed: " + status.message());
  return text;
}

int Processor::piece_size() const { return library().piece_size(impl_); }
int Processor::piece_to_id(std::string_view piece) const {
  return library().piece_to_id(impl_, piece);
}
const std::string& Processor::id_to_piece(int id) const { return library().id_to_piece(impl_, id); }
bool Processor::is_unknown(int id) const { return library().is_unknown(impl_, id); }
bool Processor::is_byte(int id) const { return library().is_byte(impl_, id); }

}  // namespace localist::data::spm
