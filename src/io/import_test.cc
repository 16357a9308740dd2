#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "io/importers.h"
#include "io/io.h"

namespace plumb::io {
namespace {

// Collects what an importer adds; optionally fails the n-th Add.
class FakeWriter : public store::TaskWriter {
 public:
  Status Add(const store::NewTask& task) override {
    tasks.push_back(task);
    if (fail_at != 0 && tasks.size() == fail_at) return Status::Internal("disk full");
    return Status::Ok();
  }
  Result<int64_t> Commit() override { return static_cast<int64_t>(tasks.size()); }
  // Imports never add batches; the batches API does.
  Result<Batch> AddBatch(const store::NewBatch&) override {
    return Status::Internal("imports add no batches");
  }

  std::vector<store::NewTask> tasks;
  size_t fail_at = 0;
};

Schema TextSchema() {
  Result<Schema> schema = ParseSchema(
      R"({"controls": [{"name": "sentiment", "type": "choice", "source": "text",
                        "labels": ["pos", "neg"]},
                       {"name": "topic", "type": "choice", "source": "text",
                        "labels": ["a", "b"], "multiple": true}]})");
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  return *schema;
}

const char* FormatName(ImportFormat format) {
  switch (format) {
    case ImportFormat::kJsonArray:
      return "json";
    case ImportFormat::kJsonLines:
      return "jsonl";
    case ImportFormat::kCsv:
      return "csv";
    default:
      break;
  }
  return "?";
}

// Every case runs with these chunk sizes, so that records, escapes, "\r\n"
// and the byte order mark straddle chunk boundaries.
constexpr size_t kChunkSizes[] = {1, 2, 3, 5, 64, InputReader::kDefaultChunkSize};

struct ExpectedTask {
  std::string data_json;
  int32_t priority = 0;
};

struct GoodCase {
  const char* name;
  ImportFormat format;
  std::string input;
  std::vector<ExpectedTask> tasks;
};

const GoodCase kGoodCases[] = {
    {"jsonl plain",
     ImportFormat::kJsonLines,
     "{\"text\":\"a\"}\n{\"text\":\"b\",\"n\":1}\n",
     {{R"({"text":"a"})"}, {R"({"text":"b","n":1})"}}},
    {"jsonl wrapped with priority",
     ImportFormat::kJsonLines,
     R"({"data":{"text":"a","n":[1,2.5,true,null]},"priority":5})",
     {{R"({"text":"a","n":[1,2.5,true,null]})", 5}}},
    {"jsonl spaced out",
     ImportFormat::kJsonLines,
     "{ \"priority\" : -3 , \"data\" : { \"text\" : \"a b\" , \"x\" : [ 1 , { } ] } }\n",
     {{R"({"text":"a b","x":[1,{}]})", -3}}},
    {"jsonl priority bounds",
     ImportFormat::kJsonLines,
     "{\"data\":{\"text\":\"a\"},\"priority\":1000000}\n"
     "{\"data\":{\"text\":\"b\"},\"priority\":-1000000}\n",
     {{R"({"text":"a"})", 1000000}, {R"({"text":"b"})", -1000000}}},
    {"jsonl blank lines, CRLF, no final newline",
     ImportFormat::kJsonLines,
     "\r\n{\"text\":\"a\"}\r\n\r\n  \t \n{\"text\":\"b\"}",
     {{R"({"text":"a"})"}, {R"({"text":"b"})"}}},
    {"jsonl byte order mark",
     ImportFormat::kJsonLines,
     "\xEF\xBB\xBF{\"text\":\"a\"}\n",
     {{R"({"text":"a"})"}}},
    {"jsonl unicode and escapes",
     ImportFormat::kJsonLines,
     "{\"text\":\"café 猫 😀\",\"e\":\"\\u00e9\\n\\t\\\"\\\\\\/\\ud83d\\ude00\"}\n",
     {{"{\"text\":\"café 猫 😀\",\"e\":\"\\u00e9\\n\\t\\\"\\\\\\/\\ud83d\\ude00\"}"}}},
    // Regression: an escape whose second byte the splitter does not look for
    // (n, t, u) left the string open to the end of the input.
    {"json array escapes inside strings",
     ImportFormat::kJsonArray,
     "[{\"text\":\"a\\nb\\t\\u00e9\"},\n{\"text\":\"]}\\\\\"}]",
     {{"{\"text\":\"a\\nb\\t\\u00e9\"}"}, {"{\"text\":\"]}\\\\\"}"}}},
    {"jsonl escaped key naming the source field",
     ImportFormat::kJsonLines,
     R"({"t\u0065xt":"a"})",
     {{R"({"t\u0065xt":"a"})"}}},
    {"jsonl priority beside no data object is data",
     ImportFormat::kJsonLines,
     "{\"text\":\"a\",\"priority\":7}\n{\"text\":\"b\",\"priority\":\"high\"}\n",
     {{R"({"text":"a","priority":7})"}, {R"({"text":"b","priority":"high"})"}}},
    {"jsonl data that is not an object is a field",
     ImportFormat::kJsonLines,
     R"({"data":"x","text":"a"})",
     {{R"({"data":"x","text":"a"})"}}},
    {"jsonl keys beside data are ignored",
     ImportFormat::kJsonLines,
     R"({"meta":{"k":[1]},"data":{"text":"a"},"id":9})",
     {{R"({"text":"a"})"}}},
    {"jsonl empty input", ImportFormat::kJsonLines, "", {}},
    {"jsonl only blank lines", ImportFormat::kJsonLines, "\n\n \r\n", {}},

    {"json array",
     ImportFormat::kJsonArray,
     R"([{"text":"a"},{"data":{"text":"b"},"priority":2}])",
     {{R"({"text":"a"})"}, {R"({"text":"b"})", 2}}},
    {"json array pretty with BOM and CRLF",
     ImportFormat::kJsonArray,
     "\xEF\xBB\xBF[\r\n  {\r\n    \"text\": \"a\"\r\n  },\r\n  {\"data\": {\"text\": "
     "\"b\"}}\r\n]\r\n",
     {{R"({"text":"a"})"}, {R"({"text":"b"})"}}},
    {"json array empty", ImportFormat::kJsonArray, "  [ ]  \n", {}},
    {"json array brackets and quotes inside strings",
     ImportFormat::kJsonArray,
     R"([{"text":"a]}\"[{\\","x":"}"},{"text":"\\"}])",
     {{R"({"text":"a]}\"[{\\","x":"}"})"}, {R"({"text":"\\"})"}}},
    {"json array unicode",
     ImportFormat::kJsonArray,
     "[{\"text\":\"naïve 日本語 🎉\"}]",
     {{"{\"text\":\"naïve 日本語 🎉\"}"}}},

    {"csv plain",
     ImportFormat::kCsv,
     "text,label\nhello,x\nworld,y\n",
     {{R"({"text":"hello","label":"x"})"}, {R"({"text":"world","label":"y"})"}}},
    {"csv quoting and CRLF",
     ImportFormat::kCsv,
     "text,n\r\n\"a, b\",\"say \"\"hi\"\"\"\r\n\"line1\nline2\",x\r\n\"cr\r\nlf\",\"\"\r\n",
     {{R"({"text":"a, b","n":"say \"hi\""})"},
      {R"({"text":"line1\nline2","n":"x"})"},
      {R"({"text":"cr\r\nlf","n":""})"}}},
    {"csv BOM, unicode, no final newline",
     ImportFormat::kCsv,
     "\xEF\xBB\xBFtext,émoji\ncafé 猫,😀",
     {{"{\"text\":\"café 猫\",\"émoji\":\"😀\"}"}}},
    {"csv blank lines and empty fields",
     ImportFormat::kCsv,
     "text,a,b\n\nx,,\n\r\n,y,\n",
     {{R"({"text":"x","a":"","b":""})"}, {R"({"text":"","a":"y","b":""})"}}},
    {"csv control characters and backslashes",
     ImportFormat::kCsv,
     "text\n\"tab\there\\ \x01\"\n",
     {{R"({"text":"tab\there\\ \u0001"})"}}},
    {"csv lone carriage return is data",
     ImportFormat::kCsv,
     "text\na\rb\n",
     {{R"({"text":"a\rb"})"}}},
    {"csv header only", ImportFormat::kCsv, "text,b\r\n", {}},
};

TEST(ReadTasksTest, GoodInput) {
  Schema schema = TextSchema();
  for (const GoodCase& c : kGoodCases) {
    for (size_t chunk : kChunkSizes) {
      SCOPED_TRACE(std::string(c.name) + " [" + FormatName(c.format) + ", chunk " +
                   std::to_string(chunk) + "] input: " + c.input);
      std::istringstream in(c.input);
      FakeWriter writer;
      Result<int64_t> n = ReadTasksInChunks(c.format, in, schema, writer, chunk);
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      EXPECT_EQ(*n, static_cast<int64_t>(c.tasks.size()));
      ASSERT_EQ(writer.tasks.size(), c.tasks.size());
      for (size_t i = 0; i < c.tasks.size(); ++i) {
        EXPECT_EQ(writer.tasks[i].data_json, c.tasks[i].data_json) << "task " << i;
        EXPECT_EQ(writer.tasks[i].priority, c.tasks[i].priority) << "task " << i;
        EXPECT_TRUE(ValidateTaskData(schema, writer.tasks[i].data_json).ok());
      }
    }
  }
}

struct BadCase {
  const char* name;
  ImportFormat format;
  std::string input;
  int64_t line;
  const char* message;  // expected in the status message
  size_t tasks_before;  // tasks added before the bad record
};

const BadCase kBadCases[] = {
    {"jsonl trailing comma at line 3", ImportFormat::kJsonLines,
     "{\"text\":\"a\"}\n{\"text\":\"b\"}\n{\"text\":\"c\",}\n{\"text\":\"d\"}\n", 3,
     "line 3: invalid JSON", 2},
    {"jsonl bad array after data", ImportFormat::kJsonLines,
     "{\"text\":\"a\"}\n{\"data\":{\"text\":\"a\"}, \"x\": [1,}\n", 2, "invalid JSON", 1},
    {"jsonl bad escape in another field", ImportFormat::kJsonLines, R"({"text":"a","y":"\q"})", 1,
     "invalid JSON", 0},
    {"jsonl bad number deep inside", ImportFormat::kJsonLines,
     R"({"data":{"text":"a","y":[{"z":01}]}})", 1, "invalid JSON", 0},
    {"jsonl bad literal", ImportFormat::kJsonLines, R"({"text":"a","y":nul})", 1, "invalid JSON",
     0},
    {"jsonl bad literal true", ImportFormat::kJsonLines, R"({"text":"a","y":[tru]})", 1,
     "invalid JSON", 0},
    {"jsonl missing colon", ImportFormat::kJsonLines, R"({"text" "a"})", 1, "invalid JSON", 0},
    {"jsonl unclosed object", ImportFormat::kJsonLines, "{\"text\":\"a\"\n", 1, "invalid JSON", 0},
    {"jsonl unterminated string", ImportFormat::kJsonLines, "{\"text\":\"a}\n", 1, "invalid JSON",
     0},
    {"jsonl two values on a line", ImportFormat::kJsonLines, "{\"text\":\"a\"} {\"text\":\"b\"}\n",
     1, "unexpected content after the record", 0},
    {"jsonl extra closing brace", ImportFormat::kJsonLines, "{\"text\":\"a\"}}\n", 1,
     "invalid JSON", 0},
    {"jsonl invalid UTF-8", ImportFormat::kJsonLines, "{\"text\":\"\xff\"}\n", 1, "invalid JSON",
     0},
    {"jsonl raw tab inside a string", ImportFormat::kJsonLines, "{\"text\":\"a\tb\"}\n", 1,
     "invalid JSON", 0},
    {"jsonl lone surrogate", ImportFormat::kJsonLines, R"({"text":"\ud800"})", 1, "invalid JSON",
     0},
    {"jsonl nested too deep", ImportFormat::kJsonLines,
     "{\"text\":\"a\",\"x\":" + std::string(600, '[') + std::string(600, ']') + "}", 1,
     "invalid JSON", 0},
    {"jsonl line counted across blank lines", ImportFormat::kJsonLines,
     "\n\r\n{\"text\":\"a\"}\n\n{bad\n", 5, "line 5: invalid JSON", 1},
    {"jsonl missing source field", ImportFormat::kJsonLines,
     "{\"text\":\"a\"}\n{\"data\":{\"txt\":\"a\"}}\n", 2, "line 2: task data has no field 'text'",
     1},
    {"jsonl source field only beside data", ImportFormat::kJsonLines,
     R"({"data":{"x":"a"},"text":"b"})", 1, "task data has no field 'text'", 0},
    {"jsonl source field not a string", ImportFormat::kJsonLines, R"({"text":5})", 1,
     "task data field 'text' must be a string", 0},
    {"jsonl source field null inside data", ImportFormat::kJsonLines, R"({"data":{"text":null}})",
     1, "task data field 'text' must be a string", 0},
    {"jsonl array record", ImportFormat::kJsonLines, "[{\"text\":\"a\"}]\n", 1,
     "line 1: task must be a JSON object", 0},
    {"jsonl string record", ImportFormat::kJsonLines, "{\"text\":\"a\"}\n\"text\"\n", 2,
     "task must be a JSON object", 1},
    {"jsonl number record", ImportFormat::kJsonLines, "42\n", 1, "task must be a JSON object", 0},
    {"jsonl null record", ImportFormat::kJsonLines, "null\n", 1, "task must be a JSON object", 0},
    {"jsonl fractional priority", ImportFormat::kJsonLines,
     R"({"data":{"text":"a"},"priority":1.5})", 1,
     "priority must be an integer from -1000000 to 1000000", 0},
    {"jsonl string priority", ImportFormat::kJsonLines, R"({"data":{"text":"a"},"priority":"3"})",
     1, "priority must be an integer", 0},
    {"jsonl priority too high", ImportFormat::kJsonLines,
     R"({"data":{"text":"a"},"priority":1000001})", 1, "priority must be an integer", 0},
    {"jsonl priority too low", ImportFormat::kJsonLines,
     R"({"data":{"text":"a"},"priority":-1000001})", 1, "priority must be an integer", 0},
    {"jsonl huge priority", ImportFormat::kJsonLines,
     R"({"data":{"text":"a"},"priority":18446744073709551615})", 1, "priority must be an integer",
     0},
    {"jsonl boolean priority", ImportFormat::kJsonLines, R"({"data":{"text":"a"},"priority":true})",
     1, "priority must be an integer", 0},

    {"json empty input", ImportFormat::kJsonArray, " \n", 2, "expected a JSON array", 0},
    {"json top level object", ImportFormat::kJsonArray, "\n{\"text\":\"a\"}", 2,
     "line 2: expected a JSON array", 0},
    {"json trailing garbage", ImportFormat::kJsonArray, "[{\"text\":\"a\"}]\n\nx", 3,
     "unexpected content after the JSON array", 1},
    {"json second array", ImportFormat::kJsonArray, "[{\"text\":\"a\"}] []", 1,
     "unexpected content after the JSON array", 1},
    {"json unterminated array", ImportFormat::kJsonArray, "[{\"text\":\"a\"},\n{\"text\":\"b\"}\n",
     3, "not closed", 2},
    {"json unterminated after comma", ImportFormat::kJsonArray, "[{\"text\":\"a\"},", 1,
     "not closed", 1},
    {"json only an opening bracket", ImportFormat::kJsonArray, "[", 1, "not closed", 0},
    {"json input ends inside a task", ImportFormat::kJsonArray,
     "[{\"text\":\"a\"},\n{\"text\":\"b\"", 2, "line 2: the input ends inside a task", 1},
    {"json input ends inside a string", ImportFormat::kJsonArray, "[\"abc", 1,
     "the input ends inside a task", 0},
    {"json trailing comma", ImportFormat::kJsonArray, "[{\"text\":\"a\"},\n]", 2,
     "expected a task, found ']'", 1},
    {"json leading comma", ImportFormat::kJsonArray, "[,{\"text\":\"a\"}]", 1,
     "expected a task, found ','", 0},
    {"json missing comma", ImportFormat::kJsonArray, "[{\"text\":\"a\"} {\"text\":\"b\"}]", 1,
     "expected ',' or ']' after a task", 1},
    {"json element error reported at its first line", ImportFormat::kJsonArray,
     "[\n  {\"text\": \"a\"},\n  {\"text\": \"b\"},\n  {\n    \"data\": {\"title\": \"c\"}\n  }\n]",
     4, "line 4: task data has no field 'text'", 2},
    {"json element invalid deep inside", ImportFormat::kJsonArray,
     "[{\"text\":\"a\"},\n{\"data\":{\"text\":\"a\"}, \"x\": [1,}]", 2, "invalid JSON", 1},
    {"json mismatched brackets", ImportFormat::kJsonArray, "[{\"text\":\"a\"]}]", 1, "invalid JSON",
     0},
    {"json number element", ImportFormat::kJsonArray, "[{\"text\":\"a\"}, 1]", 1,
     "task must be a JSON object", 1},
    {"json string element", ImportFormat::kJsonArray, "[\n\"x\"]", 2, "task must be a JSON object",
     0},
    {"json nested array element", ImportFormat::kJsonArray, "[[{\"text\":\"a\"}]]", 1,
     "task must be a JSON object", 0},
    {"json bad priority", ImportFormat::kJsonArray,
     "[{\"data\":{\"text\":\"a\"},\"priority\":2e3}]", 1, "priority must be an integer", 0},
    {"json invalid UTF-8", ImportFormat::kJsonArray, "[{\"text\":\"\xc3\x28\"}]", 1, "invalid JSON",
     0},

    {"csv empty input", ImportFormat::kCsv, "", 1, "the CSV has no header row", 0},
    {"csv duplicate header", ImportFormat::kCsv, "text,text\na,b\n", 1,
     "line 1: CSV header: duplicate column 'text'", 0},
    {"csv empty header name", ImportFormat::kCsv, "text,\na,b\n", 1,
     "CSV header: column 2 has no name", 0},
    {"csv header without source field", ImportFormat::kCsv, "title\nx\n", 1,
     "CSV header has no column 'text'", 0},
    {"csv too few fields", ImportFormat::kCsv, "text,b\n1,2\n3\n4,5\n", 3,
     "line 3: expected 2 fields, found 1", 1},
    {"csv too many fields", ImportFormat::kCsv, "text\na,b\n", 2, "expected 1 fields, found 2", 0},
    {"csv unterminated quote", ImportFormat::kCsv, "text,b\n1,2\n\"abc,3\n4,5\n", 3,
     "line 3: a quoted field is not closed", 1},
    {"csv record line is where it starts", ImportFormat::kCsv,
     "text,b\n\"a\nb\",1\n\"c\r\nd\",1,2\n", 4, "line 4: expected 2 fields, found 3", 1},
    {"csv stray quote", ImportFormat::kCsv, "text\nab\"c\n", 2, "a quote inside an unquoted field",
     0},
    {"csv text after closing quote", ImportFormat::kCsv, "text\n\"ab\"c\n", 2,
     "unexpected 'c' after a closing quote", 0},
    {"csv carriage return after closing quote", ImportFormat::kCsv, "text\n\"ab\"\rc\n", 2,
     "after a closing quote", 0},
    {"csv invalid UTF-8", ImportFormat::kCsv, "text\nok\n\xff\n", 3,
     "field 'text' is not valid UTF-8", 1},
};

TEST(ReadTasksTest, BadInputStopsAtTheFirstBadRecord) {
  Schema schema = TextSchema();
  for (const BadCase& c : kBadCases) {
    for (size_t chunk : kChunkSizes) {
      SCOPED_TRACE(std::string(c.name) + " [" + FormatName(c.format) + ", chunk " +
                   std::to_string(chunk) + "] input: " + c.input);
      std::istringstream in(c.input);
      FakeWriter writer;
      Result<int64_t> n = ReadTasksInChunks(c.format, in, schema, writer, chunk);
      ASSERT_FALSE(n.ok());
      EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(n.status().line(), c.line) << n.status().message();
      EXPECT_NE(n.status().message().find(c.message), std::string::npos)
          << "message: " << n.status().message();
      EXPECT_EQ(writer.tasks.size(), c.tasks_before);
    }
  }
}

TEST(ReadTasksTest, ErrorNamesTheDataField) {
  Schema schema = TextSchema();
  std::istringstream in(R"({"data":{"x":"a"}})");
  FakeWriter writer;
  Result<int64_t> n = ReadTasks(ImportFormat::kJsonLines, in, schema, writer);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().message(), "line 1: task data has no field 'text'");
  EXPECT_EQ(n.status().field(), "data.text");
}

TEST(ReadTasksTest, EverySourceFieldIsRequired) {
  Result<Schema> schema = ParseSchema(
      R"({"controls": [{"name": "a", "type": "choice", "source": "text", "labels": ["x"]},
                       {"name": "b", "type": "choice", "source": "image", "labels": ["y"]}]})");
  ASSERT_TRUE(schema.ok());
  struct Case {
    ImportFormat format;
    std::string input;
    const char* message;
  } cases[] = {
      {ImportFormat::kJsonLines, "{\"text\":\"t\",\"image\":\"i\"}\n{\"text\":\"t\"}\n",
       "line 2: task data has no field 'image'"},
      {ImportFormat::kJsonArray, "[{\"image\":\"i\"}]", "line 1: task data has no field 'text'"},
      {ImportFormat::kCsv, "text\nt\n", "line 1: CSV header has no column 'image'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input);
    std::istringstream in(c.input);
    FakeWriter writer;
    Result<int64_t> n = ReadTasks(c.format, in, *schema, writer);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.status().message(), c.message);
  }
}

TEST(ReadTasksTest, ManyRecordsAcrossDefaultChunks) {
  Schema schema = TextSchema();
  constexpr int kCount = 30000;  // about 2.5 MB: several 1 MiB chunks
  std::string jsonl, array = "[", csv = "text,i\n";
  for (int i = 0; i < kCount; ++i) {
    std::string text = "task number " + std::to_string(i) + std::string(i % 50, 'x');
    jsonl += "{\"data\":{\"text\":\"" + text + "\",\"i\":" + std::to_string(i) +
             "},\"priority\":" + std::to_string(i % 7) + "}\n";
    array += (i ? ",\n" : "\n") + std::string("{\"text\":\"") + text + "\"}";
    csv += text + "," + std::to_string(i) + "\r\n";
  }
  array += "\n]";
  for (auto [format, input] :
       {std::pair{ImportFormat::kJsonLines, &jsonl}, std::pair{ImportFormat::kJsonArray, &array},
        std::pair{ImportFormat::kCsv, &csv}}) {
    SCOPED_TRACE(FormatName(format));
    std::istringstream in(*input);
    FakeWriter writer;
    Result<int64_t> n = ReadTasks(format, in, schema, writer);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(*n, kCount);
    ASSERT_EQ(writer.tasks.size(), static_cast<size_t>(kCount));
    nlohmann::json last = nlohmann::json::parse(writer.tasks.back().data_json);
    EXPECT_EQ(last["text"], "task number 29999" + std::string(29999 % 50, 'x'));
  }
}

TEST(ReadTasksTest, RecordSizeIsCapped) {
  Schema schema = TextSchema();
  std::string big(kMaxRecordBytes + 1, 'x');
  struct Case {
    ImportFormat format;
    std::string input;
    int64_t line;
  } cases[] = {
      {ImportFormat::kJsonLines, "{\"text\":\"a\"}\n{\"text\":\"" + big + "\"}\n", 2},
      {ImportFormat::kJsonArray, "[{\"text\":\"a\"},\n{\"text\":\"" + big + "\"}]", 2},
      {ImportFormat::kCsv, "text\na\n" + big + "\n", 3},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(FormatName(c.format));
    std::istringstream in(c.input);
    FakeWriter writer;
    Result<int64_t> n = ReadTasks(c.format, in, schema, writer);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(n.status().line(), c.line);
    EXPECT_NE(n.status().message().find("larger than 16 MiB"), std::string::npos)
        << n.status().message();
    EXPECT_EQ(writer.tasks.size(), 1u);
  }
}

TEST(ReadTasksTest, WriterErrorStopsTheRead) {
  Schema schema = TextSchema();
  std::istringstream in("{\"text\":\"a\"}\n{\"text\":\"b\"}\n{\"text\":\"c\"}\n");
  FakeWriter writer;
  writer.fail_at = 2;
  Result<int64_t> n = ReadTasks(ImportFormat::kJsonLines, in, schema, writer);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kInternal);
  EXPECT_EQ(writer.tasks.size(), 2u);
}

// A stream buffer that fails after handing out its first bytes.
class FailingBuffer : public std::streambuf {
 public:
  explicit FailingBuffer(std::string head) : head_(std::move(head)) {
    setg(head_.data(), head_.data(), head_.data() + head_.size());
  }

 protected:
  int_type underflow() override { throw std::runtime_error("device error"); }

 private:
  std::string head_;
};

TEST(ReadTasksTest, StreamFailureIsInternal) {
  Schema schema = TextSchema();
  for (ImportFormat format :
       {ImportFormat::kJsonLines, ImportFormat::kJsonArray, ImportFormat::kCsv}) {
    SCOPED_TRACE(FormatName(format));
    FailingBuffer buffer("text\n");
    std::istream in(&buffer);
    FakeWriter writer;
    Result<int64_t> n = ReadTasks(format, in, schema, writer);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.status().code(), StatusCode::kInternal) << n.status().ToString();
  }
}

TEST(FormatTest, ImportFormatFromContentType) {
  struct Case {
    const char* content_type;
    std::optional<ImportFormat> format;
  } cases[] = {
      {"application/json", ImportFormat::kJsonArray},
      {"application/json; charset=utf-8", ImportFormat::kJsonArray},
      {"Application/JSON", ImportFormat::kJsonArray},
      {"application/x-ndjson", ImportFormat::kJsonLines},
      {"application/jsonl", ImportFormat::kJsonLines},
      {"application/x-jsonlines ; charset=UTF-8", ImportFormat::kJsonLines},
      {"text/csv", ImportFormat::kCsv},
      {" text/csv;charset=utf-8", ImportFormat::kCsv},
      {"text/plain", std::nullopt},
      {"application/jsonx", std::nullopt},
      {"", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ImportFormatFromContentType(c.content_type), c.format) << c.content_type;
  }
}

TEST(FormatTest, ImportFormatFromPath) {
  struct Case {
    const char* path;
    std::optional<ImportFormat> format;
  } cases[] = {
      {"tasks.json", ImportFormat::kJsonArray},
      {"/tmp/a.b/tasks.JSONL", ImportFormat::kJsonLines},
      {"x.ndjson", ImportFormat::kJsonLines},
      {"data/tasks.csv", ImportFormat::kCsv},
      {"tasks", std::nullopt},
      {"dir.json/tasks", std::nullopt},
      {"tasks.txt", std::nullopt},
      {"tasks.json.gz", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ImportFormatFromPath(c.path), c.format) << c.path;
  }
}

TEST(FormatTest, ExportFormats) {
  EXPECT_EQ(ParseExportFormat("json"), ExportFormat::kJson);
  EXPECT_EQ(ParseExportFormat("jsonl"), ExportFormat::kJsonLines);
  EXPECT_EQ(ParseExportFormat("csv"), ExportFormat::kCsv);
  EXPECT_EQ(ParseExportFormat("xml"), std::nullopt);
  EXPECT_EQ(ParseExportFormat("JSON"), std::nullopt);
  EXPECT_STREQ(ExportContentType(ExportFormat::kJson), "application/json");
  EXPECT_STREQ(ExportContentType(ExportFormat::kJsonLines), "application/x-ndjson");
  EXPECT_STREQ(ExportContentType(ExportFormat::kCsv), "text/csv; charset=utf-8");
  EXPECT_STREQ(ExportFileExtension(ExportFormat::kJson), "json");
  EXPECT_STREQ(ExportFileExtension(ExportFormat::kJsonLines), "jsonl");
  EXPECT_STREQ(ExportFileExtension(ExportFormat::kCsv), "csv");
}

}  // namespace
}  // namespace plumb::io
