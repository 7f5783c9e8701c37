// EntityStore: what a gateway keeps so that any client can start without the
// database and resume without a gap: the current rows of every table an
// entity shows, materialized from the bridges' streams, a log of recent
// changes, and the seq up to which each bridge's stream has been applied.
// One LMDB environment in <state_dir>/store (docs/gateway.md, "State").
//
// Databases (LMDB named databases):
//   meta              "applied:<bridge>" -> u64 (big-endian) the last seq applied
//                     "floor:<bridge>"   -> u64: the log holds every change with seq > floor
//                     "tables"           -> JSON [[id, bridge, table, [key columns]], ...]
//                     "patterns:<bridge>"-> JSON, the topic patterns materialized
//   rows:<bridge>     table id (u32 BE) + row key -> the row (JSON object, source names)
//   log:<bridge>      seq (u64 BE) -> the change (RowChange, JSON)
// A row key is the JSON of the key's values ([42], ["a",1]) or, when that is
// longer than LMDB's key limit allows, 0xFF followed by its SHA-256; the row
// itself always holds every column, the key's among them.
//
// Invariant: the rows, the log and applied:<bridge> change in the same write
// transaction, so after a crash the store is the state after some seq N, and
// the bridge's stream resumes at N + 1. Commits are durable (fsync).
//
// Threads: one writer thread (Begin/Apply/Commit); readers (Reader) on any
// thread, each Reader used by one thread at a time. The table registry is
// shared under a mutex.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"
#include "cdc/journal/lmdb_handles.h"

namespace deltabridge {

using Row = nlohmann::ordered_json;  // column -> value, in the table's column order

// A table whose rows the store keeps. Immutable; a new one replaces it when
// the key columns change.
struct StoredTable {
  uint32_t id = 0;
  std::string bridge;
  std::string source;  // the bridge's source
  std::string table;   // as on the wire: schema.table, database.table, or the ODBC name
  std::string topic;   // <bridge>.<source>.<table>
  std::vector<std::string> key_columns;  // source names, key order
};

// One change of one row, as the store applied it: the row before and after
// (either null: inserted, deleted), so that a reader can tell what any view
// of the row saw change.
struct RowChange {
  enum class Kind { kUpsert, kDelete, kTruncate };
  uint64_t seq = 0;
  Kind kind = Kind::kUpsert;
  std::shared_ptr<const StoredTable> table;
  Row before;                       // null when the row did not exist (or for a truncate)
  Row after;                        // null when the row was deleted (or for a truncate)
  std::string ts;                   // source commit time, as on the wire
  std::vector<std::string> origin;  // the delta's origin, when any
  std::string ref;                  // the delta's ref, when any
};

struct EntityStoreOptions {
  size_t map_size_bytes = size_t{64} << 30;  // address space only; the file grows as used
  unsigned max_readers = 1024;
};

class EntityStore {
 public:
  // Opens (creating) <dir> for `bridges` (their databases are created and
  // opened here, once); FailedPrecondition when another process holds it.
  static Result<std::unique_ptr<EntityStore>> Open(const std::string& dir,
                                                   const std::vector<std::string>& bridges,
                                                   EntityStoreOptions options = {});
  ~EntityStore();
  EntityStore(const EntityStore&) = delete;
  EntityStore& operator=(const EntityStore&) = delete;

  // ---- the writer (one thread) ----

  class Batch {
   public:
    Batch(Batch&&) noexcept = default;
    Batch& operator=(Batch&&) noexcept = default;
    ~Batch() = default;

   private:
    friend class EntityStore;
    Batch() = default;
    LmdbTxn txn_;
    std::vector<std::shared_ptr<const StoredTable>> new_tables_;  // registered at commit
  };
  Result<Batch> Begin();
  // Applies one delta body of `bridge` (a JSON object as on the wire),
  // numbered `seq`: changes the row, logs the change and returns it; nullopt
  // when the delta changes nothing the store keeps (an update to the values
  // it has). Corruption for a body that is not a delta.
  Result<std::optional<RowChange>> Apply(Batch* batch, std::string_view bridge, const Row& body,
                                         uint64_t seq);
  // Records that `bridge`'s stream is applied through `seq`.
  Status SetApplied(Batch* batch, std::string_view bridge, uint64_t seq);
  // Drops log entries of `bridge` with seq <= `floor` and raises its floor.
  Status TrimLog(Batch* batch, std::string_view bridge, uint64_t floor);
  // Forgets every row and log entry of `bridge` and its position (a rebuild).
  Status ResetBridge(Batch* batch, std::string_view bridge);
  // The topic patterns materialized for `bridge` (empty: none yet).
  Result<std::vector<std::string>> Patterns(Batch* batch, std::string_view bridge);
  Status SetPatterns(Batch* batch, std::string_view bridge, const std::vector<std::string>& p);
  Status Commit(Batch batch);

  // ---- readers ----

  class Reader {
   public:
    Reader(Reader&&) noexcept = default;
    Reader& operator=(Reader&&) noexcept = default;
    ~Reader() = default;

    // The last seq of `bridge` applied as of this reader; 0 for none.
    uint64_t Applied(std::string_view bridge) const;
    // Every change of `bridge` with seq > Floor is in its log.
    uint64_t Floor(std::string_view bridge) const;
    // The stored row of `table` with key `key` (values in key order); null when none.
    Result<Row> Get(const StoredTable& table, const nlohmann::json& key) const;

   private:
    friend class EntityStore;
    Reader() = default;
    const EntityStore* store_ = nullptr;
    LmdbTxn txn_;
  };
  Result<Reader> Read() const;

  // A resumable walk over one table's rows inside a Reader.
  class RowWalk {
   public:
    RowWalk(const Reader* reader, std::shared_ptr<const StoredTable> table);
    // The next row, or null when done.
    Result<Row> Next();

   private:
    const Reader* reader_;
    std::shared_ptr<const StoredTable> table_;
    LmdbCursor cursor_;
    bool started_ = false;
    bool done_ = false;
  };
  // A resumable walk over one bridge's log from a seq, inside a Reader.
  class LogWalk {
   public:
    LogWalk(const Reader* reader, std::string bridge, uint64_t after);
    // The next change, or nullopt when done.
    Result<std::optional<RowChange>> Next();

   private:
    const Reader* reader_;
    std::string bridge_;
    uint64_t after_;
    LmdbCursor cursor_;
    bool started_ = false;
    bool done_ = false;
  };

  // The tables known for `bridge`, and a table by id or topic (nullptr when unknown).
  std::vector<std::shared_ptr<const StoredTable>> Tables(std::string_view bridge) const;
  std::shared_ptr<const StoredTable> TableById(uint32_t id) const;

  const std::string& dir() const { return dir_; }

 private:
  explicit EntityStore(std::string dir) : dir_(std::move(dir)) {}
  Status Init(const std::vector<std::string>& bridges, const EntityStoreOptions& options);
  Status LmdbError(int rc, std::string_view what) const;
  // The database "rows" or "log" of `bridge`; InvalidArgument for a bridge not opened.
  Result<MDB_dbi> BridgeDb(std::string_view kind, std::string_view bridge) const;
  // The table of (bridge, source, table) with `key_columns`, registered in
  // `batch` when new or when its key columns changed.
  Result<std::shared_ptr<const StoredTable>> TableFor(Batch* batch, std::string_view bridge,
                                                      std::string_view source,
                                                      std::string_view table,
                                                      const std::vector<std::string>& key_columns);
  Status SaveTables(MDB_txn* txn, const std::vector<std::shared_ptr<const StoredTable>>& extra);
  std::string RowKey(uint32_t table_id, const nlohmann::json& key_values) const;
  static std::string EncodeChange(const RowChange& change);
  Result<RowChange> DecodeChange(std::string_view bytes) const;

  const std::string dir_;
  int lock_fd_ = -1;
  LmdbEnv env_;
  MDB_dbi meta_ = 0;
  size_t max_key_size_ = 511;

  mutable std::mutex mu_;  // guards the registry
  std::map<uint32_t, std::shared_ptr<const StoredTable>> tables_;
  std::map<std::string, std::shared_ptr<const StoredTable>, std::less<>> tables_by_topic_;
  uint32_t next_table_id_ = 1;
  // "rows:<bridge>", "log:<bridge>": opened by Init, fixed afterwards.
  std::map<std::string, MDB_dbi, std::less<>> dbis_;
};

}  // namespace deltabridge
