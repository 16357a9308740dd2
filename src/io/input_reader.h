#pragma once
// Chunked reading of an import stream, shared by the importers: they scan the
// bytes of the current chunk in place and ask for the next one when done, so
// no importer holds more than one chunk plus the record it is assembling.

#include <cstddef>
#include <istream>
#include <memory>
#include <string_view>

#include "core/status.h"

namespace plumb::io {

class InputReader {
 public:
  static constexpr size_t kDefaultChunkSize = size_t{1} << 20;

  // Reads `in` in chunks of `chunk_size` bytes (tests use tiny ones to move
  // record boundaries across chunk boundaries). A UTF-8 byte order mark at the
  // start of the input is skipped.
  explicit InputReader(std::istream& in, size_t chunk_size = kDefaultChunkSize);

  InputReader(const InputReader&) = delete;
  InputReader& operator=(const InputReader&) = delete;

  // True when unread bytes are available, reading the next chunk if the
  // current one is used up. False at the end of the input or when the stream
  // failed; status() tells which.
  bool Fill() {
    if (pos_ < end_) return true;
    return ReadChunk();
  }

  // The unread bytes of the current chunk; valid until the next Fill().
  std::string_view Available() const { return std::string_view(pos_, end_ - pos_); }
  void Consume(size_t n) { pos_ += n; }

  // kInternal once the stream has failed, OK otherwise.
  const Status& status() const { return status_; }

 private:
  bool ReadChunk();

  std::istream& in_;
  size_t buffer_size_;
  std::unique_ptr<char[]> buffer_;  // not zeroed: every byte used is read first
  const char* pos_ = nullptr;
  const char* end_ = nullptr;
  bool started_ = false;
  bool done_ = false;
  Status status_;
};

}  // namespace plumb::io
