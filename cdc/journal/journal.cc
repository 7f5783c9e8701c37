#include "cdc/journal/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <utility>

#include "cdc/core/wall_clock.h"
#include "cdc/journal/journal_format.h"

namespace deltabridge {

namespace jf = journal_format;

namespace {

// An MDB_val over an 8-byte big-endian seq key held in `buf`.
MDB_val SeqKey(uint64_t seq, char* buf) {
  jf::PutU64(seq, buf);
  return MDB_val{jf::kSeqKeySize, buf};
}

Status KeySeq(const MDB_val& key, uint64_t* seq) {
  if (key.mv_size != jf::kSeqKeySize) {
    return Status::Corruption("entry key of " + std::to_string(key.mv_size) + " bytes, expected " +
                              std::to_string(jf::kSeqKeySize));
  }
  *seq = jf::GetU64(static_cast<const char*>(key.mv_data));
  return Status::Ok();
}

std::string HumanBytes(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30) && bytes % (uint64_t{1} << 30) == 0) {
    return std::to_string(bytes >> 30) + " GiB";
  }
  if (bytes >= (uint64_t{1} << 20) && bytes % (uint64_t{1} << 20) == 0) {
    return std::to_string(bytes >> 20) + " MiB";
  }
  return std::to_string(bytes) + " bytes";
}

bool HasAnyPrefix(std::string_view topic, const std::vector<std::string>& prefixes) {
  if (prefixes.empty()) return true;
  for (const std::string& p : prefixes) {
    if (topic.substr(0, p.size()) == p) return true;
  }
  return false;
}

// `where` names the environment ("journal DIR"); `map_size` is its map size and
// `full_hint` tells the operator what to do when it is full.
Status LmdbStatus(int rc, const std::string& where, std::string_view what, uint64_t map_size,
                  std::string_view full_hint) {
  std::string msg = where + ": " + std::string(what) + ": " + mdb_strerror(rc);
  switch (rc) {
    case MDB_MAP_FULL:
      return Status::IoError(msg + " (map size " + HumanBytes(map_size) + "). " +
                             std::string(full_hint));
    case ENOSPC:
      return Status::IoError(msg + ". The disk holding the journal is full: free space on it");
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
      return Status::Corruption(msg);
    default:
      return Status::IoError(msg);
  }
}

}  // namespace

// By device and inode, or else by path (on overlay file systems the maps
// show the underlying device).
Journal::MappedRange Journal::FindMapping(const std::string& file) {
  MappedRange found;
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) return found;
  std::error_code ec;
  const std::string canonical = std::filesystem::weakly_canonical(file, ec).string();
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long start = 0, end = 0, offset = 0, inode = 0;
    unsigned int major = 0, minor = 0;
    char perms[8];
    int path_at = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx %7s %lx %x:%x %lu %n", &start, &end, perms, &offset,
                    &major, &minor, &inode, &path_at) < 7 ||
        offset != 0) {
      continue;
    }
    const bool same_inode = inode == st.st_ino && makedev(major, minor) == st.st_dev;
    const bool same_path = path_at > 0 && line.compare(static_cast<size_t>(path_at),
                                                       std::string::npos, canonical) == 0;
    if ((same_inode || same_path) && end - start > found.size) {
      found.addr = reinterpret_cast<void*>(start);
      found.size = end - start;
    }
  }
  return found;
}

Journal::Journal(std::string path, const JournalOptions& options)
    : path_(std::move(path)), options_(options) {}

Journal::~Journal() {
  // The environment must be closed before the directory lock is released, so
  // that a successor never opens it while we still have it mapped.
  spool_env_.Close();
  env_.Close();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& dir,
                                               const JournalOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("journal " + dir + ": cannot create directory: " + ec.message());
  if (options.flush_threshold_bytes == 0 || options.delete_batch_entries == 0) {
    return Status::InvalidArgument("journal " + dir +
                                   ": flush_threshold_bytes and delete_batch_entries must be > 0");
  }
  std::unique_ptr<Journal> journal(new Journal(dir, options));
  DB_RETURN_IF_ERROR(journal->Init());
  return journal;
}

Status Journal::LmdbError(int rc, std::string_view what) const {
  return LmdbStatus(rc, "journal " + path_, what, options_.map_size_bytes,
                    "The journal has no room left: lower the retention (max_bytes or max_age) "
                    "so old entries get deleted, or raise the journal map size, then restart "
                    "the bridge");
}

Status Journal::SpoolError(int rc, std::string_view what) const {
  return LmdbStatus(rc, "journal spool " + path_ + "/" + jf::kSpoolDir, what,
                    options_.spool_map_size_bytes,
                    "A streamed transaction in progress does not fit in the spool: raise the "
                    "spool map size, then restart the bridge");
}

Status Journal::Init() {
  const std::string lock_path = path_ + "/journal.lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (lock_fd_ < 0) {
    return Status::IoError("journal " + path_ + ": cannot open " + lock_path + ": " +
                           std::strerror(errno));
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::FailedPrecondition("journal " + path_ +
                                        " is already open (by another deltabridge process "
                                        "using the same state_dir, or twice in this one)");
    }
    return Status::IoError("journal " + path_ + ": cannot lock " + lock_path + ": " +
                           std::strerror(errno));
  }

  int rc = LmdbEnv::Create(&env_);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_env_create");
  if ((rc = mdb_env_set_mapsize(env_.get(), options_.map_size_bytes)) != MDB_SUCCESS) {
    return LmdbError(rc, "mdb_env_set_mapsize");
  }
  if ((rc = mdb_env_set_maxdbs(env_.get(), 8)) != MDB_SUCCESS) {
    return LmdbError(rc, "mdb_env_set_maxdbs");
  }
  if ((rc = mdb_env_set_maxreaders(env_.get(), options_.max_readers)) != MDB_SUCCESS) {
    return LmdbError(rc, "mdb_env_set_maxreaders");
  }
  // MDB_NOTLS: read transactions are not tied to threads, so readers may be
  // any thread and a thread may read while it holds the write transaction.
  // MDB_NOMETASYNC: a commit fsyncs the data pages before it writes the meta
  // page but does not fsync the meta page. LMDB keeps its integrity this way
  // (a system crash can only undo the last commit), which is all the early
  // flushes, retention and spool writes need. Commit() makes its own
  // transaction durable with an explicit mdb_env_sync(force) afterwards.
  rc = mdb_env_open(env_.get(), path_.c_str(), MDB_NOTLS | MDB_NOMETASYNC, 0640);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_env_open");
  int dead = 0;
  mdb_reader_check(env_.get(), &dead);  // frees slots of crashed readers
  map_ = FindMapping(path_ + "/data.mdb");
  max_key_size_ = static_cast<size_t>(mdb_env_get_maxkeysize(env_.get()));

  uint64_t committed = 0;
  uint64_t deleted = 0;
  uint64_t bytes = 0;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    LmdbTxn txn;
    DB_RETURN_IF_ERROR(BeginWrite(&txn));
    const std::pair<const char*, MDB_dbi*> dbs[] = {{jf::kEntriesDb, &entries_dbi_},
                                                    {jf::kPositionsDb, &positions_dbi_},
                                                    {jf::kMetaDb, &meta_dbi_},
                                                    {jf::kStateDb, &state_dbi_}};
    for (const auto& [name, dbi] : dbs) {
      if ((rc = mdb_dbi_open(txn.get(), name, MDB_CREATE, dbi)) != MDB_SUCCESS) {
        return LmdbError(rc, std::string("opening database ") + name);
      }
    }
    uint64_t format = 0;
    DB_RETURN_IF_ERROR(GetU64(txn.get(), jf::kStateFormat, &format));
    if (format == 0) {
      DB_RETURN_IF_ERROR(PutU64(txn.get(), jf::kStateFormat, jf::kFormatVersion));
    } else if (format != jf::kFormatVersion) {
      return Status::FailedPrecondition("journal " + path_ + " has format version " +
                                        std::to_string(format) + ", this build reads only " +
                                        std::to_string(jf::kFormatVersion));
    }
    DB_RETURN_IF_ERROR(GetU64(txn.get(), jf::kStateCommittedSeq, &committed));
    DB_RETURN_IF_ERROR(GetU64(txn.get(), jf::kStateDeletedThrough, &deleted));
    DB_RETURN_IF_ERROR(GetU64(txn.get(), jf::kStateCommittedBytes, &bytes));
    if (deleted > committed) {
      return Status::Corruption("journal " + path_ + ": deleted_through " +
                                std::to_string(deleted) + " is beyond committed_seq " +
                                std::to_string(committed));
    }
    // I2 at its ends: the oldest entry is deleted_through + 1 and the entry
    // committed_seq exists (a full scan for holes would cost a read of the
    // whole journal at every start).
    {
      LmdbCursor cursor;
      if ((rc = LmdbCursor::Open(txn.get(), entries_dbi_, &cursor)) != MDB_SUCCESS) {
        return LmdbError(rc, "mdb_cursor_open");
      }
      MDB_val key, value;
      rc = cursor.Get(&key, &value, MDB_FIRST);
      uint64_t first = 0;
      if (rc == MDB_SUCCESS) {
        DB_RETURN_IF_ERROR(KeySeq(key, &first).WithContext("journal " + path_));
      } else if (rc != MDB_NOTFOUND) {
        return LmdbError(rc, "reading the first entry");
      }
      bool ok = committed == deleted ? (first == 0 || first > committed) : first == deleted + 1;
      if (ok && committed > deleted) {
        char buf[jf::kSeqKeySize];
        key = SeqKey(committed, buf);
        rc = cursor.Get(&key, &value, MDB_SET);
        if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return LmdbError(rc, "reading entry");
        ok = rc == MDB_SUCCESS;
      }
      if (!ok) {
        return Status::Corruption("journal " + path_ + ": entries do not match the state (" +
                                  "first stored seq " + std::to_string(first) +
                                  ", deleted_through " + std::to_string(deleted) +
                                  ", committed_seq " + std::to_string(committed) + ")");
      }
    }
    DB_RETURN_IF_ERROR(CommitWrite(&txn, "opening"));
  }
  // I3: pending entries of a transaction that was never committed go away.
  DB_RETURN_IF_ERROR(DeletePending(committed));
  DB_RETURN_IF_ERROR(OpenSpool());

  next_seq_ = committed + 1;
  tx_end_seq_ = committed;
  flushed_seq_ = committed;
  committed_seq_.store(committed, std::memory_order_release);
  first_seq_.store(deleted + 1, std::memory_order_release);
  size_bytes_.store(bytes, std::memory_order_release);
  return Status::Ok();
}

Status Journal::BeginRead(LmdbTxn* txn) const {
  int rc = LmdbTxn::Begin(env_.get(), MDB_RDONLY, txn);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "beginning a read transaction");
  return Status::Ok();
}

Status Journal::BeginWrite(LmdbTxn* txn) const {
  if (!broken_.ok()) return broken_;
  int rc = LmdbTxn::Begin(env_.get(), 0, txn);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "beginning a write transaction");
  return Status::Ok();
}

Status Journal::CommitWrite(LmdbTxn* txn, std::string_view what) const {
  int rc = txn->Commit();
  if (rc != MDB_SUCCESS) return LmdbError(rc, std::string(what) + ": mdb_txn_commit");
  return Status::Ok();
}

Status Journal::SyncLocked(std::string_view what) {
  int rc = mdb_env_sync(env_.get(), 1);
  if (rc != MDB_SUCCESS) {
    // After a failed fsync the kernel may have dropped the dirty pages: what
    // is on disk is unknown, so no further write may build on it.
    broken_ = LmdbError(rc, std::string(what) + ": fsync")
                  .WithContext("the journal refuses further writes; restart the bridge");
    return broken_;
  }
  return Status::Ok();
}

Status Journal::GetU64(MDB_txn* txn, std::string_view key, uint64_t* value) const {
  MDB_val k = ToVal(key);
  MDB_val v;
  int rc = mdb_get(txn, state_dbi_, &k, &v);
  if (rc == MDB_NOTFOUND) {
    *value = 0;
    return Status::Ok();
  }
  if (rc != MDB_SUCCESS) return LmdbError(rc, "reading state " + std::string(key));
  if (v.mv_size != 8) {
    return Status::Corruption("journal " + path_ + ": state " + std::string(key) + " has " +
                              std::to_string(v.mv_size) + " bytes, expected 8");
  }
  *value = jf::GetU64(static_cast<const char*>(v.mv_data));
  return Status::Ok();
}

Status Journal::PutU64(MDB_txn* txn, std::string_view key, uint64_t value) const {
  char buf[8];
  jf::PutU64(value, buf);
  MDB_val k = ToVal(key);
  MDB_val v{sizeof(buf), buf};
  int rc = mdb_put(txn, state_dbi_, &k, &v, 0);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "writing state " + std::string(key));
  return Status::Ok();
}

// ---------------------------------------------------------------- writer

Status Journal::Append(uint64_t seq, std::string_view topic, std::string_view body) {
  if (seq != next_seq_) {
    return Status::InvalidArgument("journal " + path_ + ": append of seq " + std::to_string(seq) +
                                   ", expected seq " + std::to_string(next_seq_));
  }
  if (topic.size() > std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidArgument("journal " + path_ + ": topic of " +
                                   std::to_string(topic.size()) + " bytes is too long");
  }
  const size_t size = jf::EntrySize(topic.size(), body.size());
  const size_t staged = staged_values_.size() + jf::kSeqKeySize * staged_ends_.size();
  // A large transaction must not sit in memory: write what is staged to LMDB,
  // still pending (I3), before it grows past the threshold. Flushing first
  // means a failure leaves this entry unappended.
  if (!staged_ends_.empty() && staged + size > options_.flush_threshold_bytes) {
    DB_RETURN_IF_ERROR(FlushStaged());
  }
  const int64_t now = options_.clock ? options_.clock() : WallClockMicros();
  jf::AppendEntryValue(now, topic, body, &staged_values_);
  staged_ends_.push_back(staged_values_.size());
  appended_bytes_total_ += size;
  ++next_seq_;
  return Status::Ok();
}

void Journal::SetPosition(std::string source, std::string pos) {
  staged_positions_[std::move(source)] = std::move(pos);
}

void Journal::SetMeta(std::string key, std::string value) {
  staged_meta_[std::move(key)] = std::move(value);
}

void Journal::MarkTxEnd() {
  tx_end_seq_ = next_seq_ - 1;
  marked_bytes_total_ = appended_bytes_total_;
  for (auto& [k, v] : staged_positions_) marked_positions_[k] = std::move(v);
  for (auto& [k, v] : staged_meta_) marked_meta_[k] = std::move(v);
  staged_positions_.clear();
  staged_meta_.clear();
}

void Journal::Rollback() {
  const uint64_t keep = tx_end_seq_;  // the last seq that stays
  if (flushed_seq_ > keep) {
    // Early-written entries of the aborted transaction: still in LMDB, above
    // committed_seq so invisible; deleted before the next write.
    stale_tail_ = true;
    staged_values_.clear();
    staged_ends_.clear();
    flushed_seq_ = keep;
  } else if (next_seq_ - 1 > keep) {
    const size_t n = keep - flushed_seq_;  // staged entries that stay
    staged_values_.resize(n == 0 ? 0 : staged_ends_[n - 1]);
    staged_ends_.resize(n);
  }
  next_seq_ = keep + 1;
  appended_bytes_total_ = marked_bytes_total_;
  staged_positions_.clear();
  staged_meta_.clear();
}

Status Journal::DeleteStaleTail() {
  if (!stale_tail_) return Status::Ok();
  DB_RETURN_IF_ERROR(DeletePending(flushed_seq_));
  stale_tail_ = false;
  return Status::Ok();
}

Status Journal::PutStaged(MDB_txn* txn, uint64_t up_to) const {
  if (up_to <= flushed_seq_) return Status::Ok();
  LmdbCursor cursor;
  int rc = LmdbCursor::Open(txn, entries_dbi_, &cursor);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_cursor_open");
  const size_t n = up_to - flushed_seq_;
  size_t begin = 0;
  char buf[jf::kSeqKeySize];
  for (size_t i = 0; i < n; ++i) {
    const uint64_t seq = flushed_seq_ + 1 + i;
    MDB_val key = SeqKey(seq, buf);
    MDB_val value{staged_ends_[i] - begin, const_cast<char*>(staged_values_.data() + begin)};
    // MDB_APPEND: seqs only grow, so each entry goes at the end of the tree
    // (cheap), and LMDB refuses (MDB_KEYEXIST) any seq not above the last one.
    rc = mdb_cursor_put(cursor.get(), &key, &value, MDB_APPEND);
    if (rc != MDB_SUCCESS) return LmdbError(rc, "writing entry " + std::to_string(seq));
    begin = staged_ends_[i];
  }
  return Status::Ok();
}

void Journal::DropStaged(uint64_t up_to) {
  if (up_to <= flushed_seq_) return;
  const size_t n = up_to - flushed_seq_;
  const size_t cut = staged_ends_[n - 1];
  staged_values_.erase(0, cut);
  staged_ends_.erase(staged_ends_.begin(), staged_ends_.begin() + static_cast<ptrdiff_t>(n));
  for (size_t& end : staged_ends_) end -= cut;
  flushed_seq_ = up_to;
}

Status Journal::FlushStaged() {
  if (staged_ends_.empty()) return Status::Ok();
  DB_RETURN_IF_ERROR(DeleteStaleTail());
  const uint64_t last = next_seq_ - 1;
  std::lock_guard<std::mutex> lock(write_mu_);
  LmdbTxn txn;
  DB_RETURN_IF_ERROR(BeginWrite(&txn));
  DB_RETURN_IF_ERROR(PutStaged(txn.get(), last));
  // Only entries: committed_seq stays, so they remain invisible (I1, I3).
  DB_RETURN_IF_ERROR(CommitWrite(&txn, "writing a large transaction early"));
  DropStaged(last);
  return Status::Ok();
}

Status Journal::Commit(SeqRange* visible) {
  const uint64_t before = committed_seq_.load(std::memory_order_relaxed);
  if (visible != nullptr) *visible = SeqRange{before + 1, before};
  if (tx_end_seq_ == next_seq_ - 1) MarkTxEnd();
  const uint64_t target = tx_end_seq_;
  if (target == before && marked_positions_.empty() && marked_meta_.empty()) return Status::Ok();

  for (const auto* staged : {&marked_positions_, &marked_meta_}) {
    for (const auto& [k, v] : *staged) {
      if (k.empty() || k.size() > max_key_size_) {
        return Status::InvalidArgument("journal " + path_ + ": position or meta key \"" + k +
                                       "\" must have 1 to " + std::to_string(max_key_size_) +
                                       " bytes");
      }
    }
  }

  DB_RETURN_IF_ERROR(DeleteStaleTail());
  std::lock_guard<std::mutex> lock(write_mu_);
  uint64_t bytes = 0;
  {
    LmdbTxn txn;
    DB_RETURN_IF_ERROR(BeginWrite(&txn));
    DB_RETURN_IF_ERROR(PutStaged(txn.get(), target));
    for (const auto& [dbi, staged] :
         {std::pair{positions_dbi_, &marked_positions_}, std::pair{meta_dbi_, &marked_meta_}}) {
      for (const auto& [k, v] : *staged) {
        MDB_val key = ToVal(k);
        MDB_val value = ToVal(v);
        int rc = mdb_put(txn.get(), dbi, &key, &value, 0);
        if (rc != MDB_SUCCESS) return LmdbError(rc, "writing position or meta \"" + k + "\"");
      }
    }
    // Retention may have changed committed_bytes since our last Commit; both
    // run under write_mu_, so the transaction's value is current.
    DB_RETURN_IF_ERROR(GetU64(txn.get(), jf::kStateCommittedBytes, &bytes));
    bytes += marked_bytes_total_ - committed_bytes_total_;
    DB_RETURN_IF_ERROR(PutU64(txn.get(), jf::kStateCommittedBytes, bytes));
    // I1: the one place committed_seq is written.
    DB_RETURN_IF_ERROR(PutU64(txn.get(), jf::kStateCommittedSeq, target));
    DB_RETURN_IF_ERROR(CommitWrite(&txn, "committing"));
  }
  // Durable before visible: readers and the publisher only learn of the new
  // entries (committed_seq_) once they are on disk.
  DB_RETURN_IF_ERROR(SyncLocked("committing"));

  DropStaged(target);
  committed_bytes_total_ = marked_bytes_total_;
  marked_positions_.clear();
  marked_meta_.clear();
  size_bytes_.store(bytes, std::memory_order_release);
  {
    std::lock_guard<std::mutex> notify(commit_mu_);
    committed_seq_.store(target, std::memory_order_release);
  }
  commit_cv_.notify_all();
  if (visible != nullptr) *visible = SeqRange{before + 1, target};
  return Status::Ok();
}

Status Journal::DeletePending(uint64_t after) {
  char buf[jf::kSeqKeySize];
  for (;;) {
    std::lock_guard<std::mutex> lock(write_mu_);
    LmdbTxn txn;
    DB_RETURN_IF_ERROR(BeginWrite(&txn));
    size_t deleted = 0;
    size_t bytes = 0;
    bool done = false;
    {
      LmdbCursor cursor;
      int rc = LmdbCursor::Open(txn.get(), entries_dbi_, &cursor);
      if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_cursor_open");
      while (deleted < options_.delete_batch_entries) {
        MDB_val key = SeqKey(after + 1, buf);
        MDB_val value;
        rc = cursor.Get(&key, &value, MDB_SET_RANGE);
        if (rc == MDB_NOTFOUND) {
          done = true;
          break;
        }
        if (rc != MDB_SUCCESS) return LmdbError(rc, "reading pending entries");
        bytes += value.mv_size;
        if ((rc = mdb_cursor_del(cursor.get(), 0)) != MDB_SUCCESS) {
          return LmdbError(rc, "deleting a pending entry");
        }
        ++deleted;
      }
    }
    if (deleted == 0) break;
    DB_RETURN_IF_ERROR(CommitWrite(&txn, "deleting pending entries"));
    NoteMappedRead(bytes);  // the walk touched those pages through the map
    if (done) break;
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- readers

bool Journal::WaitCommitted(uint64_t seq, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(commit_mu_);
  return commit_cv_.wait_for(lock, timeout, [&] { return committed_seq() >= seq; });
}

Result<std::optional<std::string>> Journal::GetString(MDB_dbi dbi, std::string_view key) const {
  if (key.empty() || key.size() > max_key_size_) return std::optional<std::string>();
  LmdbTxn txn;
  DB_RETURN_IF_ERROR(BeginRead(&txn));
  MDB_val k = ToVal(key);
  MDB_val v;
  int rc = mdb_get(txn.get(), dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string>();
  if (rc != MDB_SUCCESS) return LmdbError(rc, "reading \"" + std::string(key) + "\"");
  return std::optional<std::string>(std::string(ToView(v)));
}

Result<std::optional<std::string>> Journal::GetPosition(std::string_view source) const {
  return GetString(positions_dbi_, source);
}

Result<std::optional<std::string>> Journal::GetMeta(std::string_view key) const {
  return GetString(meta_dbi_, key);
}

Status Journal::Read(uint64_t from_seq, size_t max_entries, size_t max_bytes,
                     std::vector<JournalEntry>* out) const {
  ReadOptions options;
  options.max_entries = max_entries;
  options.max_bytes = max_bytes;
  options.max_scanned = std::max(options.max_scanned, max_entries);
  return Read(from_seq, options, out);
}

Status Journal::Read(uint64_t from_seq, const ReadOptions& options, std::vector<JournalEntry>* out,
                     uint64_t* resume_seq) const {
  // Entries are assigned into the elements *out already holds, whose strings
  // keep their storage: a caller reading batch after batch into one vector
  // (the publisher) allocates nothing per entry. On every way out *out is
  // cut to the `n` entries returned.
  size_t n = 0;
  struct CutToReturned {
    std::vector<JournalEntry>* out;
    const size_t* n;
    ~CutToReturned() { out->resize(*n); }
  } cut{out, &n};
  if (resume_seq != nullptr) *resume_seq = from_seq;
  if (from_seq == 0) {
    return Status::InvalidArgument("journal " + path_ + ": seqs start at 1, cannot read from 0");
  }
  // Loaded before the read transaction begins: Commit stores it only after
  // its LMDB transaction committed, so this snapshot holds every entry up to
  // it (minus what retention deleted, which deleted_through tells).
  const uint64_t upper = committed_seq();
  LmdbTxn txn;
  DB_RETURN_IF_ERROR(BeginRead(&txn));
  uint64_t deleted = 0;
  DB_RETURN_IF_ERROR(GetU64(txn.get(), jf::kStateDeletedThrough, &deleted));
  if (from_seq <= deleted) {
    return Status::NotFound("journal " + path_ + ": seq " + std::to_string(from_seq) +
                            " is no longer kept; the oldest seq kept is " +
                            std::to_string(deleted + 1));
  }
  if (from_seq > upper) return Status::Ok();

  uint64_t expected = from_seq;
  size_t bytes = 0;
  size_t mapped = 0;
  size_t scanned = 0;
  Status status;
  {
    LmdbCursor cursor;
    int rc = LmdbCursor::Open(txn.get(), entries_dbi_, &cursor);
    if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_cursor_open");
    char buf[jf::kSeqKeySize];
    MDB_val key = SeqKey(from_seq, buf);
    MDB_val value;
    rc = cursor.Get(&key, &value, MDB_SET_RANGE);
    while (rc == MDB_SUCCESS && scanned < options.max_scanned) {
      uint64_t seq = 0;
      status = KeySeq(key, &seq);
      if (!status.ok()) break;
      if (seq > upper) break;  // pending, or committed after we looked
      if (seq != expected) {
        status = Status::Corruption("entry " + std::to_string(expected) + " is missing");
        break;
      }
      jf::EntryView entry;
      status = jf::DecodeEntryValue(ToView(value), &entry);
      if (!status.ok()) {
        status = status.WithContext("entry " + std::to_string(seq));
        break;
      }
      if (HasAnyPrefix(entry.topic, options.topic_prefixes)) {
        const size_t size = entry.topic.size() + entry.body.size();
        if (n >= options.max_entries) break;
        if (n > 0 && bytes + size > options.max_bytes) break;
        if (n < out->size()) {
          JournalEntry& e = (*out)[n];
          e.seq = seq;
          e.write_time_us = entry.write_time_us;
          e.topic.assign(entry.topic);
          e.body.assign(entry.body);
        } else {
          out->push_back(JournalEntry{seq, entry.write_time_us, std::string(entry.topic),
                                      std::string(entry.body)});
        }
        ++n;
        bytes += size;
      }
      mapped += jf::kSeqKeySize + value.mv_size;
      ++scanned;
      expected = seq + 1;
      rc = cursor.Get(&key, &value, MDB_NEXT);
    }
    if (status.ok() && rc != MDB_SUCCESS) {
      if (rc != MDB_NOTFOUND) return LmdbError(rc, "reading entries");
      if (expected <= upper) {
        status = Status::Corruption("entry " + std::to_string(expected) + " is missing");
      }
    }
  }
  txn.Abort();
  NoteMappedRead(mapped);
  if (!status.ok()) {
    n = 0;
    return status.WithContext("journal " + path_);
  }
  if (resume_seq != nullptr) *resume_seq = expected;
  return Status::Ok();
}

void Journal::NoteMappedRead(size_t bytes) const {
  if (options_.release_mapped_bytes == 0 || bytes == 0) return;
  if (mapped_read_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes >=
      options_.release_mapped_bytes) {
    mapped_read_bytes_.store(0, std::memory_order_relaxed);
    ReleaseMappedPages();
  }
}

void Journal::ReleaseMappedPages() const {
  // LMDB maps the data file read-only and shared (no MDB_WRITEMAP): the map
  // never holds dirty pages, every page is a clean copy of the file in the
  // page cache. MADV_DONTNEED only unmaps them from this process; the next
  // touch, by any reader, maps the same file page again. No data can be lost
  // and concurrent readers stay correct, they may just take a minor fault.
  for (const MappedRange& map : {map_, spool_map_}) {
    if (map.addr != nullptr) ::madvise(map.addr, map.size, MADV_DONTNEED);
  }
}

// ---------------------------------------------------------------- retention

Status Journal::ApplyRetention(std::optional<uint64_t> max_bytes, std::optional<int64_t> max_age_us,
                               int64_t now_us) {
  if (!max_bytes && !max_age_us) return Status::Ok();
  const int64_t cutoff = max_age_us ? now_us - *max_age_us : std::numeric_limits<int64_t>::min();
  bool deleted_any = false;
  for (bool done = false; !done;) {
    std::lock_guard<std::mutex> lock(write_mu_);
    LmdbTxn txn;
    DB_RETURN_IF_ERROR(BeginWrite(&txn));
    uint64_t committed = 0, deleted = 0, bytes = 0;
    DB_RETURN_IF_ERROR(GetU64(txn.get(), jf::kStateCommittedSeq, &committed));
    DB_RETURN_IF_ERROR(GetU64(txn.get(), jf::kStateDeletedThrough, &deleted));
    DB_RETURN_IF_ERROR(GetU64(txn.get(), jf::kStateCommittedBytes, &bytes));
    size_t n = 0;
    {
      LmdbCursor cursor;
      int rc = LmdbCursor::Open(txn.get(), entries_dbi_, &cursor);
      if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_cursor_open");
      for (;;) {
        if (n >= options_.delete_batch_entries) break;  // next transaction
        MDB_val key, value;
        rc = cursor.Get(&key, &value, MDB_FIRST);
        if (rc == MDB_NOTFOUND) {
          done = true;
          break;
        }
        if (rc != MDB_SUCCESS) return LmdbError(rc, "reading the oldest entry");
        uint64_t seq = 0;
        DB_RETURN_IF_ERROR(KeySeq(key, &seq).WithContext("journal " + path_));
        // I4: only visible entries; pending ones belong to an open transaction.
        if (seq > committed) {
          done = true;
          break;
        }
        if (seq != deleted + 1) {
          return Status::Corruption("journal " + path_ + ": oldest entry is " +
                                    std::to_string(seq) + ", expected " +
                                    std::to_string(deleted + 1));
        }
        bool expire = max_bytes && bytes > *max_bytes;
        if (!expire && max_age_us) {
          int64_t written = 0;
          DB_RETURN_IF_ERROR(
              jf::DecodeEntryTime(ToView(value), &written)
                  .WithContext("journal " + path_ + ": entry " + std::to_string(seq)));
          expire = written < cutoff;
        }
        if (!expire) {
          done = true;
          break;
        }
        const uint64_t size = jf::kSeqKeySize + value.mv_size;
        if ((rc = mdb_cursor_del(cursor.get(), 0)) != MDB_SUCCESS) {
          return LmdbError(rc, "deleting entry " + std::to_string(seq));
        }
        bytes -= std::min(bytes, size);
        deleted = seq;
        ++n;
      }
    }
    if (n == 0) break;
    DB_RETURN_IF_ERROR(PutU64(txn.get(), jf::kStateDeletedThrough, deleted));
    DB_RETURN_IF_ERROR(PutU64(txn.get(), jf::kStateCommittedBytes, bytes));
    DB_RETURN_IF_ERROR(CommitWrite(&txn, "applying retention"));
    first_seq_.store(deleted + 1, std::memory_order_release);
    size_bytes_.store(bytes, std::memory_order_release);
    deleted_any = true;
  }
  if (deleted_any) {
    std::lock_guard<std::mutex> lock(write_mu_);
    DB_RETURN_IF_ERROR(SyncLocked("applying retention"));
  }
  return Status::Ok();
}

}  // namespace deltabridge
