#include "automation/active_learner.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <numeric>
#include <set>
#include <utility>

#include "automation/unicode_text.h"
#include "core/utf8.h"

namespace plumb::automation {
namespace {

using internal::AppendUtf8;
using internal::FoldCase;
using internal::IsSpace;
using internal::IsWordChar;

// The hash is part of the blob format: a model loaded later must hash the
// same n-gram to the same bucket, so it is spelled out here (FNV-1a, then
// the splitmix64 finalizer to spread FNV's weak low bits) instead of
// std::hash, which may change between library versions.
constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

uint64_t Fnv(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}

uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

// A string and the byte offset of each of its code points (plus its size).
struct CodePoints {
  std::string text;
  std::vector<uint32_t> offsets;
  void Push(char32_t c) {
    offsets.push_back(static_cast<uint32_t>(text.size()));
    AppendUtf8(c, text);
  }
  void Close() { offsets.push_back(static_cast<uint32_t>(text.size())); }
  size_t size() const { return offsets.empty() ? 0 : offsets.size() - 1; }
};

// Every character n-gram of `s` (min..max code points) as a hash.
void CharNgramHashes(const CodePoints& s, int32_t min_n, int32_t max_n,
                     std::vector<uint64_t>& out) {
  const uint64_t seed = Fnv(kFnvOffset, "c");
  const size_t length = s.size();
  for (size_t n = static_cast<size_t>(min_n); n <= static_cast<size_t>(max_n); ++n) {
    for (size_t i = 0; i + n <= length; ++i) {
      std::string_view gram(s.text.data() + s.offsets[i], s.offsets[i + n] - s.offsets[i]);
      out.push_back(Mix(Fnv(seed, gram)));
    }
  }
}

constexpr char kMagic[4] = {'P', 'L', 'T', 'C'};
constexpr uint32_t kFormatVersion = 1;

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void F32(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    U32(bits);
  }
  void F64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    U64(bits);
  }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      U8(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    U8(static_cast<uint8_t>(v));
  }
  void Bytes(std::string_view s) { out_.append(s); }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

// Reads what Writer wrote; every read fails (returns false) past the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U8(uint8_t& v) {
    if (pos_ >= in_.size()) return false;
    v = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool U32(uint32_t& v) {
    uint64_t wide;
    if (!Fixed(4, wide)) return false;
    v = static_cast<uint32_t>(wide);
    return true;
  }
  bool U64(uint64_t& v) { return Fixed(8, v); }
  bool F32(float& v) {
    uint32_t bits;
    if (!U32(bits)) return false;
    std::memcpy(&v, &bits, sizeof v);
    return true;
  }
  bool F64(double& v) {
    uint64_t bits;
    if (!U64(bits)) return false;
    std::memcpy(&v, &bits, sizeof v);
    return true;
  }
  bool Varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b;
      if (!U8(b)) return false;
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool Bytes(size_t n, std::string_view& v) {
    if (in_.size() - pos_ < n) return false;
    v = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  size_t remaining() const { return in_.size() - pos_; }

 private:
  bool Fixed(int n, uint64_t& v) {
    if (in_.size() - pos_ < static_cast<size_t>(n)) return false;
    v = 0;
    for (int i = 0; i < n; ++i) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += n;
    return true;
  }
  std::string_view in_;
  size_t pos_ = 0;
};

Status BadBlob(std::string what) {
  return Status::InvalidArgument("not a text classifier blob: " + std::move(what));
}

Status CheckLabels(const std::vector<std::string>& labels, const LearnerOptions& options) {
  size_t minimum = options.multi_label ? 1 : 2;
  if (labels.size() < minimum) {
    return Status::InvalidArgument(options.multi_label
                                       ? "a classifier needs at least 1 label"
                                       : "a single-label classifier needs at least 2 labels",
                                   "labels");
  }
  if (labels.size() > kMaxLearnerLabels) {
    return Status::InvalidArgument(
        "at most " + std::to_string(kMaxLearnerLabels) + " labels per classifier", "labels");
  }
  std::set<std::string_view> seen;
  for (const std::string& label : labels) {
    if (label.empty() || label.size() > kMaxLearnerLabelBytes || !Utf8Length(label)) {
      return Status::InvalidArgument("labels must be non-empty UTF-8 of at most " +
                                         std::to_string(kMaxLearnerLabelBytes) + " bytes",
                                     "labels");
    }
    if (!seen.insert(label).second) {
      return Status::InvalidArgument("duplicate label \"" + label + "\"", "labels");
    }
  }
  int64_t cells = static_cast<int64_t>(labels.size()) << options.hash_bits;
  if (cells > kMaxLearnerCells) {
    return Status::InvalidArgument(
        "labels x 2^hash_bits exceeds " + std::to_string(kMaxLearnerCells) + ": lower hash_bits",
        "hash_bits");
  }
  return Status::Ok();
}

std::string JoinLabels(const std::vector<std::string>& labels) {
  std::string out = "[";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    out += "\"" + labels[i] + "\"";
  }
  return out + "]";
}

double Clamp01(double p) { return std::isnan(p) ? 0.0 : std::clamp(p, 0.0, 1.0); }

}  // namespace

Status ValidateLearnerOptions(const LearnerOptions& o) {
  if (o.hash_bits < kMinHashBits || o.hash_bits > kMaxHashBits) {
    return Status::InvalidArgument("hash_bits must be in " + std::to_string(kMinHashBits) + ".." +
                                       std::to_string(kMaxHashBits),
                                   "hash_bits");
  }
  if (!(o.learning_rate > 0 && o.learning_rate <= 100)) {
    return Status::InvalidArgument("learning_rate must be in (0, 100]", "learning_rate");
  }
  if (!(o.l2 >= 0 && o.l2 < 1)) return Status::InvalidArgument("l2 must be in [0, 1)", "l2");
  if (o.max_word_ngram != 0 &&
      (o.min_word_ngram < 1 || o.min_word_ngram > o.max_word_ngram || o.max_word_ngram > 3)) {
    return Status::InvalidArgument("word n-grams must be 1 <= min <= max <= 3 (or max 0: none)",
                                   "min_word_ngram");
  }
  if (o.max_char_ngram != 0 &&
      (o.min_char_ngram < 1 || o.min_char_ngram > o.max_char_ngram || o.max_char_ngram > 8)) {
    return Status::InvalidArgument(
        "character n-grams must be 1 <= min <= max <= 8 (or max 0: none)", "min_char_ngram");
  }
  if (o.max_word_ngram == 0 && o.max_char_ngram == 0) {
    return Status::InvalidArgument("no features: word and character n-grams both off",
                                   "max_word_ngram");
  }
  if (o.char_scope != CharNgramScope::kWords && o.char_scope != CharNgramScope::kWholeText) {
    return Status::InvalidArgument("unknown char_scope", "char_scope");
  }
  if (o.scaling != FeatureScaling::kCount && o.scaling != FeatureScaling::kLogCount) {
    return Status::InvalidArgument("unknown scaling", "scaling");
  }
  return Status::Ok();
}

Result<TextClassifier> TextClassifier::Create(std::vector<std::string> labels,
                                              LearnerOptions options) {
  PLUMB_RETURN_IF_ERROR(ValidateLearnerOptions(options));
  PLUMB_RETURN_IF_ERROR(CheckLabels(labels, options));
  return TextClassifier(std::move(labels), options);
}

TextClassifier::TextClassifier(std::vector<std::string> labels, LearnerOptions options)
    : labels_(std::move(labels)), options_(options) {
  assert(ValidateLearnerOptions(options_).ok() && CheckLabels(labels_, options_).ok());
  const size_t cells = labels_.size() << options_.hash_bits;
  weights_.assign(cells, 0.0f);
  sums_.assign(cells, 0.0f);
  bias_.assign(labels_.size(), 0.0);
  bias_sums_.assign(labels_.size(), 0.0);
}

std::vector<TextClassifier::Feature> TextClassifier::Featurize(std::string_view text) const {
  const LearnerOptions& o = options_;
  std::vector<char32_t> folded = Utf8DecodeLenient(text);
  for (char32_t& c : folded) c = FoldCase(c);

  std::vector<std::string> words;
  std::vector<uint64_t> hashes;
  for (size_t i = 0; i < folded.size();) {
    if (!IsWordChar(folded[i])) {
      ++i;
      continue;
    }
    std::string word;
    for (; i < folded.size() && IsWordChar(folded[i]); ++i) AppendUtf8(folded[i], word);
    words.push_back(std::move(word));
  }

  if (o.max_word_ngram > 0) {
    for (int32_t n = o.min_word_ngram; n <= o.max_word_ngram; ++n) {
      const uint64_t seed = Fnv(kFnvOffset, std::string(1, static_cast<char>('0' + n)) + "w");
      for (size_t i = 0; i + n <= words.size(); ++i) {
        uint64_t h = seed;
        for (int32_t j = 0; j < n; ++j) {
          h = Fnv(h, words[i + j]);
          h = Fnv(h, "\x1f");  // a separator no word holds: ("ab","c") ≠ ("a","bc")
        }
        hashes.push_back(Mix(h));
      }
    }
  }
  if (o.max_char_ngram > 0) {
    if (o.char_scope == CharNgramScope::kWords) {
      for (const std::string& word : words) {
        CodePoints padded;
        padded.Push(' ');
        for (char32_t c : Utf8DecodeLenient(word)) padded.Push(c);
        padded.Push(' ');
        padded.Close();
        CharNgramHashes(padded, o.min_char_ngram, o.max_char_ngram, hashes);
      }
    } else {
      CodePoints whole;
      whole.Push(' ');
      bool space = true;
      for (char32_t c : folded) {
        bool is_space = IsSpace(c);
        if (is_space && space) continue;
        whole.Push(is_space ? U' ' : c);
        space = is_space;
      }
      if (!space) whole.Push(' ');
      whole.Close();
      CharNgramHashes(whole, o.min_char_ngram, o.max_char_ngram, hashes);
    }
  }

  // Bucket from the low bits, sign from the top bit: independent for
  // hash_bits <= 24, so colliding n-grams cancel out on average instead of
  // adding up (Weinberger et al. 2009).
  const uint64_t mask = (uint64_t{1} << o.hash_bits) - 1;
  std::vector<std::pair<uint32_t, int32_t>> signed_buckets;
  signed_buckets.reserve(hashes.size());
  for (uint64_t h : hashes) {
    signed_buckets.emplace_back(static_cast<uint32_t>(h & mask), (h >> 63) ? -1 : 1);
  }
  std::sort(signed_buckets.begin(), signed_buckets.end());
  std::vector<Feature> features;
  double norm2 = 0;
  for (size_t i = 0; i < signed_buckets.size();) {
    uint32_t bucket = signed_buckets[i].first;
    int64_t count = 0;
    for (; i < signed_buckets.size() && signed_buckets[i].first == bucket; ++i) {
      count += signed_buckets[i].second;
    }
    if (count == 0) continue;
    double value = static_cast<double>(count);
    if (o.scaling == FeatureScaling::kLogCount) {
      value = (count > 0 ? 1.0 : -1.0) * std::log1p(std::abs(value));
    }
    features.push_back({bucket, value});
    norm2 += value * value;
  }
  if (norm2 > 0) {
    const double scale = 1.0 / std::sqrt(norm2);
    for (Feature& f : features) f.value *= scale;
  }
  return features;
}

std::vector<double> TextClassifier::Scores(const std::vector<Feature>& features) const {
  const size_t k = labels_.size();
  std::vector<double> scores = bias_;
  for (const Feature& f : features) {
    const float* w = &weights_[static_cast<size_t>(f.bucket) * k];
    for (size_t j = 0; j < k; ++j) scores[j] += static_cast<double>(w[j]) * f.value;
  }
  return scores;
}

std::vector<double> TextClassifier::Probabilities(std::vector<double> scores) const {
  if (options_.multi_label) {
    for (double& s : scores) {
      // The two branches keep exp() from overflowing on large |s|.
      s = s >= 0 ? 1.0 / (1.0 + std::exp(-s)) : std::exp(s) / (1.0 + std::exp(s));
    }
    return scores;
  }
  const double top = *std::max_element(scores.begin(), scores.end());
  double total = 0;
  for (double& s : scores) {
    s = std::exp(s - top);
    total += s;
  }
  for (double& s : scores) s /= total;
  return scores;
}

std::vector<double> TextClassifier::Predict(std::string_view text) const {
  return Probabilities(Scores(Featurize(text)));
}

void TextClassifier::Step(const std::vector<Feature>& features, const std::vector<double>& target) {
  const size_t k = labels_.size();
  std::vector<double> error = Probabilities(Scores(features));
  for (size_t j = 0; j < k; ++j) error[j] -= target[j];  // ∂ log loss / ∂ score
  const double rate = options_.learning_rate;
  const double l2 = options_.l2;
  for (const Feature& f : features) {
    float* w = &weights_[static_cast<size_t>(f.bucket) * k];
    float* g2 = &sums_[static_cast<size_t>(f.bucket) * k];
    for (size_t j = 0; j < k; ++j) {
      // The penalty only reaches weights this text touches: decaying all
      // 2^hash_bits × labels weights every update would cost more than the
      // update itself.
      double g = error[j] * f.value + l2 * w[j];
      if (g == 0) continue;
      double sum = static_cast<double>(g2[j]) + g * g;
      g2[j] = static_cast<float>(sum);
      w[j] = static_cast<float>(w[j] - rate * g / std::sqrt(sum));
    }
  }
  for (size_t j = 0; j < k; ++j) {
    double g = error[j];
    if (g == 0) continue;
    bias_sums_[j] += g * g;
    bias_[j] -= rate * g / std::sqrt(bias_sums_[j]);
  }
  ++updates_;
}

Status TextClassifier::Update(std::string_view text, int32_t label) {
  return Update(text, std::vector<int32_t>{label});
}

Status TextClassifier::Update(std::string_view text, const std::vector<int32_t>& labels) {
  const size_t k = labels_.size();
  std::vector<double> target(k, 0.0);
  for (int32_t label : labels) {
    if (label < 0 || static_cast<size_t>(label) >= k) {
      return Status::InvalidArgument(
          "label index " + std::to_string(label) + " is not in 0.." + std::to_string(k - 1),
          "label");
    }
    target[label] = 1.0;
  }
  if (!options_.multi_label && labels.size() != 1) {
    return Status::InvalidArgument(
        "a single-label classifier takes exactly one label per update, got " +
            std::to_string(labels.size()),
        "label");
  }
  Step(Featurize(text), target);
  return Status::Ok();
}

std::string TextClassifier::Serialize() const {
  const LearnerOptions& o = options_;
  const size_t k = labels_.size();
  Writer w;
  w.Bytes(std::string_view(kMagic, sizeof kMagic));
  w.U32(kFormatVersion);
  w.U8(o.multi_label ? 1 : 0);
  w.U8(static_cast<uint8_t>(o.char_scope));
  w.U8(static_cast<uint8_t>(o.scaling));
  w.U8(static_cast<uint8_t>(o.hash_bits));
  w.U8(static_cast<uint8_t>(o.min_word_ngram));
  w.U8(static_cast<uint8_t>(o.max_word_ngram));
  w.U8(static_cast<uint8_t>(o.min_char_ngram));
  w.U8(static_cast<uint8_t>(o.max_char_ngram));
  w.F64(o.learning_rate);
  w.F64(o.l2);
  w.U64(static_cast<uint64_t>(updates_));
  w.U32(static_cast<uint32_t>(k));
  for (const std::string& label : labels_) {
    w.U32(static_cast<uint32_t>(label.size()));
    w.Bytes(label);
  }
  for (size_t j = 0; j < k; ++j) {
    w.F64(bias_[j]);
    w.F64(bias_sums_[j]);
  }
  // Only touched buckets (some AdaGrad sum > 0), as gaps from the previous
  // one: a model trained on a few thousand texts is a few MB, not 2^18 × k.
  const size_t buckets = size_t{1} << o.hash_bits;
  std::vector<uint32_t> touched;
  for (size_t b = 0; b < buckets; ++b) {
    const float* g2 = &sums_[b * k];
    if (std::any_of(g2, g2 + k, [](float s) { return s != 0.0f; })) {
      touched.push_back(static_cast<uint32_t>(b));
    }
  }
  w.U32(static_cast<uint32_t>(touched.size()));
  uint64_t next = 0;
  for (uint32_t b : touched) {
    w.Varint(b - next);
    next = uint64_t{b} + 1;
    for (size_t j = 0; j < k; ++j) {
      w.F32(weights_[b * k + j]);
      w.F32(sums_[b * k + j]);
    }
  }
  w.U64(Fnv(kFnvOffset, w.str()));
  return std::move(w.str());
}

Result<TextClassifier> TextClassifier::Deserialize(std::string_view blob) {
  if (blob.size() < sizeof kMagic + 4 + 8 || std::memcmp(blob.data(), kMagic, sizeof kMagic) != 0) {
    return BadBlob("bad magic or too short");
  }
  std::string_view body = blob.substr(0, blob.size() - 8);
  Reader tail(blob.substr(blob.size() - 8));
  uint64_t checksum = 0;
  (void)tail.U64(checksum);
  Reader r(body);
  std::string_view magic;
  uint32_t version = 0;
  (void)r.Bytes(sizeof kMagic, magic);
  (void)r.U32(version);
  // The version first: a newer format's blob should say so, not "corrupt".
  if (version != kFormatVersion) {
    return BadBlob("format version " + std::to_string(version) + ", this build reads " +
                   std::to_string(kFormatVersion));
  }
  if (Fnv(kFnvOffset, body) != checksum) return BadBlob("checksum mismatch (corrupt or truncated)");

  LearnerOptions o;
  uint8_t multi, scope, scaling, bits, wmin, wmax, cmin, cmax;
  uint64_t updates;
  uint32_t label_count;
  if (!r.U8(multi) || !r.U8(scope) || !r.U8(scaling) || !r.U8(bits) || !r.U8(wmin) || !r.U8(wmax) ||
      !r.U8(cmin) || !r.U8(cmax) || !r.F64(o.learning_rate) || !r.F64(o.l2) || !r.U64(updates) ||
      !r.U32(label_count)) {
    return BadBlob("truncated header");
  }
  if (multi > 1) return BadBlob("bad multi_label flag");
  o.multi_label = multi == 1;
  o.char_scope = static_cast<CharNgramScope>(scope);
  o.scaling = static_cast<FeatureScaling>(scaling);
  o.hash_bits = bits;
  o.min_word_ngram = wmin;
  o.max_word_ngram = wmax;
  o.min_char_ngram = cmin;
  o.max_char_ngram = cmax;
  if (Status s = ValidateLearnerOptions(o); !s.ok()) return BadBlob(s.message());
  if (updates > static_cast<uint64_t>(INT64_MAX)) return BadBlob("bad update count");
  if (label_count == 0 || label_count > kMaxLearnerLabels) return BadBlob("bad label count");
  std::vector<std::string> labels;
  for (uint32_t i = 0; i < label_count; ++i) {
    uint32_t size;
    std::string_view label;
    if (!r.U32(size) || size > kMaxLearnerLabelBytes || !r.Bytes(size, label)) {
      return BadBlob("truncated or oversized label");
    }
    labels.emplace_back(label);
  }
  if (Status s = CheckLabels(labels, o); !s.ok()) return BadBlob(s.message());

  TextClassifier model(std::move(labels), o);
  model.updates_ = static_cast<int64_t>(updates);
  const size_t k = label_count;
  for (size_t j = 0; j < k; ++j) {
    if (!r.F64(model.bias_[j]) || !r.F64(model.bias_sums_[j])) return BadBlob("truncated biases");
    if (!std::isfinite(model.bias_[j]) || !std::isfinite(model.bias_sums_[j]) ||
        model.bias_sums_[j] < 0) {
      return BadBlob("bad bias value");
    }
  }
  const uint64_t buckets = uint64_t{1} << o.hash_bits;
  uint32_t touched;
  if (!r.U32(touched) || touched > buckets) return BadBlob("bad bucket count");
  uint64_t next = 0;
  for (uint32_t i = 0; i < touched; ++i) {
    uint64_t gap;
    if (!r.Varint(gap)) return BadBlob("truncated buckets");
    if (gap >= buckets - next) return BadBlob("bucket out of range");
    const uint64_t b = next + gap;
    next = b + 1;
    for (size_t j = 0; j < k; ++j) {
      float weight, sum;
      if (!r.F32(weight) || !r.F32(sum)) return BadBlob("truncated weights");
      if (!std::isfinite(weight) || !std::isfinite(sum) || sum < 0) {
        return BadBlob("bad weight value");
      }
      model.weights_[b * k + j] = weight;
      model.sums_[b * k + j] = sum;
    }
  }
  if (r.remaining() != 0) return BadBlob("trailing bytes");
  return model;
}

Result<TextClassifier> TextClassifier::Deserialize(
    std::string_view blob, const std::vector<std::string>& expected_labels) {
  PLUMB_ASSIGN_OR_RETURN(TextClassifier model, Deserialize(blob));
  if (model.labels() != expected_labels) {
    return Status::Conflict("the saved model's labels " + JoinLabels(model.labels()) +
                            " are not the control's labels " + JoinLabels(expected_labels));
  }
  return model;
}

double Uncertainty(const std::vector<double>& probabilities, UncertaintyMeasure measure) {
  if (probabilities.empty()) return 1.0;
  switch (measure) {
    case UncertaintyMeasure::kMargin: {
      double first = 0, second = 0;
      for (double raw : probabilities) {
        double p = Clamp01(raw);
        if (p > first) {
          second = first;
          first = p;
        } else if (p > second) {
          second = p;
        }
      }
      return Clamp01(1.0 - (first - second));
    }
    case UncertaintyMeasure::kEntropy: {
      if (probabilities.size() == 1) return 0.0;
      double h = 0;
      for (double raw : probabilities) {
        double p = Clamp01(raw);
        if (p > 0) h -= p * std::log(p);
      }
      return Clamp01(h / std::log(static_cast<double>(probabilities.size())));
    }
    case UncertaintyMeasure::kMeanBinaryEntropy: {
      double total = 0;
      for (double raw : probabilities) {
        double p = Clamp01(raw);
        if (p > 0 && p < 1) total -= p * std::log2(p) + (1 - p) * std::log2(1 - p);
      }
      return Clamp01(total / static_cast<double>(probabilities.size()));
    }
  }
  return 1.0;
}

std::vector<size_t> RankByUncertainty(const std::vector<std::vector<double>>& probabilities,
                                      UncertaintyMeasure measure) {
  std::vector<double> scores;
  scores.reserve(probabilities.size());
  for (const std::vector<double>& p : probabilities) scores.push_back(Uncertainty(p, measure));
  std::vector<size_t> order(probabilities.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  return order;
}

std::vector<size_t> RankByUncertainty(const TextClassifier& model,
                                      std::span<const std::string> texts,
                                      UncertaintyMeasure measure) {
  std::vector<std::vector<double>> probabilities;
  probabilities.reserve(texts.size());
  for (const std::string& text : texts) probabilities.push_back(model.Predict(text));
  return RankByUncertainty(probabilities, measure);
}

}  // namespace plumb::automation
