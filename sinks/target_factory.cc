#include "sinks/target_factory.h"

#include "sinks/jsonl/jsonl_target.h"
#include "sinks/mysql/mysql_session.h"
#include "sinks/odbc/odbc_session.h"
#include "sinks/pg/pg_session.h"

namespace deltabridge {

Result<SqlSessionFactory> MakeSqlSessionFactory(const TargetConfig& target) {
  switch (target.type) {
    case TargetType::kPostgres: {
      PostgresTargetConfig c = *target.postgres();
      return SqlSessionFactory([c] { return ConnectPostgres(c); });
    }
    case TargetType::kMysql: {
      MysqlTargetConfig c = *target.mysql();
      return SqlSessionFactory([c] { return ConnectMysql(c); });
    }
    case TargetType::kOdbc: {
      OdbcTargetConfig c = *target.odbc();
      return SqlSessionFactory([c] { return ConnectOdbc(c); });
    }
    case TargetType::kJsonl:
      break;
  }
  return Status::InvalidArgument("a jsonl target is a file, not a SQL database");
}

Result<std::unique_ptr<Target>> MakeTarget(const SinkConfig& config, SqlTargetOptions sql_options) {
  if (config.target.type == TargetType::kJsonl) {
    return std::unique_ptr<Target>(
        std::make_unique<JsonlTarget>(*config.target.jsonl(), config.state_dir, config.name));
  }
  Result<SqlSessionFactory> factory = MakeSqlSessionFactory(config.target);
  if (!factory.ok()) return factory.status();
  return std::unique_ptr<Target>(
      std::make_unique<SqlTarget>(config, std::move(factory).value(), std::move(sql_options)));
}

}  // namespace deltabridge
