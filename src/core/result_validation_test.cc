#include <gtest/gtest.h>

#include <string>

#include "core/schema.h"

namespace plumb {
namespace {

// One control of every type over an image or a text; none required, so that
// each case can hold a single item.
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
  {"name":"quality","type":"rating","source":"image","max":3,"required":false}]})";

// Boxes on a video's keyframes, and time segments of an audio.
constexpr const char* kVideoControls = R"({"controls":[
  {"name":"tracks","type":"bbox","media":"video","source":"video","labels":["car","bike"]}]})";
constexpr const char* kAudioControls = R"({"controls":[
  {"name":"speech","type":"span","media":"audio","source":"audio","labels":["speech","music"]}]})";

// Code points: Z0 o1 ë2 _3 visited4-10 _11 東12 京13 _14 🎉15 _16 today17-21; 22 in all,
// 33 UTF-8 bytes.
constexpr const char* kData =
    R"({"image":"a.png","text":"Zoë visited 東京 🎉 today","video":"v.mp4","audio":"a.wav"})";

constexpr const char* kImage = R"({"width":640,"height":480})";

struct ResultCase {
  std::string json;
  std::string field;           // "" when valid
  std::string media = kImage;  // the annotation's media object
};

std::string Box(const std::string& rest) {
  return R"({"control":"objects","label":"car",)" + rest + "}";
}
std::string Polygon(const std::string& points) {
  return R"([{"control":"outline","label":"road","points":)" + points + "}]";
}
std::string Keypoint(const std::string& rest) {
  return R"([{"control":"joints","label":"nose",)" + rest + "}]";
}
std::string Span(const std::string& rest) { return R"({"control":"entities",)" + rest + "}"; }
std::string Keyframe(const std::string& rest) {
  return R"({"control":"tracks","label":"car",)" + rest + "}";
}
std::string Segment(const std::string& rest) {
  return R"({"control":"speech","label":"speech",)" + rest + "}";
}

void RunCases(const ResultCase* begin, const ResultCase* end, const char* data = kData,
              const char* schema_json = kAllControls) {
  auto schema = ParseSchema(schema_json);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  for (const ResultCase* c = begin; c != end; ++c) {
    auto result = ValidateAnnotation(*schema, data, c->json, c->media);
    if (c->field.empty()) {
      EXPECT_TRUE(result.ok()) << c->json << " " << c->media << "\n" << result.status().ToString();
    } else {
      ASSERT_FALSE(result.ok()) << c->json << " " << c->media;
      EXPECT_EQ(result.status().code(), StatusCode::kInvalidResult) << c->json;
      EXPECT_EQ(result.status().field(), c->field) << c->json << " " << c->media << "\n"
                                                   << result.status().ToString();
    }
  }
}

TEST(ValidateResultTest, Bbox) {
  const ResultCase cases[] = {
      {"[" + Box(R"("x":10,"y":20,"w":100,"h":50)") + "]", ""},
      {"[" + Box(R"("x":0,"y":0,"w":640,"h":480)") + "]", ""},
      {"[" + Box(R"("x":100.5,"y":20.25,"w":100,"h":50,"rotation":30,"id":"r1")") + "]", ""},
      {"[" +
           Box(R"("x":1,"y":1,"w":5,"h":5,"attributes":)"
               R"({"occluded":true,"pose":"side","note":"Zoë 東京 🎉"})") +
           "]",
       ""},
      {"[" + Box(R"("x":1,"y":1,"w":5,"h":5)") + "," +
           Box(R"("x":2,"y":2,"w":5,"h":5,"type":"bbox")") + "]",
       ""},
      // The box is checked against the annotation's media.
      {"[" + Box(R"("x":1,"y":1,"w":5,"h":5)") + "]", "media.width", ""},
      {"[" + Box(R"("x":1,"y":1,"w":5,"h":5)") + "]", "media.width", "{}"},
      {"[" + Box(R"("x":1,"y":1,"w":5,"h":5)") + "]", "media.height", R"({"width":640})"},
      {"[" + Box(R"("x":1,"y":1,"w":5,"h":5)") + "]", "media.height",
       R"({"width":640,"height":0})"},
      {"[" + Box(R"("x":1,"y":1,"w":5,"h":5)") + "]", "media", "[640,480]"},
      {"[" + Box(R"("x":600,"y":1,"w":41,"h":5)") + "]", "", R"({"width":641,"height":480})"},
      // Items without geometry need no media.
      {R"([{"control":"quality","value":2}])", "", ""},
      {"[" + Box(R"("label":"bus","x":1,"y":1,"w":5,"h":5)") + "]", "result[0].label"},
      {"[" + Box(R"("x":-1,"y":1,"w":5,"h":5)") + "]", "result[0].x"},
      {"[" + Box(R"("x":1,"y":481,"w":5,"h":5)") + "]", "result[0].y"},
      {"[" + Box(R"("x":600,"y":1,"w":41,"h":5)") + "]", "result[0].w"},
      {"[" + Box(R"("x":1,"y":400,"w":5,"h":81)") + "]", "result[0].h"},
      {"[" + Box(R"("x":1,"y":1,"w":0,"h":5)") + "]", "result[0].w"},
      {"[" + Box(R"("x":1,"y":1,"w":"5","h":5)") + "]", "result[0].w"},
      {"[" + Box(R"("x":1,"y":1,"w":5)") + "]", "result[0].h"},
      {"[" + Box(R"("x":1,"y":1,"w":5,"h":5,"rotation":360)") + "]", "result[0].rotation"},
      // Rotated by 270° clockwise, the width side points up, out of the image.
      {"[" + Box(R"("x":600,"y":10,"w":30,"h":30,"rotation":270)") + "]", "result[0].rotation"},
      {"[" + Box(R"("x":1,"y":1,"w":5,"h":5,"type":"polygon")") + "]", "result[0].type"},
      {"[" + Box(R"("x":1,"y":1,"w":5,"h":5,"attributes":{"color":"red"})") + "]",
       "result[0].attributes.color"},
      {"[" + Box(R"("x":1,"y":1,"w":5,"h":5,"attributes":{"occluded":1})") + "]",
       "result[0].attributes.occluded"},
      {"[" + Box(R"("x":1,"y":1,"w":5,"h":5,"attributes":{"pose":"back"})") + "]",
       "result[0].attributes.pose"},
      {"[" + Box(R"("x":1,"y":1,"w":5,"h":5,"attributes":{"note":3})") + "]",
       "result[0].attributes.note"},
      {"[" + Box(R"("x":1,"y":1,"w":5,"h":5,"attributes":[])") + "]", "result[0].attributes"},
      {"[" + Box(R"("x":1,"y":1,"w":5,"h":5,"id":"a b")") + "]", "result[0].id"},
      {"[" + Box(R"("x":1,"y":1,"w":5,"h":5,"id":"r1")") + "," +
           Box(R"("x":1,"y":1,"w":5,"h":5,"id":"r1")") + "]",
       "result[1].id"},
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
      {Polygon("[[0,0],[1,1],[3,3],[0,0]]"), "result[0].points[3]"},
      {Polygon("[[0,0],[640,0],[320.5,480]]"), "media.width", ""},
      {Keypoint(R"("x":320,"y":240)"), ""},
      {Keypoint(R"("x":640,"y":480)"), ""},
      {Keypoint(R"("x":641,"y":240)"), "result[0].x"},
      {Keypoint(R"("x":1,"y":-0.5)"), "result[0].y"},
      {Keypoint(R"("y":1)"), "result[0].x"},
      {Keypoint(R"("x":1,"y":1,"label":"tail")"), "result[0].label"},
      {Keypoint(R"("x":1,"y":1)"), "media.width", R"({"duration":3})"},
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
  auto result = ValidateAnnotation(
      *schema, "{}", "[" + Span(R"("label":"PER","start":0,"end":1,"text":"Z")") + "]", "");
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

TEST(ValidateResultTest, VideoKeyframes) {
  const std::string kVideo = R"({"width":640,"height":480,"frames":100,"fps":25})";
  const std::string kf0 = Keyframe(R"("track":"t1","frame":0,"x":10,"y":10,"w":50,"h":40)");
  const std::string kf5 =
      Keyframe(R"("track":"t1","frame":5,"x":20,"y":12,"w":50,"h":40,"rotation":10)");
  const ResultCase cases[] = {
      {"[" + kf0 + "," + kf5 + "]", "", kVideo},
      // Keyframes of a track come in any order; other tracks may use the same frames.
      {"[" + kf5 + "," + kf0 + "," +
           Keyframe(R"("track":"t2","label":"bike","frame":0,"x":1,"y":1,"w":5,"h":5)") + "]",
       "", kVideo},
      {"[" + Keyframe(R"("track":"t1","frame":99,"x":1,"y":1,"w":5,"h":5,"outside":true)") + "]",
       "", kVideo},
      // Without frames in the media, any frame goes.
      {"[" + Keyframe(R"("track":"t1","frame":5000,"x":1,"y":1,"w":5,"h":5)") + "]", "", kImage},
      {"[" + Keyframe(R"("frame":0,"x":1,"y":1,"w":5,"h":5)") + "]", "result[0].track", kVideo},
      {"[" + Keyframe(R"("track":"t 1","frame":0,"x":1,"y":1,"w":5,"h":5)") + "]",
       "result[0].track", kVideo},
      {"[" + Keyframe(R"("track":"t1","x":1,"y":1,"w":5,"h":5)") + "]", "result[0].frame", kVideo},
      {"[" + Keyframe(R"("track":"t1","frame":-1,"x":1,"y":1,"w":5,"h":5)") + "]",
       "result[0].frame", kVideo},
      {"[" + Keyframe(R"("track":"t1","frame":1.5,"x":1,"y":1,"w":5,"h":5)") + "]",
       "result[0].frame", kVideo},
      {"[" + Keyframe(R"("track":"t1","frame":100,"x":1,"y":1,"w":5,"h":5)") + "]",
       "result[0].frame", kVideo},
      {"[" + kf0 + "," + kf0 + "]", "result[1].frame", kVideo},
      {"[" + kf0 + "," +
           Keyframe(R"("track":"t1","label":"bike","frame":3,"x":1,"y":1,"w":5,"h":5)") + "]",
       "result[1].label", kVideo},
      {"[" + Keyframe(R"("track":"t1","frame":1,"x":600,"y":1,"w":50,"h":1)") + "]", "result[0].w",
       kVideo},
      {"[" + Keyframe(R"("track":"t1","frame":1,"x":1,"y":1,"w":5,"outside":1)") + "]",
       "result[0].outside", kVideo},
      {"[" + kf0 + "]", "media.width", R"({"frames":100})"},
      {"[" + kf0 + "]", "media.fps", R"({"width":640,"height":480,"fps":0})"},
      {"[" + kf0 + "]", "media.frames", R"({"width":640,"height":480,"frames":0})"},
  };
  RunCases(std::begin(cases), std::end(cases), kData, kVideoControls);
}

TEST(ValidateResultTest, AudioSegments) {
  const std::string kAudio = R"({"duration":10})";
  const ResultCase cases[] = {
      {"[" + Segment(R"("start":1.5,"end":3.25)") + "]", "", kAudio},
      {"[" + Segment(R"("start":0,"end":10)") + "," +
           Segment(R"("start":10,"end":10.5,"label":"music","id":"s2")") + "]",
       "", ""},
      {"[" + Segment(R"("start":3,"end":3)") + "]", "result[0].end", kAudio},
      {"[" + Segment(R"("start":3,"end":2)") + "]", "result[0].end", kAudio},
      {"[" + Segment(R"("start":-1,"end":2)") + "]", "result[0].start", kAudio},
      {"[" + Segment(R"("start":"0","end":2)") + "]", "result[0].start", kAudio},
      {"[" + Segment(R"("start":1,"end":10.5)") + "]", "result[0].end", kAudio},
      {"[" + Segment(R"("start":1,"end":2)") + "]", "media.duration", R"({"duration":0})"},
      {"[" + Segment(R"("start":1,"end":2,"label":"noise")") + "]", "result[0].label", kAudio},
      // Segments of one control do not overlap unless it allows overlap.
      {"[" + Segment(R"("start":1,"end":3)") + "," + Segment(R"("start":2.5,"end":4)") + "]",
       "result[1].start", kAudio},
  };
  RunCases(std::begin(cases), std::end(cases), kData, kAudioControls);
}

TEST(ValidateResultTest, RequiredRegionControlNeedsARegion) {
  auto schema = ParseSchema(
      R"({"controls":[{"name":"objects","type":"bbox","source":"image","labels":["car"],)"
      R"("required":true}]})");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(ValidateAnnotation(*schema, kData, "[]", kImage).status().field(), "result");
  EXPECT_TRUE(
      ValidateAnnotation(*schema, kData, "[" + Box(R"("x":1,"y":1,"w":5,"h":5)") + "]", kImage)
          .ok());
}

TEST(ValidateResultTest, NormalizesRegionItemsAndMedia) {
  auto schema = ParseSchema(kAllControls);
  ASSERT_TRUE(schema.ok());
  auto result = ValidateAnnotation(
      *schema, kData,
      "[" + Box(R"("x":1,"y":2,"w":5,"h":6,"junk":1)") + "," +
          Span(R"("label":"LOC","start":12,"end":14,"text":"東京","score":0.5)") + "]",
      R"({"height":480,"width":640,"zoom":2})");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->result_json,
            R"([{"control":"objects","h":6,"label":"car","rotation":0,"type":"bbox","w":5,)"
            R"("x":1,"y":2},)"
            R"({"control":"entities","end":14,"label":"LOC","start":12,"text":"東京",)"
            R"("type":"span"}])");
  EXPECT_EQ(result->media_json, R"({"height":480,"width":640})");
  auto no_media = ValidateAnnotation(*schema, kData, R"([{"control":"quality","value":2}])", "");
  ASSERT_TRUE(no_media.ok());
  EXPECT_EQ(no_media->media_json, "");
}

TEST(ValidateResultTest, NormalizesVideoKeyframes) {
  auto schema = ParseSchema(kVideoControls);
  ASSERT_TRUE(schema.ok());
  auto result = ValidateAnnotation(
      *schema, kData,
      "[" + Keyframe(R"("track":"t1","frame":3,"x":1,"y":2,"w":5,"h":6,"keyframes":[])") + "]",
      R"({"width":640,"height":480,"fps":25})");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->result_json,
            R"([{"control":"tracks","frame":3,"h":6,"label":"car","outside":false,)"
            R"("rotation":0,"track":"t1","type":"bbox","w":5,"x":1,"y":2}])");
  EXPECT_EQ(result->media_json, R"({"fps":25,"height":480,"width":640})");
}

}  // namespace
}  // namespace plumb
