// The spool of PostgreSQL streamed (proto v2) transactions, part of Journal.
//
// Records live in the `spool` database keyed by (xid, counter): the counter
// grows with every SpoolAppend, so a cursor over one xid's key range visits
// its records in append order, whatever the interleaving of transactions.
// Records are first staged in memory (at most spool_flush_threshold_bytes)
// and written in one LMDB transaction.
//
// The spool is its own LMDB environment (`<journal>/spool`) opened with
// MDB_NOSYNC: its commits are never fsync'd. That would be unsafe in the
// journal's environment (with MDB_NOSYNC a power loss can leave a meta page
// pointing at pages that never reached the disk, corrupting everything in
// the file), so the spool lives in a file of its own that Open deletes and
// recreates: whatever a crash left in it is never read.

#include <algorithm>
#include <filesystem>

#include "cdc/journal/journal.h"
#include "cdc/journal/journal_format.h"

namespace deltabridge {

namespace jf = journal_format;

namespace {

constexpr size_t kDrainChunkBytes = size_t{1} << 20;
constexpr size_t kDrainChunkRecords = 4096;

std::string SpoolKey(uint32_t xid, uint64_t counter) {
  std::string key(jf::kSpoolKeySize, '\0');
  jf::PutU32(xid, key.data());
  jf::PutU64(counter, key.data() + 4);
  return key;
}

// Splits a spool key; false when it is not one.
bool ParseSpoolKey(const MDB_val& key, uint32_t* xid, uint64_t* counter) {
  if (key.mv_size != jf::kSpoolKeySize) return false;
  const char* p = static_cast<const char*>(key.mv_data);
  *xid = jf::GetU32(p);
  *counter = jf::GetU64(p + 4);
  return true;
}

}  // namespace

Status Journal::OpenSpool() {
  const std::string dir = path_ + "/" + jf::kSpoolDir;
  // Journal::Init holds the directory lock, so no one else has these open.
  std::error_code ec;
  for (const char* file : {"data.mdb", "lock.mdb"}) {
    std::filesystem::remove(dir + "/" + file, ec);
    if (ec)
      return Status::IoError("journal spool " + dir + ": cannot remove " + file + ": " +
                             ec.message());
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status::IoError("journal spool " + dir + ": cannot create directory: " + ec.message());
  }
  int rc = LmdbEnv::Create(&spool_env_);
  if (rc != MDB_SUCCESS) return SpoolError(rc, "mdb_env_create");
  if ((rc = mdb_env_set_mapsize(spool_env_.get(), options_.spool_map_size_bytes)) != MDB_SUCCESS) {
    return SpoolError(rc, "mdb_env_set_mapsize");
  }
  rc = mdb_env_open(spool_env_.get(), dir.c_str(), MDB_NOTLS | MDB_NOSYNC, 0640);
  if (rc != MDB_SUCCESS) return SpoolError(rc, "mdb_env_open");
  spool_map_ = FindMapping(dir + "/data.mdb");
  LmdbTxn txn;
  if ((rc = LmdbTxn::Begin(spool_env_.get(), 0, &txn)) != MDB_SUCCESS) {
    return SpoolError(rc, "beginning a write transaction");
  }
  if ((rc = mdb_dbi_open(txn.get(), nullptr, 0, &spool_dbi_)) != MDB_SUCCESS) {
    return SpoolError(rc, "opening the spool database");
  }
  if ((rc = txn.Commit()) != MDB_SUCCESS) return SpoolError(rc, "mdb_txn_commit");
  return Status::Ok();
}

Status Journal::BeginSpool(unsigned int flags, LmdbTxn* txn) const {
  int rc = LmdbTxn::Begin(spool_env_.get(), flags, txn);
  if (rc != MDB_SUCCESS) return SpoolError(rc, "beginning a transaction");
  return Status::Ok();
}

Status Journal::CommitSpool(LmdbTxn* txn, std::string_view what) const {
  int rc = txn->Commit();
  if (rc != MDB_SUCCESS) return SpoolError(rc, std::string(what) + ": mdb_txn_commit");
  return Status::Ok();
}

Status Journal::SpoolAppend(uint32_t xid, uint32_t subxid, std::string_view record) {
  SpoolStaged staged;
  staged.key = SpoolKey(xid, spool_counter_++);
  staged.value.resize(jf::kSpoolHeaderSize);
  jf::PutU32(subxid, staged.value.data());
  staged.value.append(record);
  spool_staged_bytes_ += staged.key.size() + staged.value.size();
  spool_staged_.push_back(std::move(staged));
  if (spool_staged_bytes_ > options_.spool_flush_threshold_bytes) return FlushSpool();
  return Status::Ok();
}

Status Journal::FlushSpool() {
  if (spool_staged_.empty()) return Status::Ok();
  {
    LmdbTxn txn;
    DB_RETURN_IF_ERROR(BeginSpool(0, &txn));
    for (const SpoolStaged& s : spool_staged_) {
      MDB_val key = ToVal(s.key);
      MDB_val value = ToVal(s.value);
      int rc = mdb_put(txn.get(), spool_dbi_, &key, &value, 0);
      if (rc != MDB_SUCCESS) return SpoolError(rc, "writing a record");
    }
    DB_RETURN_IF_ERROR(CommitSpool(&txn, "writing records"));
  }
  spool_staged_.clear();
  spool_staged_bytes_ = 0;
  return Status::Ok();
}

Status Journal::SpoolDiscard(uint32_t xid, std::optional<uint32_t> subxid) {
  auto matches = [&](const SpoolStaged& s) {
    return jf::GetU32(s.key.data()) == xid && (!subxid || jf::GetU32(s.value.data()) == *subxid);
  };
  for (const SpoolStaged& s : spool_staged_) {
    if (matches(s)) spool_staged_bytes_ -= s.key.size() + s.value.size();
  }
  spool_staged_.erase(std::remove_if(spool_staged_.begin(), spool_staged_.end(), matches),
                      spool_staged_.end());
  return DeleteSpooled(xid, subxid);
}

Status Journal::DeleteSpooled(uint32_t xid, std::optional<uint32_t> subxid) {
  uint64_t next_counter = 0;
  for (bool done = false; !done;) {
    LmdbTxn txn;
    DB_RETURN_IF_ERROR(BeginSpool(0, &txn));
    size_t examined = 0;
    size_t examined_bytes = 0;
    size_t deleted = 0;
    {
      LmdbCursor cursor;
      int rc = LmdbCursor::Open(txn.get(), spool_dbi_, &cursor);
      if (rc != MDB_SUCCESS) return SpoolError(rc, "mdb_cursor_open");
      std::string start = SpoolKey(xid, next_counter);
      MDB_val key = ToVal(start);
      MDB_val value;
      rc = cursor.Get(&key, &value, MDB_SET_RANGE);
      for (;;) {
        if (rc == MDB_NOTFOUND) {
          done = true;
          break;
        }
        if (rc != MDB_SUCCESS) return SpoolError(rc, "reading the spool");
        uint32_t key_xid = 0;
        uint64_t counter = 0;
        if (!ParseSpoolKey(key, &key_xid, &counter) || value.mv_size < jf::kSpoolHeaderSize) {
          return Status::Corruption("journal spool " + path_ + ": malformed record");
        }
        if (key_xid != xid) {
          done = true;
          break;
        }
        if (examined >= options_.delete_batch_entries) break;  // next transaction
        ++examined;
        examined_bytes += value.mv_size;
        next_counter = counter + 1;
        if (!subxid || jf::GetU32(static_cast<const char*>(value.mv_data)) == *subxid) {
          if ((rc = mdb_cursor_del(cursor.get(), 0)) != MDB_SUCCESS) {
            return SpoolError(rc, "deleting from the spool");
          }
          ++deleted;
          // Re-position explicitly rather than rely on the cursor's state
          // after a delete.
          start = SpoolKey(xid, next_counter);
          key = ToVal(start);
          rc = cursor.Get(&key, &value, MDB_SET_RANGE);
        } else {
          rc = cursor.Get(&key, &value, MDB_NEXT);
        }
      }
    }
    if (deleted > 0) DB_RETURN_IF_ERROR(CommitSpool(&txn, "deleting records"));
    // The walk touched the spool's pages through the map: let them go, so a
    // million-row transaction does not leave the spool resident.
    NoteMappedRead(examined_bytes);
  }
  return Status::Ok();
}

Status Journal::SpoolDrain(uint32_t xid, const std::function<Status(std::string_view record)>& fn) {
  // Everything spooled for xid goes to LMDB first, so one ordered cursor walk
  // sees all of it.
  DB_RETURN_IF_ERROR(FlushSpool());
  uint64_t next_counter = 0;
  std::vector<std::string> chunk;
  for (;;) {
    chunk.clear();
    size_t chunk_bytes = 0;
    {
      // A short read transaction per chunk: fn runs with no transaction open,
      // so it may Append (and flush) freely, and memory stays bounded.
      LmdbTxn txn;
      DB_RETURN_IF_ERROR(BeginSpool(MDB_RDONLY, &txn));
      LmdbCursor cursor;
      int rc = LmdbCursor::Open(txn.get(), spool_dbi_, &cursor);
      if (rc != MDB_SUCCESS) return SpoolError(rc, "mdb_cursor_open");
      std::string start = SpoolKey(xid, next_counter);
      MDB_val key = ToVal(start);
      MDB_val value;
      rc = cursor.Get(&key, &value, MDB_SET_RANGE);
      while (rc == MDB_SUCCESS && chunk.size() < kDrainChunkRecords &&
             chunk_bytes < kDrainChunkBytes) {
        uint32_t key_xid = 0;
        uint64_t counter = 0;
        if (!ParseSpoolKey(key, &key_xid, &counter) || value.mv_size < jf::kSpoolHeaderSize) {
          return Status::Corruption("journal spool " + path_ + ": malformed record");
        }
        if (key_xid != xid) break;
        std::string_view v = ToView(value);
        chunk.emplace_back(v.substr(jf::kSpoolHeaderSize));
        chunk_bytes += v.size();
        next_counter = counter + 1;
        rc = cursor.Get(&key, &value, MDB_NEXT);
      }
      if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return SpoolError(rc, "reading the spool");
    }
    NoteMappedRead(chunk_bytes);
    if (chunk.empty()) break;
    for (const std::string& record : chunk) DB_RETURN_IF_ERROR(fn(record));
  }
  return DeleteSpooled(xid, std::nullopt);
}

Status Journal::SpoolClear() {
  spool_staged_.clear();
  spool_staged_bytes_ = 0;
  LmdbTxn txn;
  DB_RETURN_IF_ERROR(BeginSpool(0, &txn));
  int rc = mdb_drop(txn.get(), spool_dbi_, 0);
  if (rc != MDB_SUCCESS) return SpoolError(rc, "emptying the spool");
  return CommitSpool(&txn, "emptying the spool");
}

}  // namespace deltabridge
