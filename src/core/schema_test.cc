#include "core/schema.h"

#include <gtest/gtest.h>

namespace plumb {
namespace {

constexpr const char* kPetSchema =
    R"({"controls":[{"name":"pet","type":"choice","source":"image","labels":["cat","dog"]},)"
    R"({"name":"tags","type":"choice","source":"image","labels":["indoor","outdoor","night"],)"
    R"("multiple":true,"required":false}]})";

TEST(ParseSchemaTest, AcceptsChoiceControlsAndFillsDefaults) {
  auto schema = ParseSchema(kPetSchema);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  ASSERT_EQ(schema->controls.size(), 2u);
  EXPECT_FALSE(schema->controls[0].multiple);
  EXPECT_TRUE(schema->controls[0].required);
  EXPECT_TRUE(schema->controls[1].multiple);
  EXPECT_FALSE(schema->controls[1].required);
  EXPECT_EQ(schema->SourceFields(), std::vector<std::string>{"image"});
  auto again = ParseSchema(SchemaToJson(*schema));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(SchemaToJson(*again), SchemaToJson(*schema));
}

struct BadSchemaCase {
  const char* json;
  const char* field;
};

TEST(ParseSchemaTest, RejectsBadSchemasNamingTheField) {
  const BadSchemaCase cases[] = {
      {"not json", "schema"},
      {"[]", "schema"},
      {R"({})", "schema.controls"},
      {R"({"controls":[]})", "schema.controls"},
      {R"({"controls":[1]})", "schema.controls[0]"},
      {R"({"controls":[{"type":"choice","source":"t","labels":["a"]}]})",
       "schema.controls[0].name"},
      {R"({"controls":[{"name":"a b","type":"choice","source":"t","labels":["a"]}]})",
       "schema.controls[0].name"},
      {R"({"controls":[{"name":"a","type":"brush","source":"t","labels":["a"]}]})",
       "schema.controls[0].type"},
      {R"({"controls":[{"name":"a","type":"choice","labels":["a"]}]})",
       "schema.controls[0].source"},
      {R"({"controls":[{"name":"a","type":"choice","source":"t","labels":[]}]})",
       "schema.controls[0].labels"},
      {R"({"controls":[{"name":"a","type":"choice","source":"t","labels":["x","y","x"]}]})",
       "schema.controls[0].labels[2]"},
      {R"({"controls":[{"name":"a","type":"choice","source":"t","labels":["x",""]}]})",
       "schema.controls[0].labels[1]"},
      {R"({"controls":[{"name":"a","type":"choice","source":"t","labels":["x"],"multiple":1}]})",
       "schema.controls[0].multiple"},
      {R"({"controls":[{"name":"a","type":"choice","source":"t","labels":["x"]},)"
       R"({"name":"a","type":"choice","source":"t","labels":["y"]}]})",
       "schema.controls[1].name"},
  };
  for (const auto& c : cases) {
    auto schema = ParseSchema(c.json);
    ASSERT_FALSE(schema.ok()) << c.json;
    EXPECT_EQ(schema.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(schema.status().field(), c.field) << c.json;
  }
}

TEST(ParseSettingsTest, KeepsBaseAndChecksRanges) {
  auto s = ParseSettings(R"({"overlap":3})");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->overlap, 3);
  EXPECT_EQ(s->lease_seconds, 600);
  for (const char* bad : {R"({"overlap":0})", R"({"overlap":"2"})", R"({"lease_seconds":5})",
                          R"({"overlap":1.5})", "[]"}) {
    EXPECT_EQ(ParseSettings(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ValidateTaskDataTest, RequiresSourceFieldsAsStrings) {
  auto schema = ParseSchema(kPetSchema);
  ASSERT_TRUE(schema.ok());
  EXPECT_TRUE(ValidateTaskData(*schema, R"({"image":"/media/a.png","x":1})").ok());
  EXPECT_EQ(ValidateTaskData(*schema, R"({"img":"a"})").field(), "data.image");
  EXPECT_EQ(ValidateTaskData(*schema, R"({"image":3})").field(), "data.image");
  EXPECT_EQ(ValidateTaskData(*schema, R"([1])").field(), "data");
}

struct ResultCase {
  const char* json;
  const char* field;  // "" when valid
};

TEST(ValidateResultTest, ChecksEveryItemAgainstTheSchema) {
  auto schema = ParseSchema(kPetSchema);
  ASSERT_TRUE(schema.ok());
  const ResultCase cases[] = {
      {R"([{"control":"pet","type":"choice","values":["cat"]}])", ""},
      {R"([{"control":"pet","values":["dog"]},{"control":"tags","values":["night","indoor"]}])",
       ""},
      {R"({"control":"pet"})", "result"},
      {R"([])", "result"},
      {R"([{"control":"tags","values":["night"]}])", "result"},
      {R"([3])", "result[0]"},
      {R"([{"values":["cat"]}])", "result[0].control"},
      {R"([{"control":"cow","values":["cat"]}])", "result[0].control"},
      {R"([{"control":"pet","values":["cat"]},{"control":"pet","values":["dog"]}])",
       "result[1].control"},
      {R"([{"control":"pet","type":"bbox","values":["cat"]}])", "result[0].type"},
      {R"([{"control":"pet","values":[]}])", "result[0].values"},
      {R"([{"control":"pet","values":["cat","dog"]}])", "result[0].values"},
      {R"([{"control":"pet","values":["horse"]}])", "result[0].values[0]"},
      {R"([{"control":"pet","values":["cat"]},{"control":"tags","values":["night","night"]}])",
       "result[1].values[1]"},
  };
  for (const auto& c : cases) {
    auto result = ValidateResult(*schema, c.json);
    if (std::string(c.field).empty()) {
      EXPECT_TRUE(result.ok()) << c.json << " " << result.status().ToString();
    } else {
      ASSERT_FALSE(result.ok()) << c.json;
      EXPECT_EQ(result.status().code(), StatusCode::kInvalidResult) << c.json;
      EXPECT_EQ(result.status().field(), c.field) << c.json;
    }
  }
}

TEST(ValidateResultTest, NormalizesItems) {
  auto schema = ParseSchema(kPetSchema);
  ASSERT_TRUE(schema.ok());
  auto result = ValidateResult(*schema, R"([{"values":["cat"],"control":"pet","junk":1}])");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, R"([{"control":"pet","type":"choice","values":["cat"]}])");
}

}  // namespace
}  // namespace plumb
