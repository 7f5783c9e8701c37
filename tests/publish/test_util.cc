#include "tests/publish/test_util.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cdc/core/change.h"
#include "cdc/wire/envelope.h"
#include "cdc/wire/topic.h"

namespace deltabridge::testing {

namespace {
int PortOf(std::string_view endpoint) {
  size_t colon = endpoint.rfind(':');
  return colon == std::string_view::npos ? -1 : std::stoi(std::string(endpoint.substr(colon + 1)));
}
}  // namespace

RawTcp::RawTcp(std::string_view endpoint) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(PortOf(endpoint)));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return;
  }
  fd_ = fd;
}

RawTcp::~RawTcp() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawTcp::Send(std::string_view bytes) {
  // MSG_NOSIGNAL: the server may already have dropped us.
  return fd_ >= 0 && ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                         static_cast<ssize_t>(bytes.size());
}

bool RawTcp::WaitClosed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (fd_ >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[256];
    if (::recv(fd_, buf, sizeof buf, 0) <= 0) return true;  // EOF or reset
  }
  return true;
}

SilentListener::SilentListener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "cannot open a silent listener";
    return;
  }
  endpoint_ = "tcp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
}

SilentListener::~SilentListener() {
  if (fd_ >= 0) ::close(fd_);
}

std::string DeltaTopic(std::string_view table) { return MakeTopic("parks", "scheduling", table); }

std::string DeltaBody(uint64_t seq, std::string_view table) {
  Delta d;
  d.seq = seq;
  d.bridge = "parks";
  d.change.source = "scheduling";
  d.change.table = std::string(table);
  d.change.op = Op::kInsert;
  d.change.key.emplace_back("id", Value::Int(static_cast<int64_t>(seq)));
  d.change.changes.push_back(
      {"name", std::nullopt, Value::Textual(Value::Kind::kText, "x", "text")});
  d.change.commit_time_us = 1'700'000'000'000'000;
  d.change.pos = "0/" + std::to_string(seq);
  d.change.tx_id = std::to_string(seq);
  d.change.tx_last = true;
  return EncodeEnvelope(d);
}

std::vector<std::string> RecvStrings(zmq::socket_t& socket, std::chrono::milliseconds timeout) {
  std::vector<std::string> out;
  zmq::pollitem_t items[] = {{socket.handle(), 0, ZMQ_POLLIN, 0}};
  if (zmq::poll(items, 1, timeout) <= 0) return out;
  while (true) {
    zmq::message_t m;
    if (!socket.recv(m, zmq::recv_flags::none)) break;
    out.emplace_back(m.to_string());
    if (!m.more()) break;
  }
  return out;
}

void SendStrings(zmq::socket_t& socket, const std::vector<std::string>& frames) {
  for (size_t i = 0; i < frames.size(); ++i) {
    socket.send(zmq::buffer(frames[i]),
                i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

FakeBridge::FakeBridge() {
  auto publisher = Publisher::Bind("tcp://127.0.0.1:*");
  EXPECT_TRUE(publisher.ok()) << publisher.status().ToString();
  publisher_ = std::move(publisher).value();
  publish_endpoint_ = publisher_->endpoint();
  replay_ = std::make_unique<ReplayServer>(source_);
  Status s = replay_->Start("tcp://127.0.0.1:*");
  EXPECT_TRUE(s.ok()) << s.ToString();
}

uint64_t FakeBridge::Emit(std::string_view table, bool publish) {
  uint64_t seq = ++newest_;
  ReplayEntry e{seq, DeltaTopic(table), DeltaBody(seq, table)};
  source_.Append(e);  // journaled before published, as the contract says
  if (publish) {
    Status s = publisher_->Publish(e.topic, e.body);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return seq;
}

void FakeBridge::Heartbeat(const SourceNodes& nodes) {
  Status s = publisher_->PublishHeartbeat("parks", newest_, nodes);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

void FakeBridge::RestartPublisher() {
  publisher_.reset();
  auto publisher = Publisher::Bind(publish_endpoint_);
  ASSERT_TRUE(publisher.ok()) << publisher.status().ToString();
  publisher_ = std::move(publisher).value();
}

}  // namespace deltabridge::testing
