#include "cdc/publish/publisher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cdc/wire/envelope.h"
#include "tests/publish/test_util.h"

namespace deltabridge::testing {
namespace {

using namespace std::chrono_literals;

// Connects a raw SUB socket and waits until it gets heartbeats (the slow
// joiner: a subscription takes a moment to reach the PUB).
zmq::socket_t ConnectedSub(zmq::context_t& ctx, Publisher& pub, const std::string& prefix) {
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::linger, 0);
  sub.set(zmq::sockopt::subscribe, prefix);
  sub.connect(pub.endpoint());
  bool joined = WaitFor([&] {
    EXPECT_TRUE(pub.PublishHeartbeat("parks", 0).ok());
    return !RecvStrings(sub, 10ms).empty();
  });
  EXPECT_TRUE(joined);
  while (!RecvStrings(sub, 20ms).empty()) {
  }
  return sub;
}

TEST(PublisherTest, BindsTcpWithKernelPickedPort) {
  auto pub = Publisher::Bind("tcp://127.0.0.1:*");
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_TRUE((*pub)->endpoint().starts_with("tcp://127.0.0.1:"));
  EXPECT_NE((*pub)->endpoint(), "tcp://127.0.0.1:*");
}

TEST(PublisherTest, BindsIpc) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("db_publish_test_" + std::to_string(::getpid()) + ".sock"))
                         .string();
  auto pub = Publisher::Bind("ipc://" + path);
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  zmq::context_t ctx;
  zmq::socket_t sub = ConnectedSub(ctx, **pub, "");
  pub->reset();
  std::filesystem::remove(path);
}

TEST(PublisherTest, AddressInUseNamesTheEndpoint) {
  auto first = Publisher::Bind("tcp://127.0.0.1:*");
  ASSERT_TRUE(first.ok());
  auto second = Publisher::Bind((*first)->endpoint());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kIoError);
  EXPECT_NE(second.status().message().find((*first)->endpoint()), std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find("in use"), std::string::npos)
      << second.status().message();
}

TEST(PublisherTest, IpcPathWithALiveListenerIsRefusedAndAStaleOneReused) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("db_publish_ipc_" + std::to_string(::getpid()) + ".sock"))
                         .string();
  auto first = Publisher::Bind("ipc://" + path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  // libzmq would unlink the first bridge's socket file and bind anew.
  auto second = Publisher::Bind("ipc://" + path);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kIoError);
  EXPECT_NE(second.status().message().find("another process is listening"), std::string::npos)
      << second.status().message();
  // Once the first is gone (a stale file may remain), the path is free again.
  first->reset();
  auto third = Publisher::Bind("ipc://" + path);
  EXPECT_TRUE(third.ok()) << third.status().ToString();
  third->reset();
  std::filesystem::remove(path);
}

TEST(PublisherTest, RejectsOtherTransports) {
  for (const char* ep : {"inproc://x", "udp://127.0.0.1:1", "127.0.0.1:5556", "tcp://"}) {
    auto pub = Publisher::Bind(ep);
    ASSERT_FALSE(pub.ok()) << ep;
    EXPECT_EQ(pub.status().code(), Status::Code::kInvalidArgument) << ep;
    EXPECT_NE(pub.status().message().find(ep), std::string::npos) << pub.status().message();
  }
  auto bad_host = Publisher::Bind("tcp://no such host:1");
  ASSERT_FALSE(bad_host.ok());
  EXPECT_NE(bad_host.status().message().find("no such host"), std::string::npos);
}

TEST(PublisherTest, DeltaIsTwoFramesAndHeartbeatCarriesNewestSeq) {
  auto pub = Publisher::Bind("tcp://127.0.0.1:*");
  ASSERT_TRUE(pub.ok());
  zmq::context_t ctx;
  zmq::socket_t sub = ConnectedSub(ctx, **pub, "parks.");

  std::string body = DeltaBody(7, "public.tour_slots");
  ASSERT_TRUE((*pub)->Publish(DeltaTopic("public.tour_slots"), body).ok());
  ASSERT_TRUE((*pub)->PublishHeartbeat("parks", 7).ok());

  std::vector<std::string> delta = RecvStrings(sub);
  ASSERT_EQ(delta.size(), 2u);
  EXPECT_EQ(delta[0], "parks.scheduling.public.tour_slots");
  EXPECT_EQ(delta[1], body);
  Result<Delta> decoded = DecodeEnvelope(delta[1]);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->seq, 7u);

  std::vector<std::string> hb = RecvStrings(sub);
  ASSERT_EQ(hb.size(), 2u);
  EXPECT_EQ(hb[0], "parks._heartbeat");
  Result<uint64_t> newest = DecodeHeartbeatSeq(hb[1]);
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(*newest, 7u);
  EXPECT_GE((*pub)->published(), 2u);
}

TEST(PublisherTest, StrayTcpBytesDoNotStopPublishing) {
  auto pub = Publisher::Bind("tcp://127.0.0.1:*");
  ASSERT_TRUE(pub.ok());
  {
    RawTcp garbage((*pub)->endpoint());  // echo garbage | nc 127.0.0.1 PORT
    ASSERT_TRUE(garbage.connected());
    garbage.Send("garbage\n");
  }
  RawTcp http((*pub)->endpoint());  // held open until the handshake times out
  ASSERT_TRUE(http.connected());
  http.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  RawTcp greeting((*pub)->endpoint());  // a ZMTP-like signature, then nonsense
  ASSERT_TRUE(greeting.connected());
  greeting.Send(std::string("\xff\0\0\0\0\0\0\0\x01\x7f", 10));
  greeting.Send(std::string(300, '\xff'));
  EXPECT_TRUE(greeting.WaitClosed(2s));  // rejected

  zmq::context_t ctx;
  zmq::socket_t sub = ConnectedSub(ctx, **pub, "");
  ASSERT_TRUE((*pub)->Publish("parks.s.t", DeltaBody(1, "t")).ok());
  std::vector<std::string> got = RecvStrings(sub);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "parks.s.t");
}

}  // namespace
}  // namespace deltabridge::testing
