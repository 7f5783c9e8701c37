#include "cdc/pg/pg_replication_stream.h"

#include <poll.h>

#include <cstring>

#include "cdc/core/wall_clock.h"
#include "cdc/pg/pgoutput_messages.h"

namespace deltabridge {

namespace {

uint64_t ReadU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void WriteU64(char* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

}  // namespace

PgReplicationStream::~PgReplicationStream() {
  if (copybuf_ != nullptr) PQfreemem(copybuf_);
}

Status PgReplicationStream::Start(const std::string& slot, Lsn start,
                                  const std::string& publication, int proto_version,
                                  bool streaming) {
  std::string sql = "START_REPLICATION SLOT " + QuoteIdent(slot) + " LOGICAL " + start.ToString() +
                    " (\"proto_version\" '" + std::to_string(proto_version) +
                    "', \"publication_names\" " + conn_->EscapeLiteral(QuoteIdent(publication));
  if (streaming) sql += ", \"streaming\" 'on'";
  sql += ")";
  PgResultPtr r(PQexec(conn_->get(), sql.c_str()));
  if (r == nullptr || PQresultStatus(r.get()) != PGRES_COPY_BOTH) {
    std::string msg = r ? PQresultErrorMessage(r.get()) : conn_->LastError();
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    std::string state = PgConn::SqlState(r.get());
    std::string text = "START_REPLICATION on slot \"" + slot + "\" failed: " + msg;
    if (!state.empty()) text += " (SQLSTATE " + state + ")";
    // 42704 undefined_object: the slot or publication is gone; retrying will not help.
    if (state == "42704") return Status::FailedPrecondition(text);
    if (PQstatus(conn_->get()) != CONNECTION_OK) return Status::Unavailable(text);
    // 55006 object in use: another walsender holds the slot (e.g. our previous
    // connection not yet reaped by the server); worth a retry.
    if (state == "55006") return Status::Unavailable(text);
    return Status::FailedPrecondition(text);
  }
  flushed_ = start;
  streaming_ = true;
  last_feedback_ = std::chrono::steady_clock::now();
  return Status::Ok();
}

Status PgReplicationStream::ServerError(const std::string& what) {
  PgResultPtr r(PQgetResult(conn_->get()));
  std::string msg = r ? PQresultErrorMessage(r.get()) : "";
  std::string state = PgConn::SqlState(r.get());
  if (msg.empty()) msg = conn_->LastError();
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  streaming_ = false;
  std::string text = what + ": " + msg;
  if (!state.empty()) text += " (SQLSTATE " + state + ")";
  if (PQstatus(conn_->get()) != CONNECTION_OK || state.empty() || state.rfind("57", 0) == 0 ||
      state.rfind("08", 0) == 0) {
    // Connection class errors and operator intervention (shutdown): retry.
    return Status::Unavailable(text);
  }
  return Status::FailedPrecondition(text);
}

Status PgReplicationStream::HandleKeepalive(const char* buf, int len) {
  // 'k' walEnd(8) sendTime(8) replyRequested(1)
  if (len < 18) return Status::Corruption("short keepalive message (" + std::to_string(len) + ")");
  Lsn end(ReadU64(buf + 1));
  if (end > server_wal_end_) server_wal_end_ = end;
  if (buf[17] != 0) return SendFeedback();
  return Status::Ok();
}

Result<PgReplicationStream::Message> PgReplicationStream::Read(std::chrono::milliseconds timeout) {
  if (!streaming_) return Status::Unavailable("replication stream is not running");
  if (copybuf_ != nullptr) {
    PQfreemem(copybuf_);
    copybuf_ = nullptr;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool consumed = false;
  for (;;) {
    int len = PQgetCopyData(conn_->get(), &copybuf_, /*async=*/1);
    if (len > 0) {
      if (copybuf_[0] == 'k') {
        Status s = HandleKeepalive(copybuf_, len);
        PQfreemem(copybuf_);
        copybuf_ = nullptr;
        if (!s.ok()) return s;
        continue;
      }
      if (copybuf_[0] == 'w') {
        // 'w' walStart(8) walEnd(8) sendTime(8) data
        if (len < 25) return Status::Corruption("short XLogData message");
        Message m;
        m.kind = Message::Kind::kData;
        m.wal_start = Lsn(ReadU64(copybuf_ + 1));
        m.wal_end = Lsn(ReadU64(copybuf_ + 9));
        if (m.wal_end > server_wal_end_) server_wal_end_ = m.wal_end;
        m.data = std::string_view(copybuf_ + 25, len - 25);
        return m;
      }
      return Status::Corruption(std::string("unknown CopyData message type '") + copybuf_[0] + "'");
    }
    if (len == -1) return ServerError("replication stream ended");
    if (len == -2) return ServerError("replication stream failed");
    // len == 0: nothing buffered in libpq. First take what the socket
    // already holds (no waiting), then wait for more until the deadline.
    if (!consumed) {
      consumed = true;
      if (PQconsumeInput(conn_->get()) == 0) return ServerError("replication connection lost");
      continue;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return Message{};
    int wait_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
    pollfd pfd{PQsocket(conn_->get()), POLLIN, 0};
    int pr = poll(&pfd, 1, wait_ms);
    if (pr < 0 && errno != EINTR) return Status::Unavailable("poll on replication socket failed");
    if (PQconsumeInput(conn_->get()) == 0) return ServerError("replication connection lost");
  }
}

Status PgReplicationStream::SendFeedback(bool reply_requested) {
  char buf[34];
  buf[0] = 'r';
  WriteU64(buf + 1, flushed_.value);   // written
  WriteU64(buf + 9, flushed_.value);   // flushed
  WriteU64(buf + 17, flushed_.value);  // applied
  WriteU64(buf + 25, static_cast<uint64_t>(WallClockMicros() - pgoutput::kPgEpochOffsetUs));
  buf[33] = reply_requested ? 1 : 0;
  if (PQputCopyData(conn_->get(), buf, sizeof buf) <= 0 || PQflush(conn_->get()) < 0) {
    return Status::Unavailable("cannot send standby status update: " + conn_->LastError());
  }
  last_feedback_ = std::chrono::steady_clock::now();
  return Status::Ok();
}

Status PgReplicationStream::MaybeSendFeedback(std::chrono::milliseconds interval) {
  if (std::chrono::steady_clock::now() - last_feedback_ < interval) return Status::Ok();
  return SendFeedback();
}

Status PgReplicationStream::Finish() {
  if (!streaming_) return Status::Ok();
  Status s = SendFeedback();
  streaming_ = false;
  if (PQputCopyEnd(conn_->get(), nullptr) <= 0) return Status::Unavailable("PQputCopyEnd failed");
  PQflush(conn_->get());
  return s;
}

}  // namespace deltabridge
