#include "quality/quality.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/schema.h"

namespace plumb::quality {
namespace {

using json = nlohmann::json;

Schema MustParseSchema(std::string_view text) {
  Result<Schema> schema = ParseSchema(text);
  EXPECT_TRUE(schema.ok()) << schema.status().ToString() << "\n" << text;
  return schema.ok() ? *schema : Schema{};
}

constexpr double kEps = 1e-9;

// ---------------------------------------------------------------- geometry

struct IoUCase {
  const char* name;
  Box a, b;
  double iou;
};

TEST(BoxIoUTest, Cases) {
  static const IoUCase kCases[] = {
      {"identical", {0, 0, 10, 10, 0}, {0, 0, 10, 10, 0}, 1},
      {"disjoint", {0, 0, 10, 10, 0}, {20, 0, 10, 10, 0}, 0},
      {"touching", {0, 0, 10, 10, 0}, {10, 0, 10, 10, 0}, 0},
      {"half shifted", {0, 0, 10, 10, 0}, {5, 0, 10, 10, 0}, 50.0 / 150},
      {"contained", {0, 0, 10, 10, 0}, {0, 0, 5, 5, 0}, 0.25},
      // 90° clockwise around (10, 0) with y down covers x 5..10, y 0..10.
      {"rotated equals axis-aligned", {10, 0, 10, 5, 90}, {5, 0, 5, 10, 0}, 1},
      {"rotated against itself", {30, 30, 20, 10, 33}, {30, 30, 20, 10, 33}, 1},
      {"no area", {0, 0, 0, 10, 0}, {0, 0, 10, 10, 0}, 0},
  };
  for (const IoUCase& c : kCases) {
    EXPECT_NEAR(BoxIoU(c.a, c.b), c.iou, 1e-6) << c.name;
    EXPECT_NEAR(BoxIoU(c.b, c.a), c.iou, 1e-6) << c.name << " (swapped)";
  }
}

TEST(PolygonIoUTest, Cases) {
  const std::vector<Point> square = {{0, 0}, {10, 0}, {10, 10}, {0, 10}};
  const std::vector<Point> square_ccw = {{0, 10}, {10, 10}, {10, 0}, {0, 0}};
  const std::vector<Point> shifted = {{5, 0}, {15, 0}, {15, 10}, {5, 10}};
  const std::vector<Point> triangle = {{0, 0}, {10, 0}, {0, 10}};
  // A bowtie crosses itself; its convex hull is the square.
  const std::vector<Point> bowtie = {{0, 0}, {10, 10}, {10, 0}, {0, 10}};
  const std::vector<Point> line = {{0, 0}, {5, 5}, {10, 10}};
  EXPECT_NEAR(PolygonIoU(square, square), 1, kEps);
  EXPECT_NEAR(PolygonIoU(square, square_ccw), 1, kEps) << "orientation does not matter";
  EXPECT_NEAR(PolygonIoU(square, shifted), 50.0 / 150, kEps);
  EXPECT_NEAR(PolygonIoU(square, triangle), 0.5, kEps);
  EXPECT_NEAR(PolygonIoU(square, bowtie), 1, kEps);
  EXPECT_EQ(PolygonIoU(square, line), 0);
  EXPECT_EQ(PolygonIoU(square, {{0, 0}, {1, 1}}), 0);
}

TEST(IntervalIoUTest, Cases) {
  EXPECT_NEAR(IntervalIoU(0, 10, 0, 10), 1, kEps);
  EXPECT_NEAR(IntervalIoU(0, 10, 5, 15), 5.0 / 15, kEps);
  EXPECT_EQ(IntervalIoU(0, 10, 10, 20), 0);
  EXPECT_EQ(IntervalIoU(0, 0, 0, 10), 0);
}

// ------------------------------------------------------------ edit distance

size_t PlainEditDistance(std::u32string_view a, std::u32string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

TEST(EditDistanceTest, Cases) {
  struct Case {
    std::u32string a, b;
    size_t distance;
  };
  static const Case kCases[] = {
      {U"", U"", 0},         {U"", U"abc", 3},    {U"abc", U"", 3},      {U"kitten", U"sitting", 3},
      {U"flaw", U"lawn", 2}, {U"Zoë", U"Zoe", 1}, {U"東京", U"京都", 2}, {U"same", U"same", 0},
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(EditDistance(c.a, c.b), c.distance);
    EXPECT_EQ(EditDistance(c.b, c.a), c.distance);
  }
}

// The bit-parallel distance against the plain table, across the 64-bit block
// boundaries where carries between blocks matter.
TEST(EditDistanceTest, MatchesPlainTableOnRandomStrings) {
  std::mt19937 rng(42);
  for (int round = 0; round < 400; ++round) {
    std::uniform_int_distribution<size_t> length(0, round < 200 ? 70 : 300);
    std::uniform_int_distribution<int> letter(0, round % 2 == 0 ? 2 : 25);
    std::u32string a, b;
    for (size_t i = length(rng); i > 0; --i) a.push_back(U'a' + letter(rng));
    for (size_t i = length(rng); i > 0; --i) b.push_back(U'a' + letter(rng));
    ASSERT_EQ(EditDistance(a, b), PlainEditDistance(a, b))
        << "round " << round << " lengths " << a.size() << ", " << b.size();
  }
}

// Two texts of the schema's maximum length (kMaxTextLength code points).
TEST(EditDistanceTest, LongestTexts) {
  std::u32string a(kMaxTextLength, U'a'), b(kMaxTextLength, U'a');
  for (size_t i = 0; i < b.size(); i += 3) b[i] = U'b';
  EXPECT_EQ(EditDistance(a, b), (b.size() + 2) / 3);
}

TEST(DecodeUtf8Test, CodePointsAndInvalidInput) {
  EXPECT_EQ(DecodeUtf8("Zoë 東京 😀"), std::u32string(U"Zoë 東京 😀"));
  EXPECT_EQ(DecodeUtf8(""), std::u32string());
  EXPECT_FALSE(DecodeUtf8("\xC3").has_value());
  EXPECT_FALSE(DecodeUtf8("\xED\xA0\x80").has_value()) << "a surrogate";
}

// ---------------------------------------------------------------- consensus

constexpr const char* kChoiceSchema = R"({"controls": [
  {"name": "pet", "type": "choice", "source": "image", "labels": ["cat", "dog"]},
  {"name": "tags", "type": "choice", "source": "image", "labels": ["a", "b", "c"],
   "multiple": true, "required": false}]})";
constexpr const char* kRequiredTagsSchema = R"({"controls": [
  {"name": "tags", "type": "choice", "source": "image", "labels": ["a", "b", "c"],
   "multiple": true}]})";
constexpr const char* kBoxSchema = R"({"controls": [
  {"name": "objects", "type": "bbox", "source": "image", "labels": ["car", "person"],
   "attributes": [{"name": "occluded", "type": "boolean"}]}]})";
constexpr const char* kPolygonSchema = R"({"controls": [
  {"name": "outline", "type": "polygon", "source": "image", "labels": ["road"]}]})";
constexpr const char* kKeypointSchema = R"({"controls": [
  {"name": "joints", "type": "keypoint", "source": "image", "labels": ["nose", "left_eye"]}]})";
constexpr const char* kSpanSchema = R"({"controls": [
  {"name": "entities", "type": "span", "source": "text", "labels": ["PER", "LOC"]}]})";
constexpr const char* kAudioSchema = R"({"controls": [
  {"name": "speech", "type": "span", "media": "audio", "source": "audio",
   "labels": ["speech", "music"]}]})";
constexpr const char* kTextSchema = R"({"controls": [
  {"name": "caption", "type": "text", "source": "image"}]})";
constexpr const char* kRatingSchema = R"({"controls": [
  {"name": "quality", "type": "rating", "source": "image", "max": 5, "required": false}]})";
constexpr const char* kVideoSchema = R"({"controls": [
  {"name": "tracks", "type": "bbox", "media": "video", "source": "video", "labels": ["car"]}]})";

constexpr const char* kData =
    R"({"image": "a.jpg", "video": "v.mp4", "audio": "a.wav", "text": "Alice met Bob in Paris"})";
constexpr const char* kImage = R"({"width": 100, "height": 100})";
constexpr const char* kVideo = R"({"width": 100, "height": 100, "frames": 10})";

struct ReconcileCase {
  const char* name;
  const char* schema;
  const char* media;  // of every annotation
  std::vector<const char*> results;
  const char* expected;            // the final result
  std::vector<double> agreements;  // per control of the schema
};

// Each case is checked three ways: the expected final result, the expected
// agreement per control, and that the final result passes the validator that
// every stored annotation passes.
TEST(ReconcileTest, Cases) {
  static const ReconcileCase kCases[] = {
      {"single choice: majority",
       kChoiceSchema,
       "",
       {R"([{"control":"pet","values":["dog"]}])", R"([{"control":"pet","values":["dog"]}])",
        R"([{"control":"pet","values":["cat"]}])"},
       R"([{"control":"pet","type":"choice","values":["dog"]}])",
       {2.0 / 3, 1}},
      {"single choice: a tie goes to the first label of the schema",
       kChoiceSchema,
       "",
       {R"([{"control":"pet","values":["dog"]}])", R"([{"control":"pet","values":["cat"]}])"},
       R"([{"control":"pet","type":"choice","values":["cat"]}])",
       {0.5, 1}},
      {"multiple choice: a label is kept when half chose it",
       kChoiceSchema,
       "",
       {R"([{"control":"pet","values":["cat"]},{"control":"tags","values":["a","b"]}])",
        R"([{"control":"pet","values":["cat"]},{"control":"tags","values":["a"]}])",
        R"([{"control":"pet","values":["cat"]},{"control":"tags","values":["c","b"]}])"},
       R"([{"control":"pet","type":"choice","values":["cat"]},
           {"control":"tags","type":"choice","values":["a","b"]}])",
       {1, 2.0 / 3}},
      {"multiple choice: left out by most, stays out",
       kChoiceSchema,
       "",
       {R"([{"control":"pet","values":["cat"]},{"control":"tags","values":["a"]}])",
        R"([{"control":"pet","values":["cat"]}])", R"([{"control":"pet","values":["cat"]}])"},
       R"([{"control":"pet","type":"choice","values":["cat"]}])",
       {1, 2.0 / 3}},
      {"multiple choice, required: spread votes keep the most chosen labels",
       kRequiredTagsSchema,
       "",
       {R"([{"control":"tags","values":["a","b"]}])", R"([{"control":"tags","values":["b"]}])",
        R"([{"control":"tags","values":["c"]}])"},
       R"([{"control":"tags","type":"choice","values":["b"]}])",
       {(2.0 / 3 + 2.0 / 3 + 2.0 / 3) / 3}},
      {"bbox: clusters seen by half are kept and averaged, labels and attributes by majority",
       kBoxSchema,
       kImage,
       {R"([{"control":"objects","id":"a1","label":"car","x":10,"y":10,"w":20,"h":20,
             "attributes":{"occluded":true}},
            {"control":"objects","label":"person","x":60,"y":60,"w":10,"h":10}])",
        R"([{"control":"objects","label":"car","x":12,"y":10,"w":20,"h":20,
             "attributes":{"occluded":true}},
            {"control":"objects","label":"person","x":62,"y":60,"w":10,"h":10}])",
        R"([{"control":"objects","label":"person","x":11,"y":10,"w":20,"h":20},
            {"control":"objects","label":"car","x":0,"y":80,"w":10,"h":10}])"},
       R"([{"control":"objects","type":"bbox","id":"c1","label":"car","x":11,"y":10,"w":20,
            "h":20,"rotation":0,"attributes":{"occluded":true}},
           {"control":"objects","type":"bbox","id":"c2","label":"person","x":61,"y":60,"w":10,
            "h":10,"rotation":0}])",
       {(1 + 2.0 / 3 + 1.0 / 3) / 3}},
      {"bbox: boxes of one annotator never share a cluster",
       kBoxSchema,
       kImage,
       {R"([{"control":"objects","label":"car","x":10,"y":10,"w":20,"h":20},
            {"control":"objects","label":"car","x":11,"y":10,"w":20,"h":20}])",
        R"([{"control":"objects","label":"car","x":10,"y":10,"w":20,"h":20}])"},
       R"([{"control":"objects","type":"bbox","id":"c1","label":"car","x":10,"y":10,"w":20,
            "h":20,"rotation":0},
           {"control":"objects","type":"bbox","id":"c2","label":"car","x":11,"y":10,"w":20,
            "h":20,"rotation":0}])",
       {(1 + 0.5) / 2}},
      {"bbox: rotations average as directions (350° and 10° make 0°)",
       kBoxSchema,
       kImage,
       {R"([{"control":"objects","label":"car","x":40,"y":40,"w":20,"h":20,"rotation":350}])",
        R"([{"control":"objects","label":"car","x":40,"y":40,"w":20,"h":20,"rotation":10}])"},
       R"([{"control":"objects","type":"bbox","id":"c1","label":"car","x":40,"y":40,"w":20,
            "h":20,"rotation":0}])",
       {1}},
      {"bbox: nobody drew a box", kBoxSchema, kImage, {"[]", "[]"}, "[]", {1}},
      {"polygon: the member most like the others",
       kPolygonSchema,
       kImage,
       {R"([{"control":"outline","label":"road","points":[[0,0],[10,0],[10,10],[0,10]]}])",
        R"([{"control":"outline","label":"road","points":[[1,0],[11,0],[11,10],[1,10]]}])",
        R"([{"control":"outline","label":"road","points":[[2,0],[12,0],[12,10],[2,10]]}])"},
       R"([{"control":"outline","type":"polygon","id":"c1","label":"road",
            "points":[[1,0],[11,0],[11,10],[1,10]]}])",
       {1}},
      {"keypoint: averaged within a label, never across labels",
       kKeypointSchema,
       kImage,
       {R"([{"control":"joints","label":"nose","x":10,"y":10},
            {"control":"joints","label":"left_eye","x":14,"y":10}])",
        R"([{"control":"joints","label":"nose","x":12,"y":10},
            {"control":"joints","label":"left_eye","x":16,"y":10}])"},
       R"([{"control":"joints","type":"keypoint","id":"c1","label":"nose","x":11,"y":10},
           {"control":"joints","type":"keypoint","id":"c2","label":"left_eye","x":15,"y":10}])",
       {1}},
      {"keypoint: too far apart",
       kKeypointSchema,
       kImage,
       {R"([{"control":"joints","label":"nose","x":10,"y":10}])",
        R"([{"control":"joints","label":"nose","x":50,"y":50}])"},
       R"([{"control":"joints","type":"keypoint","id":"c1","label":"nose","x":10,"y":10},
           {"control":"joints","type":"keypoint","id":"c2","label":"nose","x":50,"y":50}])",
       {0.5}},
      {"span: each (start, end, label) kept by half the annotators",
       kSpanSchema,
       "",
       {R"([{"control":"entities","label":"PER","start":0,"end":5,"text":"Alice"},
            {"control":"entities","label":"LOC","start":17,"end":22,"text":"Paris"}])",
        R"([{"control":"entities","label":"PER","start":0,"end":5,"text":"Alice"},
            {"control":"entities","label":"PER","start":10,"end":13,"text":"Bob"},
            {"control":"entities","label":"LOC","start":17,"end":22,"text":"Paris"}])",
        R"([{"control":"entities","label":"PER","start":0,"end":5,"text":"Alice"},
            {"control":"entities","label":"PER","start":17,"end":22,"text":"Paris"}])"},
       R"([{"control":"entities","type":"span","id":"c1","label":"PER","start":0,"end":5,
            "text":"Alice"},
           {"control":"entities","type":"span","id":"c2","label":"LOC","start":17,"end":22,
            "text":"Paris"}])",
       {5.0 / 7}},
      {"span: overlapping winners of a tie, the first label stays",
       kSpanSchema,
       "",
       {R"([{"control":"entities","label":"LOC","start":17,"end":22,"text":"Paris"}])",
        R"([{"control":"entities","label":"PER","start":17,"end":22,"text":"Paris"}])"},
       R"([{"control":"entities","type":"span","id":"c1","label":"PER","start":17,"end":22,
            "text":"Paris"}])",
       {0.5}},
      {"audio span: clustered by time and averaged",
       kAudioSchema,
       "",
       {R"([{"control":"speech","label":"speech","start":1.0,"end":3.0}])",
        R"([{"control":"speech","label":"speech","start":1.5,"end":3.5}])"},
       R"([{"control":"speech","type":"span","id":"c1","label":"speech","start":1.25,
            "end":3.25}])",
       {1}},
      {"text: the medoid",
       kTextSchema,
       "",
       {R"([{"control":"caption","value":"cat"}])", R"([{"control":"caption","value":"cats"}])",
        R"([{"control":"caption","value":"dog"}])"},
       R"([{"control":"caption","type":"text","value":"cat"}])",
       {(1 + 0.75 + 0) / 3}},
      {"text: distance in code points, not bytes",
       kTextSchema,
       "",
       {R"([{"control":"caption","value":"Zoë"}])", R"([{"control":"caption","value":"Zoe"}])"},
       R"([{"control":"caption","type":"text","value":"Zoë"}])",
       {(1 + 2.0 / 3) / 2}},
      {"rating: the median",
       kRatingSchema,
       "",
       {R"([{"control":"quality","value":2}])", R"([{"control":"quality","value":4}])",
        R"([{"control":"quality","value":5}])"},
       R"([{"control":"quality","type":"rating","value":4}])",
       {(0.5 + 1 + 0.75) / 3}},
      {"rating: the lower middle of an even count",
       kRatingSchema,
       "",
       {R"([{"control":"quality","value":4}])", R"([{"control":"quality","value":2}])"},
       R"([{"control":"quality","type":"rating","value":2}])",
       {(1 + 0.5) / 2}},
      {"rating: answered by fewer than half stays absent",
       kRatingSchema,
       "",
       {R"([{"control":"quality","value":4}])", "[]", "[]"},
       "[]",
       {2.0 / 3}},
      {"rating: unanswered by all", kRatingSchema, "", {"[]", "[]"}, "[]", {1}},
      {"video: the tracks of the annotator who agrees most",
       kVideoSchema,
       kVideo,
       {R"([{"control":"tracks","track":"t1","frame":0,"label":"car","x":10,"y":10,"w":20,"h":20},
            {"control":"tracks","track":"t1","frame":5,"label":"car","x":20,"y":10,"w":20,"h":20,
             "outside":true}])",
        R"([{"control":"tracks","track":"x","frame":0,"label":"car","x":11,"y":10,"w":20,"h":20},
            {"control":"tracks","track":"x","frame":5,"label":"car","x":21,"y":10,"w":20,"h":20,
             "outside":true}])",
        R"([{"control":"tracks","track":"z","frame":0,"label":"car","x":60,"y":60,"w":20,
             "h":20}])"},
       R"([{"control":"tracks","type":"bbox","id":"c1","track":"t1","frame":0,"label":"car",
            "x":10,"y":10,"w":20,"h":20,"rotation":0,"outside":false},
           {"control":"tracks","type":"bbox","id":"c2","track":"t1","frame":5,"label":"car",
            "x":20,"y":10,"w":20,"h":20,"rotation":0,"outside":true}])",
       {0.5}},
      {"video: a track drawn by one of three is dropped",
       kVideoSchema,
       kVideo,
       {R"([{"control":"tracks","track":"t1","frame":0,"label":"car","x":10,"y":10,"w":20,
             "h":20}])",
        "[]", "[]"},
       "[]",
       {0.5}},
  };
  for (const ReconcileCase& c : kCases) {
    SCOPED_TRACE(c.name);
    Schema schema = MustParseSchema(c.schema);
    std::vector<Annotated> annotations;
    for (size_t i = 0; i < c.results.size(); ++i) {
      Result<ValidAnnotation> valid = ValidateAnnotation(schema, kData, c.results[i], c.media);
      ASSERT_TRUE(valid.ok()) << "input " << i << ": " << valid.status().ToString();
      annotations.push_back({static_cast<int64_t>(i + 1), valid->result_json, valid->media_json});
    }
    Result<Consensus> consensus = Reconcile(schema, annotations, {});
    ASSERT_TRUE(consensus.ok()) << consensus.status().ToString();
    EXPECT_EQ(json::parse(consensus->result_json), json::parse(c.expected))
        << consensus->result_json;
    EXPECT_EQ(consensus->method, "majority");
    ASSERT_EQ(consensus->controls.size(), c.agreements.size());
    double lowest = 1;
    for (size_t i = 0; i < c.agreements.size(); ++i) {
      EXPECT_EQ(consensus->controls[i].control, schema.controls[i].name);
      EXPECT_NEAR(consensus->controls[i].agreement, c.agreements[i], 1e-9)
          << consensus->controls[i].control;
      lowest = std::min(lowest, c.agreements[i]);
    }
    EXPECT_NEAR(consensus->agreement, lowest, 1e-9);
    EXPECT_EQ(json::parse(consensus->media_json.empty() ? "null" : consensus->media_json),
              json::parse(*c.media == 0 ? "null" : c.media));
    Result<ValidAnnotation> again =
        ValidateAnnotation(schema, kData, consensus->result_json, consensus->media_json);
    EXPECT_TRUE(again.ok()) << again.status().ToString() << "\n" << consensus->result_json;
  }
}

TEST(ReconcileTest, SingleAnnotationIsTheFinalLabel) {
  Schema schema = MustParseSchema(kBoxSchema);
  const char* result =
      R"([{"control":"objects","type":"bbox","id":"mine","label":"car","x":1,"y":2,"w":3,"h":4,"rotation":0}])";
  Result<Consensus> consensus =
      Reconcile(schema, {{7, result, R"({"height":100,"width":100})"}}, {});
  ASSERT_TRUE(consensus.ok()) << consensus.status().ToString();
  EXPECT_EQ(consensus->method, "single");
  EXPECT_EQ(consensus->agreement, 1);
  EXPECT_EQ(json::parse(consensus->result_json), json::parse(result));
  EXPECT_EQ(consensus->media_json, R"({"height":100,"width":100})");
  ASSERT_EQ(consensus->controls.size(), 1u);
  EXPECT_EQ(consensus->controls[0].agreement, 1);
}

TEST(ReconcileTest, MediaOfTheFirstAnnotationThatHasOne) {
  Schema schema = MustParseSchema(kChoiceSchema);
  const char* cat = R"([{"control":"pet","values":["cat"]}])";
  Result<Consensus> consensus =
      Reconcile(schema, {{1, cat, ""}, {2, cat, R"({"width":5,"height":6})"}, {3, cat, ""}}, {});
  ASSERT_TRUE(consensus.ok()) << consensus.status().ToString();
  EXPECT_EQ(json::parse(consensus->media_json), json::parse(R"({"width":5,"height":6})"));
}

// A large averaged rotated box can leave the image even though every member
// is inside; the consensus then takes the member most like the others.
TEST(ReconcileTest, AveragedRotatedBoxThatLeavesTheMediaFallsBackToAMember) {
  Schema schema = MustParseSchema(kBoxSchema);
  // Boxes along the image's diagonal: rotation 0 spans the top edge, rotation
  // 90 the left edge (x, y at the top right corner). Neither averages inside.
  std::vector<Annotated> annotations = {
      {1, R"([{"control":"objects","label":"car","x":0,"y":0,"w":100,"h":100,"rotation":0}])",
       kImage},
      {2, R"([{"control":"objects","label":"car","x":100,"y":0,"w":100,"h":100,"rotation":90}])",
       kImage},
  };
  for (const Annotated& a : annotations) {
    ASSERT_TRUE(ValidateAnnotation(schema, kData, a.result_json, a.media_json).ok());
  }
  Result<Consensus> consensus = Reconcile(schema, annotations, {});
  ASSERT_TRUE(consensus.ok()) << consensus.status().ToString();
  EXPECT_TRUE(ValidateAnnotation(schema, kData, consensus->result_json, consensus->media_json).ok())
      << consensus->result_json;
  json items = json::parse(consensus->result_json);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["x"], 0) << "the first of two equally good members";
}

TEST(ReconcileTest, DawidSkeneOverridesMajority) {
  Schema schema = MustParseSchema(kChoiceSchema);
  std::unordered_map<std::string, ChoiceModel> models;
  // Labeler 1 is reliable; labeler 2 answers "cat" 60% of the time whatever the truth.
  models["pet"] = {{0.5, 0.5}, {{1, {{0.9, 0.1}, {0.1, 0.9}}}, {2, {{0.6, 0.4}, {0.6, 0.4}}}}};
  const char* dog = R"([{"control":"pet","values":["dog"]}])";
  const char* cat = R"([{"control":"pet","values":["cat"]}])";
  ConsensusOptions options;
  options.choice = ChoiceMethod::kDawidSkene;
  options.models = &models;

  struct Case {
    const char* name;
    std::vector<Annotated> annotations;
    const char* method;
    const char* value;
    double agreement;
  };
  const Case kCases[] = {
      // dog: 0.5 · 0.9 · 0.6 = 0.27 against cat: 0.5 · 0.1 · 0.6 = 0.03.
      {"the reliable labeler wins a tie",
       {{1, dog, ""}, {2, cat, ""}},
       "dawid_skene",
       "dog",
       0.27 / 0.30},
      // dog: 0.9 · 0.3 against cat: 0.1 · 0.7.
      {"an unknown labeler counts with 0.7 accuracy",
       {{1, dog, ""}, {3, cat, ""}},
       "dawid_skene",
       "dog",
       0.27 / 0.34},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    Result<Consensus> consensus = Reconcile(schema, c.annotations, options);
    ASSERT_TRUE(consensus.ok()) << consensus.status().ToString();
    EXPECT_EQ(consensus->method, c.method);
    EXPECT_EQ(json::parse(consensus->result_json)[0]["values"][0], c.value);
    EXPECT_NEAR(consensus->controls[0].agreement, c.agreement, 1e-9);
  }

  // Without a model for the control (or with one of the wrong size), majority decides.
  std::unordered_map<std::string, ChoiceModel> other;
  other["pet"] = {{1.0}, {}};
  const std::unordered_map<std::string, ChoiceModel>* const kNoUsableModel[] = {nullptr, &other};
  for (const auto* m : kNoUsableModel) {
    options.models = m;
    Result<Consensus> consensus = Reconcile(schema, {{1, dog, ""}, {2, cat, ""}}, options);
    ASSERT_TRUE(consensus.ok());
    EXPECT_EQ(consensus->method, "majority");
    EXPECT_EQ(json::parse(consensus->result_json)[0]["values"][0], "cat");
  }
}

TEST(ReconcileTest, Errors) {
  Schema schema = MustParseSchema(kBoxSchema);
  Schema text_schema = MustParseSchema(kTextSchema);
  const char* box = R"([{"control":"objects","label":"car","x":1,"y":1,"w":2,"h":2}])";
  struct Case {
    const char* name;
    const Schema* schema;
    std::vector<Annotated> annotations;
    const char* field;
  };
  const Case kCases[] = {
      {"no annotation", &schema, {}, "annotations"},
      {"not JSON", &schema, {{1, box, kImage}, {2, "[{", kImage}}, "annotations[1]"},
      {"not a list", &schema, {{1, "{}", kImage}}, "annotations[0]"},
      {"not an item", &schema, {{1, "[1]", kImage}}, "annotations[0][0]"},
      {"unknown control",
       &schema,
       {{1, R"([{"control":"nope"}])", kImage}},
       "annotations[0][0].control"},
      {"missing geometry",
       &schema,
       {{1, box, kImage},
        {2, R"([{"control":"objects","label":"car","y":1,"w":2,"h":2}])", kImage}},
       "annotations[1][0].x"},
      {"label not of the control",
       &schema,
       {{1, R"([{"control":"objects","label":"bus","x":1,"y":1,"w":2,"h":2}])", kImage}},
       "annotations[0][0].label"},
      {"media not an object", &schema, {{1, box, "[1]"}, {2, box, kImage}}, "annotations[0].media"},
      {"text answered twice",
       &text_schema,
       {{1, R"([{"control":"caption","value":"a"},{"control":"caption","value":"b"}])", ""}},
       "annotations[0][1].control"},
      // The JSON parser already refuses strings that are not UTF-8.
      {"text not UTF-8",
       &text_schema,
       {{1, "[{\"control\":\"caption\",\"value\":\"\xC3\"}]", ""}, {2, "[]", ""}},
       "annotations[0]"},
  };
  for (const Case& c : kCases) {
    Result<Consensus> consensus = Reconcile(*c.schema, c.annotations, {});
    ASSERT_FALSE(consensus.ok()) << c.name;
    EXPECT_EQ(consensus.status().code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(consensus.status().field(), c.field)
        << c.name << ": " << consensus.status().ToString();
  }
}

// ------------------------------------------------------------------ grading

constexpr const char* kGradeSchema = R"({"controls": [
  {"name": "pet", "type": "choice", "source": "image", "labels": ["cat", "dog"], "required": false},
  {"name": "tags", "type": "choice", "source": "image", "labels": ["a", "b", "c"],
   "multiple": true, "required": false},
  {"name": "objects", "type": "bbox", "source": "image", "labels": ["car", "person"]},
  {"name": "outline", "type": "polygon", "source": "image", "labels": ["road"]},
  {"name": "joints", "type": "keypoint", "source": "image", "labels": ["nose"]},
  {"name": "entities", "type": "span", "source": "text", "labels": ["PER", "LOC"]},
  {"name": "speech", "type": "span", "media": "audio", "source": "audio", "labels": ["speech"]},
  {"name": "caption", "type": "text", "source": "image", "required": false},
  {"name": "quality", "type": "rating", "source": "image", "required": false}]})";
constexpr const char* kGradeVideoSchema = R"({"controls": [
  {"name": "tracks", "type": "bbox", "media": "video", "source": "video", "labels": ["car"]}]})";

struct GradeCase {
  const char* name;
  const char* schema;
  const char* answer;
  const char* result;
  double score;
  bool correct;
};

TEST(GradeTest, Cases) {
  static const GradeCase kCases[] = {
      {"choice right", kGradeSchema, R"([{"control":"pet","values":["cat"]}])",
       R"([{"control":"pet","values":["cat"]}])", 1, true},
      {"choice wrong", kGradeSchema, R"([{"control":"pet","values":["cat"]}])",
       R"([{"control":"pet","values":["dog"]}])", 0, false},
      {"choice left out", kGradeSchema, R"([{"control":"pet","values":["cat"]}])", "[]", 0, false},
      {"multiple choice: Jaccard", kGradeSchema, R"([{"control":"tags","values":["a","b"]}])",
       R"([{"control":"tags","values":["c","b"]}])", 1.0 / 3, false},
      {"bbox: one of two found", kGradeSchema,
       R"([{"control":"objects","label":"car","x":0,"y":0,"w":10,"h":10},
           {"control":"objects","label":"car","x":50,"y":50,"w":10,"h":10}])",
       R"([{"control":"objects","label":"car","x":1,"y":0,"w":10,"h":10}])", 2.0 / 3, false},
      {"bbox: wrong label does not match", kGradeSchema,
       R"([{"control":"objects","label":"car","x":0,"y":0,"w":10,"h":10}])",
       R"([{"control":"objects","label":"person","x":0,"y":0,"w":10,"h":10}])", 0, false},
      {"bbox: below the IoU threshold", kGradeSchema,
       R"([{"control":"objects","label":"car","x":0,"y":0,"w":10,"h":10}])",
       R"([{"control":"objects","label":"car","x":5,"y":0,"w":10,"h":10}])", 0, false},
      // A greedy match would pair the first answer box with the first result
      // box and lose the second pair; the optimal matching keeps both.
      {"bbox: optimal one-to-one matching", kGradeSchema,
       R"([{"control":"objects","label":"car","x":0,"y":0,"w":10,"h":10},
           {"control":"objects","label":"car","x":3,"y":0,"w":10,"h":10}])",
       R"([{"control":"objects","label":"car","x":2,"y":0,"w":10,"h":10},
           {"control":"objects","label":"car","x":-1,"y":0,"w":10,"h":10}])",
       1, true},
      {"polygon", kGradeSchema,
       R"([{"control":"outline","label":"road","points":[[0,0],[10,0],[10,10],[0,10]]}])",
       R"([{"control":"outline","label":"road","points":[[1,0],[11,0],[11,10],[1,10]]}])", 1, true},
      {"keypoint within the distance", kGradeSchema,
       R"([{"control":"joints","label":"nose","x":10,"y":10}])",
       R"([{"control":"joints","label":"nose","x":16,"y":18}])", 1, true},
      {"keypoint too far", kGradeSchema, R"([{"control":"joints","label":"nose","x":10,"y":10}])",
       R"([{"control":"joints","label":"nose","x":17,"y":18}])", 0, false},
      {"text span: exact match only", kGradeSchema,
       R"([{"control":"entities","label":"PER","start":0,"end":5,"text":"Alice"},
           {"control":"entities","label":"LOC","start":17,"end":22,"text":"Paris"}])",
       R"([{"control":"entities","label":"PER","start":0,"end":5,"text":"Alice"},
           {"control":"entities","label":"LOC","start":17,"end":21,"text":"Pari"}])",
       0.5, false},
      {"audio span by time IoU", kGradeSchema,
       R"([{"control":"speech","label":"speech","start":1,"end":3}])",
       R"([{"control":"speech","label":"speech","start":1.2,"end":3}])", 1, true},
      {"text: 1 - CER at the boundary of correct", kGradeSchema,
       R"([{"control":"caption","value":"hello"}])", R"([{"control":"caption","value":"hallo"}])",
       0.8, true},
      {"text: CER above 1 clamps at 0", kGradeSchema, R"([{"control":"caption","value":"ab"}])",
       R"([{"control":"caption","value":"abcdefgh"}])", 0, false},
      {"rating", kGradeSchema, R"([{"control":"quality","value":3}])",
       R"([{"control":"quality","value":4}])", 0, false},
      {"mean over controls", kGradeSchema,
       R"([{"control":"pet","values":["cat"]},{"control":"quality","value":3}])",
       R"([{"control":"pet","values":["cat"]},{"control":"quality","value":4}])", 0.5, false},
      {"a control only the result has counts 0", kGradeSchema,
       R"([{"control":"pet","values":["cat"]}])",
       R"([{"control":"pet","values":["cat"]},{"control":"joints","label":"nose","x":1,"y":1}])",
       0.5, false},
      {"both empty", kGradeSchema, "[]", "[]", 1, true},
      {"video keyframes per frame", kGradeVideoSchema,
       R"([{"control":"tracks","track":"t","frame":0,"label":"car","x":0,"y":0,"w":10,"h":10},
           {"control":"tracks","track":"t","frame":4,"label":"car","x":5,"y":0,"w":10,"h":10}])",
       R"([{"control":"tracks","track":"u","frame":0,"label":"car","x":1,"y":0,"w":10,"h":10},
           {"control":"tracks","track":"u","frame":3,"label":"car","x":5,"y":0,"w":10,"h":10}])",
       0.5, false},
  };
  for (const GradeCase& c : kCases) {
    Schema schema = MustParseSchema(c.schema);
    Result<Grade> grade = GradeAgainstAnswer(schema, c.answer, c.result, 0.5);
    ASSERT_TRUE(grade.ok()) << c.name << ": " << grade.status().ToString();
    EXPECT_NEAR(grade->score, c.score, 1e-9) << c.name;
    EXPECT_EQ(grade->correct, c.correct) << c.name;
  }
}

TEST(GradeTest, PerControlScores) {
  Schema schema = MustParseSchema(kGradeSchema);
  Result<Grade> grade = GradeAgainstAnswer(
      schema, R"([{"control":"pet","values":["cat"]},{"control":"quality","value":3}])",
      R"([{"control":"quality","value":3}])", 0.5);
  ASSERT_TRUE(grade.ok());
  ASSERT_EQ(grade->controls.size(), 2u);
  EXPECT_EQ(grade->controls[0].control, "pet");
  EXPECT_EQ(grade->controls[0].agreement, 0);
  EXPECT_EQ(grade->controls[1].control, "quality");
  EXPECT_EQ(grade->controls[1].agreement, 1);
}

TEST(GradeTest, Errors) {
  Schema schema = MustParseSchema(kGradeSchema);
  struct Case {
    const char* answer;
    const char* result;
    const char* field;
  };
  static const Case kCases[] = {
      {"nope", "[]", "answer"},
      {"[]", R"([{"control":"pet","values":"cat"}])", "result[0].values"},
      {"[]", R"([{"control":"pet","values":["cat","dog"]}])", "result[0].values"},
      {"[]", R"([{"control":"quality","value":9}])", "result[0].value"},
      {"[]", R"([{"control":"outline","label":"road","points":[[0,0],[1,1]]}])",
       "result[0].points"},
  };
  for (const Case& c : kCases) {
    Result<Grade> grade = GradeAgainstAnswer(schema, c.answer, c.result, 0.5);
    ASSERT_FALSE(grade.ok()) << c.result;
    EXPECT_EQ(grade.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(grade.status().field(), c.field) << grade.status().ToString();
  }
}

// ------------------------------------------------------------- Dawid–Skene

// Worked by hand (smoothing 0): item 1 has votes A:0 B:0, item 2 A:1 B:0.
// From the vote shares T = [[1, 0], [0.5, 0.5]]: prior = [0.75, 0.25];
// A's rows [1, 0.5] / 1.5 and [0, 0.5] / 0.5; B always answers 0. The E-step
// gives item 2 0.75·(1/3)·1 = 0.25 against 0.25·1·1 = 0.25, so T does not
// move and EM stops after one iteration.
TEST(DawidSkeneTest, HandCheckedStep) {
  DawidSkeneFit fit =
      FitDawidSkene(2, {{1, 10, 0}, {1, 20, 0}, {2, 10, 1}, {2, 20, 0}}, {.smoothing = 0});
  EXPECT_EQ(fit.iterations, 1);
  ASSERT_EQ(fit.model.prior.size(), 2u);
  EXPECT_NEAR(fit.model.prior[0], 0.75, kEps);
  EXPECT_NEAR(fit.model.prior[1], 0.25, kEps);
  const auto& a = fit.model.confusion.at(10);
  EXPECT_NEAR(a[0][0], 2.0 / 3, kEps);
  EXPECT_NEAR(a[0][1], 1.0 / 3, kEps);
  EXPECT_NEAR(a[1][0], 0, kEps);
  EXPECT_NEAR(a[1][1], 1, kEps);
  const auto& b = fit.model.confusion.at(20);
  EXPECT_NEAR(b[0][0], 1, kEps);
  EXPECT_NEAR(b[1][0], 1, kEps);
  EXPECT_NEAR(fit.posterior.at(1)[0], 1, kEps);
  EXPECT_NEAR(fit.posterior.at(2)[0], 0.5, kEps);
}

// Two labelers are right, a third always gives the other label. Dawid–Skene
// learns to read the third one inverted, so an item only it labeled gets the
// opposite of its vote; the majority vote takes the vote as it is.
TEST(DawidSkeneTest, LearnsAnAdversarialLabeler) {
  std::vector<ChoiceVote> votes;
  for (int64_t item = 0; item < 40; ++item) {
    int32_t truth = item % 2;
    votes.push_back({item, 1, truth});
    votes.push_back({item, 2, truth});
    votes.push_back({item, 3, 1 - truth});
  }
  votes.push_back({100, 3, 0});
  DawidSkeneFit fit = FitDawidSkene(2, votes);
  const auto& flipped = fit.model.confusion.at(3);
  EXPECT_GT(flipped[0][1], 0.95);
  EXPECT_GT(flipped[1][0], 0.95);
  for (const auto& [labeler, matrix] : fit.model.confusion) {
    for (const auto& row : matrix) EXPECT_NEAR(row[0] + row[1], 1, kEps) << labeler;
  }
  EXPECT_EQ(ArgMax(fit.posterior.at(100)), 1u);
  EXPECT_EQ(MajorityVote(2, votes).at(100), 0);
  for (int64_t item = 0; item < 40; ++item) EXPECT_EQ(ArgMax(fit.posterior.at(item)), item % 2);
  EXPECT_LT(fit.iterations, 100);
}

TEST(DawidSkeneTest, EmptyAndOutOfRange) {
  EXPECT_TRUE(FitDawidSkene(2, {}).posterior.empty());
  EXPECT_TRUE(FitDawidSkene(0, {{1, 1, 0}}).posterior.empty());
  DawidSkeneFit fit = FitDawidSkene(2, {{1, 1, 5}, {1, 2, -1}, {2, 1, 1}});
  EXPECT_EQ(fit.posterior.size(), 1u) << "votes outside the labels are ignored";
  EXPECT_EQ(fit.model.confusion.size(), 1u);
}

TEST(MajorityVoteTest, TiesToTheLowestLabel) {
  std::unordered_map<int64_t, int32_t> majority =
      MajorityVote(3, {{1, 1, 2}, {1, 2, 1}, {2, 1, 2}, {2, 2, 2}, {2, 3, 0}, {3, 1, 7}});
  EXPECT_EQ(majority.at(1), 1);
  EXPECT_EQ(majority.at(2), 2);
  EXPECT_FALSE(majority.contains(3));
}

TEST(ChoiceVotesTest, Cases) {
  Schema schema = MustParseSchema(kChoiceSchema);
  const Control& pet = schema.controls[0];
  const Control& tags = schema.controls[1];
  std::vector<ChoiceVote> votes = ChoiceVotes(pet, 5, 9, R"([{"control":"pet","values":["dog"]}])");
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_EQ(votes[0].item, 5);
  EXPECT_EQ(votes[0].labeler, 9);
  EXPECT_EQ(votes[0].label, 1);
  EXPECT_TRUE(ChoiceVotes(pet, 5, 9, "[]").empty()) << "unanswered";
  EXPECT_TRUE(ChoiceVotes(pet, 5, 9, "[{").empty()) << "unparsable";
  EXPECT_TRUE(ChoiceVotes(pet, 5, 9, R"([{"control":7}])").empty());
  EXPECT_TRUE(ChoiceVotes(tags, 5, 9, R"([{"control":"tags","values":["a"]}])").empty())
      << "multiple";
}

// ------------------------------------------ Dawid–Skene on real crowd data

// The crowd datasets (README.md there) are not ours to commit; they are read
// from PLUMB_CROWD_DATA, by default the shared folder of the workplace.
std::filesystem::path CrowdDataDir() {
  const char* dir = std::getenv("PLUMB_CROWD_DATA");
  return dir != nullptr && *dir != 0 ? dir : "/work/shared/datasets/crowd";
}

struct CrowdData {
  std::vector<ChoiceVote> votes;
  std::map<std::string, int64_t> task_ids;  // in order of first appearance
  std::map<int64_t, int32_t> gold;          // by task id
  int32_t num_labels = 0;
};

std::vector<std::vector<std::string>> ReadCsv(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream stream(line);
    for (std::string field; std::getline(stream, field, ',');) fields.push_back(field);
    rows.push_back(std::move(fields));
  }
  return rows;
}

CrowdData ReadCrowdData(const std::string& name) {
  CrowdData data;
  std::map<std::string, int64_t> workers;
  for (const auto& row : ReadCsv(CrowdDataDir() / (name + ".answers.csv"))) {
    auto task = data.task_ids.emplace(row.at(0), static_cast<int64_t>(data.task_ids.size()));
    auto worker = workers.emplace(row.at(1), static_cast<int64_t>(workers.size()));
    int32_t label = std::stoi(row.at(2));
    data.num_labels = std::max(data.num_labels, label + 1);
    data.votes.push_back({task.first->second, worker.first->second, label});
  }
  for (const auto& row : ReadCsv(CrowdDataDir() / (name + ".gold.csv"))) {
    auto task = data.task_ids.find(row.at(0));
    if (task != data.task_ids.end()) data.gold[task->second] = std::stoi(row.at(1));
  }
  return data;
}

template <typename Predict>
double Accuracy(const CrowdData& data, Predict predict) {
  size_t right = 0;
  for (const auto& [task, label] : data.gold) right += predict(task) == label;
  return static_cast<double>(right) / static_cast<double>(data.gold.size());
}

#define PLUMB_SKIP_WITHOUT_CROWD_DATA()                                                  \
  if (!std::filesystem::exists(CrowdDataDir() / "bluebirds.answers.csv")) {              \
    GTEST_SKIP() << "no crowd data in " << CrowdDataDir()                                \
                 << " (set PLUMB_CROWD_DATA to the folder of <name>.answers.csv files)"; \
  }

TEST(DawidSkeneCrowdTest, BeatsMajorityVote) {
  PLUMB_SKIP_WITHOUT_CROWD_DATA();
  int better_or_equal = 0;
  for (const char* name : {"bluebirds", "rte", "temp", "d_possent", "d_product"}) {
    CrowdData data = ReadCrowdData(name);
    ASSERT_FALSE(data.gold.empty()) << name;
    std::unordered_map<int64_t, int32_t> majority = MajorityVote(data.num_labels, data.votes);
    DawidSkeneFit fit = FitDawidSkene(data.num_labels, data.votes);
    double mv = Accuracy(data, [&](int64_t task) { return majority.at(task); });
    double ds = Accuracy(
        data, [&](int64_t task) { return static_cast<int32_t>(ArgMax(fit.posterior.at(task))); });
    std::printf("%-10s majority %.4f  dawid_skene %.4f  (%zu gold tasks, %d iterations)\n", name,
                mv, ds, data.gold.size(), fit.iterations);
    better_or_equal += ds >= mv;
  }
  EXPECT_GE(better_or_equal, 2);
}

// Figures of src/quality/reference/dawid_skene_reference.py (numpy) on
// bluebirds with the default options; regenerate with
//   /usr/bin/python3 src/quality/reference/dawid_skene_reference.py
TEST(DawidSkeneCrowdTest, MatchesTheNumpyReference) {
  PLUMB_SKIP_WITHOUT_CROWD_DATA();
  CrowdData data = ReadCrowdData("bluebirds");
  std::unordered_map<int64_t, int32_t> majority = MajorityVote(data.num_labels, data.votes);
  DawidSkeneFit fit = FitDawidSkene(data.num_labels, data.votes);
  EXPECT_NEAR(Accuracy(data, [&](int64_t task) { return majority.at(task); }), 0.7592592593, 1e-9);
  EXPECT_NEAR(
      Accuracy(data,
               [&](int64_t task) { return static_cast<int32_t>(ArgMax(fit.posterior.at(task))); }),
      0.8981481481, 1e-9);
  EXPECT_EQ(fit.iterations, 18);
  EXPECT_NEAR(fit.model.prior[0], 0.5641274157, 1e-8);
  EXPECT_NEAR(fit.model.prior[1], 0.4358725843, 1e-8);
  // Worker "39", the first in the file, has dense id 0.
  const auto& worker = fit.model.confusion.at(0);
  EXPECT_NEAR(worker[0][0], 0.9997731474, 1e-8);
  EXPECT_NEAR(worker[0][1], 0.0002268526, 1e-8);
  EXPECT_NEAR(worker[1][0], 0.3628309582, 1e-8);
  EXPECT_NEAR(worker[1][1], 0.6371690418, 1e-8);
  const std::pair<const char*, double> kPosteriors[] = {
      {"11588", 0.9961740512}, {"11612", 0.9952803932}, {"11672", 0.0562150240}};
  for (const auto& [task, p] : kPosteriors) {
    EXPECT_NEAR(fit.posterior.at(data.task_ids.at(task))[1], p, 1e-8) << task;
  }
}

}  // namespace
}  // namespace plumb::quality
