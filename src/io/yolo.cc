// YOLO (Darknet/Ultralytics detection) in a zip: classes.txt with one label
// per line (the class index is the line number from 0), and per image
// labels/<stem>.txt with a line "class cx cy w h" per box, normalized by the
// image's size. YOLO files carry no image size, so Plumb's export adds
// manifest.jsonl ({"image", "labels", "width", "height"} per image); an
// import takes sizes from it, or else from the PNG/JPEG files in the zip.

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "io/importers.h"
#include "io/labeled.h"
#include "io/zip.h"

namespace plumb::io {
namespace {

using nlohmann::json;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

uint32_t BigEndian(const std::string& b, size_t at, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

// The pixel size in a PNG's IHDR or a JPEG's SOF marker; {0, 0} when the
// bytes are neither.
std::pair<int64_t, int64_t> ImageSize(const std::string& b) {
  if (b.size() >= 24 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) {
    return {BigEndian(b, 16, 4), BigEndian(b, 20, 4)};
  }
  if (b.size() < 4 || static_cast<unsigned char>(b[0]) != 0xFF ||
      static_cast<unsigned char>(b[1]) != 0xD8) {
    return {0, 0};
  }
  size_t i = 2;
  while (i + 9 < b.size()) {
    if (static_cast<unsigned char>(b[i]) != 0xFF) return {0, 0};
    const unsigned char marker = static_cast<unsigned char>(b[i + 1]);
    const size_t length = BigEndian(b, i + 2, 2);
    // SOF0..SOF15 hold the size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      return {BigEndian(b, i + 7, 2), BigEndian(b, i + 5, 2)};
    }
    i += 2 + length;
  }
  return {0, 0};
}

double Round6(double v) { return std::round(v * 1e6) / 1e6; }

// Ultralytics' precision: six decimals of the normalized values.
std::string Fixed6(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6f", v);
  return buf;
}

}  // namespace

Status ReadYolo(std::string_view zip_bytes, const Schema& schema, LabeledWriter& out) {
  PLUMB_ASSIGN_OR_RETURN(const Control* control, ImageBoxControl(schema));
  std::vector<std::string> classes;
  bool have_classes = false;
  std::map<std::string, std::string> label_files;  // path → content, in name order
  std::map<std::string, json> manifest;            // label file path → its manifest line
  std::map<std::string, std::pair<std::string, std::pair<int64_t, int64_t>>> images;  // by stem
  PLUMB_RETURN_IF_ERROR(ForEachZipFile(
      zip_bytes, kMaxRecordBytes, [&](const std::string& name, const std::string& content) {
        PLUMB_RETURN_IF_ERROR(CheckUtf8(name, "a file name in the zip"));
        const std::string lower = Lower(name);
        const std::string base = lower.substr(lower.find_last_of('/') + 1);
        if (base == "classes.txt" || EndsWith(base, ".names")) {
          std::istringstream in(content);
          for (std::string line; std::getline(in, line);) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty()) continue;
            PLUMB_RETURN_IF_ERROR(CheckUtf8(line, name + ": a class name"));
            classes.push_back(line);
          }
          have_classes = true;
        } else if (base == "manifest.jsonl") {
          std::istringstream in(content);
          int64_t number = 0;
          for (std::string line; std::getline(in, line);) {
            ++number;
            if (IsBlankLine(line)) continue;
            json entry = json::parse(line, nullptr, false);
            if (!entry.is_object() || !entry.contains("labels") || !entry["labels"].is_string()) {
              return Status::InvalidArgument(name + " line " + std::to_string(number) +
                                             ": expected {\"image\", \"labels\", \"width\", "
                                             "\"height\"}");
            }
            manifest[entry["labels"].get<std::string>()] = entry;
          }
        } else if (EndsWith(lower, ".txt")) {
          label_files[name] = content;
        } else if (EndsWith(lower, ".png") || EndsWith(lower, ".jpg") || EndsWith(lower, ".jpeg")) {
          images[FileStem(name)] = {name, ImageSize(content)};
        }
        return Status::Ok();
      }));
  if (!have_classes) {
    return Status::InvalidArgument("the zip has no classes.txt (or *.names) listing the classes");
  }
  for (const auto& [path, content] : label_files) {
    const std::string stem = FileStem(path);
    LabeledTask task;
    int64_t width = 0, height = 0;
    if (auto m = manifest.find(path); m != manifest.end()) {
      task.data[control->source] = m->second.value("image", "");
      width = m->second.value("width", int64_t{0});
      height = m->second.value("height", int64_t{0});
    } else if (auto image = images.find(stem); image != images.end()) {
      task.data[control->source] = image->second.first;
      width = image->second.second.first;
      height = image->second.second.second;
    } else {
      return Status::InvalidArgument(path +
                                     ": no image size: neither manifest.jsonl nor a PNG or "
                                     "JPEG image named " +
                                     stem + " in the zip");
    }
    task.media = {{"width", width}, {"height", height}};
    task.result = json::array();
    std::istringstream in(content);
    int64_t number = 0;
    for (std::string line; std::getline(in, line);) {
      ++number;
      if (IsBlankLine(line)) continue;
      std::istringstream fields(line);
      int64_t cls = -1;
      double cx = 0, cy = 0, w = 0, h = 0;
      std::string extra;
      if (!(fields >> cls >> cx >> cy >> w >> h) || (fields >> extra)) {
        return Status::InvalidArgument(path + " line " + std::to_string(number) +
                                       ": expected \"class cx cy w h\"");
      }
      if (cls < 0 || cls >= static_cast<int64_t>(classes.size())) {
        return Status::InvalidArgument(path + " line " + std::to_string(number) + ": class " +
                                       std::to_string(cls) + " is not in classes.txt");
      }
      const double W = static_cast<double>(width), H = static_cast<double>(height);
      task.result->push_back({{"control", control->name},
                              {"type", "bbox"},
                              {"label", classes[cls]},
                              {"x", Round6((cx - w / 2) * W)},
                              {"y", Round6((cy - h / 2) * H)},
                              {"w", Round6(w * W)},
                              {"h", Round6(h * H)}});
    }
    Status status = out.Add(task);
    if (!status.ok()) return At(path, status);
  }
  return Status::Ok();
}

Status WriteYolo(store::Store& store, const Project& project, const Schema& schema,
                 std::ostream& out) {
  PLUMB_ASSIGN_OR_RETURN(const Control* control, ImageBoxControl(schema));
  ZipWriter zip(out);
  std::string classes;
  for (const std::string& label : control->labels) classes.append(label).push_back('\n');
  PLUMB_RETURN_IF_ERROR(zip.Add("classes.txt", classes));
  UniqueStems stems;
  std::string manifest;  // ~100 bytes per image: the one part held to the end
  std::string lines;
  PLUMB_RETURN_IF_ERROR(ForEachLabeledImage(
      store, project, [&](const Task& task, const ImageLabels& labels) -> Status {
        const json& media = labels.media;
        const json& data = labels.data;
        const json& result = labels.result;
        const double W = media["width"].get<double>(), H = media["height"].get<double>();
        lines.clear();
        for (const json& item : result) {
          if (item.value("control", "") != control->name) continue;
          auto label =
              std::find(control->labels.begin(), control->labels.end(), item.value("label", ""));
          if (label == control->labels.end()) continue;  // a label since removed
          auto [x, y, w, h] =
              BoxBounds(item.value("x", 0.0), item.value("y", 0.0), item.value("w", 0.0),
                        item.value("h", 0.0), item.value("rotation", 0.0));
          lines.append(std::to_string(label - control->labels.begin()));
          for (double v : {(x + w / 2) / W, (y + h / 2) / H, w / W, h / H}) {
            lines.push_back(' ');
            lines.append(Fixed6(v));
          }
          lines.push_back('\n');
        }
        const std::string image = data.value(control->source, "");
        const std::string path = "labels/" + stems.Unique(image) + ".txt";
        PLUMB_RETURN_IF_ERROR(zip.Add(path, lines));
        manifest.append(json({{"image", image},
                              {"labels", path},
                              {"width", media["width"]},
                              {"height", media["height"]}})
                            .dump());
        manifest.push_back('\n');
        return Status::Ok();
      }));
  PLUMB_RETURN_IF_ERROR(zip.Add("manifest.jsonl", manifest));
  return zip.Finish();
}

}  // namespace plumb::io
