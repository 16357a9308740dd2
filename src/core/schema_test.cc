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

TEST(ParseSchemaTest, KeepsTheChoiceJsonShape) {
  auto schema = ParseSchema(kPetSchema);
  ASSERT_TRUE(schema.ok());
  EXPECT_EQ(
      SchemaToJson(*schema),
      R"({"controls":[{"labels":["cat","dog"],"multiple":false,"name":"pet","required":true,)"
      R"("source":"image","type":"choice"},{"labels":["indoor","outdoor","night"],)"
      R"("multiple":true,"name":"tags","required":false,"source":"image","type":"choice"}]})");
}

TEST(ParseSchemaTest, AcceptsEveryControlTypeAndFillsDefaults) {
  auto schema = ParseSchema(R"({"controls":[
    {"name":"objects","type":"bbox","source":"image","labels":["car"],"attributes":[
      {"name":"occluded","type":"boolean"},{"name":"pose","type":"enum","values":["front","side"]},
      {"name":"note","type":"string"}]},
    {"name":"outline","type":"polygon","source":"image","labels":["road"],"required":true},
    {"name":"joints","type":"keypoint","source":"image","labels":["nose"]},
    {"name":"ner","type":"span","source":"text","labels":["PER"]},
    {"name":"nested","type":"span","source":"text","labels":["X"],"overlap":true},
    {"name":"transcript","type":"text","source":"audio"},
    {"name":"short","type":"text","source":"audio","max_length":20,"required":false},
    {"name":"quality","type":"rating","source":"image"},
    {"name":"summary","type":"text","source":"text","required":false},
    {"name":"speech","type":"span","media":"audio","source":"audio","labels":["speech"]}]})");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  const std::vector<Control>& c = schema->controls;
  ASSERT_EQ(c.size(), 10u);
  EXPECT_EQ(c[0].type, ControlType::kBbox);
  EXPECT_FALSE(c[0].required);  // regions are optional by default
  ASSERT_EQ(c[0].attributes.size(), 3u);
  EXPECT_EQ(c[0].attributes[1].type, AttributeType::kEnum);
  EXPECT_EQ(c[0].attributes[1].values, (std::vector<std::string>{"front", "side"}));
  EXPECT_TRUE(c[1].required);
  EXPECT_FALSE(c[3].overlap);
  EXPECT_TRUE(c[4].overlap);
  EXPECT_TRUE(c[5].required);
  EXPECT_EQ(c[5].max_length, kMaxTextLength);
  EXPECT_EQ(c[6].max_length, 20);
  EXPECT_EQ(c[7].max, 5);
  EXPECT_EQ(c[0].media, MediaKind::kImage);
  EXPECT_EQ(c[2].media, MediaKind::kImage);
  EXPECT_EQ(c[3].media, MediaKind::kText);
  EXPECT_EQ(c[5].media, MediaKind::kNone);
  EXPECT_EQ(c[8].type, ControlType::kText);
  EXPECT_EQ(c[9].type, ControlType::kSpan);
  EXPECT_EQ(c[9].media, MediaKind::kAudio);
  EXPECT_EQ(schema->SourceFields(), (std::vector<std::string>{"image", "text", "audio"}));
  auto again = ParseSchema(SchemaToJson(*schema));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(SchemaToJson(*again), SchemaToJson(*schema));
  EXPECT_NE(SchemaToJson(*schema).find(
                R"({"attributes":[],"labels":["PER"],"media":"text","name":"ner",)"
                R"("overlap":false,"required":false,"source":"text","type":"span"})"),
            std::string::npos)
      << SchemaToJson(*schema);
}

TEST(ParseSchemaTest, BoxesOverAVideo) {
  auto schema = ParseSchema(R"({"controls":[
    {"name":"tracks","type":"bbox","media":"video","source":"clip","labels":["car"]},
    {"name":"weather","type":"choice","source":"clip","labels":["sun","rain"]}]})");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(schema->controls[0].media, MediaKind::kVideo);
  EXPECT_NE(SchemaToJson(*schema).find(R"("media":"video")"), std::string::npos);
  auto again = ParseSchema(SchemaToJson(*schema));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->controls[0].media, MediaKind::kVideo);
}

TEST(ParseSchemaTest, CachedParseGivesTheSameSchemaOnceAndRefusesBadOnes) {
  const std::string text = R"({"controls":[{"name":"pet","type":"choice","source":"image",)"
                           R"("labels":["cat","dog"]}]})";
  auto first = ParseSchemaCached(text);
  auto second = ParseSchemaCached(text);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->get(), second->get());  // one parse, shared
  EXPECT_EQ(SchemaToJson(**first), SchemaToJson(*ParseSchema(text)));
  // A different text is a different entry.
  auto other = ParseSchemaCached(R"({"controls":[{"name":"pet","type":"choice",)"
                                 R"("source":"image","labels":["cat"]}]})");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->controls[0].labels.size(), 1u);
  for (int i = 0; i < 2; ++i) {
    auto bad = ParseSchemaCached(R"({"controls":[]})");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().field(), "schema.controls");
  }
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
      {R"({"controls":[{"name":"a","type":"bbox","source":"img"}]})", "schema.controls[0].labels"},
      {R"({"controls":[{"name":"a","type":"text","source":"t","labels":["x"]}]})",
       "schema.controls[0].labels"},
      {R"({"controls":[{"name":"a","type":"rating","source":"t","labels":["x"]}]})",
       "schema.controls[0].labels"},
      {R"({"controls":[{"name":"a","type":"bbox","source":"t","labels":["x"],"multiple":true}]})",
       "schema.controls[0].multiple"},
      {R"({"controls":[{"name":"a","type":"bbox","source":"t","labels":["x"],"overlap":true}]})",
       "schema.controls[0].overlap"},
      {R"({"controls":[{"name":"a","type":"span","source":"t","labels":["x"],"overlap":"yes"}]})",
       "schema.controls[0].overlap"},
      {R"({"controls":[{"name":"a","type":"rating","source":"t","max":0}]})",
       "schema.controls[0].max"},
      {R"({"controls":[{"name":"a","type":"rating","source":"t","max":101}]})",
       "schema.controls[0].max"},
      {R"({"controls":[{"name":"a","type":"choice","source":"t","labels":["x"],"max":3}]})",
       "schema.controls[0].max"},
      {R"({"controls":[{"name":"a","type":"text","source":"t","max_length":0}]})",
       "schema.controls[0].max_length"},
      {R"({"controls":[{"name":"a","type":"text","source":"t","max_length":"9"}]})",
       "schema.controls[0].max_length"},
      {R"({"controls":[{"name":"a","type":"choice","source":"t","labels":["x"],"attributes":[]}]})",
       "schema.controls[0].attributes"},
      {R"({"controls":[{"name":"a","type":"bbox","source":"t","labels":["x"],"attributes":{}}]})",
       "schema.controls[0].attributes"},
      {R"({"controls":[{"name":"a","type":"bbox","source":"t","labels":["x"],)"
       R"("attributes":[{"name":"o k","type":"boolean"}]}]})",
       "schema.controls[0].attributes[0].name"},
      {R"({"controls":[{"name":"a","type":"bbox","source":"t","labels":["x"],)"
       R"("attributes":[{"name":"ok","type":"number"}]}]})",
       "schema.controls[0].attributes[0].type"},
      {R"({"controls":[{"name":"a","type":"bbox","source":"t","labels":["x"],)"
       R"("attributes":[{"name":"pose","type":"enum"}]}]})",
       "schema.controls[0].attributes[0].values"},
      {R"({"controls":[{"name":"a","type":"bbox","source":"t","labels":["x"],)"
       R"("attributes":[{"name":"pose","type":"enum","values":["a","a"]}]}]})",
       "schema.controls[0].attributes[0].values[1]"},
      {R"({"controls":[{"name":"a","type":"bbox","source":"t","labels":["x"],)"
       R"("attributes":[{"name":"ok","type":"boolean","values":["a"]}]}]})",
       "schema.controls[0].attributes[0].values"},
      {R"({"controls":[{"name":"a","type":"polygon","source":"t","labels":["x"],)"
       R"("attributes":[{"name":"ok","type":"boolean"},{"name":"ok","type":"string"}]}]})",
       "schema.controls[0].attributes[1].name"},
      {R"({"controls":[{"name":"a","type":"bbox","source":"t","labels":["x"],"media":"audio"}]})",
       "schema.controls[0].media"},
      {R"({"controls":[{"name":"a","type":"polygon","source":"t","labels":["x"],"media":"video"}]})",
       "schema.controls[0].media"},
      {R"({"controls":[{"name":"a","type":"span","source":"t","labels":["x"],"media":"image"}]})",
       "schema.controls[0].media"},
      {R"({"controls":[{"name":"a","type":"choice","source":"t","labels":["x"],"media":"text"}]})",
       "schema.controls[0].media"},
      {R"({"controls":[{"name":"a","type":"bbox","source":"t","labels":["x"],"media":3}]})",
       "schema.controls[0].media"},
      // One media object per annotation: every image/video region control labels one field.
      {R"({"controls":[{"name":"a","type":"bbox","source":"front","labels":["x"]},)"
       R"({"name":"b","type":"polygon","source":"back","labels":["x"]}]})",
       "schema.controls[1].source"},
      {R"({"controls":[{"name":"a","type":"bbox","source":"v","labels":["x"],"media":"video"},)"
       R"({"name":"b","type":"keypoint","source":"v","labels":["x"]}]})",
       "schema.controls[1].source"},
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

TEST(ParseSettingsTest, WorkflowSettingsRoundTripAndNameTheBadField) {
  auto s = ParseSettings(
      R"({"review_share":25,"golden_rate":0.1,"consensus":"dawid_skene",)"
      R"("agreement_threshold":0.75,"iou_threshold":0.6,"deadline_warning_seconds":600})");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->review_share, 25);
  EXPECT_DOUBLE_EQ(s->golden_rate, 0.1);
  EXPECT_EQ(s->consensus, ConsensusMethod::kDawidSkene);
  EXPECT_DOUBLE_EQ(s->agreement_threshold, 0.75);
  EXPECT_DOUBLE_EQ(s->iou_threshold, 0.6);
  EXPECT_EQ(s->deadline_warning_seconds, 600);
  auto again = ParseSettings(SettingsToJson(*s));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(SettingsToJson(*again), SettingsToJson(*s));
  const struct {
    const char* json;
    const char* field;
  } bad[] = {
      {R"({"review_share":101})", "settings.review_share"},
      {R"({"golden_rate":1.5})", "settings.golden_rate"},
      {R"({"golden_rate":"0.1"})", "settings.golden_rate"},
      {R"({"consensus":"vote"})", "settings.consensus"},
      {R"({"agreement_threshold":-0.1})", "settings.agreement_threshold"},
      {R"({"iou_threshold":0})", "settings.iou_threshold"},
      {R"({"deadline_warning_seconds":-1})", "settings.deadline_warning_seconds"},
  };
  for (const auto& c : bad) {
    auto r = ParseSettings(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().field(), c.field) << c.json;
  }
}

TEST(ParseSettingsTest, AutomationSettingsRoundTripAndAreCheckedAgainstTheSchema) {
  auto s = ParseSettings(
      R"({"queue_order":"uncertainty","uncertainty":"entropy","learner_control":"pet"})");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->queue_order, QueueOrder::kUncertainty);
  EXPECT_EQ(s->uncertainty, UncertaintyKind::kEntropy);
  EXPECT_EQ(s->learner_control, "pet");
  auto again = ParseSettings(SettingsToJson(*s));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(SettingsToJson(*again), SettingsToJson(*s));
  auto cleared = ParseSettings(R"({"learner_control":null})", *s);
  ASSERT_TRUE(cleared.ok());
  EXPECT_TRUE(cleared->learner_control.empty());
  EXPECT_EQ(ParseSettings("{}")->queue_order, QueueOrder::kImport) << "the default";
  const struct {
    const char* json;
    const char* field;
  } bad[] = {
      {R"({"queue_order":"random"})", "settings.queue_order"},
      {R"({"uncertainty":"variance"})", "settings.uncertainty"},
      {R"({"learner_control":3})", "settings.learner_control"},
  };
  for (const auto& c : bad) {
    auto r = ParseSettings(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().field(), c.field) << c.json;
  }

  auto schema = ParseSchema(
      R"({"controls":[{"name":"pet","type":"choice","source":"text","labels":["cat","dog"]},)"
      R"({"name":"ents","type":"span","source":"text","labels":["PER"]}]})");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_TRUE(CheckSettingsWithSchema(*s, *schema).ok());
  ProjectSettings span = *s;
  span.learner_control = "ents";
  EXPECT_EQ(CheckSettingsWithSchema(span, *schema).field(), "settings.learner_control")
      << "not a choice control";
  ProjectSettings none = *s;
  none.learner_control.clear();
  EXPECT_EQ(CheckSettingsWithSchema(none, *schema).field(), "settings.queue_order")
      << "the uncertainty order needs the learner";
  none.queue_order = QueueOrder::kImport;
  EXPECT_TRUE(CheckSettingsWithSchema(none, *schema).ok());
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
    auto result = ValidateAnnotation(*schema, "{}", c.json, "");
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
  auto result =
      ValidateAnnotation(*schema, "{}", R"([{"values":["cat"],"control":"pet","junk":1}])", "");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->result_json, R"([{"control":"pet","type":"choice","values":["cat"]}])");
}

}  // namespace
}  // namespace plumb
