#include "gateway/token_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "cdc/core/atomic_file.h"
#include "tests/support/temp_dir.h"

namespace deltabridge {
namespace {

using Strings = std::vector<std::string>;
using test::ReadFileToString;
using test::TempDir;

// SHA-256 of "abc" (FIPS 180-2, appendix B.1).
constexpr char kAbcHash[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TokenEntry Entry(std::string name, std::string sha256_hex, Strings read = {}, Strings push = {}) {
  TokenEntry entry;
  entry.name = std::move(name);
  entry.sha256_hex = std::move(sha256_hex);
  entry.read = std::move(read);
  entry.push = std::move(push);
  return entry;
}

std::string Error(std::string_view yaml) {
  Result<TokensFile> file = ParseTokensFile(yaml, "app.tokens");
  EXPECT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), Status::Code::kInvalidArgument);
  return file.status().message();
}

TEST(TokenFileTest, ParsesEveryKey) {
  Result<TokensFile> file = ParseTokensFile(R"(# a comment
tokens:
  - name: booking-app
    sha256: 3A7BD3E2360A3D29EEA436FCFB7E44C735D117C42D1C1835420B6B9942DD4F1B
    read: [scheduling, rangers]
    push: [scheduling]
    filter: "tenant_id = 7"
    max_connections: 20
    requests_per_minute: 600
    created: 2026-12-07T22:00:00Z
  - name: ops@example.com
    sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    read: ["*"]
)",
                                            "app.tokens");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_EQ(file->tokens.size(), 2u);
  const TokenEntry& booking = file->tokens[0];
  EXPECT_EQ(booking.name, "booking-app");
  // Hex is kept lowercase, however written.
  EXPECT_EQ(booking.sha256_hex, "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b");
  EXPECT_EQ(booking.read, (Strings{"scheduling", "rangers"}));
  EXPECT_EQ(booking.push, Strings{"scheduling"});
  EXPECT_EQ(booking.filter, "tenant_id = 7");
  EXPECT_EQ(booking.max_connections, 20u);
  EXPECT_EQ(booking.requests_per_minute, 600u);
  EXPECT_EQ(booking.created, "2026-12-07T22:00:00Z");
  const TokenEntry& ops = file->tokens[1];
  EXPECT_EQ(ops.read, Strings{"*"});
  EXPECT_TRUE(ops.push.empty());
  EXPECT_TRUE(ops.filter.empty());
  EXPECT_FALSE(ops.max_connections.has_value());
  EXPECT_FALSE(ops.requests_per_minute.has_value());
}

TEST(TokenFileTest, EmptyFiles) {
  for (std::string_view text :
       {"", "\n", "# only a comment\n\n  # another\n", "tokens: []\n", "tokens:\n"}) {
    Result<TokensFile> file = ParseTokensFile(text, "app.tokens");
    ASSERT_TRUE(file.ok()) << text << ": " << file.status().ToString();
    EXPECT_TRUE(file->tokens.empty());
  }
}

TEST(TokenFileTest, Errors) {
  EXPECT_EQ(Error("tokens:\n"
                  "  - name: \"has space\"\n"
                  "    sha256: abc\n"
                  "    read: [Scheduling, \"*\"]\n"
                  "    push: x\n"
                  "    max_connections: 0\n"
                  "    requests_per_minute: lots\n"
                  "    filtr: x\n"),
            "app.tokens:2:11: tokens[0].name: expected a token name matching [A-Za-z0-9_.@-]+, "
            "got \"has space\"\n"
            "app.tokens:3:13: tokens[0].sha256: expected 64 hex digits (the SHA-256 of the "
            "token; deltabridge token writes it)\n"
            "app.tokens:4:12: tokens[0].read[0]: expected an entity name matching [a-z0-9_-]+, "
            "or \"*\", got \"Scheduling\"\n"
            "app.tokens:5:11: tokens[0].push: expected a list, got \"x\"\n"
            "app.tokens:6:22: tokens[0].max_connections: expected a connection count 1..1000000, "
            "got \"0\"\n"
            "app.tokens:7:26: tokens[0].requests_per_minute: expected a request count (0: no "
            "limit) 0..1000000, got \"lots\"\n"
            "app.tokens:8:5: tokens[0].filtr: unknown key; expected one of name, sha256, read, "
            "push, filter, max_connections, requests_per_minute, created; did you mean "
            "\"filter\"?");
  const std::string hash(64, 'a');
  EXPECT_EQ(Error("tokens:\n"
                  "  - {name: a, sha256: " +
                  hash +
                  ", read: [x, x, \"*\"]}\n"
                  "  - {name: a, sha256: " +
                  std::string(64, 'b') +
                  "}\n"
                  "  - {name: b, sha256: " +
                  std::string(64, 'A') + "}\n"),
            "app.tokens:2:95: tokens[0].read: \"*\" already means every entity; list either \"*\" "
            "alone or the entities\n"
            "app.tokens:2:99: tokens[0].read[1]: duplicate entity \"x\"; first at "
            "tokens[0].read[0]\n"
            "app.tokens:3:12: tokens[1].name: duplicate token name \"a\"; first at "
            "tokens[0].name\n"
            "app.tokens:4:23: tokens[2].sha256: the same hash as tokens[0].sha256; each token is "
            "listed once");
  EXPECT_EQ(Error("gateway: {name: app}\n"),
            "app.tokens:1:1: gateway: this is a gateway file; a tokens file (gateway.tokens_file) "
            "has the top-level key tokens");
  EXPECT_EQ(Error("tokens: {}\n"), "app.tokens:1:9: tokens: expected a list, got a mapping");
  EXPECT_EQ(Error("token: []\n"),
            "app.tokens:1:1: token: unknown key; expected one of tokens; did you mean "
            "\"tokens\"?\n"
            "app.tokens:1:1: tokens: required key missing");
  EXPECT_EQ(Error("tokens:\n  - {sha256: " + hash + "}\n"),
            "app.tokens:2:5: tokens[0].name: required key missing");
}

TEST(TokenFileTest, SaveAndLoadRoundTrip) {
  TempDir dir = TempDir::CreateOrDie();
  const std::string path = dir.Join("app.tokens");
  Result<TokensFile> missing = LoadTokensFile(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);

  TokensFile file;
  TokenEntry a;
  a.name = "booking-app";
  a.sha256_hex = TokenHash("dbt_one");
  a.read = {"*"};
  a.push = {"scheduling"};
  a.filter = "status = 'open' AND note = \"x\\y\"\t";
  a.max_connections = 20;
  a.requests_per_minute = 0;
  a.created = "2026-12-07T22:00:00Z";
  TokenEntry b;
  b.name = "null";  // a YAML word: written quoted
  b.sha256_hex = TokenHash("dbt_two");
  b.read = {"yes", "on"};
  file.tokens = {a, b};
  ASSERT_TRUE(SaveTokensFile(path, file).ok());

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(::access(AtomicFileWriter::TempPathFor(path).c_str(), F_OK), 0);

  Result<std::string> text = ReadFileToString(path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "# deltabridge gateway tokens; add with `deltabridge token GATEWAY.yaml NAME`\n"
            "# Each token is kept as the SHA-256 of its text, never the token itself.\n"
            "tokens:\n"
            "  - name: booking-app\n"
            "    sha256: " +
                a.sha256_hex +
                "\n"
                "    read: [\"*\"]\n"
                "    push: [scheduling]\n"
                "    filter: \"status = 'open' AND note = \\\"x\\\\y\\\"\\t\"\n"
                "    max_connections: 20\n"
                "    requests_per_minute: 0\n"
                "    created: 2026-12-07T22:00:00Z\n"
                "  - name: \"null\"\n"
                "    sha256: " +
                b.sha256_hex +
                "\n"
                "    read: [\"yes\", \"on\"]\n"
                "    push: []\n");

  Result<TokensFile> loaded = LoadTokensFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->tokens.size(), 2u);
  EXPECT_EQ(loaded->tokens[0].filter, a.filter);
  EXPECT_EQ(loaded->tokens[0].requests_per_minute, 0u);
  EXPECT_EQ(loaded->tokens[1].name, "null");
  EXPECT_EQ(loaded->tokens[1].read, (Strings{"yes", "on"}));
}

TEST(TokenFileTest, SaveEmptyAndReplace) {
  TempDir dir = TempDir::CreateOrDie();
  const std::string path = dir.Join("app.tokens");
  // A leftover temporary file of a crash, world-readable: not reused as is.
  dir.Write("app.tokens.tmp", "junk");
  ASSERT_EQ(::chmod(AtomicFileWriter::TempPathFor(path).c_str(), 0644), 0);
  ASSERT_TRUE(SaveTokensFile(path, TokensFile{}).ok());
  Result<std::string> text = ReadFileToString(path);
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE(text->ends_with("\ntokens: []\n"));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Result<TokensFile> loaded = LoadTokensFile(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->tokens.empty());

  // Replacing a file a user made 0644 leaves it 0600.
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  TokensFile one;
  one.tokens.push_back(Entry("a", std::string(64, '0')));
  ASSERT_TRUE(SaveTokensFile(path, one).ok());
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  loaded = LoadTokensFile(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->tokens.size(), 1u);
}

TEST(TokenFileTest, SaveKeepsTheOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the file to another user";
  TempDir dir = TempDir::CreateOrDie();
  const std::string path = dir.Write("app.tokens", "tokens: []\n");
  constexpr uid_t kUid = 65534;  // nobody
  constexpr gid_t kGid = 65534;
  ASSERT_EQ(::chown(path.c_str(), kUid, kGid), 0);
  TokensFile one;
  one.tokens.push_back(Entry("a", std::string(64, '0')));
  ASSERT_TRUE(SaveTokensFile(path, one).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kUid);
  EXPECT_EQ(st.st_gid, kGid);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(TokenFileTest, LoadErrorsNameTheFile) {
  TempDir dir = TempDir::CreateOrDie();
  const std::string path = dir.Write("app.tokens", "tokens:\n  - name: a\n");
  Result<TokensFile> loaded = LoadTokensFile(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(), path + ":2:5: tokens[0].sha256: required key missing");
  Result<TokensFile> dir_itself = LoadTokensFile(dir.path());
  ASSERT_FALSE(dir_itself.ok());
  EXPECT_EQ(dir_itself.status().code(), Status::Code::kInvalidArgument);
}

TEST(TokenFileTest, GenerateToken) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    Result<std::string> token = GenerateToken();
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    ASSERT_EQ(token->size(), 4u + 43u) << *token;
    EXPECT_TRUE(token->starts_with("dbt_"));
    for (char c : token->substr(4)) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << *token;
    }
    EXPECT_TRUE(seen.insert(*token).second);
  }
}

TEST(TokenFileTest, HashAndFind) {
  EXPECT_EQ(TokenHash("abc"), kAbcHash);
  EXPECT_EQ(TokenHash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  TokensFile file;
  file.tokens.push_back(Entry("one", TokenHash("dbt_one")));
  file.tokens.push_back(Entry("abc", kAbcHash));
  const TokenEntry* found = FindToken(file, "abc");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->name, "abc");
  EXPECT_EQ(FindToken(file, "dbt_one")->name, "one");
  EXPECT_EQ(FindToken(file, "dbt_two"), nullptr);
  EXPECT_EQ(FindToken(file, ""), nullptr);
  EXPECT_EQ(FindToken(TokensFile{}, "abc"), nullptr);
}

TEST(TokenFileTest, Grants) {
  TokenEntry entry = Entry("a", "", {"scheduling", "rangers"}, {"*"});
  EXPECT_TRUE(MayRead(entry, "scheduling"));
  EXPECT_TRUE(MayRead(entry, "rangers"));
  EXPECT_FALSE(MayRead(entry, "permits"));
  EXPECT_FALSE(MayRead(entry, "*"));
  EXPECT_TRUE(MayPush(entry, "permits"));
  EXPECT_TRUE(MayPush(entry, "anything"));
  TokenEntry none = Entry("b", "");
  EXPECT_FALSE(MayRead(none, "scheduling"));
  EXPECT_FALSE(MayPush(none, "scheduling"));
}

TEST(TokenFileTest, TokenNames) {
  EXPECT_TRUE(IsValidTokenName("booking-app"));
  EXPECT_TRUE(IsValidTokenName("ops@example.com"));
  EXPECT_TRUE(IsValidTokenName("A_b.9"));
  EXPECT_FALSE(IsValidTokenName(""));
  EXPECT_FALSE(IsValidTokenName("has space"));
  EXPECT_FALSE(IsValidTokenName("a/b"));
  EXPECT_FALSE(IsValidTokenName(std::string(129, 'a')));
  EXPECT_TRUE(IsValidTokenName(std::string(128, 'a')));
}

}  // namespace
}  // namespace deltabridge
