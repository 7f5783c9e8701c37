// Makes the Target and SqlSession of a sink file's `target:` section.
#pragma once

#include <memory>

#include "sinks/sink_config.h"
#include "sinks/sql/sql_session.h"
#include "sinks/sql/sql_target.h"
#include "sinks/target.h"

namespace deltabridge {

// The session factory of a SQL target (postgres, mysql, odbc); nullptr-returning
// factory is never given: InvalidArgument for jsonl.
Result<SqlSessionFactory> MakeSqlSessionFactory(const TargetConfig& target);

// The target the sink applies to. The config must outlive it.
Result<std::unique_ptr<Target>> MakeTarget(const SinkConfig& config,
                                           SqlTargetOptions sql_options = {});

}  // namespace deltabridge
