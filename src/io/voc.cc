// Pascal VOC XML: one <annotation> per image with <filename>, <size> and an
// <object> per box (<name>, <bndbox> with corner pixels xmin/ymin/xmax/ymax,
// and the flags <truncated>, <difficult>, <occluded>). Imports take one XML
// file or a zip of them; exports are a zip with Annotations/<stem>.xml.

#include <algorithm>
#include <cmath>
#include <pugixml.hpp>
#include <set>
#include <sstream>
#include <string>

#include "io/labeled.h"
#include "io/zip.h"

namespace plumb::io {
namespace {

using nlohmann::json;

// VOC's flags that become boolean attributes when the control declares them.
constexpr const char* kFlags[] = {"truncated", "difficult", "occluded"};

bool DeclaresFlag(const Control& control, const char* name) {
  const Attribute* a = control.FindAttribute(name);
  return a != nullptr && a->type == AttributeType::kBoolean;
}

Result<double> Coordinate(const pugi::xml_node& box, const char* name, const std::string& where) {
  const pugi::xml_node node = box.child(name);
  std::string text = node.text().as_string();
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (node.empty() || text.empty() || end == text.c_str() || *end != '\0' || !std::isfinite(v)) {
    return Status::InvalidArgument(where + ": <" + name + "> must be a number");
  }
  return v;
}

Status ReadOne(const std::string& name, const std::string& xml, const Control& control,
               LabeledWriter& out) {
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    return Status::InvalidArgument(name + ": not XML: " + parsed.description() + " at byte " +
                                   std::to_string(parsed.offset));
  }
  const pugi::xml_node root = doc.child("annotation");
  if (root.empty()) return Status::InvalidArgument(name + ": no <annotation> element");
  LabeledTask task;
  const std::string file = root.child("filename").text().as_string();
  if (file.empty()) return Status::InvalidArgument(name + ": <filename> is missing");
  PLUMB_RETURN_IF_ERROR(CheckUtf8(file, name + ": <filename>"));
  task.data[control.source] = file;
  const pugi::xml_node size = root.child("size");
  task.media = {{"width", size.child("width").text().as_llong(0)},
                {"height", size.child("height").text().as_llong(0)}};
  task.result = json::array();
  int index = 0;
  for (pugi::xml_node object : root.children("object")) {
    const std::string where = name + " <object> " + std::to_string(index++);
    const pugi::xml_node box = object.child("bndbox");
    if (box.empty()) return Status::InvalidArgument(where + ": <bndbox> is missing");
    const std::string label = object.child("name").text().as_string();
    PLUMB_RETURN_IF_ERROR(CheckUtf8(label, where + ": <name>"));
    PLUMB_ASSIGN_OR_RETURN(double x0, Coordinate(box, "xmin", where));
    PLUMB_ASSIGN_OR_RETURN(double y0, Coordinate(box, "ymin", where));
    PLUMB_ASSIGN_OR_RETURN(double x1, Coordinate(box, "xmax", where));
    PLUMB_ASSIGN_OR_RETURN(double y1, Coordinate(box, "ymax", where));
    json item = {{"control", control.name},
                 {"type", "bbox"},
                 {"label", label},
                 {"x", x0},
                 {"y", y0},
                 {"w", x1 - x0},
                 {"h", y1 - y0}};
    json attributes = json::object();
    for (const char* flag : kFlags) {
      // Set flags only: VOC writes 0 for every box, which says nothing.
      if (DeclaresFlag(control, flag) && object.child(flag).text().as_int() != 0) {
        attributes[flag] = true;
      }
    }
    if (!attributes.empty()) item["attributes"] = std::move(attributes);
    task.result->push_back(std::move(item));
  }
  Status status = out.Add(task);
  if (!status.ok()) return At(name, status);
  return Status::Ok();
}

// xml_writer into a std::string.
struct StringWriter : pugi::xml_writer {
  std::string text;
  void write(const void* data, size_t size) override {
    text.append(static_cast<const char*>(data), size);
  }
};

}  // namespace

Status ReadVoc(std::string_view bytes, const Schema& schema, LabeledWriter& out) {
  PLUMB_ASSIGN_OR_RETURN(const Control* control, ImageBoxControl(schema));
  if (bytes.substr(0, 2) != "PK") return ReadOne("the XML file", std::string(bytes), *control, out);
  int64_t files = 0;
  PLUMB_RETURN_IF_ERROR(ForEachZipFile(
      bytes, size_t{16} << 20, [&](const std::string& name, const std::string& content) {
        if (name.size() < 4 || name.compare(name.size() - 4, 4, ".xml") != 0) return Status::Ok();
        ++files;
        return ReadOne(name, content, *control, out);
      }));
  if (files == 0) return Status::InvalidArgument("the zip holds no .xml files");
  return Status::Ok();
}

Status WriteVoc(store::Store& store, const Project& project, const Schema& schema,
                std::ostream& out) {
  PLUMB_ASSIGN_OR_RETURN(const Control* control, ImageBoxControl(schema));
  ZipWriter zip(out);
  UniqueStems stems;
  PLUMB_RETURN_IF_ERROR(ForEachLabeledImage(
      store, project, [&](const Task& task, const ImageLabels& labels) -> Status {
        const json& media = labels.media;
        const json& data = labels.data;
        const json& result = labels.result;
        const std::string image = data.value(control->source, "");
        pugi::xml_document doc;
        pugi::xml_node root = doc.append_child("annotation");
        root.append_child("folder").text().set("");
        root.append_child("filename").text().set(image.c_str());
        root.append_child("path").text().set(image.c_str());
        root.append_child("source").append_child("database").text().set("Plumb");
        pugi::xml_node size = root.append_child("size");
        size.append_child("width").text().set(media["width"].get<long long>());
        size.append_child("height").text().set(media["height"].get<long long>());
        size.append_child("depth").text().set(3);
        root.append_child("segmented").text().set(0);
        for (const json& item : result) {
          if (item.value("control", "") != control->name) continue;
          auto [x, y, w, h] =
              BoxBounds(item.value("x", 0.0), item.value("y", 0.0), item.value("w", 0.0),
                        item.value("h", 0.0), item.value("rotation", 0.0));
          pugi::xml_node object = root.append_child("object");
          object.append_child("name").text().set(item.value("label", "").c_str());
          object.append_child("pose").text().set("Unspecified");
          const json attributes = item.value("attributes", json::object());
          for (const char* flag : kFlags) {
            if (std::string_view(flag) == "occluded" && !attributes.contains(flag)) continue;
            object.append_child(flag).text().set(attributes.value(flag, false) ? 1 : 0);
          }
          pugi::xml_node box = object.append_child("bndbox");
          box.append_child("xmin").text().set(FormatNumber(x).c_str());
          box.append_child("ymin").text().set(FormatNumber(y).c_str());
          box.append_child("xmax").text().set(FormatNumber(x + w).c_str());
          box.append_child("ymax").text().set(FormatNumber(y + h).c_str());
        }
        StringWriter xml;
        doc.save(xml, "  ");
        return zip.Add("Annotations/" + stems.Unique(image) + ".xml", xml.text);
      }));
  return zip.Finish();
}

}  // namespace plumb::io
