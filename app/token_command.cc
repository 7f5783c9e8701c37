// `deltabridge token GATEWAY.yaml NAME [--read ENTITY]... [--push ENTITY]...
// [--filter TEXT] [--max-connections N] [--requests-per-minute N]`, `--list`
// and `--revoke NAME`: the gateway's tokens file (gateway/token_file.h,
// docs/gateway.md "Access"). Adding prints the new token, and only it, on
// stdout; what happened goes to stderr.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands.h"
#include "gateway/gateway_config.h"
#include "gateway/row_filter.h"
#include "gateway/token_file.h"

namespace deltabridge {
namespace {

// How long a running gateway takes to see a change of its tokens file (it
// looks every 2 seconds: gateway/gateway_service.cc).
constexpr char kPickedUp[] = "within about 2 seconds";

void PrintError(const std::string& text) { std::fprintf(stderr, "%s\n", text.c_str()); }

std::string Join(const std::vector<std::string>& words, const char* separator = ", ") {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += separator;
    out += w;
  }
  return out;
}

// The directory holding `path` ("." for a bare name).
std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// An exclusive lock on the tokens file's directory, held while a command
// reads, changes and writes the file, so that two `deltabridge token` at
// once cannot lose each other's change. flock(2) on the directory itself:
// no lock file is left behind.
class DirectoryLock {
 public:
  DirectoryLock() = default;
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  ~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

  Status Lock(const std::string& dir) {
    fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0)
      return Status::IoError("cannot open directory " + dir + ": " + std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR)
        return Status::IoError("cannot lock " + dir + ": " + std::strerror(errno));
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

// "2026-12-07T22:00:00Z", now.
std::string NowUtc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// The tokens file, or none yet (`*created`); a message and an exit code when
// it cannot be read.
std::optional<TokensFile> LoadOrEmpty(const std::string& path, bool* missing, int* exit_code) {
  Result<TokensFile> file = LoadTokensFile(path);
  *missing = false;
  if (file.ok()) return *file;
  if (file.status().code() == Status::Code::kNotFound) {
    *missing = true;
    return TokensFile{};
  }
  PrintError(file.status().message());
  *exit_code = file.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitFailure;
  return std::nullopt;
}

// Checks the entities a token is given; "" when they are fine.
std::string CheckGrants(const GatewayConfig& config, const std::string& gateway_file,
                        const std::vector<std::string>& entities, bool push) {
  const char* option = push ? "--push" : "--read";
  if (entities.size() > 1 && std::find(entities.begin(), entities.end(), "*") != entities.end()) {
    return std::string(option) +
           " \"*\" already means every entity; give either \"*\" or the entities";
  }
  for (const std::string& name : entities) {
    if (name == "*") continue;
    const EntityConfig* entity = config.FindEntity(name);
    if (entity == nullptr) {
      std::vector<std::string> names;
      for (const EntityConfig& e : config.entities) names.push_back(e.name);
      return std::string(option) + " " + name + ": " + gateway_file +
             " has no such entity (entities: " + Join(names) + "; \"*\" for every one)";
    }
    if (push && !entity->push) {
      return "--push " + name + ": entity " + name + " takes no pushes (it has no push: in " +
             gateway_file + ")";
    }
  }
  return "";
}

// The entities of `entities`, each once, in the order given.
std::vector<std::string> Unique(const std::vector<std::string>& entities) {
  std::vector<std::string> out;
  for (const std::string& e : entities) {
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  }
  return out;
}

// A new tokens file must be readable by the gateway, which often runs as
// another user than whoever runs this command as root: it is given the owner
// of the gateway's state_dir when that exists. Returns a note for stderr.
std::string CreateOwnedBy(const GatewayConfig& config) {
  struct stat state {};
  if (::geteuid() != 0) return "";
  if (::stat(config.state_dir.c_str(), &state) == 0 && state.st_uid != 0) {
    // An empty file first, given away; the save that follows keeps its owner.
    if (SaveTokensFile(config.tokens_file, TokensFile{}).ok() &&
        ::chown(config.tokens_file.c_str(), state.st_uid, state.st_gid) == 0) {
      return "Created " + config.tokens_file + " (mode 0600) owned by user id " +
             std::to_string(state.st_uid) + ", the owner of " + config.state_dir +
             ", so that the gateway can read it.";
    }
  }
  return "Created " + config.tokens_file +
         " (mode 0600) owned by root: give it to the user the gateway runs as, e.g. chown "
         "deltabridge: " +
         config.tokens_file + ", or the gateway cannot read it.";
}

int AddToken(const TokenArgs& args, const GatewayConfig& config) {
  if (!IsValidTokenName(args.name)) {
    PrintError("token name " + args.name +
               ": expected a name matching [A-Za-z0-9_.@-]+ of at most 128 characters");
    return kExitUsage;
  }
  std::vector<std::string> read = Unique(args.read);
  std::vector<std::string> push = Unique(args.push);
  if (read.empty() && push.empty()) {
    PrintError(
        "give the token at least one --read ENTITY or --push ENTITY (\"*\" for every entity)");
    return kExitUsage;
  }
  for (bool is_push : {false, true}) {
    std::string why = CheckGrants(config, args.gateway_file, is_push ? push : read, is_push);
    if (!why.empty()) {
      PrintError(why);
      return kExitUsage;
    }
  }
  std::string filter = args.filter.value_or("");
  if (!filter.empty()) {
    Result<RowFilter> parsed = RowFilter::Parse(filter);
    if (!parsed.ok()) {
      // Its messages name the query parameter: "where: at 5: ...".
      std::string_view why = parsed.status().message();
      if (why.starts_with("where: ")) why.remove_prefix(7);
      PrintError("--filter: " + std::string(why));
      return kExitUsage;
    }
  }

  DirectoryLock lock;
  if (Status locked = lock.Lock(DirectoryOf(config.tokens_file)); !locked.ok()) {
    PrintError(config.tokens_file + ": " + locked.message());
    return kExitFailure;
  }
  bool missing = false;
  int exit_code = kExitOk;
  std::optional<TokensFile> file = LoadOrEmpty(config.tokens_file, &missing, &exit_code);
  if (!file) return exit_code;
  for (const TokenEntry& entry : file->tokens) {
    if (entry.name != args.name) continue;
    PrintError("token " + args.name + " already exists in " + config.tokens_file +
               "; to replace it, revoke it first (its applications are then refused): "
               "deltabridge token " +
               args.gateway_file + " --revoke " + args.name);
    return kExitUsage;
  }
  Result<std::string> token = GenerateToken();
  if (!token.ok()) {
    PrintError("cannot make a token: " + token.status().message());
    return kExitFailure;
  }
  TokenEntry entry;
  entry.name = args.name;
  entry.sha256_hex = TokenHash(*token);
  entry.read = read;
  entry.push = push;
  entry.filter = filter;
  entry.max_connections = args.max_connections;
  entry.requests_per_minute = args.requests_per_minute;
  entry.created = NowUtc();
  file->tokens.push_back(std::move(entry));

  std::string created_note = missing ? CreateOwnedBy(config) : "";
  if (Status saved = SaveTokensFile(config.tokens_file, *file); !saved.ok()) {
    PrintError(config.tokens_file + ": " + saved.message());
    return kExitFailure;
  }
  std::fprintf(stdout, "%s\n", token->c_str());
  std::fflush(stdout);

  std::string grants;
  if (!read.empty()) grants += "reads " + Join(read);
  if (!push.empty()) grants += std::string(grants.empty() ? "" : "; ") + "pushes to " + Join(push);
  if (!filter.empty()) grants += "; only rows where " + filter;
  std::fprintf(stderr,
               "Token %s added to %s (%s).\n"
               "It is shown this once and kept only as its SHA-256: hand it to the application "
               "now. A lost token cannot be recovered: revoke it (--revoke %s) and add a new "
               "one.\n"
               "A running gateway picks up the change %s.\n",
               args.name.c_str(), config.tokens_file.c_str(), grants.c_str(), args.name.c_str(),
               kPickedUp);
  if (!created_note.empty()) std::fprintf(stderr, "%s\n", created_note.c_str());
  return kExitOk;
}

// A token's limit as listed: its own, or the gateway's default; 0 requests
// a minute is no limit.
std::string Limit(const auto& value, uint64_t fallback, bool zero_is_none) {
  uint64_t n = value ? *value : fallback;
  std::string text = n == 0 && zero_is_none ? "no limit" : std::to_string(n);
  return value ? text : text + " (default)";
}

int ListTokens(const GatewayConfig& config, const std::string& gateway_file) {
  bool missing = false;
  int exit_code = kExitOk;
  std::optional<TokensFile> file = LoadOrEmpty(config.tokens_file, &missing, &exit_code);
  if (!file) return exit_code;
  if (file->tokens.empty()) {
    std::printf("no tokens in %s%s\n", config.tokens_file.c_str(),
                missing ? " (it does not exist yet)" : "");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "READ", "PUSH", "CONNECTIONS", "REQUESTS/MIN", "CREATED", "FILTER"}};
  for (const TokenEntry& t : file->tokens) {
    rows.push_back({t.name, t.read.empty() ? "-" : Join(t.read, ","),
                    t.push.empty() ? "-" : Join(t.push, ","),
                    Limit(t.max_connections, config.limits.connections_per_token, false),
                    Limit(t.requests_per_minute, config.limits.requests_per_minute, true),
                    t.created.empty() ? "-" : t.created, t.filter.empty() ? "-" : t.filter});
  }
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
  // Grants of entities the gateway file no longer has do nothing.
  for (const TokenEntry& t : file->tokens) {
    for (const auto* grants : {&t.read, &t.push}) {
      for (const std::string& name : *grants) {
        if (name != "*" && config.FindEntity(name) == nullptr) {
          std::fprintf(stderr, "note: token %s names entity %s, which %s does not have\n",
                       t.name.c_str(), name.c_str(), gateway_file.c_str());
        }
      }
    }
  }
  return kExitOk;
}

int RevokeToken(const GatewayConfig& config, const std::string& gateway_file,
                const std::string& name) {
  DirectoryLock lock;
  if (Status locked = lock.Lock(DirectoryOf(config.tokens_file)); !locked.ok()) {
    PrintError(config.tokens_file + ": " + locked.message());
    return kExitFailure;
  }
  bool missing = false;
  int exit_code = kExitOk;
  std::optional<TokensFile> file = LoadOrEmpty(config.tokens_file, &missing, &exit_code);
  if (!file) return exit_code;
  auto it = std::find_if(file->tokens.begin(), file->tokens.end(),
                         [&](const TokenEntry& t) { return t.name == name; });
  if (it == file->tokens.end()) {
    PrintError("no token " + name + " in " + config.tokens_file +
               (missing ? " (it does not exist yet)"
                        : "; deltabridge token " + gateway_file + " --list shows them"));
    return kExitUsage;
  }
  file->tokens.erase(it);
  if (Status saved = SaveTokensFile(config.tokens_file, *file); !saved.ok()) {
    PrintError(config.tokens_file + ": " + saved.message());
    return kExitFailure;
  }
  std::fprintf(stderr,
               "Token %s revoked from %s. A running gateway refuses it %s and closes the streams "
               "it opened (WebSocket close code 1008).\n",
               name.c_str(), config.tokens_file.c_str(), kPickedUp);
  return kExitOk;
}

}  // namespace

int TokenCommand(const TokenArgs& args) {
  const int modes =
      (args.name.empty() ? 0 : 1) + (args.list ? 1 : 0) + (args.revoke.empty() ? 0 : 1);
  if (modes != 1) {
    PrintError(
        "usage: deltabridge token GATEWAY.yaml NAME [--read ENTITY]... [--push ENTITY]... "
        "[--filter TEXT] [--max-connections N] [--requests-per-minute N]\n"
        "       deltabridge token GATEWAY.yaml --list\n"
        "       deltabridge token GATEWAY.yaml --revoke NAME");
    return kExitUsage;
  }
  const bool adding = !args.name.empty();
  if (!adding && (!args.read.empty() || !args.push.empty() || args.filter || args.max_connections ||
                  args.requests_per_minute)) {
    PrintError(std::string("--read, --push, --filter, --max-connections and "
                           "--requests-per-minute are for adding a token, not with ") +
               (args.list ? "--list" : "--revoke"));
    return kExitUsage;
  }
  Result<GatewayConfig> config = LoadGatewayConfig(args.gateway_file);
  if (!config.ok()) {
    PrintError(config.status().message());
    return kExitUsage;
  }
  if (config->tokens_file.empty()) {
    PrintError(args.gateway_file +
               ": gateway.tokens_file is not set, so the gateway takes no tokens (every entity is "
               "public: true and takes no pushes); set tokens_file to give applications tokens");
    return kExitUsage;
  }
  if (args.list) return ListTokens(*config, args.gateway_file);
  if (!args.revoke.empty()) return RevokeToken(*config, args.gateway_file, args.revoke);
  return AddToken(args, *config);
}

}  // namespace deltabridge
