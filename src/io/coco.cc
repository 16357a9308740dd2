// COCO object detection JSON: {"images": [{id, file_name, width, height}],
// "annotations": [{id, image_id, category_id, bbox: [x, y, w, h],
// segmentation: [[x1, y1, x2, y2, ...]], area, iscrowd}], "categories":
// [{id, name}]}. An image is a task whose image field (the source of the
// schema's bbox/polygon controls) is its file_name; pixels stay pixels.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "io/labeled.h"

namespace plumb::io {
namespace {

using nlohmann::json;

// The image controls COCO maps to: boxes, and polygons for segmentation.
struct ImageControls {
  const Control* bbox = nullptr;
  const Control* polygon = nullptr;
  const std::string* source = nullptr;  // the image field they label
};

Result<ImageControls> FindImageControls(const Schema& schema) {
  ImageControls c;
  c.bbox = FindControl(schema, ControlType::kBbox, MediaKind::kImage);
  c.polygon = FindControl(schema, ControlType::kPolygon, MediaKind::kImage);
  if (c.bbox == nullptr && c.polygon == nullptr) {
    return Status::InvalidArgument(
        "the project's schema has no bbox or polygon control over an image");
  }
  c.source = c.bbox != nullptr ? &c.bbox->source : &c.polygon->source;
  return c;
}

bool HasLabel(const Control* control, const std::string& label) {
  return control != nullptr &&
         std::find(control->labels.begin(), control->labels.end(), label) != control->labels.end();
}

Result<int64_t> IntField(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) {
    return Status::InvalidArgument(where + "." + key + " must be an integer", where + "." + key);
  }
  return it->get<int64_t>();
}

// One COCO annotation as Plumb result items (a polygon can be several).
Result<std::vector<json>> ConvertAnnotation(const json& a, const std::string& label,
                                            const ImageControls& controls,
                                            const std::string& where) {
  std::vector<json> items;
  auto segmentation = a.find("segmentation");
  const bool polygons = segmentation != a.end() && segmentation->is_array() &&
                        !segmentation->empty() && HasLabel(controls.polygon, label);
  if (segmentation != a.end() && segmentation->is_object()) {
    return Status::InvalidArgument(where + ": RLE segmentation (iscrowd) is not supported",
                                   where + ".segmentation");
  }
  if (polygons) {
    for (size_t p = 0; p < segmentation->size(); ++p) {
      const json& flat = (*segmentation)[p];
      if (!flat.is_array() || flat.size() % 2 != 0) {
        return Status::InvalidArgument(where + ": a polygon is a list of x, y numbers",
                                       where + ".segmentation[" + std::to_string(p) + "]");
      }
      json points = json::array();
      size_t n = flat.size();
      // Some tools close the ring by repeating the first point; Plumb's
      // polygons are implicitly closed.
      if (n >= 8 && flat[0] == flat[n - 2] && flat[1] == flat[n - 1]) n -= 2;
      for (size_t i = 0; i + 1 < n; i += 2) {
        if (!flat[i].is_number() || !flat[i + 1].is_number()) {
          return Status::InvalidArgument(where + ": a polygon is a list of x, y numbers",
                                         where + ".segmentation[" + std::to_string(p) + "]");
        }
        points.push_back({flat[i], flat[i + 1]});
      }
      items.push_back({{"control", controls.polygon->name},
                       {"type", "polygon"},
                       {"label", label},
                       {"points", std::move(points)}});
    }
  } else {
    if (!HasLabel(controls.bbox, label)) {
      return Status::InvalidArgument(
          where + ": category '" + label + "' is not a label of a bbox or polygon control",
          where + ".category_id");
    }
    auto bbox = a.find("bbox");
    if (bbox == a.end() || !bbox->is_array() || bbox->size() != 4 ||
        !std::all_of(bbox->begin(), bbox->end(), [](const json& v) { return v.is_number(); })) {
      return Status::InvalidArgument(where + ": bbox must be [x, y, width, height]",
                                     where + ".bbox");
    }
    items.push_back({{"control", controls.bbox->name},
                     {"type", "bbox"},
                     {"label", label},
                     {"x", (*bbox)[0]},
                     {"y", (*bbox)[1]},
                     {"w", (*bbox)[2]},
                     {"h", (*bbox)[3]}});
  }
  if (auto attributes = a.find("attributes"); attributes != a.end() && attributes->is_object()) {
    for (json& item : items) item["attributes"] = *attributes;
  }
  return items;
}

// --- export ------------------------------------------------------------------------------

// The categories of the export: the bbox control's labels, then the polygon
// control's that are not among them; ids from 1 in that order.
std::vector<std::string> Categories(const ImageControls& controls) {
  std::vector<std::string> names;
  for (const Control* c : {controls.bbox, controls.polygon}) {
    if (c == nullptr) continue;
    for (const std::string& label : c->labels) {
      if (std::find(names.begin(), names.end(), label) == names.end()) names.push_back(label);
    }
  }
  return names;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

Status ReadCoco(std::istream& in, const Schema& schema, LabeledWriter& out) {
  PLUMB_ASSIGN_OR_RETURN(ImageControls controls, FindImageControls(schema));
  // COCO's annotations point at images from anywhere in the file, so the
  // document is parsed whole (bounded by the upload limit).
  json doc = json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::InvalidArgument("a COCO file is a JSON object with images and annotations");
  }
  for (const char* key : {"images", "annotations", "categories"}) {
    if (!doc.contains(key) || !doc[key].is_array()) {
      return Status::InvalidArgument(std::string(key) + " must be a list", key);
    }
  }
  std::map<int64_t, std::string> categories;
  for (size_t i = 0; i < doc["categories"].size(); ++i) {
    const json& c = doc["categories"][i];
    const std::string where = "categories[" + std::to_string(i) + "]";
    if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) {
      return Status::InvalidArgument(where + ".name must be a string", where + ".name");
    }
    PLUMB_ASSIGN_OR_RETURN(int64_t id, IntField(c, "id", where));
    categories[id] = c["name"].get<std::string>();
  }
  std::map<int64_t, size_t> image_index;  // image id → position in images
  const json& images = doc["images"];
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string where = "images[" + std::to_string(i) + "]";
    if (!images[i].is_object()) return Status::InvalidArgument(where + " must be an object", where);
    PLUMB_ASSIGN_OR_RETURN(int64_t id, IntField(images[i], "id", where));
    if (!image_index.emplace(id, i).second) {
      return Status::InvalidArgument(where + ": image id " + std::to_string(id) + " is repeated",
                                     where + ".id");
    }
  }
  std::vector<std::vector<json>> items(images.size());
  const json& annotations = doc["annotations"];
  for (size_t i = 0; i < annotations.size(); ++i) {
    const json& a = annotations[i];
    const std::string where = "annotations[" + std::to_string(i) + "]";
    if (!a.is_object()) return Status::InvalidArgument(where + " must be an object", where);
    PLUMB_ASSIGN_OR_RETURN(int64_t image_id, IntField(a, "image_id", where));
    PLUMB_ASSIGN_OR_RETURN(int64_t category_id, IntField(a, "category_id", where));
    auto image = image_index.find(image_id);
    if (image == image_index.end()) {
      return Status::InvalidArgument(where + ": no image has id " + std::to_string(image_id),
                                     where + ".image_id");
    }
    auto category = categories.find(category_id);
    if (category == categories.end()) {
      return Status::InvalidArgument(where + ": no category has id " + std::to_string(category_id),
                                     where + ".category_id");
    }
    PLUMB_ASSIGN_OR_RETURN(std::vector<json> converted,
                           ConvertAnnotation(a, category->second, controls, where));
    for (json& item : converted) items[image->second].push_back(std::move(item));
  }
  for (size_t i = 0; i < images.size(); ++i) {
    const json& image = images[i];
    const std::string where = "images[" + std::to_string(i) + "]";
    auto file = image.find("file_name");
    if (file == image.end() || !file->is_string()) {
      return Status::InvalidArgument(where + ".file_name must be a string", where + ".file_name");
    }
    LabeledTask task;
    task.data[*controls.source] = *file;
    // An image listed without annotations was looked at and has no objects.
    task.result = json(items[i]);
    task.media = {{"width", image.value("width", json())},
                  {"height", image.value("height", json())}};
    Status status = out.Add(task);
    if (!status.ok()) return At(where + " ('" + file->get<std::string>() + "')", status);
  }
  return Status::Ok();
}

Status WriteCoco(store::Store& store, const Project& project, const Schema& schema,
                 std::ostream& out) {
  PLUMB_ASSIGN_OR_RETURN(ImageControls controls, FindImageControls(schema));
  const std::vector<std::string> names = Categories(controls);
  auto category_id = [&](const std::string& label) -> int64_t {
    auto it = std::find(names.begin(), names.end(), label);
    return it == names.end() ? 0 : static_cast<int64_t>(it - names.begin()) + 1;
  };

  OutBuffer buffer(out);
  std::string& b = buffer.text();
  json categories = json::array();
  for (size_t i = 0; i < names.size(); ++i) {
    categories.push_back({{"id", i + 1}, {"name", names[i]}, {"supercategory", ""}});
  }
  b.append("{\"info\":{\"description\":");
  b.append(json(project.name).dump());
  b.append(",\"version\":\"1.0\"},\"licenses\":[],\"categories\":");
  b.append(categories.dump());
  b.append(",\"images\":[");

  // Images go to the output as the store streams tasks by; annotations to an
  // unnamed temporary file, appended after them: one pass, one snapshot.
  std::unique_ptr<std::FILE, FileCloser> annotations(std::tmpfile());
  if (annotations == nullptr) return Status::Internal("cannot create a temporary file for COCO");
  std::string pending;
  int64_t annotation_id = 0;
  bool first_image = true;
  Status status = ForEachLabeledImage(
      store, project, [&](const Task& task, const ImageLabels& labels) -> Status {
        const json& media = labels.media;
        const json& data = labels.data;
        const json& result = labels.result;
        json image = {{"id", task.id},
                      {"file_name", data.value(*controls.source, "")},
                      {"width", media["width"]},
                      {"height", media["height"]}};
        b.append(first_image ? "\n" : ",\n").append(image.dump());
        first_image = false;
        for (const json& item : result) {
          const std::string control = item.value("control", "");
          json a = {{"id", 0}, {"image_id", task.id}, {"category_id", 0}, {"iscrowd", 0}};
          if (controls.bbox != nullptr && control == controls.bbox->name) {
            auto box = BoxBounds(item.value("x", 0.0), item.value("y", 0.0), item.value("w", 0.0),
                                 item.value("h", 0.0), item.value("rotation", 0.0));
            a["bbox"] = {box[0], box[1], box[2], box[3]};
            a["area"] = box[2] * box[3];
            a["segmentation"] = json::array();
          } else if (controls.polygon != nullptr && control == controls.polygon->name) {
            json flat = json::array();
            double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300, area = 0;
            const json& points = item["points"];
            for (size_t i = 0; i < points.size(); ++i) {
              const double x = points[i][0].get<double>(), y = points[i][1].get<double>();
              const json& next = points[(i + 1) % points.size()];
              area += x * next[1].get<double>() - next[0].get<double>() * y;  // shoelace
              flat.push_back(points[i][0]);
              flat.push_back(points[i][1]);
              x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x),
              y1 = std::max(y1, y);
            }
            a["segmentation"] = json::array({std::move(flat)});
            a["bbox"] = {x0, y0, x1 - x0, y1 - y0};
            a["area"] = std::fabs(area) / 2;
          } else {
            continue;  // keypoints, spans, choices: not COCO detection data
          }
          a["id"] = ++annotation_id;
          a["category_id"] = category_id(item.value("label", ""));
          if (item.contains("attributes")) a["attributes"] = item["attributes"];
          pending.append(annotation_id == 1 ? "\n" : ",\n").append(a.dump());
        }
        if (pending.size() >= 64 * 1024) {
          if (std::fwrite(pending.data(), 1, pending.size(), annotations.get()) != pending.size()) {
            return Status::Internal("writing COCO annotations to a temporary file failed");
          }
          pending.clear();
        }
        return buffer.MaybeFlush();
      });
  PLUMB_RETURN_IF_ERROR(status);
  if (!pending.empty() &&
      std::fwrite(pending.data(), 1, pending.size(), annotations.get()) != pending.size()) {
    return Status::Internal("writing COCO annotations to a temporary file failed");
  }
  b.append("],\"annotations\":[");
  PLUMB_RETURN_IF_ERROR(buffer.Flush());
  std::rewind(annotations.get());
  char chunk[64 * 1024];
  while (size_t n = std::fread(chunk, 1, sizeof(chunk), annotations.get())) {
    b.append(chunk, n);
    PLUMB_RETURN_IF_ERROR(buffer.Flush());
  }
  if (std::ferror(annotations.get()))
    return Status::Internal("reading COCO annotations back failed");
  b.append("]}\n");
  return buffer.Finish();
}

}  // namespace plumb::io
