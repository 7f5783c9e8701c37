// Hub: the gateway's fan-out, on the network thread. The materializer posts
// each committed batch of row changes here (Publish); the hub shows each
// change once per entity and hands it to every client stream of that entity,
// whose own view (filter, columns) decides what, if anything, it sees.
//
// ClientStream (a Subscription, service.h) is one client's stream: a start
// message, then a catch-up read from the store inside one read transaction
// (the current rows, or the log after the client's seq), then up-to-date,
// then live changes with seq above the catch-up's seq, and heartbeats. No
// change is lost or repeated at the seam: the catch-up reads the store as of
// seq S, and the stream takes from Publish only changes numbered above S
// (the materializer posts a batch after committing it, so every change at or
// below S is either in the read or posted before the stream existed).
//
// A stream's live queue is bounded (limits.client_queue_*): when it
// overflows, the stream closes with 4008 and the seq to resume from.
//
// Threads: everything on the network thread. Streams register with the hub
// when made and unregister when destroyed or closed; the hub outlives them.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gateway/entity_store.h"
#include "gateway/entity_view.h"
#include "gateway/gateway_config.h"
#include "gateway/service.h"

namespace deltabridge {

class ClientStream;

// What a new stream starts with.
struct StreamStart {
  enum class Mode { kSnapshot, kResume, kLive };
  Mode mode = Mode::kSnapshot;
  uint64_t from = 0;  // kResume: the last seq the client processed
};

struct HubCounters {
  uint64_t streams_opened = 0;
  uint64_t overflow_closes = 0;
  uint64_t resets = 0;           // resumes answered with the current rows again
  uint64_t messages_queued = 0;  // delta messages handed to streams
};

class Hub {
 public:
  Hub(boost::asio::io_context& io, const GatewayConfig& config, EntityStore* store);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // The view of an entity; nullptr when unknown.
  const EntityView* View(std::string_view entity) const;

  // A new stream of `view` for one client (token: the token's name, for
  // revocation; "" for none). Errors: IoError when the store cannot be read.
  Result<std::unique_ptr<ClientStream>> Open(const EntityView& view, ClientView client,
                                             StreamStart start, bool batch, std::string token);

  // Network thread: changes of `bridge` committed through `applied`.
  void Publish(const std::string& bridge, std::vector<RowChange> changes, uint64_t applied);
  // Network thread: starts the heartbeat timer (once a second).
  void StartHeartbeats();
  void Stop();
  // Ends every stream of a token no longer valid (1008).
  void Revoke(const std::set<std::string>& token_names);
  // Ends every stream (1001, the gateway is stopping).
  void CloseAll(std::string_view reason);

  // The newest seq published of `bridge`; 0 before any.
  uint64_t published(std::string_view bridge) const;
  size_t stream_count() const { return streams_.size(); }
  size_t streams_of_token(std::string_view token) const;
  const HubCounters& counters() const { return counters_; }
  const GatewayLimits& limits() const { return config_.limits; }
  boost::asio::io_context& io() { return io_; }
  EntityStore* store() { return store_; }

 private:
  friend class ClientStream;
  void Register(ClientStream* stream);
  void Unregister(ClientStream* stream);
  void Heartbeat();

  boost::asio::io_context& io_;
  const GatewayConfig& config_;
  EntityStore* store_;
  std::vector<std::unique_ptr<EntityView>> views_;
  std::map<std::string, std::set<ClientStream*>, std::less<>> streams_by_entity_;
  std::set<ClientStream*> streams_;
  std::map<std::string, uint64_t, std::less<>> published_;
  boost::asio::steady_timer heartbeat_timer_;
  bool stopped_ = false;
  HubCounters counters_;
};

class ClientStream : public Subscription {
 public:
  ~ClientStream() override;

  size_t Take(std::vector<OutMessage>* out, size_t max_messages, size_t max_bytes) override;
  void SetWakeup(std::function<void()> wakeup) override { wakeup_ = std::move(wakeup); }
  std::optional<CloseReason> closing() const override { return closing_; }
  bool batch() const override { return batch_; }
  void Closed() override;

  const EntityView& view() const { return *view_; }
  const std::string& token() const { return token_; }

 private:
  friend class Hub;
  ClientStream(Hub* hub, const EntityView* view, ClientView client, bool batch, std::string token);

  // Hub side.
  void OnChange(const ShownChange& shown, const std::shared_ptr<const std::string>& plain);
  void OnHeartbeat(uint64_t seq, const std::shared_ptr<const std::string>& message);
  void Close(CloseReason reason);
  void Enqueue(OutMessage message);
  void Wake();
  // Catch-up: the next message read from the store, or nullopt when done.
  Result<std::optional<OutMessage>> NextCatchUp();

  enum class Phase { kCatchUp, kLive };

  Hub* hub_;
  const EntityView* view_;
  ClientView client_;
  const bool batch_;
  const std::string token_;
  bool registered_ = false;

  Phase phase_ = Phase::kCatchUp;
  std::deque<OutMessage> head_;  // start, reset: before the catch-up
  // The catch-up: a reader as of seq start_after_, and a walk over the
  // entity's tables (snapshot) or over the log (resume).
  std::optional<EntityStore::Reader> reader_;
  std::vector<std::shared_ptr<const StoredTable>> tables_;
  size_t table_index_ = 0;
  std::optional<EntityStore::RowWalk> row_walk_;
  std::optional<EntityStore::LogWalk> log_walk_;
  uint64_t start_after_ = 0;  // live changes above this seq are the stream's

  std::deque<OutMessage> live_;
  size_t live_bytes_ = 0;
  // The seq the client holds the entity as of, once it has processed every
  // message taken so far; 0 while a snapshot is under way.
  uint64_t position_ = 0;

  std::function<void()> wakeup_;
  bool wake_wanted_ = false;  // Take returned nothing since the last wakeup
  bool wake_posted_ = false;
  std::optional<CloseReason> closing_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace deltabridge
