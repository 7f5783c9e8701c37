// Status and Result: how expected failures travel in deltabridge.
//
// A Status is either ok or carries a code and an operator-readable message.
// Expected failures (a dropped connection, a corrupt message, a missing slot)
// are returned as values; exceptions are reserved for start-up and
// configuration errors that cannot go on. Both types are cheap to move and
// thread-compatible (no shared state).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace deltabridge {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,     // bad input from a user or peer (config, request)
    kCorruption,          // bytes that do not decode (wire, journal)
    kIoError,             // local I/O failed (disk, socket setup)
    kNotFound,            // a thing that should exist does not
    kUnavailable,         // transient: retry with backoff (connection lost)
    kFailedPrecondition,  // fatal until an operator acts (slot dropped, gone)
    kAborted,             // stopped on request (shutdown)
    kRejected,  // a database refused this data (constraint, bad value); retrying won't help
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IoError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {Code::kFailedPrecondition, std::move(msg)};
  }
  static Status Aborted(std::string msg) { return {Code::kAborted, std::move(msg)}; }
  static Status Rejected(std::string msg) { return {Code::kRejected, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }
  bool IsRejected() const { return code_ == Code::kRejected; }

  // "corruption: message" etc.; "ok" when ok.
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(const std::string& context) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: must not be ok

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

#define DB_RETURN_IF_ERROR(expr)       \
  do {                                 \
    ::deltabridge::Status _s = (expr); \
    if (!_s.ok()) return _s;           \
  } while (0)

}  // namespace deltabridge
