#include "cdc/publish/replay_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "sinks/subscriber.h"
#include "tests/publish/test_util.h"

namespace deltabridge::testing {
namespace {

using namespace std::chrono_literals;

class ReplayServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(const ReplayServerOptions& options) {
    server_.reset();
    server_ = std::make_unique<ReplayServer>(source_, options);
    Status s = server_->Start("tcp://127.0.0.1:*");
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Journals seqs newest+1..n, tables alternating "a" and "b".
  void Fill(uint64_t n) {
    for (uint64_t seq = source_.committed_seq() + 1; seq <= n; ++seq) {
      std::string table = seq % 2 ? "a" : "b";
      source_.Append({seq, DeltaTopic(table), DeltaBody(seq, table)});
    }
  }

  zmq::socket_t Client(zmq::socket_type type) {
    zmq::socket_t s(ctx_, type);
    s.set(zmq::sockopt::linger, 0);
    s.connect(server_->endpoint());
    return s;
  }

  // One request, its reply (empty on timeout).
  std::vector<std::string> Ask(zmq::socket_t& s, const std::vector<std::string>& request) {
    SendStrings(s, request);
    return RecvStrings(s);
  }

  MemoryReplaySource source_;
  std::unique_ptr<ReplayServer> server_;
  zmq::context_t ctx_;
};

// Asks from `from` until caught up; returns the seqs received in order and
// checks every reply's shape.
std::vector<uint64_t> ReplayAll(zmq::socket_t& s, uint64_t from,
                                const std::vector<std::string>& prefixes, int* replies) {
  std::vector<uint64_t> seqs;
  *replies = 0;
  while (true) {
    std::vector<std::string> request = {"REPLAY", std::to_string(from)};
    request.insert(request.end(), prefixes.begin(), prefixes.end());
    SendStrings(s, request);
    std::vector<std::string> reply = RecvStrings(s);
    ++*replies;
    EXPECT_GE(reply.size(), 3u);
    if (reply.size() < 3) return seqs;
    EXPECT_EQ(reply[0], "OK");
    EXPECT_EQ(reply.size() % 2, 1u);
    uint64_t next = std::stoull(reply[1]);
    uint64_t newest = std::stoull(reply[2]);
    EXPECT_GE(next, from);
    for (size_t i = 3; i + 1 < reply.size(); i += 2) {
      Result<uint64_t> seq = DeltaSeq(reply[i + 1]);
      EXPECT_TRUE(seq.ok());
      EXPECT_TRUE(seq.ok() && *seq >= from && *seq < next);
      if (seq.ok()) seqs.push_back(*seq);
      bool matches = prefixes.empty();
      for (const auto& p : prefixes) matches = matches || reply[i].starts_with(p);
      EXPECT_TRUE(matches) << reply[i];
    }
    from = next;
    if (next > newest) return seqs;
  }
}

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> v;
  for (uint64_t s = first; s <= last; ++s) v.push_back(s);
  return v;
}

TEST_F(ReplayServerTest, ReplaysARangeInBoundedBatches) {
  ReplayServerOptions options;
  options.max_batch_entries = 7;
  Start(options);
  Fill(100);
  zmq::socket_t dealer = Client(zmq::socket_type::dealer);
  int replies = 0;
  EXPECT_EQ(ReplayAll(dealer, 10, {}, &replies), Range(10, 100));
  EXPECT_EQ(replies, 13);  // 91 entries, 7 a batch

  std::vector<std::string> first = Ask(dealer, {"REPLAY", "10"});
  ASSERT_EQ(first.size(), 3u + 2 * 7);
  EXPECT_EQ(first[1], "17");
  EXPECT_EQ(first[2], "100");
  EXPECT_EQ(first[3], "parks.scheduling.b");
  EXPECT_EQ(first[4], DeltaBody(10, "b"));
}

TEST_F(ReplayServerTest, BatchesAreBoundedInBytesButNeverEmpty) {
  ReplayServerOptions options;
  options.max_batch_bytes = 10;  // less than one entry
  Start(options);
  Fill(5);
  zmq::socket_t dealer = Client(zmq::socket_type::dealer);
  std::vector<std::string> reply = Ask(dealer, {"REPLAY", "1"});
  ASSERT_EQ(reply.size(), 5u);
  EXPECT_EQ(reply[1], "2");
  int replies = 0;
  EXPECT_EQ(ReplayAll(dealer, 1, {}, &replies), Range(1, 5));
}

TEST_F(ReplayServerTest, ServesReqPeers) {
  Fill(20);
  zmq::socket_t req = Client(zmq::socket_type::req);
  int replies = 0;
  EXPECT_EQ(ReplayAll(req, 1, {}, &replies), Range(1, 20));
  EXPECT_EQ(replies, 1);
}

TEST_F(ReplayServerTest, CaughtUpWhenFromIsPastTheNewest) {
  Fill(20);
  zmq::socket_t dealer = Client(zmq::socket_type::dealer);
  EXPECT_EQ(Ask(dealer, {"REPLAY", "21"}), (std::vector<std::string>{"OK", "21", "20"}));
  EXPECT_EQ(Ask(dealer, {"REPLAY", "500"}), (std::vector<std::string>{"OK", "500", "20"}));
}

TEST_F(ReplayServerTest, EmptyJournalIsCaughtUpAtOnce) {
  zmq::socket_t dealer = Client(zmq::socket_type::dealer);
  EXPECT_EQ(Ask(dealer, {"REPLAY", "1"}), (std::vector<std::string>{"OK", "1", "0"}));
}

TEST_F(ReplayServerTest, FiltersByPrefixesAndBoundsTheScan) {
  ReplayServerOptions options;
  options.max_scan = 10;
  Start(options);
  Fill(100);
  source_.Append({101, "parks.legacy.BOOKINGS", "{\"seq\":101,\"bridge\":\"parks\"}"});
  zmq::socket_t dealer = Client(zmq::socket_type::dealer);

  int replies = 0;
  std::vector<uint64_t> odd;
  for (uint64_t s = 1; s <= 100; s += 2) odd.push_back(s);
  EXPECT_EQ(ReplayAll(dealer, 1, {"parks.scheduling.a"}, &replies), odd);
  EXPECT_EQ(replies, 11);  // 10 scanned per request

  EXPECT_EQ(ReplayAll(dealer, 1, {"parks.legacy."}, &replies), std::vector<uint64_t>{101});
  std::vector<uint64_t> all = Range(1, 101);
  EXPECT_EQ(ReplayAll(dealer, 1, {"parks.legacy.", "parks.scheduling."}, &replies), all);
  EXPECT_EQ(ReplayAll(dealer, 1, {""}, &replies), all);  // "" matches everything

  // A filter that matches nothing still advances: zero entries, next_from moves.
  std::vector<std::string> reply = Ask(dealer, {"REPLAY", "1", "nothing."});
  EXPECT_EQ(reply, (std::vector<std::string>{"OK", "11", "101"}));
}

TEST_F(ReplayServerTest, AnswersGoneBelowTheOldestSeqKept) {
  Fill(100);
  source_.TrimBefore(50);
  zmq::socket_t dealer = Client(zmq::socket_type::dealer);
  std::vector<std::string> reply = Ask(dealer, {"REPLAY", "10"});
  ASSERT_EQ(reply.size(), 3u);
  EXPECT_EQ(reply[0], "GONE");
  EXPECT_EQ(reply[1], "50");
  EXPECT_NE(reply[2].find("50"), std::string::npos) << reply[2];
  EXPECT_EQ(Ask(dealer, {"REPLAY", "49"})[0], "GONE");
  EXPECT_EQ(Ask(dealer, {"REPLAY", "50"})[0], "OK");

  zmq::socket_t req = Client(zmq::socket_type::req);
  EXPECT_EQ(Ask(req, {"REPLAY", "1"})[0], "GONE");
  EXPECT_EQ(server_->counters().gone, 3u);
}

TEST_F(ReplayServerTest, AnswersErrorForEachMalformedRequest) {
  Fill(10);
  const std::vector<std::vector<std::string>> bad = {
      {""},                                                        // empty request
      {"HELLO"},                                                   // unknown command
      {"replay", "1"},                                             // commands are case-sensitive
      {"REPLAY"},                                                  // no seq
      {"REPLAY", ""},                                              // empty seq
      {"REPLAY", "abc"},                                           // not a number
      {"REPLAY", "12x"},                                           // trailing junk
      {"REPLAY", "-5"},                                            // sign
      {"REPLAY", " 5"},                                            // space
      {"REPLAY", "0"},                                             // seqs start at 1
      {"REPLAY", "99999999999999999999999"},                       // overflows 64 bits
      {"REPLAY", "18446744073709551616"},                          // 2^64
      {"REPLAY", "1", std::string(5000, 'p')},                     // prefix too long
      {std::string("\x00\xff\xfe", 3), std::string(300, '\x01')},  // binary junk
  };
  zmq::socket_t dealer = Client(zmq::socket_type::dealer);
  zmq::socket_t req = Client(zmq::socket_type::req);
  for (const auto& request : bad) {
    for (zmq::socket_t* s : {&dealer, &req}) {
      std::vector<std::string> reply = Ask(*s, request);
      // A DEALER whose first frame is empty is answered like REQ, the empty
      // delimiter echoed first.
      if (s == &dealer && request[0].empty()) {
        ASSERT_FALSE(reply.empty());
        EXPECT_EQ(reply[0], "");
        reply.erase(reply.begin());
      }
      ASSERT_EQ(reply.size(), 2u) << request[0];
      EXPECT_EQ(reply[0], "ERROR") << request[0] << " " << (request.size() > 1 ? request[1] : "");
      EXPECT_FALSE(reply[1].empty());
    }
  }
  std::vector<std::string> too_many = {"REPLAY", "1"};
  for (int i = 0; i < 65; ++i) too_many.push_back("p" + std::to_string(i));
  std::vector<std::string> reply = Ask(dealer, too_many);
  ASSERT_EQ(reply.size(), 2u);
  EXPECT_EQ(reply[0], "ERROR");
  EXPECT_NE(reply[1].find("too many frames"), std::string::npos);
  too_many.resize(2 + 64);  // exactly the limit is fine
  EXPECT_EQ(Ask(dealer, too_many)[0], "OK");

  // Thousands of frames in one message do not hurt either.
  std::vector<std::string> flood(5000, "x");
  EXPECT_EQ(Ask(dealer, flood)[0], "ERROR");

  // Still serving.
  int replies = 0;
  EXPECT_EQ(ReplayAll(dealer, 1, {}, &replies), Range(1, 10));
  EXPECT_GE(server_->counters().errors, 2 * bad.size());
}

TEST_F(ReplayServerTest, SourceFailureAnswersUnavailable) {
  Fill(10);
  source_.set_fail_reads(true);
  zmq::socket_t dealer = Client(zmq::socket_type::dealer);
  std::vector<std::string> reply = Ask(dealer, {"REPLAY", "1"});
  ASSERT_EQ(reply.size(), 2u);
  EXPECT_EQ(reply[0], "UNAVAILABLE");
  EXPECT_NE(reply[1].find("injected"), std::string::npos);
  source_.set_fail_reads(false);
  EXPECT_EQ(Ask(dealer, {"REPLAY", "1"})[0], "OK");
}

TEST_F(ReplayServerTest, ManyConcurrentClientsGetExactlyTheirRanges) {
  ReplayServerOptions options;
  options.max_batch_entries = 50;
  Start(options);
  Fill(3000);
  std::atomic<bool> done{false};
  // The bridge keeps journaling and publishing meanwhile.
  auto pub = Publisher::Bind("tcp://127.0.0.1:*");
  ASSERT_TRUE(pub.ok());
  std::thread live([&] {
    uint64_t seq = 3000;
    while (!done) {
      ++seq;
      ReplayEntry e{seq, DeltaTopic("a"), DeltaBody(seq, "a")};
      source_.Append(e);
      EXPECT_TRUE((*pub)->Publish(e.topic, e.body).ok());
      std::this_thread::sleep_for(200us);
    }
  });

  constexpr int kClients = 8;
  std::vector<std::vector<uint64_t>> got(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      // Client c wants [first, last]: overlapping ranges, REQ and DEALER mixed.
      uint64_t first = 1 + 300 * c, last = first + 999;
      zmq::socket_t s(ctx_, c % 2 ? zmq::socket_type::req : zmq::socket_type::dealer);
      s.set(zmq::sockopt::linger, 0);
      s.connect(server_->endpoint());
      uint64_t from = first;
      while (from <= last) {
        SendStrings(s, {"REPLAY", std::to_string(from)});
        std::vector<std::string> reply = RecvStrings(s);
        ASSERT_GE(reply.size(), 3u);
        ASSERT_EQ(reply[0], "OK");
        for (size_t i = 3; i + 1 < reply.size(); i += 2) {
          uint64_t seq = *DeltaSeq(reply[i + 1]);
          if (seq <= last) got[c].push_back(seq);
        }
        from = std::stoull(reply[1]);
      }
    });
  }
  for (auto& t : clients) t.join();
  done = true;
  live.join();
  for (int c = 0; c < kClients; ++c) {
    EXPECT_EQ(got[c], Range(1 + 300 * c, 1000 + 300 * c)) << "client " << c;
  }
  EXPECT_EQ(server_->counters().dropped_replies, 0u);
}

TEST_F(ReplayServerTest, StrayTcpBytesDoNotStopTheServer) {
  Fill(10);
  {
    RawTcp garbage(server_->endpoint());  // echo garbage | nc 127.0.0.1 PORT
    ASSERT_TRUE(garbage.connected());
    garbage.Send("garbage\n");
  }
  // Held open: ZeroMQ waits for the rest of a handshake (at most 5 s).
  RawTcp http(server_->endpoint());
  ASSERT_TRUE(http.connected());
  http.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  // Rejected at once: a ZMTP-like signature followed by nonsense, and zeros.
  RawTcp greeting(server_->endpoint());
  ASSERT_TRUE(greeting.connected());
  greeting.Send(std::string("\xff\0\0\0\0\0\0\0\x01\x7f", 10));
  greeting.Send(std::string(300, '\xff'));
  EXPECT_TRUE(greeting.WaitClosed(2s));
  RawTcp zeros(server_->endpoint());
  zeros.Send(std::string(20, '\0'));
  EXPECT_TRUE(zeros.WaitClosed(2s));

  zmq::socket_t dealer = Client(zmq::socket_type::dealer);
  int replies = 0;
  EXPECT_EQ(ReplayAll(dealer, 1, {}, &replies), Range(1, 10));
  zmq::socket_t req = Client(zmq::socket_type::req);
  EXPECT_EQ(ReplayAll(req, 1, {}, &replies), Range(1, 10));
}

TEST_F(ReplayServerTest, AddressInUseNamesTheEndpoint) {
  ReplayServer other(source_);
  Status s = other.Start(server_->endpoint());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_NE(s.message().find(server_->endpoint()), std::string::npos) << s.message();
  EXPECT_FALSE(ReplayServer(source_).Start("http://x").ok());
}

TEST_F(ReplayServerTest, StopIsPromptAndIdempotent) {
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  server_.reset();
}

}  // namespace
}  // namespace deltabridge::testing
