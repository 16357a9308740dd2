// The label formats over the real server, on both store backends: each one
// imports with ?format=, exports with ?format=, and its export imported into
// a second project exports the same again. Bad files change nothing.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "server_process.h"

namespace plumb::test {
namespace {

using nlohmann::json;

constexpr const char* kImageSchema =
    R"({"controls":[{"name":"objects","type":"bbox","source":"image","labels":["car","person"]},)"
    R"({"name":"outline","type":"polygon","source":"image","labels":["road"]},)"
    R"({"name":"weather","type":"choice","source":"image","labels":["sun","rain"],"required":false}]})";
constexpr const char* kTextSchema =
    R"({"controls":[{"name":"entities","type":"span","source":"text","labels":["PER","LOC"]}]})";

struct FormatCase {
  const char* format;
  const char* schema;
  std::string file;
  int64_t tasks;
  int64_t annotations;
  const char* content_type;
  const char* extension;
};

const FormatCase kCases[] = {
    {"label_studio", kImageSchema,
     R"([{"data": {"image": "/media/a.jpg"}, "annotations": [{"result": [
          {"id": "b1", "from_name": "objects", "to_name": "image", "type": "rectanglelabels",
           "original_width": 200, "original_height": 100,
           "value": {"x": 10, "y": 20, "width": 30, "height": 40, "rectanglelabels": ["car"]}},
          {"from_name": "weather", "to_name": "image", "type": "choices",
           "value": {"choices": ["sun"]}}]}],
         "predictions": [{"model_version": "detector", "score": 0.75, "result": [
          {"from_name": "objects", "to_name": "image", "type": "rectanglelabels",
           "original_width": 200, "original_height": 100,
           "value": {"x": 0, "y": 0, "width": 50, "height": 50, "rectanglelabels": ["person"]}}]}]},
        {"data": {"image": "/media/b.jpg"}}])",
     2, 1, "application/json", "label_studio.json"},
    {"coco", kImageSchema,
     R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480}],
         "annotations": [
           {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "iscrowd": 0},
           {"id": 2, "image_id": 1, "category_id": 2, "iscrowd": 0, "bbox": [0, 0, 10, 10],
            "segmentation": [[0, 0, 10, 0, 10, 10]]}],
         "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "road"}]})",
     1, 1, "application/json", "coco.json"},
    {"spacy", kTextSchema,
     "{\"text\": \"Zoë flew to 東京 🙂\", \"spans\": [{\"start\": 0, \"end\": 3, \"label\": "
     "\"PER\"}, {\"start\": 12, \"end\": 14, \"label\": \"LOC\"}]}\n"
     "{\"text\": \"Ana\", \"entities\": [[0, 3, \"PER\"]]}\n",
     2, 2, "application/x-ndjson", "spacy.jsonl"},
    {"conll", kTextSchema, "-DOCSTART- -X- -X- O\n\nZoë B-PER\nin O\n東京 B-LOC\n\nAna B-PER\n", 2,
     2, "text/plain; charset=utf-8", "conll"},
};

// How GoogleTest prints a case: by its format's name.
void PrintTo(const FormatCase& c, std::ostream* os) { *os << c.format; }

json Body(const HttpResponse& res) { return json::parse(res.body, nullptr, false); }

// Ids and times differ between projects; everything else must not.
json WithoutIds(json j) {
  if (j.is_object()) {
    for (const char* key : {"id", "created_at", "updated_at", "image_id", "info"}) j.erase(key);
    for (auto& [key, value] : j.items()) value = WithoutIds(value);
  } else if (j.is_array()) {
    for (json& v : j) v = WithoutIds(v);
  }
  return j;
}

// The export as JSON whatever the format: JSONL and CoNLL as lists of lines.
json Normalized(const std::string& format, const std::string& body) {
  if (format == "spacy" || format == "conll") {
    json lines = json::array();
    std::istringstream in(body);
    for (std::string line; std::getline(in, line);) {
      lines.push_back(format == "spacy" ? json::parse(line) : json(line));
    }
    return WithoutIds(lines);
  }
  return WithoutIds(json::parse(body));
}

// A server with a temporary database of one backend, and its admin signed in.
class Server {
 public:
  explicit Server(Backend backend)
      : database_(backend), server_(ServerConfig{.db = database_.location()}) {}

  // false when the server did not start.
  bool Start() {
    if (!server_.Start()) return false;
    admin_ =
        std::make_unique<Client>(Client::Login(server_, "admin", ServerProcess::kAdminPassword));
    return true;
  }

  const Client& admin() const { return *admin_; }

  int64_t NewProject(const char* schema) {
    auto res = admin().Post("/api/v1/projects",
                            std::string(R"({"name":"formats","schema":)") + schema + "}");
    EXPECT_EQ(res.status, 201) << res.body;
    return Body(res)["id"].get<int64_t>();
  }

 private:
  TestDatabase database_;  // outlives server_
  ServerProcess server_;
  std::unique_ptr<Client> admin_;
};

std::string P(int64_t project, const std::string& rest) {
  return "/api/v1/projects/" + std::to_string(project) + rest;
}

class FormatsApiTest : public ::testing::TestWithParam<std::tuple<Backend, FormatCase>> {
 protected:
  FormatsApiTest() : server_(std::get<0>(GetParam())) {}
  void SetUp() override { ASSERT_TRUE(server_.Start()) << "plumb serve did not start"; }
  int64_t NewProject(const char* schema) { return server_.NewProject(schema); }
  const Client& admin() const { return server_.admin(); }

  Server server_;
};

// The zip formats, once per backend.
class ZipFormatsApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  ZipFormatsApiTest() : server_(GetParam()) {}
  void SetUp() override { ASSERT_TRUE(server_.Start()) << "plumb serve did not start"; }
  int64_t NewProject(const char* schema) { return server_.NewProject(schema); }
  const Client& admin() const { return server_.admin(); }

  Server server_;
};

TEST_P(FormatsApiTest, ImportExportRoundTrip) {
  const FormatCase& c = std::get<1>(GetParam());
  const std::string format = c.format;
  int64_t first = NewProject(c.schema);
  // The Content-Type does not matter once ?format= names the format.
  auto imported = admin().Post(P(first, "/tasks?format=" + format), c.file, "text/plain");
  ASSERT_EQ(imported.status, 201) << imported.body;
  EXPECT_EQ(Body(imported)["imported"], c.tasks);
  EXPECT_EQ(Body(imported)["annotations"], c.annotations);
  // Imported annotations count toward the overlap (1): those tasks are done.
  EXPECT_EQ(Body(admin().Get(P(first, "")))["counts"]["done"], c.annotations);

  auto once = admin().Get(P(first, "/export?format=" + format));
  ASSERT_EQ(once.status, 200) << once.body;
  EXPECT_EQ(once.headers["content-type"], c.content_type);
  EXPECT_NE(once.headers["content-disposition"].find("." + std::string(c.extension) + "\""),
            std::string::npos)
      << once.headers["content-disposition"];

  int64_t second = NewProject(c.schema);
  auto again = admin().Post(P(second, "/tasks?format=" + format), once.body, "text/plain");
  ASSERT_EQ(again.status, 201) << again.body << "\n" << once.body;
  auto twice = admin().Get(P(second, "/export?format=" + format));
  ASSERT_EQ(twice.status, 200) << twice.body;
  EXPECT_EQ(Normalized(format, twice.body), Normalized(format, once.body)) << once.body;

  // The revisions are the importing user's, marked as imported.
  auto tasks = Body(admin().Get(P(second, "/tasks?state=done")));
  ASSERT_FALSE(tasks["items"].empty()) << tasks;
  int64_t task = tasks["items"][0]["id"].get<int64_t>();
  auto revisions = Body(admin().Get("/api/v1/tasks/" + std::to_string(task) + "/annotations"));
  ASSERT_EQ(revisions["items"].size(), 1u) << revisions;
  EXPECT_EQ(revisions["items"][0]["source"], "import");
  EXPECT_EQ(revisions["items"][0]["annotator"]["username"], "admin");
}

TEST_P(FormatsApiTest, ABadRecordRejectsTheWholeFile) {
  const FormatCase& c = std::get<1>(GetParam());
  int64_t project = NewProject(c.schema);
  // The case's file with a label no control has.
  std::string bad = c.file;
  for (const char* label : {"\"car\"", "\"PER\"", "B-PER"}) {
    if (size_t at = bad.rfind(label); at != std::string::npos) {
      bad.replace(at, std::string_view(label).size(),
                  std::string_view(label) == "B-PER" ? "B-ORG" : "\"ORG\"");
      break;
    }
  }
  auto res = admin().Post(P(project, "/tasks?format=" + std::string(c.format)), bad, "text/plain");
  EXPECT_EQ(res.status, 400) << res.body;
  json error = Body(res)["error"];
  EXPECT_EQ(error["code"], "invalid_argument") << res.body;
  // The error names the label (COCO: its category) or the result item's label.
  EXPECT_TRUE(error["message"].get<std::string>().find("'ORG'") != std::string::npos ||
              error["field"] == "result[0].label")
      << res.body;
  // Line-based formats say where.
  if (std::string_view(c.format) != "coco") {
    EXPECT_GE(error["line"].get<int64_t>(), 1) << res.body;
  }
  EXPECT_EQ(Body(admin().Get(P(project, "")))["counts"]["total"], 0);
}

// YOLO and VOC travel as zips: a COCO project goes out as each and comes
// back in; the second export is byte for byte the first (zips are written
// with fixed times, in task order).
TEST_P(ZipFormatsApiTest, YoloAndVocZipsRoundTrip) {
  const FormatCase& c = kCases[1];  // COCO
  ASSERT_STREQ(c.format, "coco");
  int64_t source = NewProject(c.schema);
  ASSERT_EQ(admin().Post(P(source, "/tasks?format=coco"), c.file, "application/json").status, 201);
  for (const char* format : {"yolo", "voc"}) {
    SCOPED_TRACE(format);
    auto once = admin().Get(P(source, "/export?format=" + std::string(format)));
    ASSERT_EQ(once.status, 200) << once.body;
    EXPECT_EQ(once.headers["content-type"], "application/zip");
    EXPECT_EQ(once.body.substr(0, 2), "PK");
    int64_t copy = NewProject(c.schema);
    auto imported =
        admin().Post(P(copy, "/tasks?format=" + std::string(format)), once.body, "application/zip");
    ASSERT_EQ(imported.status, 201) << imported.body;
    EXPECT_EQ(Body(imported)["annotations"], 1);
    auto twice = admin().Get(P(copy, "/export?format=" + std::string(format)));
    ASSERT_EQ(twice.status, 200) << twice.body;
    EXPECT_TRUE(twice.body == once.body) << "the second " << format << " export differs";
  }
}

TEST_P(FormatsApiTest, UnknownFormatIsABadRequest) {
  int64_t project = NewProject(std::get<1>(GetParam()).schema);
  auto res = admin().Post(P(project, "/tasks?format=xml"), "<x/>", "text/plain");
  EXPECT_EQ(res.status, 400) << res.body;
  EXPECT_EQ(Body(res)["error"]["field"], "format");
  EXPECT_EQ(admin().Get(P(project, "/export?format=xml")).status, 400);
}

std::string CaseName(const ::testing::TestParamInfo<std::tuple<Backend, FormatCase>>& info) {
  return std::string(BackendName(std::get<0>(info.param))) + "_" + std::get<1>(info.param).format;
}

INSTANTIATE_TEST_SUITE_P(Formats, FormatsApiTest,
                         ::testing::Combine(::testing::Values(Backend::kSqlite, Backend::kPostgres),
                                            ::testing::ValuesIn(kCases)),
                         CaseName);
INSTANTIATE_TEST_SUITE_P(Formats, ZipFormatsApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return std::string(BackendName(info.param)); });

}  // namespace
}  // namespace plumb::test
