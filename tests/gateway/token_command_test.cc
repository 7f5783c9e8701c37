// `deltabridge token`, run as a DBA runs it: the real binary in a scratch
// directory holding a gateway file, stdout and stderr apart.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "gateway/token_file.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace deltabridge {
namespace {

using test::ReadFileToString;
using test::TempDir;

constexpr char kGateway[] = R"(gateway:
  name: app
  listen: 127.0.0.1:8080
  tokens_file: app.tokens
  state_dir: state
  limits: {connections_per_token: 50}
subscribe:
  - {bridge: parks, publish: tcp://127.0.0.1:5556, replay: tcp://127.0.0.1:5557}
entities:
  - name: scheduling
    from: parks.scheduling.public.tour_slots
    push:
      target: {type: postgres, dsn: "dbname=parks"}
      to: public.tour_slots
      key: [id]
  - {name: rangers, from: parks.scheduling.public.rangers}
)";

// A file's text; "" when it cannot be read.
std::string ReadText(const std::string& path) {
  Result<std::string> text = ReadFileToString(path);
  return text.ok() ? *text : std::string();
}

struct Ran {
  int exit_code = -1;
  std::string out;  // stdout alone
  std::string err;  // stderr alone
};

class TokenCommandTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_.Write("gw.yaml", kGateway); }

  // Runs `deltabridge token ARGS...` in the scratch directory.
  Ran Token(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$0\" token \"$@\" 2>stderr.txt",
                                     DELTABRIDGE_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    test::ProcessOptions options;
    options.working_dir = dir_.path();
    Result<test::RunResult> result = test::RunCommand(argv, std::chrono::seconds(30), options);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    Ran ran;
    if (!result.ok()) return ran;
    EXPECT_FALSE(result->timed_out);
    ran.exit_code = result->status.exit_code;
    ran.out = result->output;
    ran.err = ReadText(dir_.Join("stderr.txt"));
    return ran;
  }

  TokensFile Tokens() {
    Result<TokensFile> file = LoadTokensFile(dir_.Join("app.tokens"));
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? *file : TokensFile{};
  }

  std::string TokensText() { return ReadText(dir_.Join("app.tokens")); }

  TempDir dir_ = TempDir::CreateOrDie();
};

TEST_F(TokenCommandTest, AddPrintsOnlyTheToken) {
  Ran ran = Token({"gw.yaml", "booking-app", "--read", "scheduling", "--read", "rangers", "--push",
                   "scheduling", "--filter", "tenant_id = 7", "--max-connections", "20",
                   "--requests-per-minute", "600"});
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_TRUE(std::regex_match(ran.out, std::regex("dbt_[A-Za-z0-9_-]{43}\n"))) << ran.out;
  const std::string token = ran.out.substr(0, ran.out.size() - 1);
  EXPECT_NE(ran.err.find("Token booking-app added to app.tokens (reads scheduling, rangers; "
                         "pushes to scheduling; only rows where tenant_id = 7)."),
            std::string::npos)
      << ran.err;
  EXPECT_NE(ran.err.find("shown this once"), std::string::npos) << ran.err;
  EXPECT_NE(ran.err.find("A running gateway picks up the change within about 2 seconds."),
            std::string::npos)
      << ran.err;
  EXPECT_EQ(ran.err.find(token), std::string::npos) << "the token is on stdout only";

  TokensFile file = Tokens();
  ASSERT_EQ(file.tokens.size(), 1u);
  const TokenEntry& entry = file.tokens[0];
  EXPECT_EQ(entry.name, "booking-app");
  EXPECT_EQ(entry.sha256_hex, TokenHash(token));
  EXPECT_EQ(entry.read, (std::vector<std::string>{"scheduling", "rangers"}));
  EXPECT_EQ(entry.push, std::vector<std::string>{"scheduling"});
  EXPECT_EQ(entry.filter, "tenant_id = 7");
  EXPECT_EQ(entry.max_connections, 20u);
  EXPECT_EQ(entry.requests_per_minute, 600u);
  EXPECT_TRUE(
      std::regex_match(entry.created, std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ")))
      << entry.created;
  EXPECT_EQ(FindToken(file, token), &file.tokens[0]);
  EXPECT_EQ(TokensText().find(token), std::string::npos) << "the file never holds a token";
  struct stat st {};
  ASSERT_EQ(::stat(dir_.Join("app.tokens").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // A second token is appended; "*" reads every entity.
  Ran second = Token({"gw.yaml", "ops@example.com", "--read", "*"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  file = Tokens();
  ASSERT_EQ(file.tokens.size(), 2u);
  EXPECT_EQ(file.tokens[0].name, "booking-app");
  EXPECT_EQ(file.tokens[1].read, std::vector<std::string>{"*"});
  EXPECT_TRUE(file.tokens[1].push.empty());
  EXPECT_FALSE(file.tokens[1].max_connections.has_value());
  EXPECT_NE(second.out, ran.out);
}

TEST_F(TokenCommandTest, RefusesAnExistingName) {
  ASSERT_EQ(Token({"gw.yaml", "app", "--read", "rangers"}).exit_code, 0);
  const std::string before = TokensText();
  Ran again = Token({"gw.yaml", "app", "--read", "scheduling"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_EQ(again.out, "");
  EXPECT_EQ(again.err,
            "token app already exists in app.tokens; to replace it, revoke it first (its "
            "applications are then refused): deltabridge token gw.yaml --revoke app\n");
  EXPECT_EQ(TokensText(), before);
}

TEST_F(TokenCommandTest, ChecksWhatItIsGiven) {
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"gw.yaml", "a", "--read", "nope"},
       "--read nope: gw.yaml has no such entity (entities: scheduling, rangers; \"*\" for every "
       "one)\n"},
      {{"gw.yaml", "a", "--push", "rangers"},
       "--push rangers: entity rangers takes no pushes (it has no push: in gw.yaml)\n"},
      {{"gw.yaml", "a", "--read", "*", "--read", "rangers"},
       "--read \"*\" already means every entity; give either \"*\" or the entities\n"},
      {{"gw.yaml", "a"},
       "give the token at least one --read ENTITY or --push ENTITY (\"*\" for every entity)\n"},
      {{"gw.yaml", "has space", "--read", "rangers"},
       "token name has space: expected a name matching [A-Za-z0-9_.@-]+ of at most 128 "
       "characters\n"},
      {{"gw.yaml", "a", "--read", "rangers", "--filter", "tenant_id = "},
       "--filter: at 13: expected a literal ('text', a number, TRUE, FALSE or NULL), got the "
       "end\n"},
      {{"gw.yaml", "a", "--read", "rangers", "--filter", "tenant_id == 7"},
       "--filter: at 12: expected a literal ('text', a number, TRUE, FALSE or NULL), got \"=\"\n"},
      {{"gw.yaml", "--list", "--read", "rangers"},
       "--read, --push, --filter, --max-connections and --requests-per-minute are for adding a "
       "token, not with --list\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args[1]);
    Ran ran = Token(c.args);
    EXPECT_EQ(ran.exit_code, 2);
    EXPECT_EQ(ran.out, "");
    EXPECT_EQ(ran.err, c.err);
  }
  EXPECT_NE(::access(dir_.Join("app.tokens").c_str(), F_OK), 0) << "nothing was written";

  Ran usage = Token({"gw.yaml"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find("usage: deltabridge token GATEWAY.yaml NAME"), std::string::npos);
  Ran both = Token({"gw.yaml", "a", "--revoke", "b"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("usage:"), std::string::npos);
  Ran range = Token({"gw.yaml", "a", "--read", "rangers", "--max-connections", "0"});
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_NE(range.err.find("--max-connections"), std::string::npos) << range.err;
}

TEST_F(TokenCommandTest, GatewayFileErrors) {
  dir_.Write("bad.yaml", "gateway:\n  name: App\n");
  Ran bad = Token({"bad.yaml", "a", "--read", "x"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "bad.yaml:1:1: subscribe: required key missing\n"
            "bad.yaml:1:1: entities: required key missing\n"
            "bad.yaml:2:3: gateway.listen: required key missing\n"
            "bad.yaml:2:3: gateway.state_dir: required key missing\n"
            "bad.yaml:2:9: gateway.name: expected a name matching [a-z0-9_-]+, got \"App\"\n");
  Ran missing = Token({"missing.yaml", "--list"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "missing.yaml: cannot read: No such file or directory\n");

  dir_.Write("open.yaml",
             "gateway: {name: app, listen: \"127.0.0.1:1\", state_dir: s}\n"
             "subscribe: [{bridge: parks, publish: tcp://h:1, replay: tcp://h:2}]\n"
             "entities: [{name: slots, from: parks.a.slots, public: true}]\n");
  Ran open = Token({"open.yaml", "a", "--read", "slots"});
  EXPECT_EQ(open.exit_code, 2);
  EXPECT_EQ(open.err,
            "open.yaml: gateway.tokens_file is not set, so the gateway takes no tokens (every "
            "entity is public: true and takes no pushes); set tokens_file to give applications "
            "tokens\n");

  dir_.Write("app.tokens", "tokens:\n  - name: a\n    sha256: 12\n");
  Ran broken = Token({"gw.yaml", "b", "--read", "rangers"});
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_EQ(broken.out, "");
  EXPECT_EQ(broken.err,
            "app.tokens:3:13: tokens[0].sha256: expected 64 hex digits (the SHA-256 of the token; "
            "deltabridge token writes it)\n");
}

TEST_F(TokenCommandTest, List) {
  Ran none = Token({"gw.yaml", "--list"});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_EQ(none.out, "no tokens in app.tokens (it does not exist yet)\n");

  ASSERT_EQ(Token({"gw.yaml", "booking-app", "--read", "scheduling", "--push", "scheduling",
                   "--filter", "tenant_id = 7", "--max-connections", "20"})
                .exit_code,
            0);
  ASSERT_EQ(Token({"gw.yaml", "ops", "--read", "*", "--requests-per-minute", "0"}).exit_code, 0);
  TokensFile file = Tokens();
  ASSERT_EQ(file.tokens.size(), 2u);
  Ran list = Token({"gw.yaml", "--list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_EQ(list.err, "");
  const std::string& c0 = file.tokens[0].created;
  const std::string& c1 = file.tokens[1].created;
  EXPECT_EQ(list.out,
            "NAME         READ        PUSH        CONNECTIONS   REQUESTS/MIN    CREATED        "
            "       FILTER\n"
            "booking-app  scheduling  scheduling  20            6000 (default)  " +
                c0 +
                "  tenant_id = 7\n"
                "ops          *           -           50 (default)  no limit        " +
                c1 + "  -\n");
  for (const TokenEntry& t : file.tokens) {
    EXPECT_EQ(list.out.find(t.sha256_hex), std::string::npos) << "never a hash";
  }

  // A token naming an entity the gateway file dropped is pointed out.
  std::string text = TokensText();
  text.replace(text.find("read: [scheduling]"), 18, "read: [scheduling, gone]");
  dir_.Write("app.tokens", text);
  Ran stale = Token({"gw.yaml", "--list"});
  EXPECT_EQ(stale.exit_code, 0);
  EXPECT_EQ(stale.err, "note: token booking-app names entity gone, which gw.yaml does not have\n");
}

TEST_F(TokenCommandTest, Revoke) {
  ASSERT_EQ(Token({"gw.yaml", "a", "--read", "rangers"}).exit_code, 0);
  Ran b = Token({"gw.yaml", "b", "--read", "rangers"});
  ASSERT_EQ(b.exit_code, 0);
  Ran revoked = Token({"gw.yaml", "--revoke", "a"});
  EXPECT_EQ(revoked.exit_code, 0);
  EXPECT_EQ(revoked.out, "");
  EXPECT_EQ(revoked.err,
            "Token a revoked from app.tokens. A running gateway refuses it within about 2 "
            "seconds and closes the streams it opened (WebSocket close code 1008).\n");
  TokensFile file = Tokens();
  ASSERT_EQ(file.tokens.size(), 1u);
  EXPECT_EQ(file.tokens[0].name, "b");
  EXPECT_NE(FindToken(file, b.out.substr(0, b.out.size() - 1)), nullptr);

  Ran again = Token({"gw.yaml", "--revoke", "a"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_EQ(again.err, "no token a in app.tokens; deltabridge token gw.yaml --list shows them\n");
  // The name is free again.
  EXPECT_EQ(Token({"gw.yaml", "a", "--push", "scheduling"}).exit_code, 0);
}

TEST_F(TokenCommandTest, ConcurrentAddsAllLand) {
  test::ProcessOptions options;
  options.working_dir = dir_.path();
  options.output_path = dir_.Join("out.txt");
  std::vector<test::Child> children;
  for (int i = 0; i < 8; ++i) {
    Result<test::Child> child = test::Child::Spawn(
        {DELTABRIDGE_BIN, "token", "gw.yaml", "t" + std::to_string(i), "--read", "rangers"},
        options);
    ASSERT_TRUE(child.ok()) << child.status().ToString();
    children.push_back(std::move(*child));
  }
  for (test::Child& child : children) {
    Result<test::ExitStatus> status = child.Wait(std::chrono::seconds(30));
    ASSERT_TRUE(status.ok());
    EXPECT_TRUE(status->Success()) << status->ToString();
  }
  EXPECT_EQ(Tokens().tokens.size(), 8u);
}

TEST_F(TokenCommandTest, NewFileGoesToTheGatewaysUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, as a DBA running it with sudo";
  ASSERT_EQ(::mkdir(dir_.Join("state").c_str(), 0750), 0);
  ASSERT_EQ(::chown(dir_.Join("state").c_str(), 65534, 65534), 0);
  Ran ran = Token({"gw.yaml", "a", "--read", "rangers"});
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_NE(ran.err.find("Created app.tokens (mode 0600) owned by user id 65534, the owner of "
                         "state, so that the gateway can read it."),
            std::string::npos)
      << ran.err;
  struct stat st {};
  ASSERT_EQ(::stat(dir_.Join("app.tokens").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Later changes keep the owner.
  ASSERT_EQ(Token({"gw.yaml", "b", "--read", "rangers"}).exit_code, 0);
  ASSERT_EQ(::stat(dir_.Join("app.tokens").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
}

}  // namespace
}  // namespace deltabridge
