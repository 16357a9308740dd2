#pragma once
// Zip archives for the formats that ship one file per image (YOLO, VOC).
// ZipWriter streams an archive to an ostream entry by entry (each entry is
// small and written whole, so no data descriptors are needed); only the
// central directory, ~50 bytes per entry, stays in memory. ReadZip lists and
// reads an archive held in memory, with libzip.

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace plumb::io {

class ZipWriter {
 public:
  explicit ZipWriter(std::ostream& out) : out_(out) {}

  // Adds a file, deflated. kInternal when the stream fails.
  Status Add(std::string_view name, std::string_view content);
  // Writes the central directory (Zip64 past 65535 entries or 4 GiB).
  Status Finish();

 private:
  struct Entry {
    std::string name;
    uint32_t crc = 0;
    uint64_t compressed = 0;
    uint64_t size = 0;
    uint64_t offset = 0;
  };

  Status Write(std::string_view bytes);

  std::ostream& out_;
  std::vector<Entry> entries_;
  uint64_t offset_ = 0;
  std::string scratch_;
};

// Calls fn(name, content) for every file (not directory) of the archive in
// `zip_bytes`, in archive order. kInvalidArgument when it is not a zip, or a
// file is over `max_file_bytes`; stops at the first error fn returns.
Status ForEachZipFile(std::string_view zip_bytes, size_t max_file_bytes,
                      const std::function<Status(const std::string&, const std::string&)>& fn);

}  // namespace plumb::io
