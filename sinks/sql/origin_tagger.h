// OriginTagger: the origin tag a sink writes into a SQL target whose
// `target.node` is set (docs/two-way.md; the tag's text and table:
// cdc/wire/origin_tag.h), so that a bridge capturing that database knows
// which of its transactions a sink wrote, and the path of what it wrote.
//
// Prepare() (at Open) makes sure the table deltabridge_origin exists,
// creating it when missing as the state tables are (state_tables.h), and
// that it holds this sink's row (writer = the sink's name), inserted when
// missing with the path [target node]. In a transaction, Tag(delta) runs
//   UPDATE deltabridge_origin SET tag = ? WHERE writer = ?
// with the delta's path (DeltaPath) and ref (Change::ref: a push's, or the
// one a delta from a bridge came with; a sink never makes one up), unless
// the last tag written in this transaction has that path and ref already. The engine calls it
// before it writes any data of a part of the transaction, so the tag precedes the changes it
// describes: one UPDATE per transaction when all its deltas share a path.
//
// Invariant: `n` in the tag grows with every write and never repeats, also
// across restarts: Prepare() starts it above the clock it is given, above the
// n stored in the row and above the last n written. (MySQL and MariaDB log no
// row event for an UPDATE that changes nothing.)
//
// Savepoints: a rollback to a savepoint undoes the tags written after it.
// The engine takes mark() when it sets a savepoint and Restore()s it after
// rolling back to it, so the next part that writes data writes its tag again.
//
// Borrows the session for each call. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/change.h"
#include "cdc/core/check_report.h"
#include "cdc/core/status.h"
#include "sinks/sql/sql_session.h"

namespace deltabridge {

// What a DBA runs for a sink that tags (the CREATE TABLE in the session's
// dialect, the grants), for messages and `deltabridge check`.
struct OriginTagSetup {
  std::string table;       // deltabridge_origin as a DBA names it (schema-qualified when known)
  std::string create_sql;  // CREATE TABLE ... (no trailing semicolon)
  std::string grant_sql;   // GRANT INSERT, UPDATE ...; empty when the database has no grants
  std::string create_privilege;  // what lets the sink's user create the table itself
};
// Asks the session for its user, schema or database (best effort: placeholders
// when it cannot say).
OriginTagSetup OriginTagSetupFor(SqlSession& session);

// How `deltabridge check` names a target and what writes it: a sink's own
// target (the defaults), or a gateway entity's push target.
struct TargetCheckNames {
  std::string subject = "target";        // each line starts "<subject>: "
  std::string node_key = "target.node";  // the file's key of the target's node
  std::string writer = "the sink";       // what creates the tables and writes them
  std::string when = "on first start";   // when it creates them
};

// `deltabridge check` for a target with a node: that deltabridge_origin
// exists with its columns (or that the sink's user may create it), and that
// the user may read, insert and update it (tried in transactions that are
// rolled back, which neither logical decoding nor the binlog report). One
// report line each, FAIL with the SQL that fixes it. `writer` is the sink's
// name, `node` the target's node; `names` words the lines.
void CheckOriginTag(SqlSession& session, std::string_view writer, std::string_view node,
                    CheckReport* report, const TargetCheckNames& names = {});

// Whether two deltas have the same path (DeltaPath) and ref, so that one tag
// describes both; without building the paths in the common case of the same
// bridge, source, node and origin.
bool SamePath(const Delta& a, const Delta& b);

class OriginTagger {
 public:
  // `writer`: the sink's name; `node`: the target's node (empty: the tagger
  // is off and must not be used). `publish`: every tag asks the capturing
  // bridge to publish what follows (an application's push; origin_tag.h).
  OriginTagger(std::string writer, std::string node, bool publish = false);

  bool enabled() const { return !node_.empty(); }

  // At Open, outside a transaction: the table and this sink's row, created
  // when missing. FailedPrecondition naming the SQL a DBA can run and the
  // privilege needed when that is not possible.
  Status Prepare(SqlSession& session, int64_t now_us);

  // A new target transaction: no tag written in it yet.
  void BeginTransaction() { written_ = false; }

  // Writes the tag of `delta`'s path and ref unless the last one written in
  // this transaction has that path and ref.
  Status Tag(SqlSession& session, const Delta& delta);

  // The transaction's tag state, to take at a savepoint and give back after
  // a rollback to it.
  struct Mark {
    bool written = false;
    std::vector<std::string> path;
    std::string ref;
  };
  Mark mark() const { return {written_, written_path_, written_ref_}; }
  void Restore(Mark mark);

 private:
  // The path of `delta`, computed once per run of deltas of one bridge,
  // source, node and origin.
  const std::vector<std::string>& PathOf(const Delta& delta);

  const std::string writer_;
  const std::string node_;
  const bool publish_;
  uint64_t n_ = 0;  // the last n used (Prepare sets the floor)
  // Whether a tag was written in the current transaction (and not rolled
  // back), and its path and ref.
  bool written_ = false;
  std::vector<std::string> written_path_;
  std::string written_ref_;
  // PathOf's cache: the key of the last delta seen and its path.
  bool cached_ = false;
  std::string cached_bridge_, cached_source_, cached_node_;
  std::vector<std::string> cached_origin_, cached_path_;
};

}  // namespace deltabridge
