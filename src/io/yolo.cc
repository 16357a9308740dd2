#include "io/labeled.h"

namespace plumb::io {

Status ReadYolo(std::string_view, const Schema&, LabeledWriter&) {
  return Status::InvalidArgument("yolo import is not available yet");
}

Status WriteYolo(store::Store&, const Project&, const Schema&, std::ostream&) {
  return Status::InvalidArgument("yolo export is not available yet");
}

}  // namespace plumb::io
