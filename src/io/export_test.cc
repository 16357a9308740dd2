// ExportTasks and ImportTasks against the real SQLite store.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "io/io.h"

namespace plumb::io {
namespace {

using nlohmann::json;

constexpr char kSchema[] = R"json({"controls": [
    {"name": "pet", "type": "choice", "source": "image", "labels": ["cat", "dog", "=SUM(A1)"]},
    {"name": "tags", "type": "choice", "source": "image", "labels": ["a", "say \"hi\", ok"],
     "multiple": true, "required": false}]})json";

template <typename T>
T Ok(Result<T> result) {
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return std::move(result).value();
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "plumb_io_XXXXXX";
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
    store_ = Ok(store::OpenSqliteStore(dir_ + "/plumb.db"));
    ASSERT_NE(store_, nullptr);
    admin_ = Ok(store_->CreateUser("admin", "hash", Role::kAdmin, 0));
    alice_ = Ok(store_->CreateUser("alice", "hash", Role::kAnnotator, 0));
    bob_ = Ok(store_->CreateUser("@bob", "hash", Role::kAnnotator, 0));
    Result<Schema> schema = ParseSchema(kSchema);
    ASSERT_TRUE(schema.ok()) << schema.status().ToString();
    schema_ = *schema;
    store::NewProject project{.name = "pets",
                              .schema_json = SchemaToJson(schema_),
                              .settings = {.overlap = 2, .lease_seconds = 600},
                              .created_by = admin_.id};
    project_ = Ok(store_->CreateProject(project, 0));
  }

  void TearDown() override {
    store_.reset();
    std::error_code ignored;  // a leftover temp dir is harmless
    std::filesystem::remove_all(dir_, ignored);
  }

  int64_t Import(const std::string& jsonl, int64_t now_ms) {
    std::istringstream in(jsonl);
    return Ok(ImportTasks(*store_, project_, ImportFormat::kJsonLines, in, now_ms));
  }

  // Claims the next task for `user` at claim_ms and labels it at now_ms.
  Revision Label(const User& user, const std::string& result, int64_t claim_ms, int64_t now_ms,
                 int64_t expected_task) {
    std::optional<store::Claim> claim = Ok(store_->ClaimNextTask(project_.id, user.id, claim_ms));
    EXPECT_TRUE(claim.has_value());
    if (!claim.has_value()) return {};
    EXPECT_EQ(claim->task.id, expected_task);
    return Revise(user, claim->task.id, result, now_ms, claim->lease.id);
  }

  Revision Revise(const User& user, int64_t task_id, const std::string& result, int64_t now_ms,
                  std::optional<int64_t> lease_id = std::nullopt) {
    store::NewRevision revision;
    revision.task_id = task_id;
    revision.user_id = user.id;
    revision.lease_id = lease_id;
    revision.result_json =
        Ok(ValidateAnnotation(schema_, Ok(store_->GetTask(task_id)).data_json, result, ""))
            .result_json;
    revision.lead_time_ms = 1500;
    return Ok(store_->AppendRevision(revision, now_ms));
  }

  std::string Export(ExportFormat format) {
    std::ostringstream out;
    Status status = ExportTasks(*store_, project_, format, out);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out.str();
  }

  // Three tasks: the first labeled by both users and then revised by alice,
  // the second labeled by both at the same millisecond, the third not at all.
  void Populate() {
    Import(
        "{\"data\":{\"image\":\"a.png\",\"text\":\"café, \\\"q\\\"\\nline\"},\"priority\":5}\n"
        "{\"image\":\"b.png\",\"n\":[1, 2]}\n"
        "{\"image\":\"c.png\"}\n",
        1'700'000'000'000);
    a1_ = Label(alice_, R"([{"control":"pet","values":["cat"]},{"control":"tags","values":["a"]}])",
                1'700'000'001'000, 1'700'000'002'000, 1);
    b1_ = Label(bob_, R"([{"control":"pet","values":["dog"]}])", 1'700'000'003'000,
                1'700'000'004'000, 1);
    a1r2_ = Revise(alice_, 1,
                   R"([{"control":"pet","values":["dog"]},
                       {"control":"tags","values":["say \"hi\", ok","a"]}])",
                   1'700'000'006'000);
    a2_ = Label(alice_, R"json([{"control":"pet","values":["=SUM(A1)"]}])json", 1'700'000'007'000,
                1'700'000'008'000, 2);
    b2_ = Label(bob_, R"([{"control":"pet","values":["cat"]}])", 1'700'000'007'500,
                1'700'000'008'000, 2);
  }

  json AnnotationJson(const Revision& r) {
    return {{"annotation_id", r.annotation_id},
            {"annotator", r.username},
            {"result", json::parse(r.result_json)},
            {"revision", r.revision},
            {"lead_time_ms", 1500},
            {"updated_at", FormatIsoTime(r.created_at_ms)}};
  }

  // The export records docs/api.md describes, built independently.
  json ExpectedRecords() {
    std::string created = FormatIsoTime(1'700'000'000'000);
    return json::array({
        {{"id", 1},
         {"data", {{"image", "a.png"}, {"text", "café, \"q\"\nline"}}},
         {"state", "done"},
         {"priority", 5},
         {"created_at", created},
         {"annotations", {AnnotationJson(a1r2_), AnnotationJson(b1_)}},
         {"label", {{"pet", "dog"}, {"tags", {"say \"hi\", ok", "a"}}}},
         {"annotator", "alice"},
         {"annotated_at", FormatIsoTime(1'700'000'006'000)}},
        {{"id", 2},
         {"data", {{"image", "b.png"}, {"n", {1, 2}}}},
         {"state", "done"},
         {"priority", 0},
         {"created_at", created},
         {"annotations", {AnnotationJson(a2_), AnnotationJson(b2_)}},
         {"label", {{"pet", "cat"}, {"tags", nullptr}}},
         {"annotator", "@bob"},
         {"annotated_at", FormatIsoTime(1'700'000'008'000)}},
        {{"id", 3},
         {"data", {{"image", "c.png"}}},
         {"state", "new"},
         {"priority", 0},
         {"created_at", created},
         {"annotations", json::array()},
         {"label", {{"pet", nullptr}, {"tags", nullptr}}},
         {"annotator", nullptr},
         {"annotated_at", nullptr}},
    });
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  Schema schema_;
  User admin_, alice_, bob_;
  Project project_;
  Revision a1_, b1_, a1r2_, a2_, b2_;
};

TEST_F(ExportTest, Json) {
  Populate();
  std::string out = Export(ExportFormat::kJson);
  json parsed = json::parse(out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << out;
  EXPECT_EQ(parsed, ExpectedRecords()) << out;
}

TEST_F(ExportTest, JsonLines) {
  Populate();
  std::string out = Export(ExportFormat::kJsonLines);
  std::istringstream lines(out);
  json parsed = json::array();
  for (std::string line; std::getline(lines, line);) {
    json record = json::parse(line, nullptr, false);
    ASSERT_FALSE(record.is_discarded()) << line;
    parsed.push_back(record);
  }
  EXPECT_EQ(parsed, ExpectedRecords()) << out;
  EXPECT_EQ(out.back(), '\n');
}

TEST_F(ExportTest, Csv) {
  Populate();
  std::string created = FormatIsoTime(1'700'000'000'000);
  std::string expected =
      "id,state,data,pet,tags,annotator,annotated_at\r\n"
      "1,done,\"{\"\"image\"\":\"\"a.png\"\",\"\"text\"\":\"\"café, \\\"\"q\\\"\"\\nline\"\"}\","
      "dog,\"say \"\"hi\"\", ok|a\",alice," +
      FormatIsoTime(1'700'000'006'000) +
      "\r\n"
      // A label and a username that a spreadsheet would run as formulas.
      "2,done,\"{\"\"image\"\":\"\"b.png\"\",\"\"n\"\":[1,2]}\",cat,,'@bob," +
      FormatIsoTime(1'700'000'008'000) +
      "\r\n"
      "3,new,\"{\"\"image\"\":\"\"c.png\"\"}\",,,,\r\n";
  EXPECT_EQ(Export(ExportFormat::kCsv), expected);
}

TEST_F(ExportTest, CsvGuardsFormulas) {
  Import("{\"image\":\"a.png\"}\n", 1'700'000'000'000);
  Label(alice_, R"json([{"control":"pet","values":["=SUM(A1)"]}])json", 1'700'000'001'000,
        1'700'000'002'000, 1);
  std::string out = Export(ExportFormat::kCsv);
  EXPECT_NE(out.find(",'=SUM(A1),"), std::string::npos) << out;
}

TEST_F(ExportTest, EmptyProject) {
  EXPECT_EQ(json::parse(Export(ExportFormat::kJson)), json::array());
  EXPECT_EQ(Export(ExportFormat::kJsonLines), "");
  EXPECT_EQ(Export(ExportFormat::kCsv), "id,state,data,pet,tags,annotator,annotated_at\r\n");
}

// An output stream that refuses every write.
class FullDisk : public std::streambuf {
 protected:
  int_type overflow(int_type) override { return traits_type::eof(); }
  std::streamsize xsputn(const char*, std::streamsize) override { return 0; }
};

TEST_F(ExportTest, WriteFailureIsInternal) {
  Populate();
  FullDisk disk;
  std::ostream out(&disk);
  Status status = ExportTasks(*store_, project_, ExportFormat::kJson, out);
  EXPECT_EQ(status.code(), StatusCode::kInternal) << status.ToString();
}

TEST_F(ExportTest, ImportIsAllOrNothing) {
  for (ImportFormat format : {ImportFormat::kJsonLines, ImportFormat::kCsv}) {
    std::istringstream in(format == ImportFormat::kCsv
                              ? "image\na.png\nb.png,extra\n"
                              : "{\"image\":\"a.png\"}\n{\"image\":\"b.png\"}\n{\"image\":1}\n");
    Result<int64_t> n = ImportTasks(*store_, project_, format, in, 1'700'000'000'000);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(n.status().line(), 3);
    EXPECT_EQ(Ok(store_->CountTasks(project_.id)).total, 0);
  }
  EXPECT_EQ(Import("{\"image\":\"a.png\"}\n{\"data\":{\"image\":\"b.png\"},\"priority\":2}\n",
                   1'700'000'000'000),
            2);
  store::TaskQuery query;
  query.project_id = project_.id;
  store::TaskPage page = Ok(store_->ListTasks(query));
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].data_json, R"({"image":"a.png"})");
  EXPECT_EQ(page.items[1].data_json, R"({"image":"b.png"})");
  EXPECT_EQ(page.items[1].priority, 2);
}

}  // namespace
}  // namespace plumb::io
