#include "tests/integration/sink_test_base.h"

namespace deltabridge::test {

TestPostgres* SinkTestBase::pg_ = nullptr;

void SinkTestBase::SetUpTestSuite() {
  TestPostgres::Options o;
  o.extra_config = {"wal_sender_timeout = 10s", "max_replication_slots = 40",
                    "max_wal_senders = 40"};
  pg_ = new TestPostgres(o);
  Status s = pg_->Start();
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << pg_->LogTail();
}

void SinkTestBase::TearDownTestSuite() {
  delete pg_;
  pg_ = nullptr;
}

void SinkTestBase::SetUp() {
  ASSERT_NE(pg_, nullptr);
  static int tests = 0;
  name_ = prefix_ + std::to_string(++tests);
  for (const char* db : {"_sched", "_legacy"}) {
    ASSERT_TRUE(pg_->CreateDatabase(name_ + db).ok());
  }
}

void SinkTestBase::TearDown() {
  if (pg_ == nullptr) return;
  pg_->Exec(
         "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE "
         "slot_name LIKE '" +
         name_ + "%' AND NOT active")
      .ok();
}

}  // namespace deltabridge::test
