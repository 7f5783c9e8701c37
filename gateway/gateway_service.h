// GatewayCore: the gateway's answer to each request (service.h): who may read
// or push what (tokens, limits), what a stream starts with (from, where,
// columns), and where a push goes (one PushWorker per entity that takes
// pushes).
//
// The tokens file is read at Start and again whenever it changes (checked
// every two seconds): a token removed or changed ends its streams (1008); a
// file that no longer loads is logged and the tokens in force stay.
//
// Threads: Subscribe, Push and the reload timer run on the network thread;
// the push workers answer there too.
#pragma once

#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "gateway/entity_store.h"
#include "gateway/gateway_config.h"
#include "gateway/hub.h"
#include "gateway/push_worker.h"
#include "gateway/row_filter.h"
#include "gateway/service.h"
#include "gateway/token_file.h"

namespace deltabridge {

struct CoreCounters {
  uint64_t refused_401 = 0;
  uint64_t refused_403 = 0;
  uint64_t refused_429 = 0;
  uint64_t bad_requests = 0;
  uint64_t pushes = 0;
};

class GatewayCore : public GatewayService {
 public:
  GatewayCore(boost::asio::io_context& io, const GatewayConfig& config, Hub* hub,
              EntityStore* store);
  ~GatewayCore() override;

  // Loads the tokens (a missing file is a warning: no token is valid until
  // `deltabridge token` adds one) and starts the push workers and the reload
  // timer. InvalidArgument when the tokens file exists but does not load.
  Status Start();
  // Stops the timer and the push workers (what is queued is answered 503).
  void Stop();

  std::variant<std::unique_ptr<Subscription>, HttpAnswer> Subscribe(
      const SyncRequest& request) override;
  void Push(PushRequest request, std::function<void(HttpAnswer)> done) override;

  const CoreCounters& counters() const { return counters_; }
  PushCounters push_counters() const;
  size_t token_count() const { return tokens_ ? tokens_->file.tokens.size() : 0; }

 private:
  struct Tokens {
    TokensFile file;
    std::map<std::string, RowFilter, std::less<>> filters;  // by token name
  };
  struct Bucket {
    double available = 0;
    std::chrono::steady_clock::time_point last;
    bool started = false;
  };
  // Who the request is: nullptr with `refusal` set when it must be refused.
  const TokenEntry* Authenticate(const std::string& token, bool needs_token, HttpAnswer* refusal);
  // Takes one request from the token's budget; false (with `refusal`, 429) when spent.
  bool Spend(const TokenEntry& entry, HttpAnswer* refusal);
  Result<std::shared_ptr<const Tokens>> LoadTokens() const;
  void ScheduleReload();
  void Reload();
  std::string NextRef();

  boost::asio::io_context& io_;
  const GatewayConfig& config_;
  Hub* hub_;
  EntityStore* store_;
  std::shared_ptr<const Tokens> tokens_;
  struct stat tokens_stat_ {};
  bool tokens_present_ = false;
  std::map<std::string, Bucket, std::less<>> buckets_;
  std::map<std::string, std::unique_ptr<PushWorker>, std::less<>> push_workers_;
  boost::asio::steady_timer reload_timer_;
  bool stopped_ = false;
  const int64_t ref_epoch_;
  uint64_t next_ref_ = 0;
  CoreCounters counters_;
};

}  // namespace deltabridge
