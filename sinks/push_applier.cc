#include "sinks/push_applier.h"

#include <algorithm>
#include <utility>

#include "cdc/core/wall_clock.h"
#include "cdc/wire/envelope.h"
#include "sinks/echo_filter.h"
#include "sinks/target_factory.h"

namespace deltabridge {

std::string_view PushResultName(PushResult result) {
  switch (result) {
    case PushResult::kApplied:
      return "applied";
    case PushResult::kConflict:
      return "conflict";
    case PushResult::kRejected:
      return "rejected";
    case PushResult::kSuppressed:
      return "suppressed";
  }
  return "rejected";
}

std::string PushOutcomeJson(uint64_t line, const PushOutcome& outcome) {
  std::string out = "{\"line\":" + std::to_string(line) + ",\"result\":\"";
  out += PushResultName(outcome.result);
  out += '"';
  if (outcome.result == PushResult::kConflict && !outcome.conflict_ids.empty()) {
    out += ",\"conflict_id\":" + std::to_string(outcome.conflict_ids.front());
    if (outcome.conflict_ids.size() > 1) {
      out += ",\"conflict_ids\":[";
      for (size_t i = 0; i < outcome.conflict_ids.size(); ++i) {
        if (i > 0) out += ',';
        out += std::to_string(outcome.conflict_ids[i]);
      }
      out += ']';
    }
  }
  if (!outcome.kept.empty()) {
    out += ",\"kept\":[";
    for (size_t i = 0; i < outcome.kept.size(); ++i) {
      if (i > 0) out += ',';
      AppendJsonString(&out, outcome.kept[i]);
    }
    out += ']';
  }
  if (!outcome.why.empty()) {
    out += ",\"why\":";
    AppendJsonString(&out, outcome.why);
  }
  return out + "}";
}

Result<const MappingConfig*> FindPushMapping(const SinkConfig& config, std::string_view to,
                                             std::string_view from) {
  std::vector<const MappingConfig*> found;
  std::string targets;
  for (const MappingConfig& m : config.mappings) {
    if (targets.find(" " + m.to + ",") == std::string::npos) targets += " " + m.to + ",";
    if (m.to == to && (from.empty() || m.from == from)) found.push_back(&m);
  }
  if (found.size() == 1) return found.front();
  if (found.empty()) {
    if (!targets.empty()) targets.pop_back();
    std::string what = "sink " + config.name + " has no mapping to " + std::string(to);
    if (!from.empty()) what += " from " + std::string(from);
    return Status::InvalidArgument(what + ": expected the `to` of one of its mappings:" + targets);
  }
  std::string froms;
  for (const MappingConfig* m : found) froms += (froms.empty() ? "" : ", ") + m->from;
  return Status::InvalidArgument("sink " + config.name + " has " + std::to_string(found.size()) +
                                 " mappings to " + std::string(to) + " (from " + froms +
                                 "): pick one with --from");
}

std::string DefaultPushNode(const SinkConfig& config) { return "push." + config.name; }

Result<std::unique_ptr<PushApplier>> PushApplier::Open(const SinkConfig& config,
                                                       const MappingConfig& mapping,
                                                       std::string node) {
  if (config.target.type == TargetType::kJsonl) {
    return Status::InvalidArgument("sink " + config.name +
                                   " writes a JSON-lines file: a push applies changes to a "
                                   "database (a postgres, mysql or odbc target)");
  }
  if (!PushNodeParts(node)) {
    return Status::InvalidArgument("node \"" + node +
                                   "\": expected a node name of at least two parts (names "
                                   "matching [a-z0-9_-]+ joined by dots, like app.web)");
  }
  DB_ASSIGN_OR_RETURN(SqlSessionFactory factory, MakeSqlSessionFactory(config.target));
  TargetTableInfo table;
  {
    DB_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, factory());
    Result<TargetTableInfo> info = session->DescribeTable(mapping.to);
    if (!info.ok()) {
      if (info.status().code() == Status::Code::kNotFound) {
        return Status::FailedPrecondition("the target has no table " + mapping.to +
                                          " (the `to` of the mapping from " + mapping.from + ")");
      }
      return info.status();
    }
    table = std::move(info).value();
  }
  SqlTargetOptions options;
  options.record_outcomes = true;
  // Published by the bridge capturing the target whatever its forward: says:
  // the other nodes learn of an application's change only so.
  options.publish_tags = true;
  options.copy_min_rows = 0;  // one delta at a time: never the bulk path
  DB_ASSIGN_OR_RETURN(std::unique_ptr<Target> target, MakeTarget(config, std::move(options)));
  auto applier = std::make_unique<PushApplier>(config, mapping, std::move(node), std::move(target),
                                               std::move(table));
  DB_RETURN_IF_ERROR(applier->Start());
  return applier;
}

PushApplier::PushApplier(const SinkConfig& config, const MappingConfig& mapping, std::string node,
                         std::unique_ptr<Target> target, TargetTableInfo table)
    : config_(config), target_(std::move(target)), table_(std::move(table)) {
  route_.mapping = &mapping;
  route_.node = std::move(node);
  route_.table = &table_;
}

Status PushApplier::Start() {
  DB_ASSIGN_OR_RETURN(checkpoints_, target_->Open());
  return Status::Ok();
}

Result<PushOutcome> PushApplier::Push(std::string_view line) {
  const int64_t now = WallClockMicros();
  const uint64_t seq = std::max(last_seq_ + 1, static_cast<uint64_t>(std::max<int64_t>(now, 0)));
  Result<SinkDelta> d = ParsePushLine(line, route_, seq, now);
  if (!d.ok()) {
    if (d.status().code() != Status::Code::kInvalidArgument) return d.status();
    return PushOutcome{PushResult::kRejected, {}, {}, d.status().message()};
  }
  last_seq_ = seq;
  // The sink's own verdict on a path; a push follows no bridge, so nothing
  // reaches it directly. Self (the path is [target node]) or echo: the
  // change has been in the target.
  const std::string& self = config_.target.node;
  const std::vector<std::string> path = DeltaPath(d->delta.bridge, d->delta.change);
  const PathVerdict verdict =
      ClassifyPath(path, self, [](std::string_view) { return false; }).verdict;
  if (verdict == PathVerdict::kSelf || verdict == PathVerdict::kEcho) {
    std::string shown;
    for (const std::string& n : path) shown += (shown.empty() ? "" : ", ") + n;
    return PushOutcome{PushResult::kSuppressed,
                       {},
                       {},
                       "its path [" + shown + "] already holds the target's node " + self +
                           ": the change has been there"};
  }
  Result<PushOutcome> out = ApplyOnce(*d);
  if (out.ok() || !out.status().IsUnavailable()) return out;
  // The connection was lost. Once more on a new one, with the same seq: if
  // the commit did land before the loss, the engine's duplicate guard keeps
  // every field rather than applying the line twice.
  Result<Checkpoints> reopened = target_->Open();
  if (!reopened.ok()) return reopened.status();
  checkpoints_ = std::move(reopened).value();
  return ApplyOnce(*d);
}

Result<PushOutcome> PushApplier::ApplyOnce(const SinkDelta& d) {
  auto fail = [&](const Status& s) {
    target_->Abort();
    return s;
  };
  DB_RETURN_IF_ERROR(target_->Begin());
  if (Status s = target_->Apply({d}); !s.ok()) return fail(s);
  Result<ApplyOutcome> done = target_->Outcome();
  if (!done.ok()) return fail(done.status());
  PushOutcome out;
  for (const ConflictRecord& c : done->conflicts) {
    if (c.kind == ConflictKind::kRejected) {
      target_->Abort();
      return PushOutcome{PushResult::kRejected, {}, {}, c.reason};
    }
    out.conflict_ids.push_back(c.id);
  }
  if (Status s = target_->Commit(checkpoints_); !s.ok()) {
    target_->Abort();
    if (!s.IsRejected()) return s;
    return PushOutcome{PushResult::kRejected, {}, {}, "the target refused it: " + s.message()};
  }
  out.result = out.conflict_ids.empty() ? PushResult::kApplied : PushResult::kConflict;
  for (const std::string& column : done->kept) out.kept.push_back(LineName(d, column));
  return out;
}

std::string PushApplier::LineName(const SinkDelta& d, std::string_view column) const {
  const TargetColumnInfo* col = table_.Find(column);
  for (const ColumnChange& cc : d.delta.change.changes) {
    const std::string target = TargetColumn(*route_.mapping, cc.name);
    if (target.empty()) continue;
    const TargetColumnInfo* c = table_.Find(target);
    if (target == column || (c != nullptr && c == col)) return cc.name;
  }
  return std::string(column);
}

}  // namespace deltabridge
