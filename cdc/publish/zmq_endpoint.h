// Helpers shared by the publisher and the replay server: checking an endpoint
// and binding a socket to it with errors that name the endpoint.
//
// Pure functions over a caller-owned socket; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <zmq.hpp>

#include "cdc/core/status.h"

namespace deltabridge {

// Ok for "tcp://..." and "ipc://..."; InvalidArgument naming `what` otherwise.
Status CheckEndpoint(std::string_view what, std::string_view endpoint);

// Binds `socket` to `endpoint` and returns the endpoint actually bound
// (ZMQ_LAST_ENDPOINT: "tcp://127.0.0.1:*" comes back with its port).
// "address in use" and the like become IoError, a malformed endpoint
// InvalidArgument; each message names `what` and the endpoint.
Result<std::string> BindEndpoint(zmq::socket_t& socket, std::string_view what,
                                 std::string_view endpoint);

// Turns a zmq::error_t into a Status: ETERM becomes Aborted, the rest IoError.
Status ZmqErrorStatus(const zmq::error_t& e, std::string_view context);

}  // namespace deltabridge
