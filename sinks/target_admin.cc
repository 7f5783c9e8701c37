#include "sinks/target_admin.h"

#include "sinks/jsonl/jsonl_target.h"
#include "sinks/sql/conflict_resolver.h"
#include "sinks/sql/state_tables.h"
#include "sinks/target_factory.h"

namespace deltabridge {
namespace {

class SqlTargetAdmin final : public TargetAdmin {
 public:
  SqlTargetAdmin(const SinkConfig& config, std::unique_ptr<SqlSession> session)
      : config_(config), session_(std::move(session)) {}

  std::string Describe() const override {
    return std::string(TargetTypeName(config_.target.type)) + " " + session_->Describe();
  }
  Result<Checkpoints> ReadCheckpoints() override {
    return LoadCheckpoints(*session_, config_.name);
  }
  bool holds_conflicts() const override { return true; }
  Result<uint64_t> CountOpenConflicts() override {
    return deltabridge::CountOpenConflicts(*session_, config_.name);
  }
  Result<std::vector<ConflictRecord>> ListConflicts(bool all) override {
    return deltabridge::ListConflicts(*session_, config_.name, all);
  }
  Status ResolveConflict(int64_t id, std::string_view take, int64_t now_us) override {
    return deltabridge::ResolveConflict(*session_, config_, id, take, now_us);
  }

 private:
  const SinkConfig& config_;
  std::unique_ptr<SqlSession> session_;
};

class JsonlTargetAdmin final : public TargetAdmin {
 public:
  explicit JsonlTargetAdmin(const SinkConfig& config) : config_(config) {}

  std::string Describe() const override { return "jsonl " + config_.target.jsonl()->path; }
  Result<Checkpoints> ReadCheckpoints() override {
    return JsonlTarget::ReadCheckpoints(config_.state_dir);
  }
  bool holds_conflicts() const override { return false; }
  Result<uint64_t> CountOpenConflicts() override { return uint64_t{0}; }
  Result<std::vector<ConflictRecord>> ListConflicts(bool) override {
    return std::vector<ConflictRecord>{};
  }
  Status ResolveConflict(int64_t id, std::string_view, int64_t) override {
    return Status::NotFound("conflict " + std::to_string(id) +
                            ": a JSON-lines target holds no conflicts");
  }

 private:
  const SinkConfig& config_;
};

}  // namespace

Result<std::unique_ptr<TargetAdmin>> TargetAdmin::Open(const SinkConfig& config) {
  if (config.target.type == TargetType::kJsonl) {
    return std::unique_ptr<TargetAdmin>(std::make_unique<JsonlTargetAdmin>(config));
  }
  DB_ASSIGN_OR_RETURN(SqlSessionFactory factory, MakeSqlSessionFactory(config.target));
  DB_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, factory());
  return std::unique_ptr<TargetAdmin>(std::make_unique<SqlTargetAdmin>(config, std::move(session)));
}

}  // namespace deltabridge
