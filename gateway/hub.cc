#include "gateway/hub.h"

#include <boost/asio/post.hpp>
#include <chrono>
#include <utility>

namespace deltabridge {
namespace {

std::shared_ptr<const std::string> Shared(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

}  // namespace

Hub::Hub(boost::asio::io_context& io, const GatewayConfig& config, EntityStore* store)
    : io_(io), config_(config), store_(store), heartbeat_timer_(io) {
  for (const auto& entity : config_.entities) {
    views_.push_back(std::make_unique<EntityView>(entity));
  }
}

Hub::~Hub() {
  for (ClientStream* stream : streams_) stream->registered_ = false;
}

const EntityView* Hub::View(std::string_view entity) const {
  for (const auto& view : views_) {
    if (view->name() == entity) return view.get();
  }
  return nullptr;
}

uint64_t Hub::published(std::string_view bridge) const {
  auto it = published_.find(bridge);
  return it == published_.end() ? 0 : it->second;
}

size_t Hub::streams_of_token(std::string_view token) const {
  size_t n = 0;
  for (const ClientStream* stream : streams_) {
    if (!stream->closing_ && stream->token_ == token) ++n;
  }
  return n;
}

void Hub::Register(ClientStream* stream) {
  streams_.insert(stream);
  streams_by_entity_[stream->view_->name()].insert(stream);
  stream->registered_ = true;
}

void Hub::Unregister(ClientStream* stream) {
  if (!stream->registered_) return;
  streams_.erase(stream);
  auto it = streams_by_entity_.find(stream->view_->name());
  if (it != streams_by_entity_.end()) it->second.erase(stream);
  stream->registered_ = false;
}

Result<std::unique_ptr<ClientStream>> Hub::Open(const EntityView& view, ClientView client,
                                                StreamStart start, bool batch, std::string token) {
  std::unique_ptr<ClientStream> stream(
      new ClientStream(this, &view, std::move(client), batch, std::move(token)));
  DB_ASSIGN_OR_RETURN(EntityStore::Reader reader, store_->Read());
  const std::string& bridge = view.config().bridge;
  const uint64_t applied = reader.Applied(bridge);
  const uint64_t floor = reader.Floor(bridge);
  auto snapshot = [&] {
    for (const auto& table : store_->Tables(bridge)) {
      if (view.Shows(*table)) stream->tables_.push_back(table);
    }
    stream->start_after_ = applied;
    stream->reader_.emplace(std::move(reader));
  };
  switch (start.mode) {
    case StreamStart::Mode::kLive:
      stream->head_.push_back({Shared(EncodeStart(view.name(), "live")), 0});
      stream->start_after_ = applied;
      break;
    case StreamStart::Mode::kSnapshot:
      stream->head_.push_back({Shared(EncodeStart(view.name(), "snapshot")), 0});
      snapshot();
      break;
    case StreamStart::Mode::kResume:
      if (start.from < floor) {
        ++counters_.resets;
        stream->head_.push_back({Shared(EncodeStart(view.name(), "snapshot")), 0});
        stream->head_.push_back(
            {Shared(EncodeReset(applied, "seq " + std::to_string(start.from) +
                                             " is older than this gateway keeps (it keeps the "
                                             "changes after seq " +
                                             std::to_string(floor) + "): the current rows follow")),
             0});
        snapshot();
      } else if (start.from >= applied) {
        // Nothing to catch up; a seq above the store's (a client of a gateway
        // that lost its state) is taken as the client's: the bridge's seqs
        // are never reused, so what it holds up to there it has.
        stream->head_.push_back({Shared(EncodeStart(view.name(), "resume")), 0});
        stream->start_after_ = start.from;
        stream->position_ = start.from;
      } else {
        stream->head_.push_back({Shared(EncodeStart(view.name(), "resume")), 0});
        stream->start_after_ = applied;
        stream->position_ = start.from;
        stream->reader_.emplace(std::move(reader));
        stream->log_walk_.emplace(&*stream->reader_, bridge, start.from);
      }
      break;
  }
  Register(stream.get());
  ++counters_.streams_opened;
  return stream;
}

void Hub::Publish(const std::string& bridge, std::vector<RowChange> changes, uint64_t applied) {
  if (stopped_) return;
  uint64_t& published = published_[bridge];
  published = std::max(published, applied);
  if (changes.empty()) return;
  // Each view's streams, copied once for the whole batch: a stream may close
  // (and unregister) while it takes a change; a closed one takes no more
  // (OnChange), and none is destroyed before this returns (its session
  // drops it in a handler of its own), nor opened meanwhile.
  std::vector<std::vector<ClientStream*>> streams_of_view(views_.size());
  for (size_t v = 0; v < views_.size(); ++v) {
    if (views_[v]->config().bridge != bridge) continue;
    auto it = streams_by_entity_.find(views_[v]->name());
    if (it != streams_by_entity_.end()) {
      streams_of_view[v].assign(it->second.begin(), it->second.end());
    }
  }
  for (const RowChange& change : changes) {
    for (size_t v = 0; v < views_.size(); ++v) {
      const std::vector<ClientStream*>& streams = streams_of_view[v];
      if (streams.empty() || !views_[v]->Shows(*change.table)) continue;
      const EntityView* view = views_[v].get();
      const ShownChange shown = Show(*view, change);
      std::shared_ptr<const std::string> plain;
      bool plain_done = false;
      for (ClientStream* stream : streams) {
        if (stream->client_.plain() && !plain_done) {
          plain_done = true;
          if (auto text = EncodeDelta(shown, ClientView{})) plain = Shared(std::move(*text));
        }
        stream->OnChange(shown, plain);
      }
    }
  }
}

void Hub::StartHeartbeats() {
  heartbeat_timer_.expires_after(std::chrono::seconds(1));
  heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    Heartbeat();
    StartHeartbeats();
  });
}

void Hub::Heartbeat() {
  std::map<std::string, std::shared_ptr<const std::string>, std::less<>> messages;
  const std::vector<ClientStream*> streams(streams_.begin(), streams_.end());
  for (ClientStream* stream : streams) {
    const std::string& bridge = stream->view_->config().bridge;
    const uint64_t seq = std::max(published(bridge), stream->start_after_);
    auto& message = messages[bridge + "/" + std::to_string(seq)];
    if (!message) message = Shared(EncodeHeartbeat(seq));
    stream->OnHeartbeat(seq, message);
  }
}

void Hub::Stop() {
  stopped_ = true;
  heartbeat_timer_.cancel();
}

void Hub::Revoke(const std::set<std::string>& token_names) {
  const std::vector<ClientStream*> streams(streams_.begin(), streams_.end());
  for (ClientStream* stream : streams) {
    if (!stream->token_.empty() && token_names.count(stream->token_) != 0) {
      stream->Close({1008, "token revoked"});
    }
  }
}

void Hub::CloseAll(std::string_view reason) {
  const std::vector<ClientStream*> streams(streams_.begin(), streams_.end());
  for (ClientStream* stream : streams) stream->Close({1001, std::string(reason)});
}

ClientStream::ClientStream(Hub* hub, const EntityView* view, ClientView client, bool batch,
                           std::string token)
    : hub_(hub), view_(view), client_(std::move(client)), batch_(batch), token_(std::move(token)) {}

ClientStream::~ClientStream() {
  *alive_ = false;
  log_walk_.reset();
  row_walk_.reset();
  reader_.reset();
  hub_->Unregister(this);
}

void ClientStream::Closed() {
  hub_->Unregister(this);
  log_walk_.reset();
  row_walk_.reset();
  reader_.reset();
  live_.clear();
  live_bytes_ = 0;
}

void ClientStream::Close(CloseReason reason) {
  if (closing_) return;
  closing_ = std::move(reason);
  live_.clear();
  live_bytes_ = 0;
  hub_->Unregister(this);
  wake_wanted_ = true;
  Wake();
}

void ClientStream::Wake() {
  if (!wake_wanted_ || wake_posted_ || !wakeup_) return;
  wake_posted_ = true;
  boost::asio::post(hub_->io(), [this, alive = std::weak_ptr<bool>(alive_)] {
    auto still = alive.lock();
    if (!still || !*still) return;
    wake_posted_ = false;
    wake_wanted_ = false;
    if (wakeup_) wakeup_();
  });
}

void ClientStream::Enqueue(OutMessage message) {
  if (closing_) return;
  live_bytes_ += message.json->size();
  live_.push_back(std::move(message));
  const GatewayLimits& limits = hub_->limits();
  if (live_.size() > limits.client_queue_messages || live_bytes_ > limits.client_queue_bytes) {
    ++hub_->counters_.overflow_closes;
    if (position_ > 0) {
      Close({4008, "slow client: resume with from=" + std::to_string(position_)});
    } else {
      Close({4008, "slow client: subscribe again"});
    }
    return;
  }
  Wake();
}

void ClientStream::OnChange(const ShownChange& shown,
                            const std::shared_ptr<const std::string>& plain) {
  if (closing_ || shown.change->seq <= start_after_) return;
  if (client_.plain()) {
    if (!plain) return;
    ++hub_->counters_.messages_queued;
    Enqueue({plain, shown.change->seq});
    return;
  }
  if (auto text = EncodeDelta(shown, client_)) {
    ++hub_->counters_.messages_queued;
    Enqueue({Shared(std::move(*text)), shown.change->seq});
  }
}

void ClientStream::OnHeartbeat(uint64_t seq, const std::shared_ptr<const std::string>& message) {
  if (closing_ || phase_ != Phase::kLive || !live_.empty()) return;
  Enqueue({message, seq});
}

Result<std::optional<OutMessage>> ClientStream::NextCatchUp() {
  if (log_walk_) {
    while (true) {
      DB_ASSIGN_OR_RETURN(std::optional<RowChange> change, log_walk_->Next());
      if (!change) break;
      if (change->seq > start_after_) break;  // written after the reader began: cannot be
      if (!view_->Shows(*change->table)) continue;
      const ShownChange shown = Show(*view_, *change);
      if (auto text = EncodeDelta(shown, client_)) {
        return std::optional<OutMessage>(OutMessage{Shared(std::move(*text)), change->seq});
      }
    }
    log_walk_.reset();
    return std::optional<OutMessage>();
  }
  while (table_index_ < tables_.size()) {
    if (!row_walk_) row_walk_.emplace(&*reader_, tables_[table_index_]);
    DB_ASSIGN_OR_RETURN(Row row, row_walk_->Next());
    if (row.is_null()) {
      row_walk_.reset();
      ++table_index_;
      continue;
    }
    const StoredTable& table = *tables_[table_index_];
    const Row shown = view_->Project(row);
    if (auto text = EncodeSnapshot(table, view_->ShownKey(table), shown, client_)) {
      return std::optional<OutMessage>(OutMessage{Shared(std::move(*text)), 0});
    }
  }
  return std::optional<OutMessage>();
}

size_t ClientStream::Take(std::vector<OutMessage>* out, size_t max_messages, size_t max_bytes) {
  size_t taken = 0;
  size_t bytes = 0;
  auto take = [&](OutMessage message) {
    bytes += message.json->size();
    if (message.event_id != 0) position_ = message.event_id;
    out->push_back(std::move(message));
    ++taken;
  };
  while (taken < max_messages && (taken == 0 || bytes < max_bytes)) {
    if (!head_.empty()) {
      take(std::move(head_.front()));
      head_.pop_front();
      continue;
    }
    if (closing_) break;
    if (phase_ == Phase::kCatchUp) {
      Result<std::optional<OutMessage>> next = NextCatchUp();
      if (!next.ok()) {
        Close({1011, "the gateway could not read its store"});
        break;
      }
      if (*next) {
        take(std::move(**next));
        continue;
      }
      phase_ = Phase::kLive;
      row_walk_.reset();
      reader_.reset();
      take({Shared(EncodeUpToDate(start_after_)), start_after_});
      continue;
    }
    if (live_.empty()) break;
    live_bytes_ -= live_.front().json->size();
    take(std::move(live_.front()));
    live_.pop_front();
  }
  if (taken == 0) wake_wanted_ = true;
  return taken;
}

}  // namespace deltabridge
