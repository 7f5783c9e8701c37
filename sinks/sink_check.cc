#include "sinks/sink_check.h"

#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <string>
#include <vector>

#include "sinks/bridge_probe.h"
#include "sinks/sql/mapping_check.h"
#include "sinks/sql/origin_tagger.h"
#include "sinks/sql/state_tables.h"
#include "sinks/target_factory.h"

namespace deltabridge {

std::string LocateConfigKey(const std::string& path, std::string_view dotted) {
  YAML::Node node;
  try {
    node = YAML::LoadFile(path);
  } catch (const YAML::Exception&) {
    return path;
  }
  YAML::Mark mark = node.Mark();
  size_t i = 0;
  while (i < dotted.size()) {
    if (dotted[i] == '.') {
      ++i;
      continue;
    }
    YAML::Node next;
    if (dotted[i] == '[') {
      size_t close = dotted.find(']', i);
      if (close == std::string_view::npos) break;
      size_t index =
          std::strtoul(std::string(dotted.substr(i + 1, close - i - 1)).c_str(), nullptr, 10);
      if (!node.IsSequence() || index >= node.size()) break;
      next = node[index];
      i = close + 1;
    } else {
      size_t end = dotted.find_first_of(".[", i);
      if (end == std::string_view::npos) end = dotted.size();
      std::string key(dotted.substr(i, end - i));
      if (!node.IsMap()) break;
      bool found = false;
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (it->first.Scalar() == key) {
          next = it->second;
          mark = it->first.Mark();
          found = true;
          break;
        }
      }
      if (!found) break;
      i = end;
      node = next;
      continue;
    }
    node = next;
    mark = node.Mark();
  }
  if (mark.line < 0) return path;
  return path + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

namespace {

// "mappings[0].rules.x: message" -> "sink.yaml:14:7: mappings[0].rules.x: message".
std::string Located(const std::string& path, const std::string& problem) {
  size_t colon = problem.find(": ");
  if (colon == std::string::npos) return path + ": " + problem;
  return LocateConfigKey(path, std::string_view(problem).substr(0, colon)) + ": " + problem;
}

std::string FixFor(const std::string& problem, const std::string& file) {
  if (problem.find("additive needs a numeric") != std::string::npos) {
    return "give the column a numeric type (ALTER TABLE ... ALTER COLUMN ... TYPE integer), or "
           "choose another rule for it";
  }
  if (problem.find("has no column") != std::string::npos) {
    return "add the column to the target table, or correct the column name in " + file;
  }
  if (problem.find("has no table") != std::string::npos) {
    return "create the table in the target (deltabridge does not create target tables), with a "
           "primary key on the mapping's key";
  }
  return "change the rule, or the column's type";
}

bool WritableDir(const std::string& dir) { return access(dir.c_str(), W_OK | X_OK) == 0; }

std::string Parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string DefaultMappingKey(size_t i) { return "mappings[" + std::to_string(i) + "]"; }

}  // namespace

void CheckSqlTarget(const SinkConfig& config, const std::string& path,
                    const SqlTargetCheckNames& names, CheckReport* report) {
  const std::string subject = names.target.subject + ": ";
  const std::string& writer = names.target.writer;
  auto mapping_key = [&](size_t i) {
    return names.mapping_key ? names.mapping_key(i) : DefaultMappingKey(i);
  };
  Result<SqlSessionFactory> factory = MakeSqlSessionFactory(config.target);
  if (!factory.ok()) {
    report->Fail(subject + factory.status().message(), "fix the " + names.target_key + " section");
    return;
  }
  Result<std::unique_ptr<SqlSession>> session = (*factory)();
  if (!session.ok()) {
    report->Fail(subject + session.status().message(),
                 "check the target's address, user, password and database; the server must be "
                 "running and accept this user");
    return;
  }
  SqlSession& s = **session;
  report->Ok(subject + "connected to " + s.Describe());
  // The state tables: one line for those present, one for those missing.
  std::vector<std::string> present, missing;
  for (std::string_view t : {kCheckpointsTable, kRowWritersTable, kConflictsTable}) {
    (s.DescribeTable(t).ok() ? present : missing).emplace_back(t);
  }
  auto join = [](const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  };
  if (!present.empty()) {
    report->Ok(subject + join(present) + (present.size() == 1 ? " exists" : " exist"));
  }
  if (!missing.empty()) {
    const bool one = missing.size() == 1;
    const std::string them = one ? "it" : "them";
    report->Note(subject + join(missing) + (one ? " does not exist yet" : " do not exist yet"),
                 writer + " creates " + them + " " + names.target.when +
                     "; its user needs the CREATE privilege there, or a DBA creates " + them +
                     " from docs/target-tables.md");
  }
  if (!config.target.node.empty()) {
    CheckOriginTag(s, config.name, config.target.node, report, names.target);
  }
  for (size_t i = 0; i < config.mappings.size(); ++i) {
    const MappingConfig& m = config.mappings[i];
    const std::string where = mapping_key(i);
    Result<TargetTableInfo> info = s.DescribeTable(m.to);
    if (!info.ok()) {
      std::string problem = where + ".to: the target has no table " + m.to;
      report->Fail(Located(path, problem), FixFor("has no table", names.file));
      continue;
    }
    std::vector<std::string> problems = CheckMappingAgainstTable(m, i, *info);
    for (std::string p : problems) {
      // The mapping check names mapping i "mappings[i]"; the file may call it otherwise.
      const std::string own = DefaultMappingKey(i);
      if (where != own && p.starts_with(own)) p = where + p.substr(own.size());
      report->Fail(Located(path, p), FixFor(p, names.file));
    }
    if (problems.empty()) {
      report->Ok(where + " " + m.from + " -> " + m.to + ": table, key, columns and rules fit (" +
                 std::to_string(info->columns.size()) + " columns)");
    }
    bool key_is_pk = info->primary_key.size() == m.key.size();
    for (size_t k = 0; key_is_pk && k < m.key.size(); ++k) {
      bool found = false;
      for (const std::string& pk : info->primary_key) {
        found = found || info->Find(pk) == info->Find(m.key[k]);
      }
      key_is_pk = found;
    }
    if (!key_is_pk) {
      std::string key;
      for (const std::string& k : m.key) key += (key.empty() ? "" : ", ") + k;
      report->Note(LocateConfigKey(path, where + ".key") + ": " + where + ".key (" + key +
                       ") is not the primary key of " + m.to,
                   "make sure a unique index covers (" + key + "): " + writer +
                       " finds rows by it, and two rows with one key would both be written");
    }
  }
}

void CheckSubscribedBridges(const std::vector<SubscribeConfig>& subscribe, const std::string& path,
                            CheckReport* report) {
  for (size_t i = 0; i < subscribe.size(); ++i) {
    const SubscribeConfig& sub = subscribe[i];
    Result<uint64_t> newest =
        ProbeBridgeNewestSeq(sub.publish, sub.bridge, std::chrono::milliseconds(3000));
    if (newest.ok()) {
      report->Ok("bridge " + sub.bridge + ": heartbeat at " + sub.publish + ", newest seq " +
                 std::to_string(*newest));
    } else {
      report->Fail("bridge " + sub.bridge + ": " + newest.status().message(),
                   "start the bridge (deltabridge run BRIDGE.yaml), or correct " +
                       LocateConfigKey(path, "subscribe[" + std::to_string(i) + "].publish"));
    }
  }
}

void CheckStateDir(const std::string& state_dir, std::string_view key, std::string_view program,
                   CheckReport* report) {
  const std::string prog(program);
  struct stat st {};
  if (stat(state_dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode) && WritableDir(state_dir)) {
      report->Ok("state_dir " + state_dir + " is writable");
    } else {
      report->Fail(
          "state_dir " + state_dir + " is not a writable directory",
          "chown it to the user the " + prog + " runs as, or choose another " + std::string(key));
    }
  } else if (WritableDir(Parent(state_dir))) {
    report->Ok("state_dir " + state_dir + " will be created");
  } else {
    report->Fail(
        "state_dir " + state_dir + " does not exist and cannot be created",
        "mkdir -p " + state_dir + " as a user that may, and chown it to the " + prog + "'s user");
  }
}

void CheckSink(const SinkConfig& config, const std::string& path, CheckReport* report) {
  report->Ok(path + ": configuration valid (" + std::to_string(config.subscribe.size()) +
             " bridge(s), " + std::to_string(config.mappings.size()) + " mapping(s))");
  CheckSubscribedBridges(config.subscribe, path, report);
  CheckStateDir(config.state_dir, "sink.state_dir", "sink", report);
  if (config.target.type == TargetType::kJsonl) {
    const std::string& file = config.target.jsonl()->path;
    if (WritableDir(Parent(file))) {
      report->Ok("target: " + file + " can be written");
    } else {
      report->Fail("target: the directory of " + file + " is not writable",
                   "create " + Parent(file) + " and let the sink's user write there");
    }
    return;
  }
  CheckSqlTarget(config, path, SqlTargetCheckNames{}, report);
}

}  // namespace deltabridge
