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

namespace status_internal {
// The Status of a Status or of a Result (ok when the Result holds a value).
inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}
}  // namespace status_internal

// Macros for the calls that pass a failure on unchanged. Each evaluates `expr`
// exactly once, and returns from the enclosing function (whose return type
// is Status or any Result<U>) with the failure.

// DB_RETURN_IF_ERROR(expr): `expr` is a Status or a Result<T>; when it is
// not ok, returns its Status. A Result's value is discarded.
//
//   DB_RETURN_IF_ERROR(conn.Exec("BEGIN"));
#define DB_RETURN_IF_ERROR(expr)                                        \
  do {                                                                  \
    const auto& db_status_or_result_ = (expr);                          \
    const ::deltabridge::Status& db_status_ =                           \
        ::deltabridge::status_internal::StatusOf(db_status_or_result_); \
    if (!db_status_.ok()) return db_status_;                            \
  } while (0)

// DB_ASSIGN_OR_RETURN(lhs, expr): `expr` is a Result<T>; when it is not ok,
// returns its Status, else moves its value into `lhs`. `lhs` is a new
// variable (`auto rows`, `std::vector<Row> rows`) or an existing lvalue
// (`c->env_`, `*out`).
//
//   DB_ASSIGN_OR_RETURN(auto conn, PgConn::Connect(dsn));
//   DB_ASSIGN_OR_RETURN(slot_lsn_, ReadSlot(conn));
//
// DB_ASSIGN_OR_RETURN_CTX(lhs, expr, context): the same, but returns
// status.WithContext(context) ("context: message"); `context` (a
// std::string) is evaluated only on failure.
//
//   DB_ASSIGN_OR_RETURN_CTX(auto cols, ReadColumns(t), "table " + t.name);
//
// Each use declares a hidden variable with a unique name, so several uses
// can share a scope; as it expands to more than one statement, it cannot be
// the body of an if or a loop without braces. A `lhs` whose type holds a
// comma (std::map<K, V> m) must be written with auto or an alias.
#define DB_ASSIGN_OR_RETURN(lhs, expr) \
  DB_ASSIGN_OR_RETURN_IMPL_(DB_STATUS_CONCAT_(db_result_, __COUNTER__), lhs, expr, )
#define DB_ASSIGN_OR_RETURN_CTX(lhs, expr, context)                                \
  DB_ASSIGN_OR_RETURN_IMPL_(DB_STATUS_CONCAT_(db_result_, __COUNTER__), lhs, expr, \
                            .WithContext(context))

// `status_suffix` follows `result.status()` in the return: empty, or a call.
#define DB_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr, status_suffix) \
  auto result = (expr);                                             \
  if (!result.ok()) return result.status() status_suffix;           \
  lhs = std::move(result).value()
#define DB_STATUS_CONCAT_(a, b) DB_STATUS_CONCAT_INNER_(a, b)
#define DB_STATUS_CONCAT_INNER_(a, b) a##b

}  // namespace deltabridge
