#include "gateway/gateway_check.h"

#include <grp.h>
#include <netdb.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/config/yaml_reader.h"
#include "cdc/core/wall_clock.h"
#include "gateway/push_worker.h"
#include "gateway/row_filter.h"
#include "gateway/tcp_listeners.h"
#include "gateway/tls_context.h"
#include "gateway/token_file.h"
#include "sinks/sink_check.h"

namespace deltabridge {
namespace {

// A certificate about to expire is a note this many days ahead.
constexpr int kExpiryWarningDays = 30;
// status.json older than this: the gateway is not running (as `status` says).
constexpr int64_t kStatusFreshMicros = 5'000'000;

std::string UserName(uid_t uid) {
  if (const passwd* pw = ::getpwuid(uid)) return pw->pw_name;
  return "user id " + std::to_string(uid);
}

std::string GroupName(gid_t gid) {
  if (const group* gr = ::getgrgid(gid)) return gr->gr_name;
  return std::to_string(gid);
}

// The user the gateway runs as, as far as this process can tell: the owner of
// an existing state_dir other than root (what `deltabridge token` assumes
// too), else the user running check unless root, else the packages' service
// user.
struct GatewayUser {
  std::optional<uid_t> uid;  // known from state_dir
  gid_t gid = 0;
  std::string name = "deltabridge";
};

GatewayUser GatewayUserOf(const GatewayConfig& config) {
  GatewayUser user;
  struct stat st {};
  if (::stat(config.state_dir.c_str(), &st) == 0 && st.st_uid != 0) {
    user.uid = st.st_uid;
    user.gid = st.st_gid;
    user.name = UserName(st.st_uid);
  } else if (::geteuid() != 0) {
    user.name = UserName(::geteuid());  // check is run as the gateway's user
  }
  return user;
}

// What keeps user `uid` (primary group `gid`, and the supplementary groups
// of `name`) from reading `path`, by the mode bits (no ACLs): a directory on
// the way it may not search, or the file itself; "" when nothing does (or
// it cannot be told).
std::string UnreadableAt(const std::string& path, uid_t uid, gid_t gid, const std::string& name) {
  std::vector<gid_t> groups(64);
  int count = static_cast<int>(groups.size());
  if (::getgrouplist(name.c_str(), gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<size_t>(count));
    if (::getgrouplist(name.c_str(), gid, groups.data(), &count) < 0) count = 0;
  }
  groups.resize(static_cast<size_t>(std::max(count, 0)));
  groups.push_back(gid);
  auto allowed = [&](const struct stat& st, mode_t user_bit, mode_t group_bit, mode_t other_bit) {
    if (st.st_uid == uid) return (st.st_mode & user_bit) != 0;
    for (gid_t g : groups) {
      if (g == st.st_gid) return (st.st_mode & group_bit) != 0;
    }
    return (st.st_mode & other_bit) != 0;
  };
  std::string absolute = path;
  if (absolute.empty() || absolute[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) == nullptr) return "";  // cannot tell: do not claim
    absolute = std::string(cwd) + "/" + path;
  }
  for (size_t slash = absolute.find('/', 1); slash != std::string::npos;
       slash = absolute.find('/', slash + 1)) {
    const std::string dir_path = absolute.substr(0, slash);
    struct stat dir {};
    if (::stat(dir_path.c_str(), &dir) != 0) return "";
    if (!allowed(dir, S_IXUSR, S_IXGRP, S_IXOTH)) return dir_path;
  }
  struct stat file {};
  if (::stat(absolute.c_str(), &file) != 0) return "";
  return allowed(file, S_IRUSR, S_IRGRP, S_IROTH) ? "" : path;
}

std::string Describe(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return path;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return path + " (" + UserName(st.st_uid) + ":" + GroupName(st.st_gid) + ", mode " + mode + ")";
}

// Run as root, a file the gateway's user cannot read reads fine here: say so.
bool CheckReadableByGateway(const std::string& what, const std::string& path,
                            const GatewayUser& user, const std::string& fix, CheckReport* report) {
  if (::geteuid() != 0 || !user.uid) return true;
  const std::string at = UnreadableAt(path, *user.uid, user.gid, user.name);
  if (at.empty()) return true;
  if (at == path) {
    report->Fail(what + " " + Describe(path) + " cannot be read by " + user.name +
                     ", the gateway's user (the owner of its state_dir)",
                 fix);
  } else {
    report->Fail(what + " " + path + " cannot be read by " + user.name +
                     ", the gateway's user (the owner of its state_dir): it may not enter " +
                     Describe(at),
                 "let it in (/etc/deltabridge is mode 0750, group deltabridge): chgrp " +
                     GroupName(user.gid) + " " + at + " && chmod g+x " + at +
                     "; or keep the file elsewhere");
  }
  return false;
}

// The lowest port an unprivileged process may bind (Linux: 1024 unless the
// sysctl says otherwise).
int UnprivilegedPortStart() {
  std::string text;
  if (ReadWholeFile("/proc/sys/net/ipv4/ip_unprivileged_port_start", &text)) return 1024;
  return std::atoi(text.c_str());
}

// --- the tokens file ---------------------------------------------------------

void CheckTokens(const GatewayConfig& config, const std::string& path, const GatewayUser& user,
                 CheckReport* report) {
  if (config.tokens_file.empty()) return;  // the loader allows it only when no entity needs one
  const std::string& file = config.tokens_file;
  std::vector<const EntityConfig*> readers, pushers;
  for (const EntityConfig& e : config.entities) {
    if (!e.is_public) readers.push_back(&e);
    if (e.push) pushers.push_back(&e);
  }
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 && errno == ENOENT) {
    if (readers.empty() && pushers.empty()) {
      report->Ok("tokens file " + file +
                 " does not exist yet; every entity is public and takes no pushes");
      return;
    }
    const bool read = !readers.empty();
    const std::string& entity = read ? readers.front()->name : pushers.front()->name;
    report->Fail("tokens file " + file + " does not exist: no application may " +
                     (read ? "read entity " : "push to entity ") + entity + " yet",
                 "deltabridge token " + path + " NAME " + (read ? "--read " : "--push ") + entity +
                     " (run as root, it gives the new file to the owner of " + config.state_dir +
                     ", the gateway's user, when that directory exists)");
    return;
  }
  const std::string chown_fix = "chown " + user.name + ": " + file +
                                " (the file stays mode 0600; deltabridge token keeps the owner "
                                "of an existing file)";
  if (::access(file.c_str(), R_OK) != 0) {
    const int err = errno;
    report->Fail("tokens file " + Describe(file) + " cannot be read by " + UserName(::geteuid()) +
                     ": " + std::strerror(err),
                 "give it to the user the gateway runs as: " + chown_fix);
    return;
  }
  if (!CheckReadableByGateway("tokens file", file, user, chown_fix, report)) return;
  Result<TokensFile> tokens = LoadTokensFile(file);
  if (!tokens.ok()) {
    report->Fail(tokens.status().message(),
                 "correct the file (docs/gateway.md, \"The tokens file\"); deltabridge token "
                 "changes only a file that loads");
    return;
  }
  bool filters_parse = true;
  size_t filters = 0;
  for (const TokenEntry& token : tokens->tokens) {
    if (!token.filter.empty()) {
      ++filters;
      Result<RowFilter> filter = RowFilter::Parse(token.filter);
      if (!filter.ok()) {
        filters_parse = false;
        report->Fail("tokens file " + file + ": token " + token.name + ": filter \"" +
                         token.filter + "\": " + filter.status().message(),
                     "deltabridge token " + path + " --revoke " + token.name +
                         ", then add it again with a --filter that parses");
      }
    }
    for (const auto* grants : {&token.read, &token.push}) {
      for (const std::string& entity : *grants) {
        if (entity == "*" || config.FindEntity(entity) != nullptr) continue;
        report->Note("tokens file " + file + ": token " + token.name + " names entity " + entity +
                         ", which " + path + " does not have",
                     "it opens nothing there; deltabridge token " + path + " --revoke " +
                         token.name + " when it is no longer needed");
      }
    }
  }
  if (filters_parse) {
    report->Ok("tokens file " + file + ": " + std::to_string(tokens->tokens.size()) +
               " token(s) load" + (filters > 0 ? ", their filters parse" : ""));
  }
  for (const EntityConfig* e : readers) {
    bool any = false;
    for (const TokenEntry& token : tokens->tokens) any = any || MayRead(token, e->name);
    if (!any) {
      report->Note("entity " + e->name + ": no token may read it yet",
                   "deltabridge token " + path + " NAME --read " + e->name);
    }
  }
  for (const EntityConfig* e : pushers) {
    bool any = false;
    for (const TokenEntry& token : tokens->tokens) any = any || MayPush(token, e->name);
    if (!any) {
      report->Note("entity " + e->name + ": it takes pushes, but no token may push to it yet",
                   "deltabridge token " + path + " NAME --push " + e->name);
    }
  }
}

// --- TLS ---------------------------------------------------------------------

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};

std::string TimeText(const ASN1_TIME* time) {
  std::unique_ptr<BIO, BioDeleter> out(BIO_new(BIO_s_mem()));
  if (!out || ASN1_TIME_print(out.get(), time) != 1) return "?";
  char* data = nullptr;
  const long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

void CheckTls(const GatewayTlsConfig& tls, const GatewayUser& user, CheckReport* report) {
  const std::string mode_fix = "chgrp " + user.name + " FILE && chmod 0640 FILE";
  Result<std::unique_ptr<boost::asio::ssl::context>> context =
      MakeServerTlsContext(tls.cert_file, tls.key_file);
  if (!context.ok()) {
    const std::string& why = context.status().message();
    std::string fix;
    if (why.find("cannot read it") != std::string::npos) {
      fix = why.find("No such file") != std::string::npos
                ? "put the PEM file there, or correct gateway.tls"
                : "let the gateway's user read it: " + mode_fix;
    } else if (why.find("does not match") != std::string::npos) {
      fix = "give the private key of that certificate: openssl x509 -noout -pubkey -in " +
            tls.cert_file + " and openssl pkey -pubout -in " + tls.key_file +
            " must print the same key";
    } else {
      fix =
          "give a PEM file (-----BEGIN CERTIFICATE-----, -----BEGIN PRIVATE KEY-----); "
          "openssl x509 -inform der converts a DER certificate";
    }
    report->Fail(why, fix);
    return;
  }
  bool readable = true;
  for (const std::string* file : {&tls.cert_file, &tls.key_file}) {
    readable = CheckReadableByGateway(
                   "tls file", *file, user,
                   "chgrp " + user.name + " " + *file + " && chmod 0640 " + *file, report) &&
               readable;
  }
  if (!readable) return;
  // The first certificate of the chain: the gateway's own.
  std::unique_ptr<BIO, BioDeleter> in(BIO_new_file(tls.cert_file.c_str(), "r"));
  std::unique_ptr<X509, X509Deleter> cert(
      in ? PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) {  // MakeServerTlsContext loaded it: not expected
    report->Ok("tls: certificate " + tls.cert_file + " and key " + tls.key_file +
               " load and match");
    return;
  }
  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(cert.get()), subject, sizeof subject);
  const ASN1_TIME* not_after = X509_get0_notAfter(cert.get());
  const ASN1_TIME* not_before = X509_get0_notBefore(cert.get());
  const std::string until = TimeText(not_after);
  if (X509_cmp_current_time(not_after) <= 0) {
    report->Fail(
        "tls: the certificate in " + tls.cert_file + " (" + subject + ") expired on " + until,
        "renew it, then restart the gateway: it reads its certificate when it starts");
    return;
  }
  if (X509_cmp_current_time(not_before) > 0) {
    report->Fail("tls: the certificate in " + tls.cert_file + " (" + subject +
                     ") is not valid before " + TimeText(not_before),
                 "check this machine's clock, or use a certificate valid now");
    return;
  }
  report->Ok("tls: certificate " + tls.cert_file + " (" + subject + ", valid until " + until +
             ") and key " + tls.key_file + " load and match");
  int days = 0, seconds = 0;
  if (ASN1_TIME_diff(&days, &seconds, nullptr, not_after) == 1 && days < kExpiryWarningDays) {
    report->Note("tls: the certificate in " + tls.cert_file + " expires in " +
                     std::to_string(days) + " day(s)",
                 "renew it, then restart the gateway: it reads its certificate when it starts");
  }
}

// --- addresses -----------------------------------------------------------------

// The pid of this gateway when it runs: its state_dir's status.json is fresh
// and names a process that exists.
std::optional<int> RunningGatewayPid(const std::string& state_dir) {
  std::string text;
  if (ReadWholeFile(state_dir + "/status.json", &text)) return std::nullopt;
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  const int pid = j.value("pid", 0);
  const int64_t updated = j.value("updated_us", int64_t{0});
  if (pid <= 0 || WallClockMicros() - updated > kStatusFreshMicros) return std::nullopt;
  if (::kill(pid, 0) != 0 && errno != EPERM) return std::nullopt;
  return pid;
}

// Binds (and listens on) `address` as the gateway does, then closes it: 0,
// or the errno; -1 with `why` when the host does not resolve.
int TryBind(const HostPort& address, std::string* why) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  if (int rc = ::getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    *why = ::gai_strerror(rc);
    return -1;
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> owner(found, ::freeaddrinfo);
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  int err = 0;
  if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd, 1) != 0) err = errno;
  ::close(fd);
  return err;
}

std::string CapabilityDropIn(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  if (name.starts_with("gateway-") && name.ends_with(".yaml")) {
    name = name.substr(8, name.size() - 8 - 5);
  } else {
    name = "NAME";
  }
  return "systemctl edit deltabridge-gateway@" + name +
         ", then [Service] AmbientCapabilities=CAP_NET_BIND_SERVICE and "
         "CapabilityBoundingSet=CAP_NET_BIND_SERVICE (docs/install.md)";
}

void CheckAddress(const HostPort& address, const std::string& label, const std::string& key,
                  const GatewayConfig& config, const std::string& path, const GatewayUser& user,
                  CheckReport* report) {
  const std::string what = label + " " + address.ToString();
  const int unprivileged = UnprivilegedPortStart();
  std::string why;
  const int err = TryBind(address, &why);
  if (err == 0) {
    report->Ok(what + " can be bound");
    if (::geteuid() == 0 && address.port < unprivileged) {
      report->Note(what + ": root may bind it; " + user.name +
                       " needs CAP_NET_BIND_SERVICE for a "
                       "port below " +
                       std::to_string(unprivileged),
                   CapabilityDropIn(path) + "; or choose a port from " +
                       std::to_string(unprivileged) + " up for " + key);
    }
    return;
  }
  if (err < 0) {
    report->Fail(
        what + ": cannot resolve " + address.host + ": " + why,
        "give an IP address, or a name this machine resolves, in " + LocateConfigKey(path, key));
    return;
  }
  if (err == EADDRINUSE) {
    const std::optional<int> running = RunningGatewayPid(config.state_dir);
    const std::vector<TcpListener> holders = FindTcpListeners(address.port);
    std::string others;
    bool seen_running = false;
    for (const TcpListener& h : holders) {
      if (h.pid == 0) continue;
      if (running && h.pid == *running) {
        seen_running = true;
        continue;
      }
      others += (others.empty() ? "" : ", ") + ("pid " + std::to_string(h.pid)) +
                (h.command.empty() ? "" : " (" + h.command + ")");
    }
    if (others.empty() && running) {
      report->Ok(what + ": in use by this gateway, running as pid " + std::to_string(*running) +
                 (seen_running ? "" : " (its status.json is fresh)"));
      return;
    }
    if (!others.empty()) {
      report->Fail(what + ": in use by " + others,
                   "stop it, or choose another " + key + " (" + LocateConfigKey(path, key) + ")");
      return;
    }
    report->Fail(what + ": in use (a running gateway, or another program)",
                 "stop it (as root, ss -ltnp 'sport = :" + std::to_string(address.port) +
                     "' names it), or choose another " + key + " (" + LocateConfigKey(path, key) +
                     ")");
    return;
  }
  if (err == EACCES) {
    report->Fail(what + ": " + std::strerror(err) + ": a port below " +
                     std::to_string(unprivileged) + " needs CAP_NET_BIND_SERVICE",
                 "choose a port from " + std::to_string(unprivileged) + " up for " + key +
                     ", or give the unit the capability: " + CapabilityDropIn(path));
    return;
  }
  if (err == EADDRNOTAVAIL) {
    report->Fail(what + ": " + address.host + " is not an address of this machine",
                 "listen on one of this machine's addresses (ip -brief address), or 0.0.0.0, in " +
                     LocateConfigKey(path, key));
    return;
  }
  report->Fail(what + ": cannot bind: " + std::strerror(err),
               "correct " + key + " (" + LocateConfigKey(path, key) + ")");
}

// --- push targets --------------------------------------------------------------

void CheckPushTarget(const GatewayConfig& config, size_t index, const std::string& path,
                     CheckReport* report) {
  const EntityConfig& entity = config.entities[index];
  const std::string key = "entities[" + std::to_string(index) + "].push";
  SqlTargetCheckNames names;
  names.target.subject = "entity " + entity.name + ": push target";
  names.target.node_key = key + ".target.node";
  names.target.writer = "the gateway";
  names.target.when = "on the entity's first push";
  names.target_key = key + ".target";
  names.file = "the gateway file";
  names.mapping_key = [key](size_t) { return key; };
  CheckSqlTarget(PushSinkConfig(config, entity), path, names, report);
}

}  // namespace

void CheckGateway(const GatewayConfig& config, const std::string& path, CheckReport* report) {
  size_t pushes = 0;
  for (const EntityConfig& e : config.entities) pushes += e.push ? 1 : 0;
  report->Ok(path + ": configuration valid (" + std::to_string(config.subscribe.size()) +
             " bridge(s), " + std::to_string(config.entities.size()) + " entity(ies), " +
             std::to_string(pushes) + " taking pushes)");
  const GatewayUser user = GatewayUserOf(config);
  if (::geteuid() == 0) {
    report->Note("check runs as root, which may read files and bind ports that " + user.name +
                     ", the gateway's user, may not",
                 "run it as that user: runuser -u " + user.name + " -- deltabridge check " + path);
  }
  CheckSubscribedBridges(config.subscribe, path, report);
  CheckStateDir(config.state_dir, "gateway.state_dir", "gateway", report);
  CheckTokens(config, path, user, report);
  if (config.tls) CheckTls(*config.tls, user, report);
  CheckAddress(config.listen, "listen", "gateway.listen", config, path, user, report);
  if (config.metrics) {
    CheckAddress(*config.metrics, "metrics", "gateway.metrics", config, path, user, report);
  }
  for (size_t i = 0; i < config.entities.size(); ++i) {
    if (config.entities[i].push) CheckPushTarget(config, i, path, report);
  }
}

}  // namespace deltabridge
