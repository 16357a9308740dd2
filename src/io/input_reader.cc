#include "io/input_reader.h"

#include <algorithm>
#include <cstring>

namespace plumb::io {

namespace {
constexpr char kUtf8Bom[] = "\xEF\xBB\xBF";
constexpr size_t kUtf8BomSize = 3;
}  // namespace

InputReader::InputReader(std::istream& in, size_t chunk_size)
    // The first read must see the whole byte order mark even with tiny chunks.
    : in_(in),
      buffer_size_(std::max(chunk_size, kUtf8BomSize)),
      buffer_(std::make_unique_for_overwrite<char[]>(buffer_size_)) {}

bool InputReader::ReadChunk() {
  // Loops because a first chunk holding only the byte order mark yields nothing.
  while (!done_) {
    in_.read(buffer_.get(), static_cast<std::streamsize>(buffer_size_));
    size_t n = static_cast<size_t>(in_.gcount());
    pos_ = buffer_.get();
    end_ = pos_ + n;
    if (!started_) {
      started_ = true;
      if (n >= kUtf8BomSize && std::memcmp(pos_, kUtf8Bom, kUtf8BomSize) == 0) {
        pos_ += kUtf8BomSize;
      }
    }
    if (in_.bad()) {
      // Bytes read before the failure are dropped: the import fails anyway.
      status_ = Status::Internal("reading the import failed");
      done_ = true;
      pos_ = end_;
      return false;
    }
    if (n < buffer_size_) done_ = true;  // istream::read stops short only at the end
    if (pos_ < end_) return true;
  }
  return false;
}

}  // namespace plumb::io
