// `deltabridge check GATEWAY.yaml` through the real binary, against a real
// PostgreSQL, a real bridge and a real gateway: every prerequisite passes
// with exit 0, and each one broken on its own fails with exit 1 and the line
// that says how to fix it (docs/gateway.md, "Checking a gateway file").
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/integration/bridge_harness.h"
#include "tests/integration/gateway_harness.h"
#include "tests/integration/sink_harness.h"
#include "tests/integration/sink_test_base.h"
#include "tests/support/temp_dir.h"

namespace deltabridge::test {
namespace {

constexpr const char* kSlotsTable =
    "CREATE TABLE slots (id INT PRIMARY KEY, status TEXT, seats INT, notes TEXT);"
    "ALTER TABLE slots REPLICA IDENTITY FULL";

std::string SlotsEntity(const std::string& dsn, const std::string& push_extra = "") {
  return "  - name: slots\n    from: [parks.scheduling.public.slots]\n    exclude: [notes]\n"
         "    push:\n      target: {type: postgres, dsn: \"" +
         dsn + "\", node: parks.scheduling}\n      to: public.slots\n      key: [id]\n" +
         push_extra;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class GatewayCheckTest : public SinkTestBase {
 protected:
  GatewayCheckTest() : SinkTestBase("gwc") {}

  void StartBridge() {
    Sql(sched(), kSlotsTable);
    bridge_ = std::make_unique<BridgeUnderTest>("parks", OneSource("[public.slots]"));
    ASSERT_NO_FATAL_FAILURE(bridge_->StartStreaming());
  }
  void MakeGateway(const std::string& push_extra = "", const std::string& gateway_extra = "") {
    gateway_ = std::make_unique<GatewayUnderTest>(
        "app", *bridge_, SlotsEntity(pg_->Conninfo(sched()), push_extra), gateway_extra);
  }
  RunResult Check() { return SinkUnderTest::Cli({"check", gateway_->config_path()}); }
  // A line of the output, the exact text after its "ok    " or "FAIL  ".
  static bool HasLine(const RunResult& r, const std::string& level, const std::string& text) {
    return Contains("\n" + r.output, "\n" + level + "  " + text);
  }

  std::unique_ptr<BridgeUnderTest> bridge_;
  std::unique_ptr<GatewayUnderTest> gateway_;
};

// Everything in place: every line ok (notes aside), exit 0. Then the same
// with the gateway running: its own port is in use by itself, which passes.
TEST_F(GatewayCheckTest, AReadyGatewayPassesAlsoWhileItRuns) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  MakeGateway();
  gateway_->AddToken("app", {"--read", "slots", "--push", "slots"});
  const std::string port = std::to_string(gateway_->port());

  RunResult r = Check();
  EXPECT_EQ(r.status.exit_code, 0) << r.output;
  EXPECT_FALSE(Contains(r.output, "FAIL")) << r.output;
  EXPECT_TRUE(HasLine(r, "ok  ",
                      gateway_->config_path() +
                          ": configuration valid (1 bridge(s), 1 entity(ies), 1 taking pushes)"))
      << r.output;
  EXPECT_TRUE(HasLine(r, "ok  ", "bridge parks: heartbeat at " + bridge_->publish())) << r.output;
  EXPECT_TRUE(HasLine(r, "ok  ", "state_dir " + gateway_->state_dir() + " will be created"))
      << r.output;
  EXPECT_TRUE(HasLine(r, "ok  ", "tokens file " + gateway_->tokens_file() + ": 1 token(s) load"))
      << r.output;
  EXPECT_TRUE(HasLine(r, "ok  ", "listen 127.0.0.1:" + port + " can be bound")) << r.output;
  EXPECT_TRUE(HasLine(r, "ok  ", "entity slots: push target: connected to")) << r.output;
  EXPECT_TRUE(HasLine(r, "ok  ",
                      "entities[0].push slots -> public.slots: table, key, columns and rules fit"))
      << r.output;
  // The origin tag of the target's node. The bridge made the table in this
  // database, which is both its source and the push target.
  EXPECT_TRUE(Contains(r.output,
                       "entity slots: push target: deltabridge_origin (the origin tag "
                       "of entities[0].push.target.node parks.scheduling)"))
      << r.output;
  EXPECT_TRUE(Contains(r.output,
                       "parks.scheduling) exists, and the gateway's user may insert and "
                       "update it"))
      << r.output;

  ASSERT_NO_FATAL_FAILURE(gateway_->Start());
  // The status file (rewritten every second) names the process.
  ASSERT_TRUE(WaitUntil([&] {
    struct stat st {};
    return ::stat((gateway_->state_dir() + "/status.json").c_str(), &st) == 0;
  }));
  r = Check();
  EXPECT_EQ(r.status.exit_code, 0) << r.output;
  EXPECT_TRUE(HasLine(r, "ok  ",
                      "listen 127.0.0.1:" + port +
                          ": in use by this gateway, running "
                          "as pid "))
      << r.output;
  EXPECT_TRUE(HasLine(r, "ok  ", "state_dir " + gateway_->state_dir() + " is writable"))
      << r.output;
  gateway_->Stop();
}

// No tokens file while an entity needs tokens: the fix is the command that
// makes one. A bridge that does not answer, a push table that does not fit.
TEST_F(GatewayCheckTest, EachMissingPrerequisiteFailsWithItsFix) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  MakeGateway("      rules: {status: additive}\n");
  const std::string path = gateway_->config_path();
  RunResult r = Check();
  EXPECT_EQ(r.status.exit_code, 1) << r.output;
  EXPECT_TRUE(HasLine(r, "FAIL",
                      "tokens file " + gateway_->tokens_file() +
                          " does not exist: no application may read entity slots yet\n"
                          "      fix: deltabridge token " +
                          path + " NAME --read slots"))
      << r.output;
  // The rule's column is located in the gateway file, under the entity's push.
  EXPECT_TRUE(Contains(r.output, "FAIL  " + path +
                                     ":18:15: entities[0].push.rules.status: "
                                     "additive needs a numeric column"))
      << r.output;

  bridge_->Stop();
  r = Check();
  EXPECT_EQ(r.status.exit_code, 1) << r.output;
  EXPECT_TRUE(HasLine(r, "FAIL", "bridge parks: ")) << r.output;
  EXPECT_TRUE(Contains(
      r.output, "fix: start the bridge (deltabridge run BRIDGE.yaml), or correct " + path + ":"))
      << r.output;
}

// A push table the target does not have: FAIL at the push's `to`.
TEST_F(GatewayCheckTest, APushTableTheTargetLacksFails) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  Sql(sched(), "CREATE TABLE other (id INT PRIMARY KEY)");
  gateway_ = std::make_unique<GatewayUnderTest>(
      "app", *bridge_,
      "  - name: slots\n    from: [parks.scheduling.public.slots]\n    push:\n"
      "      target: {type: postgres, dsn: \"" +
          pg_->Conninfo(sched()) + "\"}\n      to: public.missing\n      key: [id]\n");
  gateway_->AddToken("app", {"--read", "slots", "--push", "slots"});
  RunResult r = Check();
  EXPECT_EQ(r.status.exit_code, 1) << r.output;
  EXPECT_TRUE(Contains(r.output,
                       ": entities[0].push.to: the target has no table public.missing\n"
                       "      fix: create the table in the target"))
      << r.output;
}

// A token whose filter does not parse (written by hand: deltabridge token
// refuses it) stops a gateway at start; check names the token and the fix.
TEST_F(GatewayCheckTest, ATokenFilterThatDoesNotParseFails) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  MakeGateway();
  {
    std::ofstream f(gateway_->tokens_file());
    f << "tokens:\n  - name: broken\n    sha256: " << std::string(64, 'a')
      << "\n    read: [slots]\n    push: [slots]\n    filter: \"status = \"\n";
  }
  RunResult r = Check();
  EXPECT_EQ(r.status.exit_code, 1) << r.output;
  EXPECT_TRUE(
      HasLine(r, "FAIL",
              "tokens file " + gateway_->tokens_file() + ": token broken: filter \"status = \": "))
      << r.output;
  EXPECT_TRUE(Contains(r.output, "fix: deltabridge token " + gateway_->config_path() +
                                     " --revoke broken, then add it again"))
      << r.output;
}

// The listen port held by another program: FAIL naming its pid (here this
// test's own process) and the key to change.
TEST_F(GatewayCheckTest, AListenPortInUseNamesItsHolder) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  MakeGateway();
  gateway_->AddToken("app", {"--read", "slots", "--push", "slots"});
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(gateway_->port()));
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  RunResult r = Check();
  ::close(fd);
  EXPECT_EQ(r.status.exit_code, 1) << r.output;
  EXPECT_TRUE(HasLine(r, "FAIL",
                      "listen 127.0.0.1:" + std::to_string(gateway_->port()) + ": in use by pid " +
                          std::to_string(::getpid()) + " ("))
      << r.output;
  EXPECT_TRUE(Contains(r.output, "fix: stop it, or choose another gateway.listen (" +
                                     gateway_->config_path() + ":3:3)"))
      << r.output;
}

// TLS: a certificate and its key pass (with the subject and the end of
// validity); a key of another certificate, or a file missing, fails.
TEST_F(GatewayCheckTest, TlsFilesLoadAndMatchOrFail) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  TempDir dir = TempDir::CreateOrDie("dbgwtls-");
  for (const std::string name : {"a", "b"}) {
    const std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=" +
        name + ".test -keyout " + dir.Join(name + ".key") + " -out " + dir.Join(name + ".crt") +
        " 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "the openssl command line (Debian package openssl)";
  }
  auto tls = [&](const std::string& cert, const std::string& key) {
    return "  tls: {cert_file: " + dir.Join(cert) + ", key_file: " + dir.Join(key) + "}\n";
  };
  MakeGateway("", tls("a.crt", "a.key"));
  gateway_->AddToken("app", {"--read", "slots", "--push", "slots"});
  RunResult r = Check();
  EXPECT_EQ(r.status.exit_code, 0) << r.output;
  EXPECT_TRUE(
      HasLine(r, "ok  ", "tls: certificate " + dir.Join("a.crt") + " (/CN=a.test, valid until "))
      << r.output;
  // Two days left: a note, not a failure.
  EXPECT_TRUE(
      Contains(r.output, "note  tls: the certificate in " + dir.Join("a.crt") + " expires in "))
      << r.output;

  MakeGateway("", tls("a.crt", "b.key"));
  gateway_->AddToken("app", {"--read", "slots", "--push", "slots"});
  r = Check();
  EXPECT_EQ(r.status.exit_code, 1) << r.output;
  EXPECT_TRUE(HasLine(r, "FAIL",
                      "tls.key_file " + dir.Join("b.key") + " does not match the certificate in " +
                          dir.Join("a.crt")))
      << r.output;
  EXPECT_TRUE(Contains(r.output, "fix: give the private key of that certificate")) << r.output;

  MakeGateway("", tls("missing.crt", "a.key"));
  gateway_->AddToken("app", {"--read", "slots", "--push", "slots"});
  r = Check();
  EXPECT_EQ(r.status.exit_code, 1) << r.output;
  EXPECT_TRUE(HasLine(r, "FAIL", "tls.cert_file " + dir.Join("missing.crt") + ": cannot read it"))
      << r.output;
}

// Run as root, check knows the gateway's user from its state_dir and fails a
// tokens file that user cannot read (root's 0600 file: what `deltabridge
// token` makes as root before the state_dir exists).
TEST_F(GatewayCheckTest, AsRootATokensFileTheGatewaysUserCannotReadFails) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: chown";
  const passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user nobody";
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  MakeGateway();
  gateway_->AddToken("app", {"--read", "slots", "--push", "slots"});  // root's, 0600
  ASSERT_EQ(::mkdir(gateway_->state_dir().c_str(), 0750), 0);
  ASSERT_EQ(::chown(gateway_->state_dir().c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  // The test's directory (0700) keeps nobody out: said with the directory.
  const std::string dir = gateway_->tokens_file().substr(0, gateway_->tokens_file().rfind('/'));
  RunResult r = Check();
  EXPECT_EQ(r.status.exit_code, 1) << r.output;
  EXPECT_TRUE(HasLine(r, "FAIL",
                      "tokens file " + gateway_->tokens_file() +
                          " cannot be read by nobody, the gateway's user (the owner of "
                          "its state_dir): it may not enter " +
                          dir + " (root:root, mode 0700)"))
      << r.output;
  ASSERT_EQ(::chmod(dir.c_str(), 0711), 0);
  r = Check();
  EXPECT_EQ(r.status.exit_code, 1) << r.output;
  EXPECT_TRUE(Contains(r.output,
                       "note  check runs as root, which may read files and bind ports "
                       "that nobody, the gateway's user, may not"))
      << r.output;
  EXPECT_TRUE(HasLine(r, "FAIL",
                      "tokens file " + gateway_->tokens_file() +
                          " (root:root, mode 0600) cannot be read by nobody"))
      << r.output;
  EXPECT_TRUE(Contains(r.output, "fix: chown nobody: " + gateway_->tokens_file())) << r.output;
  // Given to that user, as the fix says: it passes.
  ASSERT_EQ(::chown(gateway_->tokens_file().c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  r = Check();
  EXPECT_TRUE(HasLine(r, "ok  ", "tokens file " + gateway_->tokens_file() + ": 1 token(s) load"))
      << r.output;
}

// An invalid gateway file: exit 2 and the loader's message, as for bridge and sink files.
TEST_F(GatewayCheckTest, AnInvalidFileExitsTwo) {
  ASSERT_NO_FATAL_FAILURE(StartBridge());
  gateway_ = std::make_unique<GatewayUnderTest>(
      "app", *bridge_, "  - name: slots\n    from: [park.scheduling.public.slots]\n");
  RunResult r = Check();
  EXPECT_EQ(r.status.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "FAIL  " + gateway_->config_path() + ":")) << r.output;
  EXPECT_TRUE(Contains(r.output, "entities[0].from")) << r.output;
}

}  // namespace
}  // namespace deltabridge::test
