// RAII owners for LMDB's C handles: LmdbEnv (MDB_env*), LmdbTxn (MDB_txn*) and
// LmdbCursor (MDB_cursor*).
//
// Each owner is non-copyable and movable; its destructor releases the handle
// and never throws. The owners only manage lifetimes: they return LMDB's int
// codes unchanged, and the journal turns those into Status values carrying
// mdb_strerror() text and the journal path.
//
// Lifetime rules (LMDB's, made explicit):
//  - every transaction and cursor must be gone before its LmdbEnv is closed;
//  - a cursor must be destroyed before its transaction commits or aborts
//    (LMDB frees write-transaction cursors itself at the end of the
//    transaction, so a cursor outliving its write transaction would be freed
//    twice). Declare the cursor after the transaction in an inner scope.
//
// Thread-safety: an owner is used by one thread at a time. The environment is
// opened with MDB_NOTLS, so read transactions are not tied to a thread.
#pragma once

#include <lmdb.h>

#include <string_view>
#include <utility>

namespace deltabridge {

// Views an MDB_val as bytes; valid only while its transaction is open.
inline std::string_view ToView(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

// An MDB_val over caller-owned bytes; LMDB only reads them.
inline MDB_val ToVal(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

class LmdbEnv {
 public:
  LmdbEnv() = default;
  explicit LmdbEnv(MDB_env* env) : env_(env) {}
  ~LmdbEnv() { Close(); }
  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;
  LmdbEnv(LmdbEnv&& other) noexcept : env_(std::exchange(other.env_, nullptr)) {}
  LmdbEnv& operator=(LmdbEnv&& other) noexcept {
    if (this != &other) {
      Close();
      env_ = std::exchange(other.env_, nullptr);
    }
    return *this;
  }

  // mdb_env_create(); the owner holds the new environment on success.
  static int Create(LmdbEnv* out);

  MDB_env* get() const { return env_; }
  void Close() noexcept;

 private:
  MDB_env* env_ = nullptr;
};

class LmdbTxn {
 public:
  LmdbTxn() = default;
  ~LmdbTxn() { Abort(); }
  LmdbTxn(const LmdbTxn&) = delete;
  LmdbTxn& operator=(const LmdbTxn&) = delete;
  LmdbTxn(LmdbTxn&& other) noexcept : txn_(std::exchange(other.txn_, nullptr)) {}
  LmdbTxn& operator=(LmdbTxn&& other) noexcept {
    if (this != &other) {
      Abort();
      txn_ = std::exchange(other.txn_, nullptr);
    }
    return *this;
  }

  // mdb_txn_begin(env, nullptr, flags); flags MDB_RDONLY for a reader.
  static int Begin(MDB_env* env, unsigned int flags, LmdbTxn* out);

  MDB_txn* get() const { return txn_; }
  // mdb_txn_commit(). The handle is gone afterwards whatever the outcome
  // (LMDB frees a transaction whose commit fails).
  int Commit() noexcept;
  // mdb_txn_abort(); no-op when there is no transaction.
  void Abort() noexcept;

 private:
  MDB_txn* txn_ = nullptr;
};

class LmdbCursor {
 public:
  LmdbCursor() = default;
  ~LmdbCursor() { Close(); }
  LmdbCursor(const LmdbCursor&) = delete;
  LmdbCursor& operator=(const LmdbCursor&) = delete;
  LmdbCursor(LmdbCursor&& other) noexcept : cursor_(std::exchange(other.cursor_, nullptr)) {}
  LmdbCursor& operator=(LmdbCursor&& other) noexcept {
    if (this != &other) {
      Close();
      cursor_ = std::exchange(other.cursor_, nullptr);
    }
    return *this;
  }

  // mdb_cursor_open(txn, dbi). The transaction must outlive the cursor.
  static int Open(MDB_txn* txn, MDB_dbi dbi, LmdbCursor* out);

  MDB_cursor* get() const { return cursor_; }
  // mdb_cursor_get(); key/data are in and out parameters as in LMDB.
  int Get(MDB_val* key, MDB_val* data, MDB_cursor_op op) const {
    return mdb_cursor_get(cursor_, key, data, op);
  }
  void Close() noexcept;

 private:
  MDB_cursor* cursor_ = nullptr;
};

}  // namespace deltabridge
