// PushWorker: one entity's pushes (`POST /sync/<entity>`), applied in arrival
// order on a thread of its own, so that a database round trip never blocks
// the network thread. It holds the entity's PushApplier (sinks/push_applier.h,
// the code of `deltabridge push`), opened on the first push and again after
// the target failed, and answers each push on the network thread.
//
// The push goes through the entity's `push` mapping and rules as a push line
// whose columns are the entity's shown names, with the gateway's `ref`
// (docs/gateway.md, "Push"). A token bound to a row filter may push only
// changes whose row matches it before and after (the row as the gateway's
// store holds it).
//
// Ownership: borrows the config, the view and the store (they outlive it).
// Thread-safe: Submit from any thread; Stop from the owner.
#pragma once

#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/entity_store.h"
#include "gateway/entity_view.h"
#include "gateway/gateway_config.h"
#include "gateway/row_filter.h"
#include "gateway/service.h"
#include "sinks/sink_config.h"

namespace deltabridge {

struct PushJob {
  nlohmann::ordered_json body;           // the request's JSON object, checked as an object
  std::string ref;                       // the gateway's ref for this push
  RowFilter token_filter;                // the token's row filter; empty: none
  std::function<void(HttpAnswer)> done;  // called on the network thread
};

struct PushCounters {
  uint64_t applied = 0;
  uint64_t conflicts = 0;
  uint64_t rejected = 0;  // 400 or 403 answers
  uint64_t failed = 0;    // 503: the target could not be reached
};

// The sink a gateway entity's pushes are applied as: its name is the writer
// in the target's deltabridge_* tables ("<gateway>-<entity>"), its one
// mapping the entity's push mapping. `deltabridge conflicts GATEWAY.yaml`
// uses the same.
SinkConfig PushSinkConfig(const GatewayConfig& gateway, const EntityConfig& entity);

class PushWorker {
 public:
  static constexpr size_t kMaxQueued = 1000;

  PushWorker(boost::asio::io_context& io, const GatewayConfig& gateway, const EntityView& view,
             EntityStore* store);
  ~PushWorker();
  PushWorker(const PushWorker&) = delete;
  PushWorker& operator=(const PushWorker&) = delete;

  // Queues a push; false (nothing queued) when kMaxQueued are waiting.
  bool Submit(PushJob job);
  // Answers what is still queued with 503 and joins the thread.
  void Stop();

  PushCounters counters() const;

 private:
  void Loop();
  HttpAnswer Apply(const PushJob& job);
  // 403 text when the token's filter refuses the change, else "".
  std::string FilterRefusal(const PushJob& job) const;
  void Answer(const PushJob& job, HttpAnswer answer);

  boost::asio::io_context& io_;
  const EntityView& view_;
  EntityStore* store_;
  const SinkConfig sink_;                       // PushSinkConfig; the applier borrows it
  std::unique_ptr<class PushApplier> applier_;  // worker thread only

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<PushJob> queue_;
  bool stopping_ = false;
  PushCounters counters_;
  std::thread thread_;
};

}  // namespace deltabridge
