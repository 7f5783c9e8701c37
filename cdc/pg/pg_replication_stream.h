// PgReplicationStream: the streaming replication protocol (CopyBoth) of one
// logical replication connection, below any decoding.
//
// It starts a logical slot's stream with pgoutput, hands out each XLogData
// payload (one pgoutput message), answers keepalives that ask for a reply,
// and sends standby status updates with the position the caller says is
// durable. It never confirms more than it is told: `flushed` only moves when
// the caller calls SetFlushed() after the journal made that LSN durable.
//
// Borrows the PgConn for its lifetime; not thread-safe (one source thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "cdc/core/lsn.h"
#include "cdc/core/status.h"
#include "cdc/pg/pg_connection.h"

namespace deltabridge {

class PgReplicationStream {
 public:
  struct Message {
    enum class Kind { kNone, kData } kind = Kind::kNone;
    Lsn wal_start;          // of the XLogData
    Lsn wal_end;            // server's current end of WAL
    std::string_view data;  // the pgoutput message; valid until the next Read()
  };

  explicit PgReplicationStream(PgConn* conn) : conn_(conn) {}
  ~PgReplicationStream();
  PgReplicationStream(const PgReplicationStream&) = delete;
  PgReplicationStream& operator=(const PgReplicationStream&) = delete;

  // START_REPLICATION SLOT slot LOGICAL start (pgoutput options).
  Status Start(const std::string& slot, Lsn start, const std::string& publication,
               int proto_version, bool streaming);

  // Waits up to `timeout` for the next XLogData. Keepalives are handled inside
  // (answered at once when the server asks). Returns kNone on timeout.
  // Unavailable when the connection is lost; FailedPrecondition when the
  // server ended the stream with an error that will not go away by retrying.
  Result<Message> Read(std::chrono::milliseconds timeout);

  // The caller has made everything up to `lsn` durable.
  void SetFlushed(Lsn lsn) {
    if (lsn > flushed_) flushed_ = lsn;
  }
  Lsn flushed() const { return flushed_; }
  // The newest WAL end the server reported (keepalive or XLogData).
  Lsn server_wal_end() const { return server_wal_end_; }

  // Sends a standby status update now (write = flush = apply = flushed()).
  Status SendFeedback(bool reply_requested = false);
  // Sends feedback if the last one is older than `interval`.
  Status MaybeSendFeedback(std::chrono::milliseconds interval);

  // Ends the COPY cleanly (PQputCopyEnd), after a final feedback.
  Status Finish();

 private:
  Status HandleKeepalive(const char* buf, int len);
  Status ServerError(const std::string& what);

  PgConn* conn_;             // borrowed
  char* copybuf_ = nullptr;  // owned (PQfreemem), the last message read
  Lsn flushed_;
  Lsn server_wal_end_;
  std::chrono::steady_clock::time_point last_feedback_{};
  bool streaming_ = false;
};

}  // namespace deltabridge
