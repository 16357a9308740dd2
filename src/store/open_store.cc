#include <string>
#include <string_view>

#include "store/store.h"

namespace plumb::store {

bool IsPostgresUrl(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& location) {
  const std::string_view loc = location;
  if (IsPostgresUrl(loc)) return OpenPostgresStore(location);
  std::string path = loc.starts_with("sqlite:") ? location.substr(7) : location;
  // Anything else with a scheme is a typo or a database we do not speak, not
  // a file to create.
  if (path.find("://") != std::string::npos) {
    return Status::InvalidArgument(
        "unknown database URL '" + location + "': use postgresql://..., sqlite:PATH or a file path",
        "db");
  }
  if (path.empty()) return Status::InvalidArgument("no database path given", "db");
  return OpenSqliteStore(path);
}

}  // namespace plumb::store
