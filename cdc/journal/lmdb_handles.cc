#include "cdc/journal/lmdb_handles.h"

#include <cerrno>

namespace deltabridge {

int LmdbEnv::Create(LmdbEnv* out) {
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc == MDB_SUCCESS) *out = LmdbEnv(env);
  return rc;
}

void LmdbEnv::Close() noexcept {
  if (env_ != nullptr) mdb_env_close(std::exchange(env_, nullptr));
}

int LmdbTxn::Begin(MDB_env* env, unsigned int flags, LmdbTxn* out) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env, nullptr, flags, &txn);
  if (rc == MDB_SUCCESS) {
    out->Abort();
    out->txn_ = txn;
  }
  return rc;
}

int LmdbTxn::Commit() noexcept {
  if (txn_ == nullptr) return EINVAL;
  return mdb_txn_commit(std::exchange(txn_, nullptr));
}

void LmdbTxn::Abort() noexcept {
  if (txn_ != nullptr) mdb_txn_abort(std::exchange(txn_, nullptr));
}

int LmdbCursor::Open(MDB_txn* txn, MDB_dbi dbi, LmdbCursor* out) {
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn, dbi, &cursor);
  if (rc == MDB_SUCCESS) {
    out->Close();
    out->cursor_ = cursor;
  }
  return rc;
}

void LmdbCursor::Close() noexcept {
  if (cursor_ != nullptr) mdb_cursor_close(std::exchange(cursor_, nullptr));
}

}  // namespace deltabridge
