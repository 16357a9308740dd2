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

}  // namespace

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
