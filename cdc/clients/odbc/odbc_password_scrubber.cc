#include "cdc/clients/odbc/odbc_password_scrubber.h"

#include "cdc/clients/odbc/odbc_connection_string.h"

namespace deltabridge {

OdbcPasswordScrubber::OdbcPasswordScrubber(std::string_view connection_string) {
  for (const OdbcConnectionItem& item : ParseOdbcConnectionString(connection_string)) {
    if (IsOdbcPasswordKey(item.key) && !item.value.empty()) secrets_.push_back(item.value);
  }
}

std::string OdbcPasswordScrubber::Scrub(std::string text) const {
  for (const std::string& secret : secrets_) {
    size_t pos = 0;
    while ((pos = text.find(secret, pos)) != std::string::npos) {
      text.replace(pos, secret.size(), "***");
      pos += 3;
    }
  }
  return text;
}

Status OdbcPasswordScrubber::Scrub(const Status& status) const {
  using Code = Status::Code;
  std::string message = Scrub(status.message());
  switch (status.code()) {
    case Code::kOk:
      return status;
    case Code::kInvalidArgument:
      return Status::InvalidArgument(std::move(message));
    case Code::kCorruption:
      return Status::Corruption(std::move(message));
    case Code::kIoError:
      return Status::IoError(std::move(message));
    case Code::kNotFound:
      return Status::NotFound(std::move(message));
    case Code::kUnavailable:
      return Status::Unavailable(std::move(message));
    case Code::kFailedPrecondition:
      return Status::FailedPrecondition(std::move(message));
    case Code::kAborted:
      return Status::Aborted(std::move(message));
    case Code::kRejected:
      return Status::Rejected(std::move(message));
  }
  return status;
}

}  // namespace deltabridge
