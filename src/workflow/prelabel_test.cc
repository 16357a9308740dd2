#include "workflow/prelabel.h"

#include <gtest/gtest.h>

namespace plumb::workflow {
namespace {

using store::PrelabelOutcome;

constexpr const char* kTwoSpans =
    R"([{"control":"e","type":"span","id":"r1","label":"PER","start":0,"end":3,"text":"Zoë"},)"
    R"({"control":"e","type":"span","id":"r2","label":"PER","start":14,"end":20,"text":"Zürich"}])";

struct Case {
  const char* name;
  const char* prelabel;
  const char* submitted;
  PrelabelOutcome outcome;
  double accuracy;  // PredictionAccuracy(prelabel, submitted)
};

const Case kCases[] = {
    {"same items", kTwoSpans, kTwoSpans, PrelabelOutcome::kUnchanged, 1.0},
    {"ids renumbered and order changed", kTwoSpans,
     R"([{"control":"e","type":"span","id":"a","label":"PER","start":14,"end":20,"text":"Zürich"},)"
     R"({"control":"e","type":"span","label":"PER","start":0,"end":3,"text":"Zoë"}])",
     PrelabelOutcome::kUnchanged, 1.0},
    {"one label fixed", kTwoSpans,
     R"([{"control":"e","type":"span","label":"PER","start":0,"end":3,"text":"Zoë"},)"
     R"({"control":"e","type":"span","label":"LOC","start":14,"end":20,"text":"Zürich"}])",
     PrelabelOutcome::kEdited, 0.5},
    {"one added", R"([{"control":"e","type":"span","label":"PER","start":0,"end":3,"text":"Zoë"}])",
     kTwoSpans, PrelabelOutcome::kEdited, 0.5},
    {"all removed", kTwoSpans, "[]", PrelabelOutcome::kDiscarded, 0.0},
    {"another choice", R"([{"control":"c","type":"choice","values":["cat"]}])",
     R"([{"control":"c","type":"choice","values":["dog"]}])", PrelabelOutcome::kDiscarded, 0.0},
    {"a box within a thousandth of a pixel",
     R"([{"control":"b","type":"bbox","label":"car","x":10,"y":20,"w":30,"h":40,"rotation":0}])",
     R"([{"control":"b","type":"bbox","label":"car","x":10.0004,"y":20,"w":30,"h":40,"rotation":0}])",
     PrelabelOutcome::kUnchanged, 1.0},
    {"a box moved by a pixel",
     R"([{"control":"b","type":"bbox","label":"car","x":10,"y":20,"w":30,"h":40,"rotation":0}])",
     R"([{"control":"b","type":"bbox","label":"car","x":11,"y":20,"w":30,"h":40,"rotation":0}])",
     PrelabelOutcome::kDiscarded, 0.0},
    {"an empty pre-label filled in", "[]", kTwoSpans, PrelabelOutcome::kEdited, 0.0},
    {"both empty", "[]", "[]", PrelabelOutcome::kUnchanged, 1.0},
};

TEST(ComparePrelabelTest, ClassifiesHowAResultRelatesToItsPrelabel) {
  for (const Case& c : kCases) {
    EXPECT_EQ(ComparePrelabel(c.prelabel, c.submitted), c.outcome) << c.name;
    EXPECT_DOUBLE_EQ(PredictionAccuracy(c.prelabel, c.submitted), c.accuracy) << c.name;
  }
}

}  // namespace
}  // namespace plumb::workflow
