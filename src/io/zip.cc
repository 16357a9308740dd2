#include "io/zip.h"

#include <zip.h>
#include <zlib.h>

#include <algorithm>
#include <memory>

namespace plumb::io {
namespace {

void Put16(std::string& s, uint16_t v) {
  s.push_back(static_cast<char>(v & 0xff));
  s.push_back(static_cast<char>(v >> 8));
}
void Put32(std::string& s, uint32_t v) {
  Put16(s, static_cast<uint16_t>(v & 0xffff));
  Put16(s, static_cast<uint16_t>(v >> 16));
}
void Put64(std::string& s, uint64_t v) {
  Put32(s, static_cast<uint32_t>(v & 0xffffffffu));
  Put32(s, static_cast<uint32_t>(v >> 32));
}

constexpr uint32_t kMax32 = 0xffffffffu;
constexpr uint16_t kDeflate = 8;
// 1980-01-01 00:00 in DOS time: entries carry no meaningful time, and a
// fixed one keeps exports of the same data byte-identical.
constexpr uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;

}  // namespace

Status ZipWriter::Write(std::string_view bytes) {
  out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  offset_ += bytes.size();
  if (!out_) return Status::Internal("writing the zip failed");
  return Status::Ok();
}

Status ZipWriter::Add(std::string_view name, std::string_view content) {
  // Raw deflate (no zlib header), as zip stores it.
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return Status::Internal("deflateInit2 failed");
  }
  std::string deflated(deflateBound(&z, static_cast<uLong>(content.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(content.data()));
  z.avail_in = static_cast<uInt>(content.size());
  z.next_out = reinterpret_cast<Bytef*>(deflated.data());
  z.avail_out = static_cast<uInt>(deflated.size());
  const int rc = deflate(&z, Z_FINISH);
  deflated.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return Status::Internal("deflate failed");

  Entry e{std::string(name),
          static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(content.data()),
                                      static_cast<uInt>(content.size()))),
          deflated.size(), content.size(), offset_};
  if (e.compressed >= kMax32 || e.size >= kMax32) {
    return Status::Internal("a zip entry over 4 GiB");  // entries are per-image label files
  }
  std::string& h = scratch_;
  h.clear();
  Put32(h, 0x04034b50);
  Put16(h, 20);       // version needed
  Put16(h, 1 << 11);  // UTF-8 names
  Put16(h, kDeflate);
  Put16(h, 0);
  Put16(h, kDosDate);
  Put32(h, e.crc);
  Put32(h, static_cast<uint32_t>(e.compressed));
  Put32(h, static_cast<uint32_t>(e.size));
  Put16(h, static_cast<uint16_t>(e.name.size()));
  Put16(h, 0);
  h.append(e.name);
  PLUMB_RETURN_IF_ERROR(Write(h));
  PLUMB_RETURN_IF_ERROR(Write(deflated));
  entries_.push_back(std::move(e));
  return Status::Ok();
}

Status ZipWriter::Finish() {
  const uint64_t directory_offset = offset_;
  std::string& d = scratch_;
  for (const Entry& e : entries_) {
    d.clear();
    const bool zip64 = e.offset >= kMax32;
    Put32(d, 0x02014b50);
    Put16(d, zip64 ? 45 : 20);  // version made by
    Put16(d, zip64 ? 45 : 20);  // version needed
    Put16(d, 1 << 11);
    Put16(d, kDeflate);
    Put16(d, 0);
    Put16(d, kDosDate);
    Put32(d, e.crc);
    Put32(d, static_cast<uint32_t>(e.compressed));
    Put32(d, static_cast<uint32_t>(e.size));
    Put16(d, static_cast<uint16_t>(e.name.size()));
    Put16(d, zip64 ? 12 : 0);  // extra field
    Put16(d, 0);
    Put16(d, 0);
    Put16(d, 0);
    Put32(d, 0);
    Put32(d, zip64 ? kMax32 : static_cast<uint32_t>(e.offset));
    d.append(e.name);
    if (zip64) {
      Put16(d, 0x0001);
      Put16(d, 8);
      Put64(d, e.offset);
    }
    PLUMB_RETURN_IF_ERROR(Write(d));
  }
  const uint64_t directory_size = offset_ - directory_offset;
  const uint64_t count = entries_.size();
  d.clear();
  if (count >= 0xffff || directory_offset >= kMax32 || directory_size >= kMax32) {
    const uint64_t zip64_end = offset_;
    Put32(d, 0x06064b50);
    Put64(d, 44);
    Put16(d, 45);
    Put16(d, 45);
    Put32(d, 0);
    Put32(d, 0);
    Put64(d, count);
    Put64(d, count);
    Put64(d, directory_size);
    Put64(d, directory_offset);
    Put32(d, 0x07064b50);  // the locator
    Put32(d, 0);
    Put64(d, zip64_end);
    Put32(d, 1);
  }
  Put32(d, 0x06054b50);
  Put16(d, 0);
  Put16(d, 0);
  Put16(d, static_cast<uint16_t>(std::min<uint64_t>(count, 0xffff)));
  Put16(d, static_cast<uint16_t>(std::min<uint64_t>(count, 0xffff)));
  Put32(d, static_cast<uint32_t>(std::min<uint64_t>(directory_size, kMax32)));
  Put32(d, static_cast<uint32_t>(std::min<uint64_t>(directory_offset, kMax32)));
  Put16(d, 0);
  PLUMB_RETURN_IF_ERROR(Write(d));
  out_.flush();
  if (!out_) return Status::Internal("writing the zip failed");
  return Status::Ok();
}

Status ForEachZipFile(std::string_view zip_bytes, size_t max_file_bytes,
                      const std::function<Status(const std::string&, const std::string&)>& fn) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(zip_bytes.data(), zip_bytes.size(), 0, &error);
  if (source == nullptr) {
    zip_error_fini(&error);
    return Status::Internal("cannot read the upload as a zip");
  }
  zip_t* raw = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (raw == nullptr) {
    zip_source_free(source);
    std::string message = zip_error_strerror(&error);
    zip_error_fini(&error);
    return Status::InvalidArgument("not a zip archive: " + message);
  }
  zip_error_fini(&error);
  std::unique_ptr<zip_t, int (*)(zip_t*)> archive(raw, zip_close);
  const zip_int64_t n = zip_get_num_entries(raw, 0);
  std::string content;
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(raw, static_cast<zip_uint64_t>(i), 0, &st) != 0) {
      return Status::InvalidArgument("zip entry " + std::to_string(i) + " cannot be read");
    }
    const std::string name = st.name != nullptr ? st.name : "";
    if (name.empty() || name.back() == '/') continue;
    if (st.size > max_file_bytes) {
      return Status::InvalidArgument(name + " is larger than " +
                                     std::to_string(max_file_bytes >> 20) + " MiB");
    }
    std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> file(
        zip_fopen_index(raw, static_cast<zip_uint64_t>(i), 0), zip_fclose);
    if (file == nullptr) return Status::InvalidArgument(name + " cannot be read from the zip");
    content.resize(st.size);
    zip_int64_t got = zip_fread(file.get(), content.data(), st.size);
    if (got < 0 || static_cast<zip_uint64_t>(got) != st.size) {
      return Status::InvalidArgument(name + " is damaged in the zip");
    }
    PLUMB_RETURN_IF_ERROR(fn(name, content));
  }
  return Status::Ok();
}

}  // namespace plumb::io
