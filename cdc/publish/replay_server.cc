#include "cdc/publish/replay_server.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cdc/core/decimal.h"
#include "cdc/publish/zmq_endpoint.h"

namespace deltabridge {

namespace {

constexpr std::string_view kReplay = "REPLAY";
constexpr std::string_view kOk = "OK";
constexpr std::string_view kGone = "GONE";
constexpr std::string_view kError = "ERROR";
constexpr std::string_view kUnavailable = "UNAVAILABLE";

std::string_view View(const zmq::message_t& m) { return {m.data<char>(), m.size()}; }

// A peer's bytes made safe to quote in a reply or a log line.
std::string Printable(std::string_view s, size_t max = 40) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    char c = s[i];
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (s.size() > max) out.append("...");
  return out;
}

zmq::message_t Frame(std::string_view s) { return zmq::message_t(s.data(), s.size()); }

}  // namespace

ReplayServer::ReplayServer(const ReplaySource& source, const ReplayServerOptions& options)
    : source_(source), options_(options), context_(1) {}

ReplayServer::~ReplayServer() { Stop(); }

Status ReplayServer::Start(std::string_view endpoint) {
  if (!endpoint_.empty()) {
    return Status::FailedPrecondition("replay server already started on " + endpoint_);
  }
  DB_RETURN_IF_ERROR(CheckEndpoint("replay", endpoint));
  try {
    zmq::socket_t socket(context_, zmq::socket_type::router);
    // Fail the send (and count it) instead of dropping silently when a client
    // is gone or has too many replies queued.
    socket.set(zmq::sockopt::router_mandatory, 1);
    socket.set(zmq::sockopt::sndhwm, options_.send_hwm);
    socket.set(zmq::sockopt::linger, 0);
    // Requests are small: a peer announcing a huge frame (or stray bytes read
    // as one) is disconnected by ZeroMQ before anything is allocated.
    socket.set(zmq::sockopt::maxmsgsize, int64_t{64 * 1024});
    // A TCP client that never completes the ZMTP handshake is dropped soon.
    socket.set(zmq::sockopt::handshake_ivl, 5000);
    Result<std::string> bound = BindEndpoint(socket, "replay", endpoint);
    if (!bound.ok()) return bound.status();
    endpoint_ = std::move(bound).value();
    socket_ = std::move(socket);
  } catch (const zmq::error_t& e) {
    return ZmqErrorStatus(e, "replay endpoint " + std::string(endpoint));
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "db-replay");
    Serve();
  });
  spdlog::info("replay server listening on {}", endpoint_);
  return Status::Ok();
}

void ReplayServer::Stop() {
  if (!thread_.joinable()) return;
  // Makes the blocked receive on the server thread fail with ETERM.
  context_.shutdown();
  thread_.join();
}

ReplayServer::Counters ReplayServer::counters() const {
  Counters c;
  c.requests = requests_.load(std::memory_order_relaxed);
  c.ok = ok_.load(std::memory_order_relaxed);
  c.gone = gone_.load(std::memory_order_relaxed);
  c.errors = errors_.load(std::memory_order_relaxed);
  c.unavailable = unavailable_.load(std::memory_order_relaxed);
  c.entries = entries_.load(std::memory_order_relaxed);
  c.dropped_replies = dropped_replies_.load(std::memory_order_relaxed);
  return c;
}

void ReplayServer::Serve() {
  // identity, optional empty delimiter, command, from, prefixes.
  const size_t max_frames = 4 + options_.max_prefixes;
  std::vector<zmq::message_t> frames;
  std::vector<zmq::message_t> reply;
  std::vector<std::string> prefixes;
  while (true) {
    frames.clear();
    reply.clear();
    size_t frame_count = 0;
    try {
      // Receive one whole message, keeping at most max_frames + 1 frames (the
      // rest of an oversized message is read and thrown away).
      zmq::message_t part;
      if (!socket_.recv(part, zmq::recv_flags::none)) continue;
      while (true) {
        ++frame_count;
        bool more = part.more();
        if (frames.size() <= max_frames) frames.push_back(std::move(part));
        if (!more) break;
        part = zmq::message_t();
        if (!socket_.recv(part, zmq::recv_flags::none)) break;
      }
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) break;
      if (e.num() == EINTR) continue;
      // Not expected to happen. Whatever it is, it must neither spin a core
      // nor flood the log: one line per 10 s, and a pause before trying again.
      uint64_t suppressed = 0;
      if (recv_log_.Allow(&suppressed)) {
        spdlog::error("replay server on {}: receive failed: {} ({} more since the last report)",
                      endpoint_, e.what(), suppressed);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    requests_.fetch_add(1, std::memory_order_relaxed);
    if (frames.size() < 2) continue;  // ROUTER always adds the identity; nothing to answer

    // The envelope to echo: the identity, plus the empty delimiter a REQ
    // peer puts before its frames. DEALER peers send none.
    const size_t body_start = frames[1].size() == 0 ? 2 : 1;
    for (size_t i = 0; i < body_start; ++i) reply.push_back(std::move(frames[i]));
    const size_t body_frames = frame_count - body_start;

    std::optional<uint64_t> from;
    if (body_frames > 2 + options_.max_prefixes) {
      AnswerError("too many frames: a request is REPLAY, a from seq and at most " +
                      std::to_string(options_.max_prefixes) + " topic prefixes",
                  &reply);
    } else if (body_frames == 0) {
      AnswerError("empty request: expected REPLAY <from seq> [topic prefix]...", &reply);
    } else if (View(frames[body_start]) != kReplay) {
      AnswerError(
          "unknown command \"" + Printable(View(frames[body_start])) + "\": expected REPLAY",
          &reply);
    } else if (body_frames < 2) {
      AnswerError("REPLAY needs a from seq: REPLAY <from seq> [topic prefix]...", &reply);
    } else if (!(from = ParseDecimalU64(View(frames[body_start + 1]))) || *from == 0) {
      AnswerError("from seq must be a decimal integer >= 1, got \"" +
                      Printable(View(frames[body_start + 1])) + "\"",
                  &reply);
    } else {
      prefixes.clear();
      bool too_long = false;
      for (size_t i = body_start + 2; i < frames.size(); ++i) {
        too_long = too_long || frames[i].size() > options_.max_frame_bytes;
        prefixes.emplace_back(View(frames[i]));
      }
      if (too_long) {
        AnswerError(
            "topic prefix longer than " + std::to_string(options_.max_frame_bytes) + " bytes",
            &reply);
      } else {
        Answer(*from, prefixes, &reply);
      }
    }
    if (!SendReply(&reply)) break;
  }
  socket_.close();
}

void ReplayServer::Answer(uint64_t from, const std::vector<std::string>& prefixes,
                          std::vector<zmq::message_t>* reply) {
  // The bridge appends while we read: `committed` is taken before the Read,
  // which may return newer entries (next_from then passes it, and the client
  // is caught up all the same).
  uint64_t first = source_.first_seq();
  const uint64_t committed = source_.committed_seq();
  uint64_t next_from = from;
  std::vector<ReplayEntry> entries;
  Status s;
  if (from >= first) {
    s = source_.Read(from, prefixes, options_.max_batch_entries, options_.max_batch_bytes,
                     options_.max_scan, &entries, &next_from);
    first = source_.first_seq();  // retention may have trimmed the journal meanwhile
  }

  std::string unavailable;
  if (from < first) {
    gone_.fetch_add(1, std::memory_order_relaxed);
    reply->push_back(Frame(kGone));
    reply->push_back(Frame(std::to_string(first)));
    reply->push_back(Frame("seq " + std::to_string(from) +
                           " is no longer in the journal; the oldest seq kept is " +
                           std::to_string(first)));
    return;
  }
  if (!s.ok()) {
    unavailable =
        "reading the journal from seq " + std::to_string(from) + " failed: " + s.ToString();
  } else if (next_from < from || (next_from == from && from <= committed)) {
    unavailable = "the journal made no progress reading from seq " + std::to_string(from);
  }
  if (!unavailable.empty()) {
    unavailable_.fetch_add(1, std::memory_order_relaxed);
    uint64_t suppressed = 0;
    if (source_log_.Allow(&suppressed)) {
      spdlog::error("replay server on {}: {} ({} similar not logged)", endpoint_, unavailable,
                    suppressed);
    }
    reply->push_back(Frame(kUnavailable));
    reply->push_back(Frame(unavailable));
    return;
  }
  ok_.fetch_add(1, std::memory_order_relaxed);
  entries_.fetch_add(entries.size(), std::memory_order_relaxed);
  reply->push_back(Frame(kOk));
  reply->push_back(Frame(std::to_string(next_from)));
  reply->push_back(Frame(std::to_string(committed)));
  for (const ReplayEntry& e : entries) {
    reply->push_back(Frame(e.topic));
    reply->push_back(Frame(e.body));
  }
}

void ReplayServer::AnswerError(const std::string& message, std::vector<zmq::message_t>* reply) {
  errors_.fetch_add(1, std::memory_order_relaxed);
  uint64_t suppressed = 0;
  if (bad_request_log_.Allow(&suppressed)) {
    spdlog::warn("replay server on {}: malformed request: {} ({} similar not logged)", endpoint_,
                 message, suppressed);
  }
  reply->push_back(Frame(kError));
  reply->push_back(Frame(message));
}

bool ReplayServer::SendReply(std::vector<zmq::message_t>* reply) {
  uint64_t suppressed = 0;
  try {
    bool sent = true;
    for (size_t i = 0; i < reply->size() && sent; ++i) {
      zmq::send_flags flags = zmq::send_flags::dontwait;
      if (i + 1 < reply->size()) flags = flags | zmq::send_flags::sndmore;
      sent = socket_.send((*reply)[i], flags).has_value();
      if (!sent && i == 0) {
        // The ROUTER learns that its I/O thread has drained a client's queue
        // from commands it processes only now and then on a busy socket;
        // reading ZMQ_EVENTS processes them. Then try once more.
        (void)socket_.get(zmq::sockopt::events);
        sent = socket_.send((*reply)[i], flags).has_value();
      }
    }
    if (!sent) {  // EAGAIN: the client has send_hwm replies queued already
      dropped_replies_.fetch_add(1, std::memory_order_relaxed);
      if (dropped_log_.Allow(&suppressed)) {
        spdlog::warn(
            "replay server on {}: dropped a reply to a client that is not reading its replies "
            "({} similar not logged)",
            endpoint_, suppressed);
      }
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == ETERM) return false;
    // EHOSTUNREACH: the client went away before its answer was ready.
    dropped_replies_.fetch_add(1, std::memory_order_relaxed);
    if (e.num() != EHOSTUNREACH && dropped_log_.Allow(&suppressed)) {
      spdlog::warn("replay server on {}: reply failed: {} ({} similar not logged)", endpoint_,
                   e.what(), suppressed);
    }
  }
  return true;
}

}  // namespace deltabridge
