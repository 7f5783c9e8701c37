#include "gateway/gateway_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <set>

#include "cdc/core/wall_clock.h"

namespace deltabridge {
namespace {

HttpAnswer Error(int status, std::string_view why) {
  HttpAnswer answer;
  answer.status = status;
  answer.body =
      nlohmann::json{{"error", why}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return answer;
}

bool ParseSeq(std::string_view text, uint64_t* seq) {
  if (text.empty() || text.size() > 20) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *seq = v;
  return true;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// The shown columns of `view` as the store's rows have them: the columns of
// the first row of each of its tables, and the key columns.
std::set<std::string, std::less<>> KnownColumns(const EntityView& view, EntityStore* store) {
  std::set<std::string, std::less<>> known;
  Result<EntityStore::Reader> reader = store->Read();
  if (!reader.ok()) return known;
  for (const auto& table : store->Tables(view.config().bridge)) {
    if (!view.Shows(*table)) continue;
    for (const auto& column : view.ShownKey(*table)) known.insert(column);
    EntityStore::RowWalk walk(&*reader, table);
    Result<Row> row = walk.Next();
    if (!row.ok() || row->is_null()) continue;
    const Row shown = view.Project(*row);
    for (auto it = shown.begin(); it != shown.end(); ++it) known.insert(it.key());
  }
  return known;
}

std::string JoinSet(const std::set<std::string, std::less<>>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace

GatewayCore::GatewayCore(boost::asio::io_context& io, const GatewayConfig& config, Hub* hub,
                         EntityStore* store)
    : io_(io),
      config_(config),
      hub_(hub),
      store_(store),
      reload_timer_(io),
      ref_epoch_(WallClockMicros() / 1000) {}

GatewayCore::~GatewayCore() { Stop(); }

Result<std::shared_ptr<const GatewayCore::Tokens>> GatewayCore::LoadTokens() const {
  auto tokens = std::make_shared<Tokens>();
  DB_ASSIGN_OR_RETURN(tokens->file, LoadTokensFile(config_.tokens_file));
  for (const auto& entry : tokens->file.tokens) {
    if (entry.filter.empty()) continue;
    Result<RowFilter> filter = RowFilter::Parse(entry.filter);
    if (!filter.ok()) {
      return Status::InvalidArgument(config_.tokens_file + ": token " + entry.name +
                                     ": filter: " + filter.status().message());
    }
    tokens->filters.emplace(entry.name, std::move(filter).value());
  }
  return std::shared_ptr<const Tokens>(std::move(tokens));
}

Status GatewayCore::Start() {
  if (!config_.tokens_file.empty()) {
    if (::stat(config_.tokens_file.c_str(), &tokens_stat_) == 0) {
      tokens_present_ = true;
      DB_ASSIGN_OR_RETURN(tokens_, LoadTokens());
      spdlog::info("gateway {}: {} token(s) from {}", config_.name, tokens_->file.tokens.size(),
                   config_.tokens_file);
    } else {
      tokens_ = std::make_shared<const Tokens>();
      spdlog::warn(
          "gateway {}: tokens file {} does not exist yet ({}): only public entities can be read "
          "until `deltabridge token` adds a token",
          config_.name, config_.tokens_file, std::strerror(errno));
    }
  } else {
    tokens_ = std::make_shared<const Tokens>();
  }
  for (const auto& entity : config_.entities) {
    if (!entity.push) continue;
    const EntityView* view = hub_->View(entity.name);
    push_workers_.emplace(entity.name, std::make_unique<PushWorker>(io_, config_, *view, store_));
  }
  ScheduleReload();
  return Status::Ok();
}

void GatewayCore::Stop() {
  if (stopped_) return;
  stopped_ = true;
  reload_timer_.cancel();
  for (auto& [name, worker] : push_workers_) worker->Stop();
}

PushCounters GatewayCore::push_counters() const {
  PushCounters total;
  for (const auto& [name, worker] : push_workers_) {
    const PushCounters c = worker->counters();
    total.applied += c.applied;
    total.conflicts += c.conflicts;
    total.rejected += c.rejected;
    total.failed += c.failed;
  }
  return total;
}

void GatewayCore::ScheduleReload() {
  if (stopped_ || config_.tokens_file.empty()) return;
  reload_timer_.expires_after(std::chrono::seconds(2));
  reload_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    Reload();
    ScheduleReload();
  });
}

void GatewayCore::Reload() {
  struct stat now {};
  const bool present = ::stat(config_.tokens_file.c_str(), &now) == 0;
  if (present == tokens_present_ &&
      (!present || (now.st_mtim.tv_sec == tokens_stat_.st_mtim.tv_sec &&
                    now.st_mtim.tv_nsec == tokens_stat_.st_mtim.tv_nsec &&
                    now.st_size == tokens_stat_.st_size && now.st_ino == tokens_stat_.st_ino))) {
    return;
  }
  std::shared_ptr<const Tokens> next;
  if (present) {
    Result<std::shared_ptr<const Tokens>> loaded = LoadTokens();
    if (!loaded.ok()) {
      spdlog::error(
          "gateway {}: the tokens file changed but does not load; the tokens in force "
          "stay: {}",
          config_.name, loaded.status().message());
      tokens_stat_ = now;
      tokens_present_ = present;
      return;
    }
    next = std::move(loaded).value();
  } else {
    next = std::make_shared<const Tokens>();
  }
  // A token that is gone, or whose hash, rights or filter changed, ends its streams.
  std::set<std::string> revoked;
  for (const auto& old_entry : tokens_->file.tokens) {
    bool same = false;
    for (const auto& entry : next->file.tokens) {
      if (entry.name == old_entry.name) {
        same = entry.sha256_hex == old_entry.sha256_hex && entry.read == old_entry.read &&
               entry.filter == old_entry.filter;
      }
    }
    if (!same) revoked.insert(old_entry.name);
  }
  tokens_ = std::move(next);
  tokens_stat_ = now;
  tokens_present_ = present;
  spdlog::info("gateway {}: tokens reloaded from {}: {} token(s){}", config_.name,
               config_.tokens_file, tokens_->file.tokens.size(),
               revoked.empty() ? std::string()
                               : "; streams of " + std::to_string(revoked.size()) +
                                     " changed or removed token(s) end");
  if (!revoked.empty()) hub_->Revoke(revoked);
}

const TokenEntry* GatewayCore::Authenticate(const std::string& token, bool needs_token,
                                            HttpAnswer* refusal) {
  if (token.empty()) {
    if (!needs_token) return nullptr;
    ++counters_.refused_401;
    *refusal = Error(401,
                     "this entity needs a bearer token: send `Authorization: Bearer TOKEN` (or "
                     "?token=TOKEN on a WebSocket URL); `deltabridge token` makes one");
    refusal->headers.emplace_back("WWW-Authenticate", "Bearer realm=\"deltabridge\"");
    return nullptr;
  }
  const TokenEntry* entry = FindToken(tokens_->file, token);
  if (entry == nullptr) {
    ++counters_.refused_401;
    *refusal = Error(401, "unknown or revoked token");
    refusal->headers.emplace_back("WWW-Authenticate",
                                  "Bearer realm=\"deltabridge\", error=\"invalid_token\"");
  }
  return entry;
}

bool GatewayCore::Spend(const TokenEntry& entry, HttpAnswer* refusal) {
  const uint32_t per_minute =
      entry.requests_per_minute.value_or(config_.limits.requests_per_minute);
  if (per_minute == 0) return true;
  Bucket& bucket = buckets_[entry.name];
  const auto now = std::chrono::steady_clock::now();
  const double capacity = per_minute;
  if (!bucket.started) {
    bucket.started = true;
    bucket.available = capacity;
    bucket.last = now;
  }
  const double elapsed = std::chrono::duration<double>(now - bucket.last).count();
  bucket.available = std::min(capacity, bucket.available + elapsed * per_minute / 60.0);
  bucket.last = now;
  if (bucket.available >= 1.0) {
    bucket.available -= 1.0;
    return true;
  }
  ++counters_.refused_429;
  const double wait = (1.0 - bucket.available) * 60.0 / per_minute;
  *refusal = Error(429, "token " + entry.name + " is over its limit of " +
                            std::to_string(per_minute) + " requests a minute");
  refusal->headers.emplace_back("Retry-After",
                                std::to_string(static_cast<int64_t>(std::ceil(wait))));
  return false;
}

std::string GatewayCore::NextRef() {
  return config_.name + ":" + std::to_string(ref_epoch_) + "-" + std::to_string(++next_ref_);
}

std::variant<std::unique_ptr<Subscription>, HttpAnswer> GatewayCore::Subscribe(
    const SyncRequest& request) {
  const EntityView* view = hub_->View(request.entity);
  if (view == nullptr) {
    return Error(404, "no entity \"" + request.entity + "\" on this gateway");
  }
  HttpAnswer refusal;
  const TokenEntry* entry = Authenticate(request.token, !view->config().is_public, &refusal);
  if (entry == nullptr && (!request.token.empty() || !view->config().is_public)) return refusal;
  ClientView client;
  if (entry != nullptr) {
    if (!MayRead(*entry, request.entity)) {
      ++counters_.refused_403;
      return Error(403, "token " + entry->name + " may not read entity " + request.entity);
    }
    if (!Spend(*entry, &refusal)) return refusal;
    const size_t max_connections =
        entry->max_connections.value_or(config_.limits.connections_per_token);
    if (hub_->streams_of_token(entry->name) >= max_connections) {
      ++counters_.refused_429;
      HttpAnswer busy =
          Error(429, "token " + entry->name + " already has " + std::to_string(max_connections) +
                         " open streams (its limit)");
      busy.headers.emplace_back("Retry-After", "5");
      return busy;
    }
    auto f = tokens_->filters.find(entry->name);
    if (f != tokens_->filters.end()) client.filter = f->second;
  }

  auto bad = [&](std::string why) {
    ++counters_.bad_requests;
    return Error(400, why);
  };
  StreamStart start;
  bool batch = false;
  std::optional<std::set<std::string, std::less<>>> known;
  auto known_columns = [&]() -> const std::set<std::string, std::less<>>& {
    if (!known) known = KnownColumns(*view, store_);
    return *known;
  };
  for (const auto& [name, value] : request.query) {
    if (name == "from") {
      if (value == "now") {
        start.mode = StreamStart::Mode::kLive;
      } else if (ParseSeq(value, &start.from)) {
        start.mode = StreamStart::Mode::kResume;
      } else {
        return bad("from: expected a seq (the last one the client processed) or now, got \"" +
                   value + "\"");
      }
    } else if (name == "where") {
      const auto& columns = known_columns();
      Result<RowFilter> filter = RowFilter::Parse(value, [&](std::string_view column) {
        return columns.empty() || columns.count(column) != 0;
      });
      if (!filter.ok()) {
        std::string why = filter.status().message();
        if (!columns.empty() && why.find("columns:") == std::string::npos &&
            why.find("unknown column") != std::string::npos) {
          why += " (columns: " + JoinSet(columns) + ")";
        }
        return bad(why);
      }
      client.filter = RowFilter::And(std::move(client.filter), std::move(filter).value());
    } else if (name == "columns") {
      std::set<std::string, std::less<>> wanted;
      std::string_view rest = value;
      while (true) {
        const size_t comma = rest.find(',');
        std::string column = Trim(rest.substr(0, comma));
        if (column.empty()) return bad("columns: expected column names separated by commas");
        const auto& columns = known_columns();
        if (!columns.empty() && columns.count(column) == 0) {
          return bad("columns: entity " + request.entity + " shows no column \"" + column +
                     "\" (columns: " + JoinSet(columns) + ")");
        }
        wanted.insert(std::move(column));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
      client.columns = std::move(wanted);
    } else if (name == "batch") {
      if (value == "1" || value == "true") {
        batch = true;
      } else if (value == "0" || value == "false") {
        batch = false;
      } else {
        return bad("batch: expected 1 or 0, got \"" + value + "\"");
      }
    } else {
      return bad("unknown parameter \"" + name +
                 "\" (expected from, where, columns, batch or token)");
    }
  }
  if (request.last_event_id && !request.last_event_id->empty()) {
    if (!ParseSeq(*request.last_event_id, &start.from)) {
      return bad("Last-Event-ID: expected a seq, got \"" + *request.last_event_id + "\"");
    }
    start.mode = StreamStart::Mode::kResume;
  }
  Result<std::unique_ptr<ClientStream>> stream =
      hub_->Open(*view, std::move(client), start, batch, entry ? entry->name : std::string());
  if (!stream.ok()) {
    spdlog::error("gateway {}: a stream of {} could not start: {}", config_.name, request.entity,
                  stream.status().message());
    return Error(503, "the gateway could not read its store; try again");
  }
  return std::unique_ptr<Subscription>(std::move(stream).value());
}

void GatewayCore::Push(PushRequest request, std::function<void(HttpAnswer)> done) {
  const EntityView* view = hub_->View(request.entity);
  if (view == nullptr) {
    done(Error(404, "no entity \"" + request.entity + "\" on this gateway"));
    return;
  }
  HttpAnswer refusal;
  // Pushes always need a token: `public` opens reading only.
  const TokenEntry* entry = Authenticate(request.token, /*needs_token=*/true, &refusal);
  if (entry == nullptr) {
    done(std::move(refusal));
    return;
  }
  if (!view->config().push) {
    HttpAnswer answer = Error(405, "entity " + request.entity +
                                       " takes no pushes (it has no push: "
                                       "section in the gateway file)");
    answer.headers.emplace_back("Allow", "GET");
    done(std::move(answer));
    return;
  }
  if (!MayPush(*entry, request.entity)) {
    ++counters_.refused_403;
    done(Error(403, "token " + entry->name + " may not push to entity " + request.entity));
    return;
  }
  if (!Spend(*entry, &refusal)) {
    done(std::move(refusal));
    return;
  }
  Row body = Row::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    ++counters_.bad_requests;
    done(Error(400,
               "the body is not JSON: expected an object such as {\"op\":\"update\","
               "\"key\":{...},\"changes\":{\"col\":{\"old\":v,\"new\":v}}}"));
    return;
  }
  if (!body.is_object()) {
    ++counters_.bad_requests;
    done(Error(400, "the body must be a JSON object with op, key and changes"));
    return;
  }
  for (const char* reserved : {"origin", "ref", "ts"}) {
    if (body.contains(reserved)) {
      ++counters_.bad_requests;
      done(Error(400, std::string("\"") + reserved +
                          "\" is set by the gateway; a push must not carry it"));
      return;
    }
  }
  if (!body.contains("op")) body["op"] = "update";
  PushJob job;
  job.body = std::move(body);
  job.ref = NextRef();
  auto f = tokens_->filters.find(entry->name);
  if (f != tokens_->filters.end()) job.token_filter = f->second;
  job.done = std::move(done);
  ++counters_.pushes;
  auto& worker = push_workers_.at(request.entity);
  auto answer_busy = job.done;
  if (!worker->Submit(std::move(job))) {
    HttpAnswer busy = Error(503, "too many pushes are waiting for entity " + request.entity);
    busy.headers.emplace_back("Retry-After", "1");
    answer_busy(std::move(busy));
  }
}

}  // namespace deltabridge
