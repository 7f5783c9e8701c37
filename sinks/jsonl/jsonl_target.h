// JsonlTarget: a Target (sinks/target.h) that appends one JSON line per
// applied delta to a file, with the same exactly-once promise as the database
// targets. Full description for operators: docs/jsonl-target.md.
//
// The line: each delta after its mapping (columns renamed, excluded columns
// dropped, key columns renamed too), in the order applied:
//
//   {"seq":4,"bridge":"parks","source":"scheduling",
//    "topic":"parks.scheduling.public.tour_slots","table":"public.tour_slots",
//    "op":"update","key":{"slot_id":1},
//    "changes":{"status":{"old":"open","new":"booked"}},
//    "ts":"2026-11-28T00:29:10.839754Z","tx":{"id":"729","last":true}}
//
// `table` is the mapping's `to`; `key` holds the mapping's `key` columns, each
// taken from the delta's key, else from its changes (old value, else new);
// a key column the delta does not carry is left out (and logged, rate
// limited). Values are in their contract form (contract section 3). The file
// is the stream of mapped changes in order: it has no current row, so the
// reconciliation rules do not apply to it. on_delete decides what a delete
// writes:
//   apply   op "delete" with the old values, as the source sent it;
//   ignore  nothing;
//   manual  op "delete" with "held":true right after "op": the delete is kept
//           for review, not meant to be applied (counted as a conflict);
//   soft    op "update" whose changes are only {"<soft column>":{"new":ts}},
//           ts being the delete's commit time (timestamptz text, UTC).
// A truncate is written as op "truncate" (empty key and changes) only when
// on_delete is apply; otherwise it is skipped.
//
// Exactly-once: Apply() appends lines to a buffer that is written to the file
// (write(2), O_APPEND) whenever it exceeds JsonlTargetOptions::flush_bytes.
// Commit() writes the rest, fdatasyncs the file and then durably replaces the
// state file `<state_dir>/jsonl-state.json`
//   {"format":1,"file":PATH,"size":BYTES,"checkpoints":{BRIDGE:SEQ,...}}
// (temp file, fsync, rename, fsync of the directory). Invariant: the first
// `size` bytes of `file` are exactly the lines of the deltas up to
// `checkpoints`, every line whole. Bytes beyond `size` were never committed;
// Open() cuts them off (they are applied again from the checkpoint).
//
// Open(), in order: creates state_dir (0750) when missing; takes an exclusive
// flock on `<state_dir>/jsonl.lock` (FailedPrecondition naming it when another
// JsonlTarget, in this process or another, holds it); reads the state; then
// reconciles the file with it:
//   file longer than `size`   truncated back to `size` (warning: how many
//                             bytes, and that they will be applied again);
//   file missing, `size` > 0  a new file is started, checkpoints kept (info);
//   file shorter than `size`  FailedPrecondition: someone truncated or
//                             replaced it; the message says what to do;
//   no state yet, or a state for another path (the configured path changed)
//                             the file's current contents, if any, are kept
//                             and the sink appends after them (info).
// Whenever this changes what the state says, the new state is written before
// Open() returns, so after Open() the durable state always matches the file.
// The data file is opened O_WRONLY|O_APPEND|O_CREAT, mode 0640, and must be a
// regular file.
//
// The lock is taken by the first Open() and held by this object until it is
// destroyed (also when that Open() fails later on); Open() again, as the
// runner does after Unavailable, keeps it.
//
// Errors: a failed write, fdatasync or state update (ENOSPC, EIO, ...) is
// Unavailable naming the path and strerror; the runner then calls Abort() and
// Open() again. In Open(), what an operator must fix (permissions, a missing
// directory, a damaged state file, a shorter file, the lock) is
// FailedPrecondition; a full disk or an I/O error is Unavailable. A misuse
// (Apply outside Begin..Commit, Begin before Open) is FailedPrecondition.
//
// Abort() truncates the file back to its size at Begin() and drops the buffer.
// Destroying a JsonlTarget inside a transaction leaves what was already
// written uncommitted, as a crash would: the next Open() cuts it off.
//
// Ownership: the target owns the data file, state file and lock descriptors;
// it borrows the MappingConfig each SinkDelta points to, for the duration of
// Apply(). Thread-safety: one thread drives it (as sinks/target.h says);
// counters() may be read from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cdc/core/log_limiter.h"
#include "cdc/core/status.h"
#include "sinks/sink_config.h"
#include "sinks/target.h"

namespace deltabridge {

struct JsonlTargetOptions {
  // Apply() writes its buffered lines to the file once they exceed this many
  // bytes, so memory stays bounded inside a large transaction.
  size_t flush_bytes = size_t{1} << 20;
};

// What a delta became in the file (AppendJsonlLine).
enum class JsonlLineKind {
  kSkipped,     // nothing written: an ignored delete, a truncate not applied
  kInsert,      // op insert or snapshot
  kUpdate,      // op update, also a soft delete
  kDelete,      // op delete (on_delete apply)
  kHeldDelete,  // op delete with "held":true (on_delete manual)
  kTruncate,    // op truncate (on_delete apply)
};

// Appends the line of `delta` (newline included) to *out, as described
// above, unless the delta is skipped. When a key column of the mapping is
// found neither in the delta's key nor in its changes, its name is appended
// to *missing_key_columns (when not null). Pure; thread-safe.
JsonlLineKind AppendJsonlLine(const SinkDelta& delta, std::string* out,
                              std::vector<std::string>* missing_key_columns = nullptr);

class JsonlTarget final : public Target {
 public:
  static constexpr const char* kStateFileName = "jsonl-state.json";
  static constexpr const char* kLockFileName = "jsonl.lock";

  // `config.path` is the data file; `state_dir` holds the state and the lock
  // (created by Open()); `sink_name` only names the sink in log lines.
  // Touches nothing until Open().
  JsonlTarget(const JsonlTargetConfig& config, std::string state_dir, std::string sink_name,
              JsonlTargetOptions options = {});
  ~JsonlTarget() override;  // closes the files and releases the lock; never throws

  JsonlTarget(const JsonlTarget&) = delete;
  JsonlTarget& operator=(const JsonlTarget&) = delete;

  Result<Checkpoints> Open() override;
  Status Begin() override;
  Status Apply(const std::vector<SinkDelta>& chunk) override;
  Status Commit(const Checkpoints& checkpoints) override;
  void Abort() override;

  ApplyCounters counters() const override;
  // "jsonl <path>"
  std::string Describe() const override;

  // `<state_dir>/jsonl-state.json` and `<state_dir>/jsonl.lock`.
  std::string state_path() const;

  // The checkpoint in the state file of `state_dir`, read without the lock
  // (the file is replaced atomically): what `deltabridge status` shows.
  // Empty when there is no state yet; FailedPrecondition when it is damaged.
  static Result<Checkpoints> ReadCheckpoints(const std::string& state_dir);
  std::string lock_path() const;

 private:
  // A file descriptor, closed on destruction; movable, not copyable.
  class Fd {
   public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { Reset(); }

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    int release() {
      int fd = fd_;
      fd_ = -1;
      return fd;
    }
    void Reset() noexcept;

   private:
    int fd_ = -1;
  };

  // Counts of one Begin..Commit, added to the counters by Commit.
  struct PendingCounts {
    uint64_t deltas = 0;
    uint64_t inserted = 0;
    uint64_t updated = 0;
    uint64_t deleted = 0;
    uint64_t held = 0;
  };

  Status Lock();
  // Durably replaces the state file with {path_, size, checkpoints}. Sets
  // *renamed once the rename has happened (the new state may then be what a
  // restart reads, even when a later step fails).
  Status WriteState(uint64_t size, const Checkpoints& checkpoints, bool* renamed);
  // Writes buffer_ to the file; Unavailable on failure.
  Status FlushBuffer();
  Status Broken(std::string what, int err);

  const std::string path_;
  const std::string state_dir_;
  const std::string sink_name_;
  const JsonlTargetOptions options_;

  Fd lock_fd_;  // holds the flock from the first successful Lock() to destruction
  Fd data_fd_;  // the data file, O_APPEND; valid between Open() and an error
  // Invariant (after Open() and after each successful Commit()): the durable
  // state says size == committed_size_ with checkpoints == committed_, and the
  // file holds exactly committed_size_ bytes of whole lines up to committed_.
  uint64_t committed_size_ = 0;
  Checkpoints committed_;
  // Bytes in the file: committed_size_ (its size at Begin()) plus what
  // Apply() flushed since Begin().
  uint64_t file_size_ = 0;
  std::string buffer_;  // lines not yet written to the file
  bool open_ = false;   // Open() succeeded and no error since
  bool in_tx_ = false;  // between Begin() and Commit()/Abort()
  // A failed Commit() renamed the new state into place: Abort() must keep the
  // file as it is, and the next Open() reads which state won.
  bool state_ahead_ = false;
  PendingCounts pending_;
  LogLimiter missing_key_log_{std::chrono::seconds(60)};

  std::atomic<uint64_t> deltas_{0};
  std::atomic<uint64_t> rows_inserted_{0};
  std::atomic<uint64_t> rows_updated_{0};
  std::atomic<uint64_t> rows_deleted_{0};
  std::atomic<uint64_t> conflicts_{0};
  std::atomic<uint64_t> transactions_{0};
};

}  // namespace deltabridge
