#include "gateway/push_worker.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <utility>

#include "sinks/push_applier.h"

namespace deltabridge {
namespace {

HttpAnswer JsonAnswer(int status, nlohmann::ordered_json body) {
  HttpAnswer answer;
  answer.status = status;
  answer.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return answer;
}

HttpAnswer ErrorAnswer(int status, std::string_view why) {
  return JsonAnswer(status, {{"error", why}});
}

}  // namespace

SinkConfig PushSinkConfig(const GatewayConfig& gateway, const EntityConfig& entity) {
  SinkConfig sink;
  sink.name = gateway.name + "-" + entity.name;
  sink.state_dir = gateway.state_dir;
  if (entity.push) {
    sink.target = entity.push->target;
    sink.mappings.push_back(entity.push->mapping);
  }
  return sink;
}

PushWorker::PushWorker(boost::asio::io_context& io, const GatewayConfig& gateway,
                       const EntityView& view, EntityStore* store)
    : io_(io), view_(view), store_(store), sink_(PushSinkConfig(gateway, view.config())) {
  thread_ = std::thread([this] { Loop(); });
}

PushWorker::~PushWorker() { Stop(); }

bool PushWorker::Submit(PushJob job) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || queue_.size() >= kMaxQueued) return false;
  queue_.push_back(std::move(job));
  cv_.notify_one();
  return true;
}

void PushWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

PushCounters PushWorker::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

void PushWorker::Answer(const PushJob& job, HttpAnswer answer) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (answer.status == 200) {
      ++counters_.applied;
    } else if (answer.status == 409) {
      ++counters_.conflicts;
    } else if (answer.status == 503) {
      ++counters_.failed;
    } else {
      ++counters_.rejected;
    }
  }
  boost::asio::post(
      io_, [done = job.done, answer = std::move(answer)]() mutable { done(std::move(answer)); });
}

void PushWorker::Loop() {
  while (true) {
    PushJob job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Answer(job, Apply(job));
  }
  // Stopping: what is still queued gets an answer, never silence.
  std::deque<PushJob> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    left.swap(queue_);
  }
  for (const PushJob& job : left) {
    Answer(job, ErrorAnswer(503, "the gateway is stopping; push again"));
  }
  applier_.reset();
}

std::string PushWorker::FilterRefusal(const PushJob& job) const {
  if (job.token_filter.empty()) return "";
  const auto& body = job.body;
  const std::string op = body.contains("op") && body["op"].is_string()
                             ? body["op"].get<std::string>()
                             : std::string("update");
  const Row key = body.contains("key") && body["key"].is_object() ? body["key"] : Row::object();
  const Row changes =
      body.contains("changes") && body["changes"].is_object() ? body["changes"] : Row::object();

  // The row as the store holds it, in the first of the entity's tables that has it.
  Row before;
  Result<EntityStore::Reader> reader = store_->Read();
  if (!reader.ok()) return "the gateway could not read its store";
  for (const auto& table : store_->Tables(view_.config().bridge)) {
    if (!view_.Shows(*table)) continue;
    const std::vector<std::string> shown_key = view_.ShownKey(*table);
    nlohmann::json values = nlohmann::json::array();
    bool complete = true;
    for (const auto& column : shown_key) {
      auto it = key.find(column);
      if (it == key.end()) {
        complete = false;
        break;
      }
      values.push_back(nlohmann::json(*it));
    }
    if (!complete) continue;
    Result<Row> row = reader->Get(*table, values);
    if (row.ok() && !row->is_null()) {
      before = view_.Project(*row);
      break;
    }
  }
  Row after;
  if (op != "delete") {
    after = op == "update" && !before.is_null() ? before : key;
    for (auto it = changes.begin(); it != changes.end(); ++it) {
      if (it->is_object() && it->contains("new")) after[it.key()] = (*it)["new"];
    }
  }
  if (op != "insert" && before.is_null()) {
    return "no row with this key is visible to this token";
  }
  if (!before.is_null() && !job.token_filter.Matches(before)) {
    return "the row is outside this token's filter (" + job.token_filter.text() + ")";
  }
  if (!after.is_null() && !job.token_filter.Matches(after)) {
    return "the change would put the row outside this token's filter (" + job.token_filter.text() +
           ")";
  }
  return "";
}

HttpAnswer PushWorker::Apply(const PushJob& job) {
  if (std::string refusal = FilterRefusal(job); !refusal.empty()) {
    return ErrorAnswer(403, refusal);
  }
  if (!applier_) {
    const EntityPushConfig& push = *view_.config().push;
    Result<std::unique_ptr<PushApplier>> opened =
        PushApplier::Open(sink_, sink_.mappings.front(), push.node);
    if (!opened.ok()) {
      spdlog::error("entity {}: pushes cannot reach the target: {}", view_.name(),
                    opened.status().message());
      return ErrorAnswer(503, "the entity's target is unavailable: " + opened.status().message());
    }
    applier_ = std::move(opened).value();
  }
  Row line = job.body;
  line["ref"] = job.ref;
  Result<PushOutcome> outcome =
      applier_->Push(line.dump(-1, ' ', false, Row::error_handler_t::replace));
  if (!outcome.ok()) {
    spdlog::error("entity {}: a push failed on {}: {}", view_.name(), applier_->Describe(),
                  outcome.status().message());
    applier_.reset();  // opened again for the next push
    return ErrorAnswer(503, "the entity's target failed: " + outcome.status().message());
  }
  nlohmann::ordered_json body;
  body["result"] = std::string(PushResultName(outcome->result));
  body["ref"] = job.ref;
  switch (outcome->result) {
    case PushResult::kApplied:
      body["kept"] = outcome->kept;
      return JsonAnswer(200, std::move(body));
    case PushResult::kConflict:
      if (!outcome->conflict_ids.empty()) body["conflict_id"] = outcome->conflict_ids.front();
      if (outcome->conflict_ids.size() > 1) body["conflict_ids"] = outcome->conflict_ids;
      body["kept"] = outcome->kept;
      return JsonAnswer(409, std::move(body));
    case PushResult::kRejected:
    case PushResult::kSuppressed:
      body["error"] = outcome->why;
      return JsonAnswer(400, std::move(body));
  }
  return ErrorAnswer(500, "unexpected push outcome");
}

}  // namespace deltabridge
