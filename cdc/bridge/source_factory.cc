#include "cdc/bridge/source_factory.h"

#include "cdc/mysql/mysql_check.h"
#include "cdc/mysql/mysql_source.h"
#include "cdc/odbc/odbc_check.h"
#include "cdc/odbc/odbc_source.h"
#include "cdc/pg/pg_check.h"
#include "cdc/pg/pg_source.h"

namespace deltabridge {

Result<std::unique_ptr<Source>> MakeSource(const BridgeConfig& bridge, const SourceConfig& source,
                                           SourceSinks sinks) {
  if (const PostgresSourceConfig* pc = source.postgres()) {
    PgSource::Options o;
    o.bridge = bridge.name;
    o.name = source.name;
    o.dsn = pc->dsn;
    o.slot = pc->slot;
    o.publication = pc->publication;
    o.tables = pc->tables;
    o.exclude_columns = pc->exclude_columns;
    o.initial_snapshot = pc->snapshot == SnapshotMode::kInitial;
    return std::unique_ptr<Source>(
        std::make_unique<PgSource>(std::move(o), sinks.sink, sinks.spool));
  }
  if (const MysqlSourceConfig* mc = source.mysql()) {
    mysql::MysqlSource::Options o;
    o.bridge = bridge.name;
    o.name = source.name;
    o.host = mc->host;
    o.port = mc->port;
    o.user = mc->user;
    o.password = mc->password;
    o.server_id = mc->server_id;
    o.tables = mc->tables;
    o.exclude_columns = mc->exclude_columns;
    o.initial_snapshot = mc->snapshot == SnapshotMode::kInitial;
    return std::unique_ptr<Source>(std::make_unique<mysql::MysqlSource>(std::move(o), sinks.sink));
  }
  if (const OdbcSourceConfig* oc = source.odbc()) {
    odbc::OdbcSource::Options o;
    o.bridge = bridge.name;
    o.name = source.name;
    o.dsn = oc->dsn;
    o.poll_interval = oc->poll_interval;
    if (oc->query_timeout) {
      o.query_timeout_seconds = static_cast<int>(oc->query_timeout->count() / 1000000);
    }
    o.tables = oc->tables;
    o.state_dir = bridge.state_dir;
    return std::unique_ptr<Source>(std::make_unique<odbc::OdbcSource>(std::move(o), sinks.sink));
  }
  return Status::InvalidArgument("source " + source.name + ": type " +
                                 std::string(SourceTypeName(source.type)) +
                                 " is not supported by this build");
}

void CheckSource(const SourceConfig& source, CheckReport* report) {
  switch (source.type) {
    case SourceType::kPostgres:
      CheckPgSource(source, report);
      return;
    case SourceType::kMysql:
      mysql::CheckMysqlSource(source, report);
      return;
    case SourceType::kOdbc:
      odbc::CheckOdbcSource(source, report);
      return;
  }
  report->Fail("source " + source.name + ": type " + std::string(SourceTypeName(source.type)) +
                   " is not supported by this build yet",
               "remove the source or use a build that supports it");
}

}  // namespace deltabridge
