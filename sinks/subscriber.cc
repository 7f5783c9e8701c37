#include "sinks/subscriber.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <nlohmann/json.hpp>
#include <thread>

#include "cdc/core/decimal.h"
#include "cdc/core/log_limiter.h"
#include "cdc/wire/envelope.h"
#include "cdc/wire/topic.h"

namespace deltabridge {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The longest Run goes without looking at the stop flag.
constexpr milliseconds kStopCheck{100};
constexpr milliseconds kFirstBackoff{100};
// Live messages handled per wake-up before looking at the stop flag again.
constexpr int kLiveBurst = 1000;
// A live message has 2 frames; more are read and thrown away.
constexpr size_t kMaxLiveFrames = 8;
// A replay reply has 3 + 2 * batch frames; the server's batch is far below this.
constexpr size_t kMaxReplyFrames = 1 << 20;

std::string_view View(const zmq::message_t& m) { return {m.data<char>(), m.size()}; }

// Receives one whole message without waiting; false when none is queued.
// Keeps at most max_frames frames; *frame_count gets the real number.
bool ReceiveMessage(zmq::socket_t& socket, size_t max_frames, std::vector<zmq::message_t>* frames,
                    size_t* frame_count) {
  frames->clear();
  *frame_count = 0;
  zmq::message_t part;
  if (!socket.recv(part, zmq::recv_flags::dontwait)) return false;
  while (true) {
    ++*frame_count;
    bool more = part.more();
    if (frames->size() < max_frames) frames->push_back(std::move(part));
    if (!more) return true;
    part = zmq::message_t();
    // The rest of a multipart message is already here: ZeroMQ delivers whole messages.
    if (!socket.recv(part, zmq::recv_flags::dontwait)) return true;
  }
}

// Sends one message without waiting; false when it could not be queued.
bool SendMessage(zmq::socket_t& socket, const std::vector<std::string_view>& frames) {
  for (size_t i = 0; i < frames.size(); ++i) {
    zmq::send_flags flags = zmq::send_flags::dontwait;
    if (i + 1 < frames.size()) flags = flags | zmq::send_flags::sndmore;
    if (!socket.send(zmq::buffer(frames[i]), flags)) return false;
  }
  return true;
}

// Waits up to `timeout` for a message on `socket`. A signal (EINTR: the
// operator's Ctrl-C) just ends the wait early.
void WaitReadable(zmq::socket_t& socket, milliseconds timeout) {
  zmq::pollitem_t items[] = {{socket.handle(), 0, ZMQ_POLLIN, 0}};
  try {
    zmq::poll(items, 1, timeout);
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) throw;
  }
}

}  // namespace

Result<uint64_t> DeltaSeq(std::string_view body) {
  constexpr std::string_view kLead = "{\"seq\":";
  if (body.starts_with(kLead)) {
    const char* begin = body.data() + kLead.size();
    const char* end = body.data() + body.size();
    uint64_t seq = 0;
    auto [p, ec] = std::from_chars(begin, end, seq);
    if (ec == std::errc() && p != begin && p < end && (*p == ',' || *p == '}') && seq > 0) {
      return seq;
    }
  }
  // Any other writer of the contract: spaces, another field order.
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("body is not a JSON object");
  auto it = j.find("seq");
  if (it == j.end() || !it->is_number_unsigned() || it->get<uint64_t>() == 0) {
    return Status::Corruption("body has no positive integer \"seq\"");
  }
  return it->get<uint64_t>();
}

// One Run: the sockets and the replication state. Lives on Run's stack.
class Subscriber::Session {
 public:
  Session(Subscriber& owner, const Handler& handler, const std::atomic<bool>& stop)
      : owner_(owner),
        options_(owner.options_),
        handler_(handler),
        stop_(stop),
        tracking_(!owner.options_.replay_endpoint.empty()) {}

  Status Run();

 private:
  struct Batch {
    uint64_t next_from = 0;
    uint64_t newest = 0;
    std::vector<zmq::message_t> frames;  // "OK", next, newest, topic, body, ...
  };

  void ConnectLive();
  void Reconnect();
  Status HandleLive(const std::vector<zmq::message_t>& frames, size_t frame_count);
  Status CatchUp(uint64_t target);
  Result<Batch> Request(uint64_t from);
  Status Deliver(std::string_view topic, std::string_view body, uint64_t seq, bool replayed);
  bool Matches(std::string_view topic) const;
  void SetLast(uint64_t seq);
  Status SetLastAndDeliver(std::string_view topic, std::string_view body, uint64_t seq,
                           bool replayed);
  void Malformed(const std::string& what);
  // Sleeps up to `d`, waking every kStopCheck; false when stop was set.
  bool Sleep(milliseconds d);
  bool Stopping() {
    if (stop_.load(std::memory_order_relaxed)) stopped_ = true;
    return stopped_;
  }

  Subscriber& owner_;
  const SubscriberOptions& options_;
  const Handler& handler_;
  const std::atomic<bool>& stop_;
  const bool tracking_;  // a replay endpoint is set: no gap, no duplicate

  zmq::socket_t live_;    // SUB on the publish endpoint
  zmq::socket_t replay_;  // DEALER on the replay endpoint; recreated after a timeout

  // Invariant (tracking_): every seq <= last_ has been delivered or filtered
  // out, and nothing above it has been delivered. have_last_ is false until
  // the position is known (from_seq, or the first live message).
  bool have_last_ = false;
  uint64_t last_ = 0;
  bool stopped_ = false;        // Run returns Ok, whatever status unwinds to it
  Clock::time_point deadline_;  // no live message by then: reconnect
  bool outage_logged_ = false;  // one warning per outage, not per reconnect

  LogLimiter malformed_log_{std::chrono::seconds(10)};
  LogLimiter gap_log_{std::chrono::seconds(10)};
};

Status Subscriber::Session::Run() {
  if (options_.publish_endpoint.empty()) {
    return Status::InvalidArgument("subscriber: the publish endpoint is empty");
  }
  if (options_.from_seq && !tracking_) {
    return Status::InvalidArgument("subscriber: starting from a seq needs a replay endpoint");
  }
  if (options_.from_seq && *options_.from_seq == 0) {
    return Status::InvalidArgument("subscriber: seqs start at 1, cannot start from 0");
  }
  try {
    ConnectLive();
    if (tracking_ && options_.from_seq) {
      SetLast(*options_.from_seq - 1);
      Status s = CatchUp(0);
      if (!s.ok()) return stopped_ ? Status::Ok() : s;
      deadline_ = Clock::now() + options_.heartbeat_timeout;
    }
    std::vector<zmq::message_t> frames;
    while (!Stopping()) {
      auto now = Clock::now();
      auto wait = std::clamp(std::chrono::duration_cast<milliseconds>(deadline_ - now),
                             milliseconds(0), kStopCheck);
      WaitReadable(live_, wait);
      size_t frame_count = 0;
      for (int i = 0; i < kLiveBurst && !Stopping() &&
                      ReceiveMessage(live_, kMaxLiveFrames, &frames, &frame_count);
           ++i) {
        Status s = HandleLive(frames, frame_count);
        if (!s.ok()) return stopped_ ? Status::Ok() : s;
      }
      if (Clock::now() >= deadline_ && !Stopping()) {
        Reconnect();
        if (tracking_ && have_last_) {
          Status s = CatchUp(0);
          if (!s.ok()) return stopped_ ? Status::Ok() : s;
          deadline_ = Clock::now() + options_.heartbeat_timeout;
        }
      }
    }
    return Status::Ok();
  } catch (const zmq::error_t& e) {
    if (e.num() == EINVAL || e.num() == EPROTONOSUPPORT) {
      return Status::InvalidArgument(std::string("subscriber: bad endpoint: ") + e.what());
    }
    return Status::IoError(std::string("subscriber: ") + e.what());
  }
}

void Subscriber::Session::ConnectLive() {
  live_ = zmq::socket_t(owner_.context_, zmq::socket_type::sub);
  live_.set(zmq::sockopt::rcvhwm, options_.receive_hwm);
  live_.set(zmq::sockopt::linger, 0);
  if (tracking_ || options_.topic_prefixes.empty()) {
    // Gaps only show on the whole stream; the bridge name is not known here.
    live_.set(zmq::sockopt::subscribe, "");
  } else {
    for (const std::string& prefix : options_.topic_prefixes) {
      live_.set(zmq::sockopt::subscribe, prefix);
      // "parks.scheduling." also needs "parks._heartbeat" to tell a quiet
      // bridge from a dead one; a prefix without a dot already matches it.
      size_t dot = prefix.find('.');
      if (dot != std::string::npos) {
        live_.set(zmq::sockopt::subscribe, HeartbeatTopic(prefix.substr(0, dot)));
      }
    }
  }
  live_.connect(options_.publish_endpoint);
  deadline_ = Clock::now() + options_.heartbeat_timeout;
}

void Subscriber::Session::Reconnect() {
  owner_.reconnects_.fetch_add(1, std::memory_order_relaxed);
  if (!outage_logged_) {
    spdlog::warn("no delta or heartbeat from {} for {} ms; reconnecting{}",
                 options_.publish_endpoint, options_.heartbeat_timeout.count(),
                 tracking_ && have_last_ ? fmt::format(" (resuming after seq {})", last_) : "");
    outage_logged_ = true;
  } else {
    spdlog::debug("still no message from {}; reconnecting", options_.publish_endpoint);
  }
  live_.close();
  replay_.close();
  ConnectLive();
}

Status Subscriber::Session::HandleLive(const std::vector<zmq::message_t>& frames,
                                       size_t frame_count) {
  // Anything from the bridge proves the connection alive.
  deadline_ = Clock::now() + options_.heartbeat_timeout;
  if (outage_logged_) {
    spdlog::info("receiving from {} again", options_.publish_endpoint);
    outage_logged_ = false;
  }
  if (frame_count != 2) {
    Malformed(fmt::format("live message with {} frames, expected 2 (topic, body)", frame_count));
    return Status::Ok();
  }
  std::string_view topic = View(frames[0]);
  std::string_view body = View(frames[1]);

  if (IsHeartbeatTopic(topic)) {
    Result<Heartbeat> heartbeat = DecodeHeartbeat(body);
    if (!heartbeat.ok()) {
      Malformed("heartbeat on " + std::string(topic) + ": " + heartbeat.status().message());
      return Status::Ok();
    }
    if (options_.on_heartbeat) options_.on_heartbeat(heartbeat->nodes);
    const uint64_t newest = heartbeat->newest_seq;
    if (!tracking_) return Status::Ok();
    if (!have_last_) {
      SetLast(newest);  // start with what comes next
      return Status::Ok();
    }
    if (newest > last_) {
      // Idle stream, yet the bridge has published past what we hold.
      DB_RETURN_IF_ERROR(CatchUp(newest));
      owner_.gaps_repaired_.fetch_add(1, std::memory_order_relaxed);
    }
    return Status::Ok();
  }

  Result<uint64_t> seq = DeltaSeq(body);
  if (!seq.ok()) {
    Malformed("delta on " + std::string(topic) + ": " + seq.status().message());
    return Status::Ok();
  }
  if (!tracking_) {
    uint64_t suppressed = 0;
    if (have_last_ && options_.topic_prefixes.empty() && *seq != last_ + 1 &&
        gap_log_.Allow(&suppressed)) {
      spdlog::warn(
          "{}: seq jumped from {} to {}; without a replay endpoint the gap stays "
          "({} similar not logged)",
          options_.publish_endpoint, last_, *seq, suppressed);
    }
    return SetLastAndDeliver(topic, body, *seq, /*replayed=*/false);
  }
  if (!have_last_) SetLast(*seq - 1);
  if (*seq <= last_) {
    owner_.duplicates_.fetch_add(1, std::memory_order_relaxed);
    return Status::Ok();
  }
  if (*seq > last_ + 1) {
    DB_RETURN_IF_ERROR(CatchUp(*seq - 1));
    owner_.gaps_repaired_.fetch_add(1, std::memory_order_relaxed);
    // The replay may have gone past this delta (it was then delivered from
    // the journal) or, rarely, not reached it: drop it then; the next
    // message or heartbeat shows the hole again.
    if (*seq != last_ + 1) return Status::Ok();
  }
  return SetLastAndDeliver(topic, body, *seq, /*replayed=*/false);
}

Status Subscriber::Session::CatchUp(uint64_t target) {
  // How long to wait for the journal to show a seq already seen live.
  const auto give_up = Clock::now() + options_.replay_timeout;
  while (true) {
    const uint64_t from = last_ + 1;
    Result<Batch> batch = Request(from);
    if (!batch.ok()) return batch.status();
    const std::vector<zmq::message_t>& f = batch->frames;
    for (size_t i = 3; i + 1 < f.size(); i += 2) {
      if (Stopping()) return Status::Aborted("stopped");
      std::string_view topic = View(f[i]);
      std::string_view body = View(f[i + 1]);
      Result<uint64_t> seq = DeltaSeq(body);
      if (!seq.ok() || *seq <= last_ || *seq >= batch->next_from) {
        Malformed(fmt::format(
            "replayed delta on {}: {}", topic,
            seq.ok() ? fmt::format("seq {} outside [{}, {})", *seq, from, batch->next_from)
                     : seq.status().message()));
        continue;
      }
      DB_RETURN_IF_ERROR(SetLastAndDeliver(topic, body, *seq, /*replayed=*/true));
    }
    // Everything below next_from was scanned: what is not here did not match.
    if (batch->next_from - 1 > last_) SetLast(batch->next_from - 1);
    if (batch->next_from <= batch->newest) continue;  // more to come
    if (last_ >= target) return Status::Ok();
    // Caught up with the journal, yet short of a seq seen live.
    if (Clock::now() >= give_up) {
      spdlog::warn("replay server {} is at seq {} but seq {} was seen live; will retry",
                   options_.replay_endpoint, last_, target);
      return Status::Ok();
    }
    if (!Sleep(milliseconds(20))) return Status::Aborted("stopped");
  }
}

Result<Subscriber::Session::Batch> Subscriber::Session::Request(uint64_t from) {
  milliseconds backoff = kFirstBackoff;
  int failures = 0;
  std::vector<zmq::message_t> frames;
  while (true) {
    if (Stopping()) return Status::Aborted("stopped");
    if (!replay_) {
      replay_ = zmq::socket_t(owner_.context_, zmq::socket_type::dealer);
      replay_.set(zmq::sockopt::linger, 0);
      replay_.connect(options_.replay_endpoint);
    }
    // ["REPLAY", from, prefix...]: a DEALER sends no empty delimiter.
    const std::string from_text = std::to_string(from);
    std::vector<std::string_view> request = {"REPLAY", from_text};
    request.insert(request.end(), options_.topic_prefixes.begin(), options_.topic_prefixes.end());
    const bool sent = SendMessage(replay_, request);

    std::string failure;
    if (!sent) {
      failure = "request could not be queued";
    } else {
      const auto deadline = Clock::now() + options_.replay_timeout;
      size_t frame_count = 0;
      bool got = false;
      while (!got) {
        if (Stopping()) return Status::Aborted("stopped");
        auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (left <= milliseconds(0)) break;
        WaitReadable(replay_, std::min(left, kStopCheck));
        got = ReceiveMessage(replay_, kMaxReplyFrames, &frames, &frame_count);
      }
      if (!got) {
        failure = fmt::format("no answer within {} ms", options_.replay_timeout.count());
      } else {
        std::string_view kind = View(frames[0]);
        if (kind == "OK" && frame_count >= 3 && frame_count % 2 == 1) {
          std::optional<uint64_t> next = ParseDecimalU64(View(frames[1]));
          std::optional<uint64_t> newest = ParseDecimalU64(View(frames[2]));
          if (next && newest && *next >= from) {
            if (*next == from && from <= *newest) {
              failure = "the server made no progress";
            } else {
              return Batch{*next, *newest, std::move(frames)};
            }
          } else {
            Malformed("replay reply OK with bad seqs");
            failure = "malformed OK reply";
          }
        } else if (kind == "GONE" && frame_count >= 2) {
          std::string oldest(View(frames[1]));
          return Status::FailedPrecondition(fmt::format(
              "replay from seq {} at {}: gone, the bridge's journal now starts at seq {}; the "
              "deltas in between are lost to this subscriber: resynchronise the target (or "
              "start from seq {} knowingly), and raise the bridge's journal retention if this "
              "recurs",
              from, options_.replay_endpoint, oldest, oldest));
        } else if (kind == "ERROR") {
          return Status::InvalidArgument(fmt::format(
              "replay server {} rejected REPLAY from seq {}: {}", options_.replay_endpoint, from,
              frame_count >= 2 ? std::string(View(frames[1])) : "no reason given"));
        } else if (kind == "UNAVAILABLE") {
          failure = frame_count >= 2 ? std::string(View(frames[1])) : "unavailable";
        } else {
          Malformed(fmt::format("replay reply of kind \"{}\" with {} frames", kind.substr(0, 20),
                                frame_count));
          failure = "malformed reply";
        }
      }
    }

    // A failed attempt: start over on a fresh socket (a late answer to this
    // request then goes to the closed one), after a growing pause.
    ++failures;
    owner_.replay_retries_.fetch_add(1, std::memory_order_relaxed);
    replay_.close();
    if (options_.replay_max_attempts > 0 && failures >= options_.replay_max_attempts) {
      return Status::Unavailable(
          fmt::format("replay from seq {} at {}: {} (gave up after {} "
                      "attempts)",
                      from, options_.replay_endpoint, failure, failures));
    }
    spdlog::warn("replay from seq {} at {}: {}; retrying in {} ms", from, options_.replay_endpoint,
                 failure, backoff.count());
    if (!Sleep(backoff)) return Status::Aborted("stopped");
    backoff = std::min(backoff * 2, std::max(options_.max_backoff, kFirstBackoff));
  }
}

Status Subscriber::Session::Deliver(std::string_view topic, std::string_view body, uint64_t seq,
                                    bool replayed) {
  if (!Matches(topic)) return Status::Ok();
  owner_.delivered_.fetch_add(1, std::memory_order_relaxed);
  if (replayed) owner_.replayed_.fetch_add(1, std::memory_order_relaxed);
  return handler_(topic, body, seq);
}

bool Subscriber::Session::Matches(std::string_view topic) const {
  if (IsHeartbeatTopic(topic)) return false;
  if (options_.topic_prefixes.empty()) return true;
  for (const std::string& p : options_.topic_prefixes) {
    if (topic.starts_with(p)) return true;
  }
  return false;
}

void Subscriber::Session::SetLast(uint64_t seq) {
  last_ = seq;
  have_last_ = true;
  owner_.last_seq_.store(seq, std::memory_order_release);
}

Status Subscriber::Session::SetLastAndDeliver(std::string_view topic, std::string_view body,
                                              uint64_t seq, bool replayed) {
  last_ = seq;
  have_last_ = true;
  Status s = Deliver(topic, body, seq, replayed);
  // Published only after the handler returned, with release order: a reader
  // that sees last_seq() == N also sees every delivery up to N (a sink
  // checkpoints the whole stream position once its queue is drained).
  owner_.last_seq_.store(seq, std::memory_order_release);
  return s;
}

void Subscriber::Session::Malformed(const std::string& what) {
  owner_.malformed_.fetch_add(1, std::memory_order_relaxed);
  uint64_t suppressed = 0;
  if (malformed_log_.Allow(&suppressed)) {
    spdlog::warn("subscriber {}: skipped a malformed message: {} ({} similar not logged)",
                 options_.publish_endpoint, what, suppressed);
  }
}

bool Subscriber::Session::Sleep(milliseconds d) {
  const auto until = Clock::now() + d;
  while (!Stopping()) {
    auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
    if (left <= milliseconds(0)) return true;
    std::this_thread::sleep_for(std::min(left, kStopCheck));
  }
  return false;
}

Subscriber::Subscriber(SubscriberOptions options) : options_(std::move(options)), context_(1) {}

Subscriber::~Subscriber() = default;

Status Subscriber::Run(const Handler& handler, const std::atomic<bool>& stop) {
  Session session(*this, handler, stop);
  return session.Run();
}

SubscriberCounters Subscriber::counters() const {
  SubscriberCounters c;
  c.delivered = delivered_.load(std::memory_order_relaxed);
  c.replayed = replayed_.load(std::memory_order_relaxed);
  c.gaps_repaired = gaps_repaired_.load(std::memory_order_relaxed);
  c.malformed = malformed_.load(std::memory_order_relaxed);
  c.duplicates = duplicates_.load(std::memory_order_relaxed);
  c.reconnects = reconnects_.load(std::memory_order_relaxed);
  c.replay_retries = replay_retries_.load(std::memory_order_relaxed);
  return c;
}

}  // namespace deltabridge
