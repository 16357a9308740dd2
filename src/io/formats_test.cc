// The label formats against the real SQLite store: each imports, exports,
// and comes back equal when its export is imported into a fresh project;
// a bad record rejects the whole file.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "io/io.h"
#include "io/labeled.h"
#include "io/zip.h"

namespace plumb::io {
namespace {

using nlohmann::json;

constexpr char kImageSchema[] = R"json({"controls": [
    {"name": "objects", "type": "bbox", "source": "image", "labels": ["car", "person"],
     "attributes": [{"name": "occluded", "type": "boolean"}]},
    {"name": "outline", "type": "polygon", "source": "image", "labels": ["road", "car"]},
    {"name": "joints", "type": "keypoint", "source": "image", "labels": ["nose"]},
    {"name": "weather", "type": "choice", "source": "image", "labels": ["sun", "rain"],
     "required": false},
    {"name": "caption", "type": "text", "source": "image", "required": false},
    {"name": "quality", "type": "rating", "source": "image", "max": 5, "required": false}]})json";

constexpr char kTextSchema[] = R"json({"controls": [
    {"name": "entities", "type": "span", "source": "text", "labels": ["PER", "LOC", "ORG"]}]})json";

template <typename T>
T Ok(Result<T> result) {
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return std::move(result).value();
}

class FormatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "plumb_formats_XXXXXX";
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
    store_ = Ok(store::OpenSqliteStore(dir_ + "/plumb.db"));
    ASSERT_NE(store_, nullptr);
    manager_ = Ok(store_->CreateUser("manager", "hash", Role::kManager, 0));
  }

  void TearDown() override {
    store_.reset();
    std::error_code ignored;  // a leftover temp dir is harmless
    std::filesystem::remove_all(dir_, ignored);
  }

  Project NewProject(const char* schema_json, int32_t overlap = 1) {
    Schema schema = Ok(ParseSchema(schema_json));
    return Ok(store_->CreateProject({.name = "p" + std::to_string(++projects_),
                                     .schema_json = SchemaToJson(schema),
                                     .settings = {.overlap = overlap, .lease_seconds = 600},
                                     .created_by = manager_.id},
                                    0));
  }

  Result<ImportSummary> Import(const Project& project, ImportFormat format,
                               const std::string& text) {
    std::istringstream in(text);
    return ImportFile(*store_, project, format, in, manager_.id, 1'000);
  }

  std::string Export(const Project& project, ExportFormat format) {
    std::ostringstream out;
    Status status = ExportTasks(*store_, project, format, out);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out.str();
  }

  // Imports `text`, exports it, imports the export into a new project and
  // exports that: both exports must be equal after `normalize`.
  std::pair<std::string, std::string> RoundTrip(const char* schema, ImportFormat in_format,
                                                ExportFormat out_format, const std::string& text) {
    Project first = NewProject(schema);
    Ok(Import(first, in_format, text));
    std::string once = Export(first, out_format);
    Project second = NewProject(schema);
    Ok(Import(second, in_format, once));
    return {once, Export(second, out_format)};
  }

  std::vector<Revision> Revisions(const Project& project) {
    std::vector<Revision> all;
    Status status = store_->ForEachTaskWithAnnotations(
        project.id, [&](const Task&, const std::vector<Revision>& revisions) {
          all.insert(all.end(), revisions.begin(), revisions.end());
          return Status::Ok();
        });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return all;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  User manager_;
  int projects_ = 0;
};

store::TaskQuery Query(const Project& p) {
  store::TaskQuery query;
  query.project_id = p.id;
  query.limit = 1000;
  return query;
}

// Task, annotation and revision ids and times differ between projects.
json WithoutIds(json j) {
  if (j.is_object()) {
    for (const char* key : {"id", "created_at", "updated_at", "image_id"}) j.erase(key);
    for (auto& [key, value] : j.items()) value = WithoutIds(value);
  } else if (j.is_array()) {
    for (json& v : j) v = WithoutIds(v);
  }
  return j;
}

json ParseLines(const std::string& text) {
  json lines = json::array();
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

// --- Label Studio ------------------------------------------------------------------------

const std::string kLabelStudioTasks = R"json([
{"id": 7, "data": {"image": "/data/a.jpg"},
 "annotations": [{"id": 1, "lead_time": 12.5, "result": [
   {"id": "r1", "from_name": "objects", "to_name": "image", "type": "rectanglelabels",
    "original_width": 640, "original_height": 480, "image_rotation": 0,
    "value": {"x": 10, "y": 25, "width": 50, "height": 12.5, "rotation": 0,
              "rectanglelabels": ["car"]}},
   {"id": "r2", "from_name": "outline", "to_name": "image", "type": "polygonlabels",
    "original_width": 640, "original_height": 480,
    "value": {"points": [[0, 50], [100, 50], [100, 100]], "polygonlabels": ["road"]}},
   {"id": "k1", "from_name": "joints", "to_name": "image", "type": "keypointlabels",
    "original_width": 640, "original_height": 480,
    "value": {"x": 50, "y": 50, "width": 1, "keypointlabels": ["nose"]}},
   {"from_name": "weather", "to_name": "image", "type": "choices", "value": {"choices": ["rain"]}},
   {"from_name": "caption", "to_name": "image", "type": "textarea",
    "value": {"text": ["a car", "on a road"]}},
   {"from_name": "quality", "to_name": "image", "type": "rating", "value": {"rating": 4}}]},
  {"id": 2, "result": []}],
 "predictions": [{"model_version": "yolo", "score": 0.5, "result": [
   {"from_name": "objects", "to_name": "image", "type": "rectanglelabels",
    "original_width": 640, "original_height": 480,
    "value": {"x": 0, "y": 0, "width": 100, "height": 100, "rectanglelabels": ["person"]}}]}]},
{"image": "/data/b.jpg"}
])json";

// COCO files and zips are read whole, so their size is checked first.
TEST(CheckWholeReadSizeTest, RefusesWhatIsLeftAboveTheLimitAndKeepsThePosition) {
  std::istringstream ten("0123456789");
  EXPECT_TRUE(CheckWholeReadSize(ten, 10, "COCO").ok());
  Status over = CheckWholeReadSize(ten, 9, "COCO");
  EXPECT_EQ(over.code(), StatusCode::kPayloadTooLarge);
  EXPECT_NE(over.message().find("COCO"), std::string::npos) << over.message();
  // Only the rest of the stream counts, and the reader goes on from where it was.
  char first[3];
  ten.read(first, 3);
  EXPECT_TRUE(CheckWholeReadSize(ten, 7, "COCO").ok());
  EXPECT_EQ(CheckWholeReadSize(ten, 6, "COCO").code(), StatusCode::kPayloadTooLarge);
  std::string rest((std::istreambuf_iterator<char>(ten)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rest, "3456789");
}

TEST_F(FormatsTest, LabelStudioImportConvertsPercentToPixels) {
  Project p = NewProject(kImageSchema);
  ImportSummary summary = Ok(Import(p, ImportFormat::kLabelStudio, kLabelStudioTasks));
  EXPECT_EQ(summary.tasks, 2);
  EXPECT_EQ(summary.annotations, 1);
  EXPECT_EQ(summary.predictions, 1);
  EXPECT_EQ(summary.dropped_annotations, 1);
  EXPECT_EQ(Ok(store_->CountTasks(p.id)).done, 1);

  std::vector<Revision> revisions = Revisions(p);
  ASSERT_EQ(revisions.size(), 1u);
  EXPECT_EQ(revisions[0].user_id, manager_.id);
  EXPECT_EQ(revisions[0].source, RevisionSource::kImport);
  EXPECT_EQ(revisions[0].lead_time_ms, 12'500);
  EXPECT_EQ(json::parse(revisions[0].media_json), json({{"width", 640}, {"height", 480}}));
  json result = json::parse(revisions[0].result_json);
  ASSERT_EQ(result.size(), 6u) << result;
  EXPECT_EQ(result[0], json::parse(R"({"control":"objects","type":"bbox","id":"r1","label":"car",
      "x":64,"y":120,"w":320,"h":60,"rotation":0})"));
  EXPECT_EQ(result[1]["points"], json::parse("[[0,240],[640,240],[640,480]]"));
  EXPECT_EQ(result[2]["x"], 320);
  EXPECT_EQ(result[3]["values"], json::array({"rain"}));
  EXPECT_EQ(result[4]["value"], "a car\non a road");
  EXPECT_EQ(result[5]["value"], 4);

  std::vector<int64_t> ids;
  for (const Task& t : Ok(store_->ListTasks(Query(p))).items) ids.push_back(t.id);
  std::vector<store::Prediction> predictions = Ok(store_->ListPredictions(ids));
  ASSERT_EQ(predictions.size(), 1u);
  EXPECT_EQ(predictions[0].model_name, "yolo");
  EXPECT_EQ(predictions[0].score, 0.5);
  EXPECT_EQ(json::parse(predictions[0].result_json)[0]["w"], 640);
}

TEST_F(FormatsTest, LabelStudioRoundTrip) {
  auto [once, twice] = RoundTrip(kImageSchema, ImportFormat::kLabelStudio,
                                 ExportFormat::kLabelStudio, kLabelStudioTasks);
  json a = json::parse(once);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0]["data"]["image"], "/data/a.jpg");
  ASSERT_EQ(a[0]["annotations"].size(), 1u);
  const json& box = a[0]["annotations"][0]["result"][0];
  EXPECT_EQ(box["type"], "rectanglelabels");
  EXPECT_DOUBLE_EQ(box["value"]["x"].get<double>(), 10);
  EXPECT_DOUBLE_EQ(box["value"]["height"].get<double>(), 12.5);
  EXPECT_EQ(a[0]["predictions"][0]["model_version"], "yolo");
  EXPECT_TRUE(a[1]["annotations"].empty());
  EXPECT_EQ(WithoutIds(json::parse(twice)), WithoutIds(a));
}

TEST_F(FormatsTest, LabelStudioSpansInUtf16UnitsBecomeCodePoints) {
  Project p = NewProject(kTextSchema);
  // "🙂" is one code point and two UTF-16 units: the editor's offsets for
  // "Zoë" after it are 3..6, its code points 2..5.
  Ok(Import(p, ImportFormat::kLabelStudio, R"([{"data": {"text": "🙂 Zoë in 東京"},
      "annotations": [{"result": [
        {"from_name": "entities", "to_name": "text", "type": "labels",
         "value": {"start": 3, "end": 6, "text": "Zoë", "labels": ["PER"]}},
        {"from_name": "entities", "to_name": "text", "type": "labels",
         "value": {"start": 10, "end": 12, "text": "東京", "labels": ["LOC"]}}]}]}])"));
  std::vector<Revision> revisions = Revisions(p);
  ASSERT_EQ(revisions.size(), 1u);
  json result = json::parse(revisions[0].result_json);
  EXPECT_EQ(result[0]["start"], 2);
  EXPECT_EQ(result[0]["end"], 5);
  EXPECT_EQ(result[1]["start"], 9);
  EXPECT_EQ(result[1]["end"], 11);
  EXPECT_EQ(result[1]["text"], "東京");
}

std::string Zip(const std::vector<std::pair<std::string, std::string>>& files) {
  std::ostringstream out;
  ZipWriter zip(out);
  // Writing to a string stream cannot fail; the tests read the zip back.
  for (const auto& [name, content] : files) (void)zip.Add(name, content);
  (void)zip.Finish();
  return out.str();
}

struct BadFile {
  const char* name;
  ImportFormat format;
  const char* schema;
  std::string text;
  int64_t line;         // 0: none expected
  const char* message;  // a part of the message
  const char* field;    // the error's field, "" for any
};

class BadFileTest : public FormatsTest, public ::testing::WithParamInterface<BadFile> {};

TEST_P(BadFileTest, RejectsTheWholeFile) {
  const BadFile& c = GetParam();
  Project p = NewProject(c.schema);
  Result<ImportSummary> result = Import(p, c.format, c.text);
  ASSERT_FALSE(result.ok()) << c.name;
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << result.status().ToString();
  EXPECT_EQ(result.status().line(), c.line) << result.status().ToString();
  EXPECT_NE(result.status().message().find(c.message), std::string::npos)
      << result.status().ToString();
  if (*c.field != '\0') {
    EXPECT_EQ(result.status().field(), c.field) << result.status().ToString();
  }
  EXPECT_EQ(Ok(store_->CountTasks(p.id)).total, 0);
}

const BadFile kBadFiles[] = {
    {"ls_unknown_control", ImportFormat::kLabelStudio, kImageSchema,
     R"([{"image": "a.jpg"},
{"data": {"image": "b.jpg"}, "annotations": [{"result": [
  {"from_name": "nope", "type": "choices", "value": {"choices": ["sun"]}}]}]}])",
     2, "task 1: from_name 'nope' is not a control", "annotations[0].result[0].from_name"},
    {"ls_box_outside", ImportFormat::kLabelStudio, kImageSchema,
     R"([{"data": {"image": "b.jpg"}, "annotations": [{"result": [
  {"from_name": "objects", "type": "rectanglelabels", "original_width": 10, "original_height": 10,
   "value": {"x": 50, "y": 0, "width": 60, "height": 10, "rectanglelabels": ["car"]}}]}]}])",
     1, "annotation does not fit the schema", "result[0].w"},
    {"ls_wrong_type", ImportFormat::kLabelStudio, kImageSchema,
     R"([{"data": {"image": "b.jpg"}, "annotations": [{"result": [
  {"from_name": "weather", "type": "rating", "value": {"rating": 1}}]}]}])",
     1, "rating does not fit control 'weather'", "annotations[0].result[0].type"},
    {"ls_bad_prediction_label", ImportFormat::kLabelStudio, kImageSchema,
     R"([{"data": {"image": "b.jpg"}, "predictions": [{"result": [
  {"from_name": "weather", "type": "choices", "value": {"choices": ["snow"]}}]}]}])",
     1, "prediction 0 does not fit", "predictions[0].result[0].values[0]"},
    {"ls_not_array", ImportFormat::kLabelStudio, kImageSchema, R"({"data": {}})", 1,
     "expected a JSON array", ""},
    {"spacy_bad_label", ImportFormat::kSpacy, kTextSchema,
     "{\"text\": \"Zoë\", \"spans\": [{\"start\": 0, \"end\": 3, \"label\": \"PER\"}]}\n"
     "{\"text\": \"Paris\", \"entities\": [[0, 5, \"CITY\"]]}\n",
     2, "annotation does not fit the schema", "result[0].label"},
    {"spacy_offsets_outside", ImportFormat::kSpacy, kTextSchema,
     "{\"text\": \"東京\", \"spans\": [{\"start\": 0, \"end\": 3, \"label\": \"LOC\"}]}\n", 1,
     "annotation does not fit", "result[0].end"},
    {"spacy_no_text", ImportFormat::kSpacy, kTextSchema, "\n{\"spans\": []}\n", 2,
     "text must be a string", "text"},
    {"conll_bad_tag", ImportFormat::kConll, kTextSchema, "EU B-ORG\nrejects X-MISC\n", 2,
     "tag 'X-MISC'", ""},
    {"conll_unknown_label", ImportFormat::kConll, kTextSchema,
     "-DOCSTART- -X- -X- O\n\nEU B-ORG\n\nPeter B-PER\nBlackburn I-MISC\n", 5,
     "annotation does not fit", "result[1].label"},
    // Regression (found by fuzz/labels_fuzzer.cc): bytes that are not UTF-8
    // made the JSON of the task throw instead of failing the import.
    {"conll_label_not_utf8", ImportFormat::kConll, kTextSchema, "Ana B-P\xff\n", 1,
     "not valid UTF-8", ""},
    {"voc_filename_not_utf8", ImportFormat::kVoc, kImageSchema,
     "<annotation><filename>a\xe5.jpg</filename></annotation>", 0, "<filename> is not valid UTF-8",
     ""},
    {"coco_unknown_category", ImportFormat::kCoco, kImageSchema,
     R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],
         "annotations": [{"id": 1, "image_id": 1, "category_id": 9, "bbox": [0, 0, 1, 1]}],
         "categories": [{"id": 1, "name": "car"}]})",
     0, "annotations[0]: no category has id 9", "annotations[0].category_id"},
    {"coco_label_not_in_schema", ImportFormat::kCoco, kImageSchema,
     R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],
         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}],
         "categories": [{"id": 1, "name": "tree"}]})",
     0, "category 'tree' is not a label", "annotations[0].category_id"},
    {"coco_missing_size", ImportFormat::kCoco, kImageSchema,
     R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10},
                    {"id": 2, "file_name": "b.jpg"}],
         "annotations": [{"id": 1, "image_id": 2, "category_id": 1, "bbox": [0, 0, 1, 1]}],
         "categories": [{"id": 1, "name": "car"}]})",
     0, "images[1] ('b.jpg')", "media.width"},
    {"coco_rle", ImportFormat::kCoco, kImageSchema,
     R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],
         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 1,
                          "segmentation": {"counts": [1, 2], "size": [10, 10]}}],
         "categories": [{"id": 1, "name": "car"}]})",
     0, "RLE segmentation", "annotations[0].segmentation"},
    {"yolo_class_out_of_range", ImportFormat::kYolo, kImageSchema,
     Zip({{"classes.txt", "car\n"},
          {"manifest.jsonl",
           "{\"image\": \"a.jpg\", \"labels\": \"labels/a.txt\", \"width\": 10, \"height\": 10}\n"},
          {"labels/a.txt", "3 0.5 0.5 0.1 0.1\n"}}),
     0, "labels/a.txt line 1: class 3 is not in classes.txt", ""},
    {"yolo_no_size", ImportFormat::kYolo, kImageSchema,
     Zip({{"classes.txt", "car\n"}, {"labels/a.txt", "0 0.5 0.5 0.1 0.1\n"}}), 0,
     "labels/a.txt: no image size", ""},
    {"yolo_not_a_zip", ImportFormat::kYolo, kImageSchema, "0 0.5 0.5 0.1 0.1\n", 0,
     "not a zip archive", ""},
    {"voc_label_not_in_schema", ImportFormat::kVoc, kImageSchema,
     Zip({{"a.xml",
           "<annotation><filename>a.jpg</filename><size><width>9</width>"
           "<height>9</height></size><object><name>tree</name><bndbox><xmin>0</xmin>"
           "<ymin>0</ymin><xmax>1</xmax><ymax>1</ymax></bndbox></object></annotation>"}}),
     0, "a.xml: annotation does not fit", "result[0].label"},
    {"voc_bad_number", ImportFormat::kVoc, kImageSchema,
     "<annotation><filename>a.jpg</filename><object><name>car</name><bndbox><xmin>x</xmin>"
     "</bndbox></object></annotation>",
     0, "<xmin> must be a number", ""},
};

INSTANTIATE_TEST_SUITE_P(Formats, BadFileTest, ::testing::ValuesIn(kBadFiles),
                         [](const auto& info) { return std::string(info.param.name); });

// --- spaCy JSONL -------------------------------------------------------------------------

TEST_F(FormatsTest, SpacyRoundTripWithNonAsciiText) {
  const std::string text =
      "{\"text\": \"Zoë visited 東京 🙂 with Ana\", \"spans\": [{\"start\": 0, \"end\": 3, "
      "\"label\": \"PER\"}, {\"start\": 12, \"end\": 14, \"label\": \"LOC\"}]}\n"
      "\n"
      "{\"text\": \"🙂🙂 Ana\", \"entities\": [[3, 6, \"PER\"]], \"meta\": {\"source\": "
      "\"x\"}}\n"
      "{\"text\": \"nothing here\", \"spans\": []}\n";
  auto [once, twice] = RoundTrip(kTextSchema, ImportFormat::kSpacy, ExportFormat::kSpacy, text);
  json lines = ParseLines(once);
  ASSERT_EQ(lines.size(), 3u) << once;
  EXPECT_EQ(lines[0]["spans"][1],
            json::parse(R"({"start":12,"end":14,"label":"LOC","text":"東京"})"));
  EXPECT_EQ(lines[1]["spans"][0]["text"], "Ana");
  EXPECT_EQ(lines[1]["meta"]["source"], "x");
  EXPECT_TRUE(lines[2]["spans"].empty());
  EXPECT_EQ(WithoutIds(ParseLines(twice)), WithoutIds(lines));
}

TEST_F(FormatsTest, SpacyWithoutSpansImportsUnlabeledTasks) {
  Project p = NewProject(kTextSchema);
  ImportSummary summary = Ok(Import(p, ImportFormat::kSpacy, "{\"text\": \"a\"}\n"));
  EXPECT_EQ(summary.tasks, 1);
  EXPECT_EQ(summary.annotations, 0);
  EXPECT_EQ(Ok(store_->CountTasks(p.id)).new_tasks, 1);
  EXPECT_EQ(Export(p, ExportFormat::kSpacy), "");  // training data: labeled tasks only
}

// --- CoNLL -------------------------------------------------------------------------------

TEST_F(FormatsTest, ConllRoundTrip) {
  const std::string text =
      "-DOCSTART- -X- -X- O\n"
      "\n"
      "EU NNP B-NP B-ORG\n"
      "rejects VBZ B-VP O\n"
      "Peter NNP B-NP B-PER\n"
      "Blackburn NNP I-NP I-PER\n"
      "\n"
      "Zoë B-PER\n"
      "in O\n"
      "東京 B-LOC\n"
      "大阪 B-LOC\n"
      "\n\n";
  auto [once, twice] = RoundTrip(kTextSchema, ImportFormat::kConll, ExportFormat::kConll, text);
  EXPECT_EQ(once,
            "-DOCSTART- O\n\n"
            "EU B-ORG\nrejects O\nPeter B-PER\nBlackburn I-PER\n\n"
            "Zoë B-PER\nin O\n東京 B-LOC\n大阪 B-LOC\n\n");
  EXPECT_EQ(twice, once);
}

TEST_F(FormatsTest, ConllSentencesBecomeTasksWithSpans) {
  Project p = NewProject(kTextSchema);
  // IOB1: I- opens a span when it does not continue one of its label.
  ImportSummary summary = Ok(Import(p, ImportFormat::kConll,
                                    "Ana I-PER\nMaria I-PER\nin O\n"
                                    "Rio I-LOC\n"));
  EXPECT_EQ(summary.tasks, 1);
  std::vector<Revision> revisions = Revisions(p);
  ASSERT_EQ(revisions.size(), 1u);
  EXPECT_EQ(json::parse(revisions[0].result_json),
            json::parse(R"([{"control":"entities","type":"span","label":"PER","start":0,"end":9,
                             "text":"Ana Maria"},
                            {"control":"entities","type":"span","label":"LOC","start":13,"end":16,
                             "text":"Rio"}])"));
  Task task = Ok(store_->ListTasks(Query(p))).items.at(0);
  EXPECT_EQ(json::parse(task.data_json)["text"], "Ana Maria in Rio");
}

// --- COCO --------------------------------------------------------------------------------

const std::string kCoco = R"json({
  "images": [{"id": 10, "file_name": "a.jpg", "width": 640, "height": 480},
             {"id": 11, "file_name": "b.jpg", "width": 100, "height": 50}],
  "annotations": [
    {"id": 1, "image_id": 10, "category_id": 3, "bbox": [10, 20, 30.5, 40], "area": 1220,
     "iscrowd": 0, "segmentation": [], "attributes": {"occluded": true}},
    {"id": 2, "image_id": 10, "category_id": 5, "bbox": [0, 0, 100, 100], "iscrowd": 0,
     "segmentation": [[0, 0, 100, 0, 100, 100, 0, 0]]},
    {"id": 3, "image_id": 10, "category_id": 4, "bbox": [0, 0, 10, 10],
     "segmentation": [[0, 0, 10, 0, 10, 10]]}],
  "categories": [{"id": 3, "name": "car"}, {"id": 4, "name": "person"}, {"id": 5, "name": "road"}]
})json";

TEST_F(FormatsTest, CocoImportMapsBoxesAndPolygons) {
  Project p = NewProject(kImageSchema);
  ImportSummary summary = Ok(Import(p, ImportFormat::kCoco, kCoco));
  EXPECT_EQ(summary.tasks, 2);
  EXPECT_EQ(summary.annotations, 2);  // b.jpg: looked at, nothing on it
  std::vector<Task> tasks = Ok(store_->ListTasks(Query(p))).items;
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(json::parse(tasks[0].data_json), json({{"image", "a.jpg"}}));
  std::vector<Revision> revisions = Revisions(p);
  ASSERT_EQ(revisions.size(), 2u);
  json result = json::parse(revisions[0].result_json);
  ASSERT_EQ(result.size(), 3u) << result;
  EXPECT_EQ(result[0], json::parse(R"({"control":"objects","type":"bbox","label":"car","x":10,
      "y":20,"w":30.5,"h":40,"rotation":0,"attributes":{"occluded":true}})"));
  // A polygon of a label the polygon control has; the repeated first point dropped.
  EXPECT_EQ(result[1]["type"], "polygon");
  EXPECT_EQ(result[1]["points"], json::parse("[[0,0],[100,0],[100,100]]"));
  // "person" is no polygon label: its box is kept instead of its segmentation.
  EXPECT_EQ(result[2]["type"], "bbox");
  EXPECT_EQ(json::parse(revisions[1].result_json), json::array());
  EXPECT_EQ(json::parse(revisions[1].media_json), json({{"width", 100}, {"height", 50}}));
}

TEST_F(FormatsTest, CocoRoundTrip) {
  auto [once, twice] = RoundTrip(kImageSchema, ImportFormat::kCoco, ExportFormat::kCoco, kCoco);
  json a = json::parse(once);
  EXPECT_EQ(a["categories"].size(), 3u);  // car, person, road
  ASSERT_EQ(a["images"].size(), 2u);
  EXPECT_EQ(a["images"][0]["file_name"], "a.jpg");
  EXPECT_EQ(a["images"][0]["width"], 640);
  ASSERT_EQ(a["annotations"].size(), 3u);
  EXPECT_EQ(a["annotations"][0]["bbox"], json::parse("[10,20,30.5,40]"));
  EXPECT_EQ(a["annotations"][0]["attributes"]["occluded"], true);
  EXPECT_EQ(a["annotations"][0]["image_id"], a["images"][0]["id"]);
  EXPECT_EQ(a["annotations"][1]["segmentation"], json::parse("[[0,0,100,0,100,100]]"));
  EXPECT_EQ(a["annotations"][1]["area"], 5000);
  EXPECT_EQ(a["annotations"][1]["bbox"], json::parse("[0,0,100,100]"));
  json b = json::parse(twice);
  a.erase("info");  // names the project
  b.erase("info");
  EXPECT_EQ(WithoutIds(b), WithoutIds(a));
}

TEST_F(FormatsTest, CocoExportOfRotatedBoxIsItsBounds) {
  Project p = NewProject(kImageSchema);
  Ok(Import(p, ImportFormat::kLabelStudio, R"([{"data": {"image": "a.jpg"},
      "annotations": [{"result": [{"from_name": "objects", "type": "rectanglelabels",
        "original_width": 100, "original_height": 100,
        "value": {"x": 50, "y": 10, "width": 20, "height": 10, "rotation": 90,
                  "rectanglelabels": ["car"]}}]}]}])"));
  json coco = json::parse(Export(p, ExportFormat::kCoco));
  ASSERT_EQ(coco["annotations"].size(), 1u);
  const json& bbox = coco["annotations"][0]["bbox"];
  // Rotated 90° clockwise around (50, 10): x from 40 to 50, y from 10 to 30.
  EXPECT_NEAR(bbox[0].get<double>(), 40, 1e-9);
  EXPECT_NEAR(bbox[1].get<double>(), 10, 1e-9);
  EXPECT_NEAR(bbox[2].get<double>(), 10, 1e-9);
  EXPECT_NEAR(bbox[3].get<double>(), 20, 1e-9);
}

// --- YOLO and VOC -------------------------------------------------------------------------

std::map<std::string, std::string> Unzip(const std::string& bytes) {
  std::map<std::string, std::string> files;
  Status status =
      ForEachZipFile(bytes, 1 << 20, [&](const std::string& name, const std::string& c) {
        files[name] = c;
        return Status::Ok();
      });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return files;
}

// A PNG's first 24 bytes: signature, IHDR length and type, width, height.
std::string PngHeader(uint32_t width, uint32_t height) {
  std::string b = "\x89PNG\r\n\x1a\n";
  b += std::string("\0\0\0\x0dIHDR", 8);
  for (uint32_t v : {width, height}) {
    for (int shift = 24; shift >= 0; shift -= 8)
      b.push_back(static_cast<char>((v >> shift) & 0xff));
  }
  return b + std::string(5, '\0');
}

TEST_F(FormatsTest, YoloImportTakesSizesFromImagesAndRoundTrips) {
  const std::string upload = Zip({{"classes.txt", "car\nperson\n"},
                                  {"images/a.png", PngHeader(200, 100)},
                                  {"labels/a.txt", "0 0.5 0.5 0.5 0.2\n1 0.1 0.1 0.2 0.2\n"},
                                  {"images/b.png", PngHeader(10, 10)},
                                  {"labels/b.txt", ""}});
  Project p = NewProject(kImageSchema);
  ImportSummary summary = Ok(Import(p, ImportFormat::kYolo, upload));
  EXPECT_EQ(summary.tasks, 2);
  EXPECT_EQ(summary.annotations, 2);
  std::vector<Revision> revisions = Revisions(p);
  ASSERT_EQ(revisions.size(), 2u);
  EXPECT_EQ(json::parse(revisions[0].media_json), json({{"width", 200}, {"height", 100}}));
  json result = json::parse(revisions[0].result_json);
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0], json::parse(R"({"control":"objects","type":"bbox","label":"car","x":50,
      "y":40,"w":100,"h":20,"rotation":0})"));
  EXPECT_EQ(result[1]["label"], "person");
  Task a = Ok(store_->ListTasks(Query(p))).items.at(0);
  EXPECT_EQ(json::parse(a.data_json)["image"], "images/a.png");

  std::map<std::string, std::string> once = Unzip(Export(p, ExportFormat::kYolo));
  EXPECT_EQ(once["classes.txt"], "car\nperson\n");
  EXPECT_EQ(once["labels/a.txt"],
            "0 0.500000 0.500000 0.500000 0.200000\n"
            "1 0.100000 0.100000 0.200000 0.200000\n");
  EXPECT_EQ(once["labels/b.txt"], "");
  ASSERT_EQ(once.count("manifest.jsonl"), 1u);

  // Plumb's own export carries the sizes in manifest.jsonl.
  Project q = NewProject(kImageSchema);
  Ok(Import(q, ImportFormat::kYolo, Export(p, ExportFormat::kYolo)));
  EXPECT_EQ(Unzip(Export(q, ExportFormat::kYolo)), once);
}

TEST_F(FormatsTest, VocRoundTripKeepsFlags) {
  const std::string xml = R"(<annotation><filename>street.jpg</filename>
      <size><width>640</width><height>480</height><depth>3</depth></size>
      <object><name>car</name><truncated>1</truncated><difficult>0</difficult>
        <bndbox><xmin>10</xmin><ymin>20</ymin><xmax>110.5</xmax><ymax>70</ymax></bndbox></object>
      <object><name>person</name><occluded>1</occluded>
        <bndbox><xmin>0</xmin><ymin>0</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object>
      </annotation>)";
  const char* schema = R"json({"controls": [{"name": "objects", "type": "bbox", "source": "image",
      "labels": ["car", "person"], "attributes": [{"name": "truncated", "type": "boolean"},
                                                  {"name": "occluded", "type": "boolean"}]}]})json";
  Project p = NewProject(schema);
  Ok(Import(p, ImportFormat::kVoc, xml));
  std::vector<Revision> revisions = Revisions(p);
  ASSERT_EQ(revisions.size(), 1u);
  json result = json::parse(revisions[0].result_json);
  EXPECT_EQ(result[0], json::parse(R"({"control":"objects","type":"bbox","label":"car","x":10,
      "y":20,"w":100.5,"h":50,"rotation":0,"attributes":{"truncated":true}})"));
  EXPECT_EQ(result[1]["attributes"], json({{"occluded", true}}));

  std::map<std::string, std::string> once = Unzip(Export(p, ExportFormat::kVoc));
  ASSERT_EQ(once.count("Annotations/street.xml"), 1u);
  const std::string& out = once["Annotations/street.xml"];
  EXPECT_NE(out.find("<xmax>110.5</xmax>"), std::string::npos) << out;
  EXPECT_NE(out.find("<truncated>1</truncated>"), std::string::npos) << out;
  Project q = NewProject(schema);
  Ok(Import(q, ImportFormat::kVoc, Export(p, ExportFormat::kVoc)));
  EXPECT_EQ(Unzip(Export(q, ExportFormat::kVoc)), once);
}

TEST_F(FormatsTest, ZipOfManyFilesUsesZip64Directory) {
  std::vector<std::pair<std::string, std::string>> files;
  for (int i = 0; i < 70'000; ++i) files.push_back({"f" + std::to_string(i), ""});
  std::map<std::string, std::string> back = Unzip(Zip(files));
  EXPECT_EQ(back.size(), 70'000u);
  EXPECT_EQ(back.count("f69999"), 1u);
}

TEST_F(FormatsTest, FormatNamesParse) {
  for (const char* name : {"coco", "yolo", "voc", "conll", "spacy", "label_studio"}) {
    EXPECT_TRUE(ParseImportFormat(name).has_value()) << name;
    EXPECT_TRUE(ParseExportFormat(name).has_value()) << name;
    EXPECT_TRUE(CarriesLabels(*ParseImportFormat(name))) << name;
  }
  EXPECT_FALSE(ParseImportFormat("xml").has_value());
  EXPECT_FALSE(CarriesLabels(ImportFormat::kCsv));
  EXPECT_STREQ(ExportContentType(ExportFormat::kYolo), "application/zip");
  EXPECT_STREQ(ExportFileExtension(ExportFormat::kCoco), "coco.json");
}

}  // namespace
}  // namespace plumb::io
