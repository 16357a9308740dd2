#pragma once
// Running statistics (docs/analytics.md): the counters the store adds to in
// the transaction of the write they count, named once here for the store
// that writes them, the workflow that computes some of them and the
// analytics that read them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace plumb::stats {

// Per labeler.
inline constexpr const char* kLabels = "labels";        // count; sum: active ms
inline constexpr const char* kRevisions = "revisions";  // count; sum: active ms
inline constexpr const char* kLeadPrefix = "lead.";     // + bucket: active-time histogram
inline constexpr const char* kGolden = "golden";        // count; sum: grade scores
inline constexpr const char* kGoldenCorrect = "golden_correct";
inline constexpr const char* kAgree = "agree";  // count; sum: scores against the final label
inline constexpr const char* kAccepted = "accepted";
inline constexpr const char* kReviewed = "reviewed";
inline constexpr const char* kRejected = "rejected";
inline constexpr const char* kReviews = "reviews";  // decisions made, by the reviewer
// Per project (user 0).
inline constexpr const char* kDone = "done";          // count; sum: turnaround ms
inline constexpr const char* kTurnPrefix = "turn.";   // + bucket: turnaround histogram

// Pre-labels (docs/automation.md), per labeler, on the day of the label:
// "pre.none": labels started without a pre-label (count; sum: active ms);
// "pre.<outcome>.<model key>": labels started from a pre-label of that model
// and left unchanged / edited / discarded (count; sum: active ms).
// Per project (user 0), on the day a task gets its final label:
// "acc.<model key>": the model's predictions scored against it (count; sum:
// agreement 0..1). A model key is ModelKey(name, version).
inline constexpr const char* kPrelabelNone = "pre.none";
inline constexpr const char* kPrelabelPrefix = "pre.";
inline constexpr const char* kModelAccuracyPrefix = "acc.";
// "name@version" ("name" when the version is empty), with '%' and '@' in the
// name written %25 and %40 so that the first '@' always ends the name
// (versions may hold '@' too).
std::string ModelKey(std::string_view model_name, std::string_view model_version);
// ModelKey's (name, version) back.
std::pair<std::string, std::string> SplitModelKey(std::string_view key);

// "cm.C.T.G": labeler gave label G where the consensus of single-choice
// control index C was T.
std::string ConfusionMetric(int control, int truth, int given);
// "fleiss.C": items (count) and their P_i (sum); "fcat.C.L": ratings of label L.
std::string FleissMetric(int control);
std::string FleissCategoryMetric(int control, int label);
// "coinc.C.A.B": Krippendorff coincidences (sum).
std::string CoincidenceMetric(int control, int a, int b);

// "labels.v3": a per-labeler counter (labels, golden, golden_correct, agree)
// kept again for the instructions version the labels were made under.
std::string ByVersion(const char* metric, int64_t version);
// The version of a ByVersion metric name of `metric`, nullopt for other names.
std::optional<int64_t> VersionOf(std::string_view name, std::string_view metric);

// Histogram buckets: 0 below 100 ms, then 8 per doubling.
int DurationBucket(int64_t ms);
// The geometric middle of a bucket, in ms (50 for bucket 0).
double BucketMiddleMs(int bucket);

// Days since 1970-01-01 UTC (floor, so negative times fall on earlier days).
int64_t DayOf(int64_t ms);

}  // namespace plumb::stats
