#include "http/request_util.h"

#include <unistd.h>

namespace plumb::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `n` decimal digits of `text` at `pos`, or -1.
int Digits(std::string_view text, size_t pos, size_t n) {
  if (pos + n > text.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

std::optional<int64_t> ParseIsoTime(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS is 19 characters; an offset follows at the least.
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') ||
      t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  const int year = Digits(t, 0, 4), month = Digits(t, 5, 2), day = Digits(t, 8, 2);
  const int hour = Digits(t, 11, 2), minute = Digits(t, 14, 2), second = Digits(t, 17, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 59) {
    return std::nullopt;
  }
  static constexpr int kMonthDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kMonthDays[month - 1] || (month == 2 && day == 29 && !leap)) return std::nullopt;
  size_t pos = 19;
  int64_t millis = 0;
  if (t[pos] == '.') {
    ++pos;
    size_t digits = 0;
    for (; pos < t.size() && t[pos] >= '0' && t[pos] <= '9'; ++pos, ++digits) {
      if (digits < 3) millis = millis * 10 + (t[pos] - '0');
    }
    if (digits == 0 || digits > 9) return std::nullopt;
    for (; digits < 3; ++digits) millis *= 10;
  }
  int64_t offset_minutes = 0;
  if (pos + 1 == t.size() && (t[pos] == 'Z' || t[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == t.size() && (t[pos] == '+' || t[pos] == '-') && t[pos + 3] == ':') {
    const int oh = Digits(t, pos + 1, 2), om = Digits(t, pos + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return std::nullopt;
    offset_minutes = (t[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  }
  if (pos != t.size()) return std::nullopt;
  const int64_t secs = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                       second - offset_minutes * 60;
  if (secs < 0) return std::nullopt;
  return secs * 1000 + millis;
}

std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void SplitTarget(const std::string& target, std::string& path,
                 std::multimap<std::string, std::string>& query) {
  size_t q = target.find('?');
  std::string_view raw_path = std::string_view(target).substr(0, q);
  // A malformed escape leaves the path as sent; no route will match it.
  path = PercentDecode(raw_path, false).value_or(std::string(raw_path));
  if (q == std::string::npos) return;
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), true);
    auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (key && value && !key->empty()) query.emplace(*key, *value);
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
}

std::string CookieValue(const std::string& cookie_header, std::string_view name) {
  std::string_view rest = cookie_header;
  while (!rest.empty()) {
    size_t semi = rest.find(';');
    std::string_view part = rest.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) {
      return std::string(part.substr(eq + 1));
    }
    if (semi == std::string_view::npos) break;
    rest = rest.substr(semi + 1);
  }
  return "";
}

Result<std::string> MakeTempFile(const std::string& dir, std::string_view prefix) {
  std::string path = dir + "/plumb-" + std::string(prefix) + "-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) return Status::Internal("cannot create a temporary file in " + dir);
  ::close(fd);
  return path;
}

}  // namespace plumb::http
