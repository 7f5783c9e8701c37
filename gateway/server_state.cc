#include "gateway/server_state.h"

#include <utility>

namespace deltabridge {

ConnectionSlot::ConnectionSlot(std::shared_ptr<ServerState> state, bool refusing)
    : state_(std::move(state)), id_(state_->next_connection_id++), refusing_(refusing) {
  state_->connections.emplace(id_, std::weak_ptr<Connection>());
  if (refusing_) ++state_->refusing;
  state_->counters.Opened(transport_);
}

ConnectionSlot::ConnectionSlot(ConnectionSlot&& other) noexcept
    : state_(std::move(other.state_)),
      id_(other.id_),
      transport_(other.transport_),
      refusing_(other.refusing_) {
  other.state_ = nullptr;
}

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& other) noexcept {
  if (this != &other) {
    Release(CloseCause::kIoError);
    state_ = std::move(other.state_);
    other.state_ = nullptr;
    id_ = other.id_;
    transport_ = other.transport_;
    refusing_ = other.refusing_;
  }
  return *this;
}

ConnectionSlot::~ConnectionSlot() { Release(CloseCause::kIoError); }

void ConnectionSlot::Attach(std::weak_ptr<Connection> connection, Transport transport) {
  if (state_ == nullptr) return;
  state_->connections[id_] = std::move(connection);
  if (transport != transport_) {
    state_->counters.Left(transport_);
    state_->counters.Opened(transport);
    transport_ = transport;
  }
}

void ConnectionSlot::Release(CloseCause cause) {
  if (state_ == nullptr) return;
  const std::shared_ptr<ServerState> state = std::move(state_);
  state_ = nullptr;
  state->counters.Left(transport_);
  state->counters.Closed(cause);
  state->connections.erase(id_);
  if (refusing_) --state->refusing;
  if (state->stopping && state->connections.empty() && state->on_all_closed) {
    auto done = std::move(state->on_all_closed);
    state->on_all_closed = nullptr;
    done();
  }
}

}  // namespace deltabridge
