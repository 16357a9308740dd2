#include "io/labeled.h"

namespace plumb::io {

Status ReadVoc(std::string_view, const Schema&, LabeledWriter&) {
  return Status::InvalidArgument("voc import is not available yet");
}

Status WriteVoc(store::Store&, const Project&, const Schema&, std::ostream&) {
  return Status::InvalidArgument("voc export is not available yet");
}

}  // namespace plumb::io
