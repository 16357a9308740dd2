#include <gtest/gtest.h>

#include <string>

#include "core/schema.h"

namespace plumb {
namespace {

// One control of every type; none required, so that each case can hold a
// single item.
constexpr const char* kAllControls = R"({"controls":[
  {"name":"objects","type":"bbox","source":"image","labels":["car","person"],"attributes":[
    {"name":"occluded","type":"boolean"},{"name":"pose","type":"enum","values":["front","side"]},
    {"name":"note","type":"string"}]},
  {"name":"outline","type":"polygon","source":"image","labels":["road"]},
  {"name":"joints","type":"keypoint","source":"image","labels":["nose","eye"]},
  {"name":"entities","type":"span","source":"text","labels":["PER","LOC","EVENT","TIME"]},
  {"name":"nested","type":"span","source":"text","labels":["X"],"overlap":true},
  {"name":"sentiment","type":"choice","source":"text","labels":["pos","neg"],"required":false},
  {"name":"transcript","type":"text","source":"audio","max_length":10,"required":false},
  {"name":"quality","type":"rating","source":"image","max":3,"required":false},
  {"name":"tracks","type":"video_bbox","source":"video","labels":["car"]},
  {"name":"speech","type":"audio_segment","source":"audio","labels":["speech","music"]}]})";

// Code points: Z0 o1 ë2 _3 visited4-10 _11 東12 京13 _14 🎉15 _16 today17-21; 22 in all,
// 33 UTF-8 bytes.
constexpr const char* kData =
    R"({"image":"a.png","text":"Zoë visited 東京 🎉 today","video":"v.mp4","audio":"a.wav"})";

const std::string kSize = R"("original_width":640,"original_height":480,)";

struct ResultCase {
  std::string json;
  std::string field;  // "" when valid
};

std::string Box(const std::string& rest) {
  return "{" + kSize + R"("control":"objects","label":"car",)" + rest + "}";
}
std::string Polygon(const std::string& points) {
  return "[{" + kSize + R"("control":"outline","label":"road","points":)" + points + "}]";
}
std::string Keypoint(const std::string& rest) {
  return "[{" + kSize + R"("control":"joints","label":"nose",)" + rest + "}]";
}
std::string Span(const std::string& rest) { return R"({"control":"entities",)" + rest + "}"; }
std::string Track(const std::string& rest) {
  return "[{" + kSize + R"("control":"tracks","label":"car",)" + rest + "}]";
}
std::string Segment(const std::string& rest) {
  return R"({"control":"speech","label":"speech",)" + rest + "}";
}

void RunCases(const ResultCase* begin, const ResultCase* end, const char* data = kData) {
  auto schema = ParseSchema(kAllControls);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  for (const ResultCase* c = begin; c != end; ++c) {
    auto result = ValidateResult(*schema, data, c->json);
    if (c->field.empty()) {
      EXPECT_TRUE(result.ok()) << c->json << "\n" << result.status().ToString();
    } else {
      ASSERT_FALSE(result.ok()) << c->json;
      EXPECT_EQ(result.status().code(), StatusCode::kInvalidResult) << c->json;
      EXPECT_EQ(result.status().field(), c->field) << c->json << "\n" << result.status().ToString();
    }
  }
}

TEST(ValidateResultTest, Bbox) {
  const ResultCase cases[] = {
      {"[" + Box(R"("x":10,"y":20,"width":100,"height":50)") + "]", ""},
      {"[" + Box(R"("x":0,"y":0,"width":640,"height":480)") + "]", ""},
      {"[" + Box(R"("x":100.5,"y":20.25,"width":100,"height":50,"rotation":30,"id":"r1")") + "]",
       ""},
      {"[" +
           Box(R"("x":1,"y":1,"width":5,"height":5,"attributes":)"
               R"({"occluded":true,"pose":"side","note":"Zoë 東京 🎉"})") +
           "]",
       ""},
      {"[" + Box(R"("x":1,"y":1,"width":5,"height":5)") + "," +
           Box(R"("x":2,"y":2,"width":5,"height":5,"type":"bbox")") + "]",
       ""},
      {R"([{"control":"objects","label":"car","x":1,"y":1,"width":5,"height":5}])",
       "result[0].original_width"},
      {R"([{"control":"objects","label":"car","original_width":640,"original_height":0,)"
       R"("x":1,"y":1,"width":5,"height":5}])",
       "result[0].original_height"},
      {"[" + Box(R"("label":"bus","x":1,"y":1,"width":5,"height":5)") + "]", "result[0].label"},
      {"[" + Box(R"("x":-1,"y":1,"width":5,"height":5)") + "]", "result[0].x"},
      {"[" + Box(R"("x":1,"y":481,"width":5,"height":5)") + "]", "result[0].y"},
      {"[" + Box(R"("x":600,"y":1,"width":41,"height":5)") + "]", "result[0].width"},
      {"[" + Box(R"("x":1,"y":400,"width":5,"height":81)") + "]", "result[0].height"},
      {"[" + Box(R"("x":1,"y":1,"width":0,"height":5)") + "]", "result[0].width"},
      {"[" + Box(R"("x":1,"y":1,"width":"5","height":5)") + "]", "result[0].width"},
      {"[" + Box(R"("x":1,"y":1,"width":5)") + "]", "result[0].height"},
      {"[" + Box(R"("x":1,"y":1,"width":5,"height":5,"rotation":360)") + "]", "result[0].rotation"},
      // Rotated by 270° clockwise, the width side points up, out of the image.
      {"[" + Box(R"("x":600,"y":10,"width":30,"height":30,"rotation":270)") + "]",
       "result[0].rotation"},
      {"[" + Box(R"("x":1,"y":1,"width":5,"height":5,"type":"polygon")") + "]", "result[0].type"},
      {"[" + Box(R"("x":1,"y":1,"width":5,"height":5,"attributes":{"color":"red"})") + "]",
       "result[0].attributes.color"},
      {"[" + Box(R"("x":1,"y":1,"width":5,"height":5,"attributes":{"occluded":1})") + "]",
       "result[0].attributes.occluded"},
      {"[" + Box(R"("x":1,"y":1,"width":5,"height":5,"attributes":{"pose":"back"})") + "]",
       "result[0].attributes.pose"},
      {"[" + Box(R"("x":1,"y":1,"width":5,"height":5,"attributes":{"note":3})") + "]",
       "result[0].attributes.note"},
      {"[" + Box(R"("x":1,"y":1,"width":5,"height":5,"attributes":[])") + "]",
       "result[0].attributes"},
      {"[" + Box(R"("x":1,"y":1,"width":5,"height":5,"id":"a b")") + "]", "result[0].id"},
      {"[" + Box(R"("x":1,"y":1,"width":5,"height":5,"id":"r1")") + "," +
           Box(R"("x":1,"y":1,"width":5,"height":5,"id":"r1")") + "]",
       "result[1].id"},
      // Every item over the same image must state the same natural size.
      {"[" + Box(R"("x":1,"y":1,"width":5,"height":5)") + "," +
           R"({"control":"outline","label":"road","original_width":641,"original_height":480,)"
           R"("points":[[1,1],[2,2],[1,2]]}])",
       "result[1].original_width"},
  };
  RunCases(std::begin(cases), std::end(cases));
}

TEST(ValidateResultTest, PolygonAndKeypoint) {
  const ResultCase cases[] = {
      {Polygon("[[0,0],[640,0],[320.5,480]]"), ""},
      {Polygon("[[0,0],[640,0]]"), "result[0].points"},
      {Polygon(R"("[[0,0]]")"), "result[0].points"},
      {Polygon("[[0,0],[1],[3,3]]"), "result[0].points[1]"},
      {Polygon(R"([[0,0],[1,1],["3",3]])"), "result[0].points[2]"},
      {Polygon("[[0,0],[1,1],[641,3]]"), "result[0].points[2]"},
      {Polygon("[[0,-1],[1,1],[3,3]]"), "result[0].points[0]"},
      {Keypoint(R"("x":320,"y":240)"), ""},
      {Keypoint(R"("x":640,"y":480)"), ""},
      {Keypoint(R"("x":641,"y":240)"), "result[0].x"},
      {Keypoint(R"("x":1,"y":-0.5)"), "result[0].y"},
      {Keypoint(R"("y":1)"), "result[0].x"},
      {Keypoint(R"("x":1,"y":1,"label":"tail")"), "result[0].label"},
  };
  RunCases(std::begin(cases), std::end(cases));
}

TEST(ValidateResultTest, SpansCountCodePoints) {
  const ResultCase cases[] = {
      {"[" + Span(R"("label":"PER","start":0,"end":3,"text":"Zoë")") + "]", ""},
      {"[" + Span(R"("label":"LOC","start":12,"end":14,"text":"東京")") + "]", ""},
      {"[" + Span(R"("label":"EVENT","start":15,"end":16,"text":"🎉")") + "]", ""},
      {"[" + Span(R"("label":"TIME","start":17,"end":22,"text":"today")") + "]", ""},
      {"[" + Span(R"("label":"PER","start":0,"end":3,"text":"Zoë")") + "," +
           Span(R"("label":"LOC","start":12,"end":14,"text":"東京")") + "," +
           Span(R"("label":"TIME","start":17,"end":22,"text":"today")") + "]",
       ""},
      // Touching spans do not overlap: end is exclusive.
      {"[" + Span(R"("label":"LOC","start":13,"end":14,"text":"京")") + "," +
           Span(R"("label":"LOC","start":12,"end":13,"text":"東")") + "]",
       ""},
      // Overlap is allowed by the "nested" control, and across controls.
      {R"([{"control":"nested","label":"X","start":0,"end":14,"text":"Zoë visited 東京"},)"
       R"({"control":"nested","label":"X","start":12,"end":14,"text":"東京"},)" +
           Span(R"("label":"LOC","start":12,"end":14,"text":"東京")") + "]",
       ""},
      // Byte offsets (東京 is bytes 13-19) are not code point offsets.
      {"[" + Span(R"("label":"LOC","start":13,"end":19,"text":"東京")") + "]", "result[0].text"},
      // UTF-16 offsets (🎉 is 2 units) are not code point offsets.
      {"[" + Span(R"("label":"EVENT","start":15,"end":17,"text":"🎉")") + "]", "result[0].text"},
      {"[" + Span(R"("label":"PER","start":0,"end":3)") + "]", "result[0].text"},
      {"[" + Span(R"("label":"PER","start":3,"end":3,"text":"")") + "]", "result[0].end"},
      {"[" + Span(R"("label":"TIME","start":17,"end":23,"text":"today")") + "]", "result[0].end"},
      {"[" + Span(R"("label":"PER","start":-1,"end":3,"text":"Zoë")") + "]", "result[0].start"},
      {"[" + Span(R"("label":"PER","start":0.5,"end":3,"text":"Zoë")") + "]", "result[0].start"},
      {"[" + Span(R"("label":"ORG","start":0,"end":3,"text":"Zoë")") + "]", "result[0].label"},
      {"[" + Span(R"("label":"LOC","start":12,"end":14,"text":"東京")") + "," +
           Span(R"("label":"PER","start":0,"end":3,"text":"Zoë")") + "," +
           Span(R"("label":"LOC","start":13,"end":14,"text":"京")") + "]",
       "result[2].start"},
      {"[" + Span(R"("label":"PER","start":0,"end":14,"text":"Zoë visited 東京")") + "," +
           Span(R"("label":"PER","start":4,"end":11,"text":"visited")") + "]",
       "result[1].start"},
  };
  RunCases(std::begin(cases), std::end(cases));
}

TEST(ValidateResultTest, SpansNeedTheTaskText) {
  const ResultCase cases[] = {
      {"[" + Span(R"("label":"PER","start":0,"end":3,"text":"Zoë")") + "]", "data.text"},
      {R"([{"control":"sentiment","values":["pos"]}])", ""},
  };
  RunCases(std::begin(cases), std::end(cases), R"({"image":"a.png"})");
  const ResultCase empty_text[] = {
      {"[" + Span(R"("label":"PER","start":0,"end":1,"text":"Z")") + "]", "result[0].start"}};
  RunCases(std::begin(empty_text), std::end(empty_text), R"({"text":""})");
  RunCases(std::begin(cases), std::begin(cases) + 1, "not json");
  // A task without the span's source field.
  auto schema = ParseSchema(kAllControls);
  ASSERT_TRUE(schema.ok());
  auto result = ValidateResult(*schema, "{}",
                               "[" + Span(R"("label":"PER","start":0,"end":1,"text":"Z")") + "]");
  EXPECT_EQ(result.status().field(), "data.text");
}

TEST(ValidateResultTest, TextAndRating) {
  const ResultCase cases[] = {
      {R"([{"control":"transcript","type":"text","value":"hello"}])", ""},
      // 10 code points (28 bytes) fit max_length 10.
      {R"([{"control":"transcript","value":"東京東京東京東京🎉🎉"}])", ""},
      {R"([{"control":"transcript","value":"東京東京東京東京🎉🎉!"}])", "result[0].value"},
      {R"([{"control":"transcript","value":""}])", "result[0].value"},
      {R"([{"control":"transcript","value":42}])", "result[0].value"},
      {R"([{"control":"transcript","value":"a"},{"control":"transcript","value":"b"}])",
       "result[1].control"},
      {R"([{"control":"quality","type":"rating","value":1}])", ""},
      {R"([{"control":"quality","value":3}])", ""},
      {R"([{"control":"quality","value":0}])", "result[0].value"},
      {R"([{"control":"quality","value":4}])", "result[0].value"},
      {R"([{"control":"quality","value":2.5}])", "result[0].value"},
      {R"([{"control":"quality","value":"2"}])", "result[0].value"},
      {R"([{"control":"quality","value":18446744073709551615}])", "result[0].value"},
      {R"([{"control":"quality","type":"text","value":2}])", "result[0].type"},
  };
  RunCases(std::begin(cases), std::end(cases));
}

TEST(ValidateResultTest, VideoTracks) {
  const std::string kf0 = R"({"frame":0,"x":10,"y":10,"width":50,"height":40})";
  const std::string kf5 = R"({"frame":5,"x":20,"y":12,"width":50,"height":40,"rotation":10})";
  const ResultCase cases[] = {
      {Track(R"("id":"t1","fps":25,"frame_count":100,"keyframes":[)" + kf0 + "," + kf5 + "]"), ""},
      {Track(R"("id":"t1","keyframes":[)" + kf0 + "]"), ""},
      {Track(R"("keyframes":[)" + kf0 + "]"), "result[0].id"},
      {Track(R"("id":"t1","label":"bike","keyframes":[)" + kf0 + "]"), "result[0].label"},
      {Track(R"("id":"t1","keyframes":[])"), "result[0].keyframes"},
      {Track(R"("id":"t1","keyframes":)" + kf0), "result[0].keyframes"},
      {Track(R"("id":"t1","keyframes":[)" + kf5 + "," + kf0 + "]"), "result[0].keyframes[1].frame"},
      {Track(R"("id":"t1","keyframes":[)" + kf5 + "," + kf5 + "]"), "result[0].keyframes[1].frame"},
      {Track(R"("id":"t1","keyframes":[{"frame":-1,"x":1,"y":1,"width":1,"height":1}])"),
       "result[0].keyframes[0].frame"},
      {Track(R"("id":"t1","frame_count":5,"keyframes":[)" + kf0 + "," + kf5 + "]"),
       "result[0].keyframes[1].frame"},
      {Track(R"("id":"t1","keyframes":[{"frame":1,"x":600,"y":1,"width":50,"height":1}])"),
       "result[0].keyframes[0].width"},
      {Track(R"("id":"t1","keyframes":[{"frame":1,"x":1,"y":1,"width":5}])"),
       "result[0].keyframes[0].height"},
      {Track(R"("id":"t1","keyframes":[3])"), "result[0].keyframes[0]"},
      {Track(R"("id":"t1","fps":0,"keyframes":[)" + kf0 + "]"), "result[0].fps"},
      {Track(R"("id":"t1","frame_count":0,"keyframes":[)" + kf0 + "]"), "result[0].frame_count"},
      {R"([{"control":"tracks","label":"car","id":"t1","keyframes":[)" + kf0 + "]}]",
       "result[0].original_width"},
  };
  RunCases(std::begin(cases), std::end(cases));
}

TEST(ValidateResultTest, AudioSegments) {
  const ResultCase cases[] = {
      {"[" + Segment(R"("start":1.5,"end":3.25,"duration":10)") + "]", ""},
      {"[" + Segment(R"("start":0,"end":10,"duration":10)") + "," +
           Segment(R"("start":2,"end":4,"label":"music","id":"s2")") + "]",
       ""},
      {"[" + Segment(R"("start":3,"end":3)") + "]", "result[0].end"},
      {"[" + Segment(R"("start":3,"end":2)") + "]", "result[0].end"},
      {"[" + Segment(R"("start":-1,"end":2)") + "]", "result[0].start"},
      {"[" + Segment(R"("start":"0","end":2)") + "]", "result[0].start"},
      {"[" + Segment(R"("start":1,"end":10.5,"duration":10)") + "]", "result[0].end"},
      {"[" + Segment(R"("start":1,"end":2,"duration":0)") + "]", "result[0].duration"},
      {"[" + Segment(R"("start":1,"end":2,"label":"noise")") + "]", "result[0].label"},
      {"[" + Segment(R"("start":1,"end":2,"duration":10)") + "," +
           Segment(R"("start":1,"end":2,"duration":11)") + "]",
       "result[1].duration"},
  };
  RunCases(std::begin(cases), std::end(cases));
}

TEST(ValidateResultTest, RequiredRegionControlNeedsARegion) {
  auto schema = ParseSchema(
      R"({"controls":[{"name":"objects","type":"bbox","source":"image","labels":["car"],)"
      R"("required":true}]})");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(ValidateResult(*schema, kData, "[]").status().field(), "result");
  EXPECT_TRUE(
      ValidateResult(*schema, kData, "[" + Box(R"("x":1,"y":1,"width":5,"height":5)") + "]").ok());
}

TEST(ValidateResultTest, NormalizesRegionItems) {
  auto schema = ParseSchema(kAllControls);
  ASSERT_TRUE(schema.ok());
  auto result = ValidateResult(
      *schema, kData,
      "[" + Box(R"("x":1,"y":2,"width":5,"height":6,"junk":1)") + "," +
          Span(R"("label":"LOC","start":12,"end":14,"text":"東京","score":0.5)") + "]");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(*result, R"([{"control":"objects","height":6,"label":"car","original_height":480,)"
                     R"("original_width":640,"rotation":0,"type":"bbox","width":5,"x":1,"y":2},)"
                     R"({"control":"entities","end":14,"label":"LOC","start":12,"text":"東京",)"
                     R"("type":"span"}])");
}

}  // namespace
}  // namespace plumb
