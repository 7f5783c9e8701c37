#include "cdc/core/status.h"

namespace deltabridge {

namespace {
const char* CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "ok";
    case Status::Code::kInvalidArgument:
      return "invalid argument";
    case Status::Code::kCorruption:
      return "corruption";
    case Status::Code::kIoError:
      return "I/O error";
    case Status::Code::kNotFound:
      return "not found";
    case Status::Code::kUnavailable:
      return "unavailable";
    case Status::Code::kFailedPrecondition:
      return "failed precondition";
    case Status::Code::kAborted:
      return "aborted";
    case Status::Code::kRejected:
      return "rejected";
  }
  return "unknown";
}
}  // namespace

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(CodeName(code_)) + ": " + message_;
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

}  // namespace deltabridge
