// TargetAdmin: what `deltabridge status SINK.yaml` and `deltabridge conflicts`
// read and change in a sink's target, whether the sink runs or not: the
// checkpoint (the last applied seq per bridge) and the conflicts held for
// review. A SQL target keeps both in its deltabridge_* tables
// (docs/target-tables.md); a JSON-lines target keeps its checkpoint in its
// state file and holds no conflicts.
//
// It never writes what a running sink writes, except to resolve a conflict,
// which is one transaction of its own. Ownership: borrows the config (it must
// outlive the admin); owns its connection. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"
#include "sinks/conflict_record.h"
#include "sinks/sink_config.h"
#include "sinks/target.h"

namespace deltabridge {

class TargetAdmin {
 public:
  // Connects to the target of `config` (a SQL database), or opens nothing (a
  // file). Unavailable or FailedPrecondition when the target cannot be reached.
  static Result<std::unique_ptr<TargetAdmin>> Open(const SinkConfig& config);

  virtual ~TargetAdmin() = default;

  // For messages: "postgres PostgreSQL 15.4 at host=... dbname=..." or
  // "jsonl /var/lib/out.jsonl" (never a password).
  virtual std::string Describe() const = 0;
  // The checkpoint as the target holds it now; empty before the first commit.
  virtual Result<Checkpoints> ReadCheckpoints() = 0;
  // Whether the target keeps conflicts at all (a JSON-lines file does not).
  virtual bool holds_conflicts() const = 0;
  // Conflicts waiting for review.
  virtual Result<uint64_t> CountOpenConflicts() = 0;
  // The sink's conflicts, oldest first; the resolved ones too when `all`.
  virtual Result<std::vector<ConflictRecord>> ListConflicts(bool all) = 0;
  // Resolves conflict `id` taking "incoming" or "current" (conflict_resolver.h
  // says what each does). NotFound, FailedPrecondition when already resolved,
  // Rejected when the target refuses the incoming values, InvalidArgument for
  // a bad `take`.
  virtual Status ResolveConflict(int64_t id, std::string_view take, int64_t now_us) = 0;
};

}  // namespace deltabridge
