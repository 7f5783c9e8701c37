// Journal: the bridge's durable, numbered record of every delta, on LMDB.
//
// The journal lives in one directory (normally `<state_dir>/journal`). It keeps
//  - entries: seq -> (write time, topic, body). seq is per bridge, starts at 1
//    and grows by exactly 1; the body is the delta's JSON, opaque here;
//  - positions: source name -> the source position (opaque) durable with the
//    entries of the transactions it follows;
//  - meta: small named values (opaque), e.g. snapshot progress;
//  - a spool for PostgreSQL streamed (proto v2) transactions still in progress,
//    in a second, non-durable LMDB environment (`<dir>/spool`).
// Layouts, invariants and crash semantics: docs/journal.md.
//
// Durable invariants (hold in every LMDB snapshot, hence after any crash):
//  I1. committed_seq (state key) is written only by Commit, in the same LMDB
//      transaction as the entries, positions and meta it makes visible.
//  I2. Every seq in (deleted_through, committed_seq] is present: the visible
//      journal has no holes. first_seq() == deleted_through + 1.
//  I3. Entries with seq > committed_seq are pending (written early for a large
//      transaction, or left by a rolled-back one). They were never visible to a reader nor
//      published, and Open deletes them, so next_seq() == committed_seq + 1 after Open and a
//      published seq is never reused.
//  I4. deleted_through <= committed_seq: retention deletes only visible
//      entries, oldest first. deleted_through survives restarts, so
//      first_seq() does too, also when every entry has been deleted.
//  I5. positions/meta in LMDB always belong with the entries up to
//      committed_seq (they change only in Commit's transaction).
//
// Threading:
//  - Writer API (next_seq, Append, SetPosition, SetMeta, MarkTxEnd, Rollback,
//    Commit, flushed_seq, Spool*): one writer thread at a time (external
//    serialization); not thread-safe among themselves.
//  - Reader API (committed_seq, first_seq, size_bytes, WaitCommitted,
//    GetPosition, GetMeta, Read): any thread, concurrently with the writer and
//    with each other. Each call uses its own short LMDB read transaction.
//  - ApplyRetention: any thread, concurrently with the writer and readers.
// The Journal must outlive every call in flight. Only one Journal may have a
// directory open at a time (also across processes; Open fails otherwise).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"
#include "cdc/journal/lmdb_handles.h"

namespace deltabridge {

struct JournalOptions {
  // LMDB map size: the most the data file can ever hold. The file is sparse and
  // grows as needed; this only reserves address space. When it fills up,
  // writes fail with an IoError that says what to do.
  uint64_t map_size_bytes = uint64_t{64} << 30;
  // Appended but uncommitted entry bytes held in memory before Append writes
  // them to LMDB early (pending, invisible until Commit).
  size_t flush_threshold_bytes = size_t{4} << 20;
  // Spool record bytes held in memory before they are written to LMDB.
  size_t spool_flush_threshold_bytes = size_t{1} << 20;
  // LMDB map size of the spool environment (sparse, like map_size_bytes).
  uint64_t spool_map_size_bytes = uint64_t{64} << 30;
  // Entries deleted per LMDB transaction by ApplyRetention and Open.
  size_t delete_batch_entries = 10000;
  // After readers have copied this many bytes out of the map, drop the map's
  // pages from this process's resident set (madvise; see docs/journal.md).
  // 0 disables.
  size_t release_mapped_bytes = size_t{1} << 20;
  // LMDB reader slots: concurrent read transactions.
  unsigned int max_readers = 126;
  // The write time stamped on each entry (microseconds since the Unix epoch).
  // Unset: WallClockMicros(). Tests set it to control age retention.
  std::function<int64_t()> clock;
};

// One visible journal entry, copied out of LMDB.
struct JournalEntry {
  uint64_t seq = 0;
  int64_t write_time_us = 0;  // when Append was called
  std::string topic;
  std::string body;
};

// A closed range of seqs; empty when last < first.
struct SeqRange {
  uint64_t first = 1;
  uint64_t last = 0;
  bool empty() const { return last < first; }
};

struct ReadOptions {
  // Stop after this many returned entries.
  size_t max_entries = 1000;
  // Stop before an entry would take the returned topic + body bytes past this;
  // the first matching entry is always returned, however large.
  size_t max_bytes = size_t{1} << 20;
  // Only topics starting with one of these; empty: all.
  std::vector<std::string> topic_prefixes;
  // Stop after examining this many entries, matching or not, so a rare prefix
  // cannot hold a reader (and its LMDB snapshot) for long.
  size_t max_scanned = 100000;
};

class Journal {
 public:
  // Opens or creates the journal in `dir` (created if missing). Deletes pending
  // entries left by a crash (I3) and recreates the spool empty. Fails with
  // FailedPrecondition when another Journal holds the directory or the format
  // is unknown, Corruption when an invariant does not hold.
  static Result<std::unique_ptr<Journal>> Open(const std::string& dir,
                                               const JournalOptions& options = {});

  // Closes the journal. Entries not committed are lost: the in-memory ones at
  // once, the early-written ones on the next Open (I3).
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // ---- Writer API (one writer thread) ----

  // The seq the next Append must carry: committed_seq() + 1 after Open.
  uint64_t next_seq() const { return next_seq_; }

  // Appends one entry. `seq` must equal next_seq() (else InvalidArgument).
  // The entry stays invisible until a Commit after a MarkTxEnd covering it.
  // May write staged entries to LMDB early (see flush_threshold_bytes). On
  // error nothing is appended.
  Status Append(uint64_t seq, std::string_view topic, std::string_view body);

  // Stage a source position / a meta value; the newest value per key wins.
  // They become durable with the entries of the next MarkTxEnd (I5).
  void SetPosition(std::string source, std::string pos);
  void SetMeta(std::string key, std::string value);

  // Declares everything appended so far whole transactions, and takes the
  // positions/meta staged so far along with them.
  void MarkTxEnd();

  // Discards what was appended or staged since the last MarkTxEnd (an aborted
  // source transaction): next_seq() goes back to one past the last MarkTxEnd.
  // Those seqs were never visible, so they are reused. Entries of it already
  // written early are deleted, in bounded LMDB transactions, before the next
  // write (and by Open if the process dies first).
  void Rollback();

  // Makes durable (fsync'd) and visible, in one LMDB transaction, the entries
  // up to the last MarkTxEnd together with the positions/meta staged before
  // it, then advances committed_seq(). When no entry has been appended since
  // the last MarkTxEnd it first calls MarkTxEnd(), so positions/meta staged
  // alone are committed too. Entries after the last MarkTxEnd stay pending.
  // `*visible` (optional) receives the range just made visible, for the
  // publisher; empty when nothing new.
  //
  // After an fsync failure the journal refuses all further writes (the disk
  // state is unknown); the bridge must restart.
  Status Commit(SeqRange* visible = nullptr);

  // Highest seq written to LMDB (committed or pending). For tests and metrics.
  uint64_t flushed_seq() const { return flushed_seq_; }

  // ---- Reader API (any thread) ----

  // The newest visible seq (0 when nothing was ever committed).
  uint64_t committed_seq() const { return committed_seq_.load(std::memory_order_acquire); }
  // The oldest seq kept; committed_seq() + 1 when the journal is empty.
  uint64_t first_seq() const { return first_seq_.load(std::memory_order_acquire); }
  // Sum of key + value bytes of the visible entries (the retention measure).
  // The data file is larger (pages, tree, free space LMDB reuses).
  uint64_t size_bytes() const { return size_bytes_.load(std::memory_order_acquire); }

  // Waits until committed_seq() >= seq or the timeout passes; true when reached.
  bool WaitCommitted(uint64_t seq, std::chrono::milliseconds timeout) const;

  // The committed position of `source` / meta value of `key`; nullopt if none.
  Result<std::optional<std::string>> GetPosition(std::string_view source) const;
  Result<std::optional<std::string>> GetMeta(std::string_view key) const;

  // Replaces *out with visible entries from `from_seq` on, in seq order, never
  // beyond committed_seq(). The entries *out held lend their strings' storage
  // to the new ones (pass the same vector again to allocate less).
  // `*resume_seq` (optional) receives the seq to read from next: one past the
  // last entry examined (== from_seq when nothing was). From above
  // committed_seq(): ok and empty. NotFound when from_seq < first_seq()
  // (deleted by retention; first_seq() names the oldest kept); InvalidArgument
  // when from_seq == 0.
  Status Read(uint64_t from_seq, const ReadOptions& options, std::vector<JournalEntry>* out,
              uint64_t* resume_seq = nullptr) const;
  // Read without a topic filter.
  Status Read(uint64_t from_seq, size_t max_entries, size_t max_bytes,
              std::vector<JournalEntry>* out) const;

  // ---- Retention (any thread) ----

  // Deletes the oldest visible entries while the visible bytes exceed
  // `max_bytes` or the oldest entry was written before now_us - max_age_us,
  // in LMDB transactions of at most delete_batch_entries. Never touches
  // entries beyond committed_seq() (I4). Age deletion stops at the first
  // entry young enough, so a wall clock that went backwards keeps entries.
  Status ApplyRetention(std::optional<uint64_t> max_bytes, std::optional<int64_t> max_age_us,
                        int64_t now_us);

  // ---- Spool for streamed in-progress transactions (writer thread) ----
  // Records are kept per (xid, subxid) in append order, in a separate LMDB
  // environment (`<dir>/spool`, opened MDB_NOSYNC: never fsync'd). Open
  // recreates it empty, so spooled records never survive a restart: the
  // source re-sends the streams it has not seen confirmed.

  Status SpoolAppend(uint32_t xid, uint32_t subxid, std::string_view record);
  // Discards the records of xid, or only those of one subtransaction.
  Status SpoolDiscard(uint32_t xid, std::optional<uint32_t> subxid);
  // Calls fn on each record of xid in append order (reading in bounded
  // chunks), then discards them. fn may call Append, but must not spool
  // records for xid. When fn fails, its Status is returned and the records
  // are kept; the stream must then be treated as failed.
  Status SpoolDrain(uint32_t xid, const std::function<Status(std::string_view record)>& fn);
  // Discards every spooled record.
  Status SpoolClear();

  const std::string& path() const { return path_; }

  // Drops the pages of both LMDB maps (journal and spool) from this process's
  // resident set now, as readers do every release_mapped_bytes. Any thread.
  void ReleaseMappedPages() const;

 private:
  // Where a file is mapped in this process.
  struct MappedRange {
    void* addr = nullptr;
    size_t size = 0;
  };
  struct SpoolStaged {
    std::string key;
    std::string value;
  };

  Journal(std::string path, const JournalOptions& options);

  // Finds this process's mapping of `file` in /proc/self/maps; empty when
  // none. LMDB does not tell where it mapped the data file (mdb_env_info's
  // me_mapaddr is only set for MDB_FIXEDMAP).
  static MappedRange FindMapping(const std::string& file);

  Status Init();
  Status OpenSpool();
  // Turns an LMDB return code into a Status naming the journal and `what`.
  Status LmdbError(int rc, std::string_view what) const;
  Status SpoolError(int rc, std::string_view what) const;
  Status BeginRead(LmdbTxn* txn) const;
  // Begins a write transaction; fails with the sticky error once broken.
  // Requires write_mu_.
  Status BeginWrite(LmdbTxn* txn) const;
  Status CommitWrite(LmdbTxn* txn, std::string_view what) const;
  // mdb_env_sync(force); on failure the journal is broken. Requires write_mu_.
  Status SyncLocked(std::string_view what);
  Status GetU64(MDB_txn* txn, std::string_view key, uint64_t* value) const;
  Status PutU64(MDB_txn* txn, std::string_view key, uint64_t value) const;
  Result<std::optional<std::string>> GetString(MDB_dbi dbi, std::string_view key) const;
  // Writes the in-memory staged entries with seq <= up_to into `txn`.
  Status PutStaged(MDB_txn* txn, uint64_t up_to) const;
  // Drops staged entries with seq <= up_to from memory.
  void DropStaged(uint64_t up_to);
  // Writes every staged entry to LMDB in its own transaction (pending).
  Status FlushStaged();
  // Deletes the entries with seq > after, in bounded transactions (Open, I3;
  // a rolled-back tail).
  Status DeletePending(uint64_t after);
  // Deletes a rolled-back tail, if any, before the next write.
  Status DeleteStaleTail();
  // Counts bytes copied out of the map and releases pages past the threshold.
  void NoteMappedRead(size_t bytes) const;
  Status BeginSpool(unsigned int flags, LmdbTxn* txn) const;
  Status CommitSpool(LmdbTxn* txn, std::string_view what) const;
  Status FlushSpool();
  // Deletes the stored records of xid (of one subxid when set).
  Status DeleteSpooled(uint32_t xid, std::optional<uint32_t> subxid);

  const std::string path_;
  const JournalOptions options_;
  int lock_fd_ = -1;  // flock'ed journal.lock: one Journal per directory
  LmdbEnv env_;
  MappedRange map_;          // LMDB's read-only map of data.mdb (fixed after Open)
  size_t max_key_size_ = 0;  // mdb_env_get_maxkeysize()
  MDB_dbi entries_dbi_ = 0;
  MDB_dbi positions_dbi_ = 0;
  MDB_dbi meta_dbi_ = 0;
  MDB_dbi state_dbi_ = 0;

  // The spool's own environment (MDB_NOSYNC), its map and its main database.
  // Only the writer thread opens transactions on it.
  LmdbEnv spool_env_;
  MappedRange spool_map_;
  MDB_dbi spool_dbi_ = 0;

  // Serializes LMDB write transactions and the durable-state atomics below
  // between the writer and ApplyRetention. Never held while calling out.
  std::mutex write_mu_;
  // Set when an fsync failed: every later write returns it. Guarded by write_mu_.
  Status broken_;

  // ---- Writer-thread state. Invariants:
  //  committed_seq_ <= tx_end_seq_ <= next_seq_ - 1;
  //  committed_seq_ <= flushed_seq_ <= next_seq_ - 1;
  //  LMDB holds the entries (deleted_through, flushed_seq_], plus, when
  //  stale_tail_, rolled-back ones above flushed_seq_ that the next write
  //  deletes first;
  //  staged_values_ holds exactly the entries (flushed_seq_, next_seq_).
  uint64_t next_seq_ = 1;
  uint64_t tx_end_seq_ = 0;  // last seq covered by MarkTxEnd
  uint64_t flushed_seq_ = 0;
  bool stale_tail_ = false;  // Rollback left early-written entries above flushed_seq_
  // Encoded values of the staged entries back to back; staged_ends_[i] is the
  // end offset of entry flushed_seq_ + 1 + i.
  std::string staged_values_;
  std::vector<size_t> staged_ends_;
  // Running EntrySize() sums since Open: all appended, up to tx_end_seq_, up
  // to committed_seq_. Commit adds marked - committed to committed_bytes.
  uint64_t appended_bytes_total_ = 0;
  uint64_t marked_bytes_total_ = 0;
  uint64_t committed_bytes_total_ = 0;
  // Positions/meta staged after the last MarkTxEnd, and those taken by it
  // (written by the next Commit).
  std::map<std::string, std::string> staged_positions_, marked_positions_;
  std::map<std::string, std::string> staged_meta_, marked_meta_;
  // Spool: records not yet written to LMDB, their bytes, and the append
  // counter (strictly increasing, so key order is append order per xid).
  std::vector<SpoolStaged> spool_staged_;
  size_t spool_staged_bytes_ = 0;
  uint64_t spool_counter_ = 0;

  // ---- Shared with readers.
  // Advanced only after Commit's LMDB transaction is fsync'd, so a reader that
  // loads it and then opens a read transaction sees all entries up to it.
  std::atomic<uint64_t> committed_seq_{0};
  std::atomic<uint64_t> first_seq_{1};
  std::atomic<uint64_t> size_bytes_{0};
  mutable std::mutex commit_mu_;  // for commit_cv_ only
  mutable std::condition_variable commit_cv_;
  mutable std::atomic<uint64_t> mapped_read_bytes_{0};
};

}  // namespace deltabridge
