// Tests of Journal (cdc/journal/journal.h): round trips, seq rules, pending
// entries, crash durability with real SIGKILLs, retention, filtered reads,
// concurrency, the streaming spool and a full map.

#include "cdc/journal/journal.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cdc/journal/journal_format.h"
#include "cdc/journal/lmdb_handles.h"
#include "tests/support/temp_dir.h"

namespace deltabridge {
namespace {

using test::TempDir;

std::unique_ptr<Journal> MustOpen(const std::string& dir, const JournalOptions& options = {}) {
  auto j = Journal::Open(dir, options);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  if (!j.ok()) return nullptr;
  return std::move(j).value();
}

std::string Body(uint64_t seq) { return "{\"seq\":" + std::to_string(seq) + "}"; }

// Appends `n` entries with Body(seq) on `topic`.
void AppendN(Journal* j, size_t n, const std::string& topic = "b.s.t") {
  for (size_t i = 0; i < n; ++i) {
    uint64_t seq = j->next_seq();
    ASSERT_TRUE(j->Append(seq, topic, Body(seq)).ok());
  }
}

std::vector<JournalEntry> ReadAll(const Journal& j, uint64_t from) {
  std::vector<JournalEntry> all, batch;
  for (;;) {
    Status s = j.Read(from, 1000, size_t{1} << 20, &batch);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok() || batch.empty()) break;
    from = batch.back().seq + 1;
    for (auto& e : batch) all.push_back(std::move(e));
  }
  return all;
}

TEST(JournalTest, AppendCommitReadRoundTrip) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  auto j = MustOpen(dir.Join("journal"));
  ASSERT_TRUE(j);
  EXPECT_EQ(j->next_seq(), 1u);
  EXPECT_EQ(j->committed_seq(), 0u);
  EXPECT_EQ(j->first_seq(), 1u);
  ASSERT_TRUE(j->Append(1, "parks.a.t1", "{\"x\":1}").ok());
  ASSERT_TRUE(j->Append(2, "parks.a.t2", std::string("bin\0ary", 7)).ok());
  ASSERT_TRUE(j->Append(3, "parks.b.t1", "").ok());
  j->MarkTxEnd();
  SeqRange range;
  ASSERT_TRUE(j->Commit(&range).ok());
  EXPECT_EQ(range.first, 1u);
  EXPECT_EQ(range.last, 3u);
  EXPECT_EQ(j->committed_seq(), 3u);
  EXPECT_EQ(j->next_seq(), 4u);

  std::vector<JournalEntry> out;
  ASSERT_TRUE(j->Read(1, 10, 1 << 20, &out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].seq, 1u);
  EXPECT_EQ(out[0].topic, "parks.a.t1");
  EXPECT_EQ(out[0].body, "{\"x\":1}");
  EXPECT_EQ(out[1].body, std::string("bin\0ary", 7));
  EXPECT_EQ(out[2].topic, "parks.b.t1");
  EXPECT_EQ(out[2].body, "");
  EXPECT_GT(out[0].write_time_us, 0);
  uint64_t expected_bytes = 0;
  for (const auto& e : out)
    expected_bytes += journal_format::EntrySize(e.topic.size(), e.body.size());
  EXPECT_EQ(j->size_bytes(), expected_bytes);

  // A second commit with nothing new is a no-op with an empty range.
  ASSERT_TRUE(j->Commit(&range).ok());
  EXPECT_TRUE(range.empty());

  // Same content after reopening.
  j.reset();
  j = MustOpen(dir.Join("journal"));
  ASSERT_TRUE(j);
  EXPECT_EQ(j->committed_seq(), 3u);
  EXPECT_EQ(j->size_bytes(), expected_bytes);
  auto again = ReadAll(*j, 1);
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[1].body, std::string("bin\0ary", 7));
  EXPECT_EQ(again[0].write_time_us, out[0].write_time_us);
}

TEST(JournalTest, ReadReplacesWhatTheVectorHeld) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  auto j = MustOpen(dir.Join("journal"));
  ASSERT_TRUE(j);
  AppendN(j.get(), 5);
  j->MarkTxEnd();
  ASSERT_TRUE(j->Commit().ok());
  std::vector<JournalEntry> out(3,
                                JournalEntry{99, 7, std::string(100, 'x'), std::string(500, 'y')});
  ASSERT_TRUE(j->Read(2, 10, 1 << 20, &out).ok());  // more entries than it held
  ASSERT_EQ(out.size(), 4u);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].seq, 2 + i);
    EXPECT_EQ(out[i].topic, "b.s.t");
    EXPECT_EQ(out[i].body, Body(2 + i));
    EXPECT_GT(out[i].write_time_us, 7);
  }
  ASSERT_TRUE(j->Read(4, 1, 1 << 20, &out).ok());  // fewer
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].seq, 4u);
  EXPECT_EQ(out[0].body, Body(4));
  ASSERT_TRUE(j->Read(6, 10, 1 << 20, &out).ok());  // past the end: empty
  EXPECT_TRUE(out.empty());
  out.resize(2);
  EXPECT_FALSE(j->Read(0, 10, 1 << 20, &out).ok());  // an error: empty too
  EXPECT_TRUE(out.empty());
}

TEST(JournalTest, SeqMustBeNextSeq) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  auto j = MustOpen(dir.Join("journal"));
  ASSERT_TRUE(j);
  EXPECT_EQ(j->Append(0, "t", "b").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(j->Append(2, "t", "b").code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(j->Append(1, "t", "b").ok());
  EXPECT_EQ(j->Append(1, "t", "b").code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(j->Append(2, "t", "b").ok());
  j->MarkTxEnd();
  ASSERT_TRUE(j->Commit().ok());
  EXPECT_EQ(j->next_seq(), 3u);
  j.reset();
  j = MustOpen(dir.Join("journal"));
  ASSERT_TRUE(j);
  EXPECT_EQ(j->next_seq(), 3u);
  EXPECT_EQ(j->Append(1, "t", "b").code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(j->Append(3, "t", "b").ok());
}

TEST(JournalTest, OnlyOneJournalPerDirectory) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  auto j = MustOpen(dir.Join("journal"));
  ASSERT_TRUE(j);
  auto second = Journal::Open(dir.Join("journal"), {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(second.status().message().find(dir.Join("journal")), std::string::npos);
  j.reset();
  EXPECT_TRUE(Journal::Open(dir.Join("journal"), {}).ok());
}

TEST(JournalTest, CommitStopsAtLastMarkTxEnd) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  auto j = MustOpen(dir.Join("journal"));
  ASSERT_TRUE(j);
  AppendN(j.get(), 3);
  j->MarkTxEnd();
  AppendN(j.get(), 2);  // an open transaction
  SeqRange range;
  ASSERT_TRUE(j->Commit(&range).ok());
  EXPECT_EQ(range.first, 1u);
  EXPECT_EQ(range.last, 3u);
  EXPECT_EQ(j->committed_seq(), 3u);
  EXPECT_EQ(ReadAll(*j, 1).size(), 3u);
  std::vector<JournalEntry> out;
  ASSERT_TRUE(j->Read(4, 10, 1 << 20, &out).ok());
  EXPECT_TRUE(out.empty());
  j->MarkTxEnd();
  ASSERT_TRUE(j->Commit(&range).ok());
  EXPECT_EQ(range.first, 4u);
  EXPECT_EQ(range.last, 5u);
  EXPECT_EQ(ReadAll(*j, 1).size(), 5u);
}

TEST(JournalTest, PositionsAndMetaGoWithTheirTransaction) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  auto j = MustOpen(dir.Join("journal"));
  ASSERT_TRUE(j);
  AppendN(j.get(), 1);
  j->SetPosition("src", "pos-1");
  j->SetMeta("snapshot", "table-a");
  j->MarkTxEnd();
  AppendN(j.get(), 1);
  j->SetPosition("src", "pos-2");  // staged with the still open transaction
  ASSERT_TRUE(j->Commit().ok());
  EXPECT_EQ(j->committed_seq(), 1u);
  EXPECT_EQ(*j->GetPosition("src").value(), "pos-1");
  EXPECT_EQ(*j->GetMeta("snapshot").value(), "table-a");
  EXPECT_FALSE(j->GetPosition("other").value().has_value());
  EXPECT_FALSE(j->GetMeta("").value().has_value());
  j->MarkTxEnd();
  ASSERT_TRUE(j->Commit().ok());
  EXPECT_EQ(j->committed_seq(), 2u);
  EXPECT_EQ(*j->GetPosition("src").value(), "pos-2");

  // With no open transaction, a position staged alone is committed.
  j->SetPosition("idle", "keepalive-7");
  j->SetMeta("snapshot", "done");
  SeqRange range;
  ASSERT_TRUE(j->Commit(&range).ok());
  EXPECT_TRUE(range.empty());
  j.reset();
  j = MustOpen(dir.Join("journal"));
  ASSERT_TRUE(j);
  EXPECT_EQ(*j->GetPosition("idle").value(), "keepalive-7");
  EXPECT_EQ(*j->GetPosition("src").value(), "pos-2");
  EXPECT_EQ(*j->GetMeta("snapshot").value(), "done");
}

TEST(JournalTest, PendingEntriesAreInvisibleAndDiscardedOnReopen) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  JournalOptions options;
  options.flush_threshold_bytes = 4096;
  auto j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  AppendN(j.get(), 2);
  j->SetPosition("src", "2");
  j->MarkTxEnd();
  ASSERT_TRUE(j->Commit().ok());
  const uint64_t bytes = j->size_bytes();

  // A large transaction: written to LMDB early, never committed.
  AppendN(j.get(), 500);
  EXPECT_GT(j->flushed_seq(), 100u);
  EXPECT_EQ(j->committed_seq(), 2u);
  std::vector<JournalEntry> out;
  ASSERT_TRUE(j->Read(3, 1000, 1 << 20, &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(ReadAll(*j, 1).size(), 2u);
  EXPECT_EQ(j->size_bytes(), bytes);
  // Retention never touches them.
  ASSERT_TRUE(j->ApplyRetention(0, std::nullopt, 0).ok());
  EXPECT_EQ(j->first_seq(), 3u);

  j.reset();  // no Commit: as if the process died
  j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->committed_seq(), 2u);
  EXPECT_EQ(j->next_seq(), 3u);
  EXPECT_EQ(j->flushed_seq(), 2u);
  EXPECT_EQ(j->first_seq(), 3u);
  EXPECT_EQ(*j->GetPosition("src").value(), "2");
  // seq 3 is free again: it was never visible. New content wins.
  ASSERT_TRUE(j->Append(3, "t", "fresh").ok());
  j->MarkTxEnd();
  ASSERT_TRUE(j->Commit().ok());
  ASSERT_TRUE(j->Read(3, 1000, 1 << 20, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].body, "fresh");
}

TEST(JournalTest, EarlyFlushedTransactionCommitsWhole) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  JournalOptions options;
  options.flush_threshold_bytes = 2048;
  auto j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  AppendN(j.get(), 300);  // a large transaction, mostly flushed early
  j->MarkTxEnd();
  AppendN(j.get(), 300);  // the next one, open, also flushed early
  EXPECT_GT(j->flushed_seq(), 300u);
  SeqRange range;
  ASSERT_TRUE(j->Commit(&range).ok());
  EXPECT_EQ(range.first, 1u);
  EXPECT_EQ(range.last, 300u);
  auto all = ReadAll(*j, 1);
  ASSERT_EQ(all.size(), 300u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, i + 1);
    EXPECT_EQ(all[i].body, Body(i + 1));
  }
  j->MarkTxEnd();
  ASSERT_TRUE(j->Commit(&range).ok());
  EXPECT_EQ(range.first, 301u);
  EXPECT_EQ(range.last, 600u);
  EXPECT_EQ(ReadAll(*j, 1).size(), 600u);
  j.reset();
  j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->committed_seq(), 600u);
  EXPECT_EQ(ReadAll(*j, 1).size(), 600u);
}

TEST(JournalTest, RollbackDiscardsTheOpenTransaction) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  JournalOptions options;
  options.flush_threshold_bytes = 2048;
  auto j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  AppendN(j.get(), 5);
  j->SetPosition("src", "5");
  j->MarkTxEnd();
  ASSERT_TRUE(j->Commit().ok());
  AppendN(j.get(), 3);  // a whole transaction, not committed yet
  j->SetPosition("src", "8");
  j->MarkTxEnd();

  // A small aborted transaction: only in memory.
  AppendN(j.get(), 2, "aborted");
  j->SetPosition("src", "aborted");
  j->Rollback();
  EXPECT_EQ(j->next_seq(), 9u);

  // A large aborted transaction: partly written to LMDB early.
  AppendN(j.get(), 200, "aborted");
  EXPECT_GT(j->flushed_seq(), 100u);
  j->Rollback();
  EXPECT_EQ(j->next_seq(), 9u);
  EXPECT_EQ(j->flushed_seq(), 8u);

  // The seqs are reused: they were never visible.
  AppendN(j.get(), 2, "kept");
  j->MarkTxEnd();
  SeqRange range;
  ASSERT_TRUE(j->Commit(&range).ok());
  EXPECT_EQ(range.first, 6u);
  EXPECT_EQ(range.last, 10u);
  auto all = ReadAll(*j, 1);
  ASSERT_EQ(all.size(), 10u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, i + 1);
    EXPECT_EQ(all[i].topic, i < 8 ? "b.s.t" : "kept");
  }
  EXPECT_EQ(*j->GetPosition("src").value(), "8");
  j.reset();
  j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->committed_seq(), 10u);
  EXPECT_EQ(ReadAll(*j, 1).size(), 10u);
}

// ---- crash tests with a real SIGKILL

// The child's report on the pipe: a tag and a seq.
struct Report {
  char tag;  // 'C': committed through seq; 'F': flushed (pending) through seq
  uint64_t seq;
};

void WriteReport(int fd, char tag, uint64_t seq) {
  char buf[9];
  buf[0] = tag;
  std::memcpy(buf + 1, &seq, sizeof(seq));
  if (::write(fd, buf, sizeof(buf)) != static_cast<ssize_t>(sizeof(buf))) ::_exit(3);
}

bool ReadReport(int fd, Report* r) {
  char buf[9];
  size_t got = 0;
  while (got < sizeof(buf)) {
    ssize_t n = ::read(fd, buf + got, sizeof(buf) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  r->tag = buf[0];
  std::memcpy(&r->seq, buf + 1, sizeof(r->seq));
  return true;
}

// Body of a crash-test entry: its seq, its transaction and whether it ends it.
std::string TxBody(uint64_t seq, uint64_t tx, bool last) {
  return "seq=" + std::to_string(seq) + " tx=" + std::to_string(tx) + " last=" + (last ? "1" : "0");
}

bool ParseTxBody(const std::string& body, uint64_t* seq, uint64_t* tx, int* last) {
  unsigned long long s = 0, t = 0;
  int l = 0;
  if (std::sscanf(body.c_str(), "seq=%llu tx=%llu last=%d", &s, &t, &l) != 3) return false;
  *seq = s;
  *tx = t;
  *last = l;
  return true;
}

// Child: commits transactions of 1..7 entries forever, reporting each commit.
[[noreturn]] void CommitLoopChild(const std::string& dir, int fd) {
  auto opened = Journal::Open(dir, {});
  if (!opened.ok()) ::_exit(2);
  Journal& j = *opened.value();
  uint64_t tx = j.committed_seq();  // any increasing id will do
  for (;;) {
    ++tx;
    const uint64_t n = 1 + tx % 7;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t seq = j.next_seq();
      if (!j.Append(seq, "b.s.t", TxBody(seq, tx, i + 1 == n)).ok()) ::_exit(4);
    }
    j.SetPosition("src", std::to_string(j.next_seq() - 1));
    j.SetMeta("last_tx", std::to_string(tx));
    j.MarkTxEnd();
    SeqRange range;
    if (!j.Commit(&range).ok()) ::_exit(5);
    WriteReport(fd, 'C', range.last);
  }
}

// Forks `child(dir, write_fd)`. The parent reads reports until `stop` says so,
// SIGKILLs the child, drains the remaining reports, and returns them all.
template <typename Child, typename Stop>
std::vector<Report> RunAndKill(const std::string& dir, Child child, Stop stop) {
  int fds[2];
  if (::pipe(fds) != 0) std::abort();
  pid_t pid = ::fork();
  if (pid < 0) std::abort();
  if (pid == 0) {
    ::close(fds[0]);
    child(dir, fds[1]);
  }
  ::close(fds[1]);
  std::vector<Report> reports;
  Report r;
  bool killed = false;
  while (ReadReport(fds[0], &r)) {
    reports.push_back(r);
    if (!killed && stop(reports)) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
  }
  ::close(fds[0]);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  EXPECT_TRUE(killed) << "the child ended on its own, status " << wstatus;
  EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << "status " << wstatus;
  return reports;
}

// Checks everything a crash must preserve; returns committed_seq.
uint64_t CheckAfterCrash(const std::string& dir, uint64_t reported_committed) {
  auto j = MustOpen(dir);
  if (!j) return 0;
  const uint64_t committed = j->committed_seq();
  EXPECT_GE(committed, reported_committed);
  EXPECT_EQ(j->next_seq(), committed + 1);
  auto all = ReadAll(*j, j->first_seq());
  EXPECT_EQ(all.size(), committed - j->first_seq() + 1);
  uint64_t expected = j->first_seq();
  uint64_t prev_tx = 0;
  int prev_last = 1;
  for (const auto& e : all) {
    uint64_t seq = 0, tx = 0;
    int last = 0;
    if (!ParseTxBody(e.body, &seq, &tx, &last) || e.seq != expected || seq != e.seq) {
      ADD_FAILURE() << "at seq " << e.seq << " (expected " << expected << "): " << e.body;
      return committed;
    }
    if (prev_tx != 0) {
      // A new transaction starts exactly after a last entry.
      EXPECT_EQ(tx != prev_tx, prev_last == 1) << "at seq " << seq;
    }
    prev_tx = tx;
    prev_last = last;
    ++expected;
  }
  if (!all.empty()) {
    EXPECT_EQ(prev_last, 1) << "the committed journal ends inside a transaction";
    // Position and meta were committed with the last transaction.
    EXPECT_EQ(*j->GetPosition("src").value(), std::to_string(committed));
    EXPECT_EQ(*j->GetMeta("last_tx").value(), std::to_string(prev_tx));
  }
  return committed;
}

TEST(JournalCrashTest, KillDuringCommitLoopLosesNothingReported) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  std::random_device rd;
  const unsigned seed = rd();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  uint64_t committed_before = 0;
  for (int round = 0; round < 6; ++round) {
    const size_t kill_after = std::uniform_int_distribution<size_t>(1, 400)(rng);
    auto reports = RunAndKill(dir.Join("journal"), CommitLoopChild,
                              [&](const std::vector<Report>& r) { return r.size() >= kill_after; });
    ASSERT_FALSE(reports.empty());
    uint64_t reported = 0;
    for (const Report& r : reports) {
      EXPECT_EQ(r.tag, 'C');
      EXPECT_GT(r.seq, reported);
      reported = r.seq;
    }
    EXPECT_GT(reported, committed_before);
    committed_before = CheckAfterCrash(dir.Join("journal"), reported);
    if (HasFatalFailure()) return;
  }
}

// Child: commits one transaction, then appends a huge transaction that is
// flushed early again and again, reporting each flush, and never commits it.
[[noreturn]] void TornTailChild(const std::string& dir, int fd) {
  JournalOptions options;
  options.flush_threshold_bytes = 8192;
  auto opened = Journal::Open(dir, options);
  if (!opened.ok()) ::_exit(2);
  Journal& j = *opened.value();
  const uint64_t tx = j.committed_seq() + 1;
  for (int i = 0; i < 3; ++i) {
    uint64_t seq = j.next_seq();
    if (!j.Append(seq, "b.s.t", TxBody(seq, tx, i == 2)).ok()) ::_exit(4);
  }
  j.SetPosition("src", std::to_string(j.next_seq() - 1));
  j.SetMeta("last_tx", std::to_string(tx));
  j.MarkTxEnd();
  if (!j.Commit().ok()) ::_exit(5);
  WriteReport(fd, 'C', j.committed_seq());
  uint64_t reported_flush = j.flushed_seq();
  for (;;) {
    uint64_t seq = j.next_seq();
    if (!j.Append(seq, "b.s.t", TxBody(seq, tx + 1, false) + std::string(200, 'x')).ok()) {
      ::_exit(4);
    }
    if (j.flushed_seq() != reported_flush) {
      reported_flush = j.flushed_seq();
      WriteReport(fd, 'F', reported_flush);
    }
  }
}

// Counts the entries stored with seq > after, reading LMDB directly.
uint64_t CountStoredAfter(const std::string& dir, uint64_t after) {
  LmdbEnv env;
  EXPECT_EQ(LmdbEnv::Create(&env), MDB_SUCCESS);
  mdb_env_set_maxdbs(env.get(), 8);
  mdb_env_set_mapsize(env.get(), uint64_t{64} << 30);
  EXPECT_EQ(mdb_env_open(env.get(), dir.c_str(), MDB_RDONLY | MDB_NOTLS, 0), MDB_SUCCESS);
  LmdbTxn txn;
  EXPECT_EQ(LmdbTxn::Begin(env.get(), MDB_RDONLY, &txn), MDB_SUCCESS);
  MDB_dbi dbi;
  EXPECT_EQ(mdb_dbi_open(txn.get(), journal_format::kEntriesDb, 0, &dbi), MDB_SUCCESS);
  uint64_t count = 0;
  {
    LmdbCursor cursor;
    EXPECT_EQ(LmdbCursor::Open(txn.get(), dbi, &cursor), MDB_SUCCESS);
    char buf[8];
    journal_format::PutU64(after + 1, buf);
    MDB_val key{8, buf}, value;
    for (int rc = cursor.Get(&key, &value, MDB_SET_RANGE); rc == MDB_SUCCESS;
         rc = cursor.Get(&key, &value, MDB_NEXT)) {
      ++count;
    }
  }
  return count;
}

TEST(JournalCrashTest, KillDuringEarlyFlushedTransactionLeavesNoTornTail) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  std::random_device rd;
  const unsigned seed = rd();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (int round = 0; round < 4; ++round) {
    const size_t flushes = std::uniform_int_distribution<size_t>(1, 40)(rng);
    auto reports =
        RunAndKill(dir.Join("journal"), TornTailChild,
                   [&](const std::vector<Report>& r) { return r.size() >= flushes + 1; });
    ASSERT_GE(reports.size(), 2u);
    ASSERT_EQ(reports[0].tag, 'C');
    const uint64_t committed = reports[0].seq;
    // The torn tail exists on disk: entries beyond committed_seq.
    EXPECT_GE(CountStoredAfter(dir.Join("journal"), committed), reports[1].seq - committed);
    EXPECT_EQ(CheckAfterCrash(dir.Join("journal"), committed), committed);
    EXPECT_EQ(CountStoredAfter(dir.Join("journal"), committed), 0u);
    if (HasFatalFailure()) return;
  }
  // The journal goes on from there.
  auto j = MustOpen(dir.Join("journal"));
  ASSERT_TRUE(j);
  const uint64_t next = j->next_seq();
  ASSERT_TRUE(j->Append(next, "b.s.t", TxBody(next, 999, true)).ok());
  j->MarkTxEnd();
  ASSERT_TRUE(j->Commit().ok());
  EXPECT_EQ(j->committed_seq(), next);
}

// ---- retention

TEST(JournalTest, RetentionByBytesPersistsFirstSeq) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  JournalOptions options;
  options.delete_batch_entries = 7;  // several retention transactions
  auto j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  AppendN(j.get(), 100);
  j->MarkTxEnd();
  ASSERT_TRUE(j->Commit().ok());
  uint64_t last40 = 0;  // the bytes of seqs 61..100
  for (uint64_t seq = 61; seq <= 100; ++seq)
    last40 += journal_format::EntrySize(5, Body(seq).size());
  const uint64_t total = j->size_bytes();
  ASSERT_TRUE(j->ApplyRetention(total, std::nullopt, 0).ok());
  EXPECT_EQ(j->first_seq(), 1u);
  ASSERT_TRUE(j->ApplyRetention(total - 1, std::nullopt, 0).ok());
  EXPECT_EQ(j->first_seq(), 2u);
  ASSERT_TRUE(j->ApplyRetention(last40, std::nullopt, 0).ok());
  EXPECT_EQ(j->size_bytes(), last40);
  EXPECT_EQ(j->first_seq(), 61u);
  EXPECT_EQ(ReadAll(*j, j->first_seq()).size(), 40u);

  std::vector<JournalEntry> out;
  Status gone = j->Read(60, 10, 1 << 20, &out);
  EXPECT_EQ(gone.code(), Status::Code::kNotFound);
  EXPECT_NE(gone.message().find("61"), std::string::npos) << gone.message();
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(j->Read(1, 10, 1 << 20, &out).code(), Status::Code::kNotFound);
  ASSERT_TRUE(j->Read(61, 10, 1 << 20, &out).ok());
  EXPECT_EQ(out.front().seq, 61u);

  j.reset();
  j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->first_seq(), 61u);
  EXPECT_EQ(j->size_bytes(), last40);

  // Deleting everything: first_seq is committed_seq + 1, also after reopen,
  // and seqs continue (never reused).
  ASSERT_TRUE(j->ApplyRetention(0, std::nullopt, 0).ok());
  EXPECT_EQ(j->first_seq(), 101u);
  EXPECT_EQ(j->size_bytes(), 0u);
  j.reset();
  j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->first_seq(), 101u);
  EXPECT_EQ(j->committed_seq(), 100u);
  EXPECT_EQ(j->next_seq(), 101u);
  EXPECT_EQ(j->Read(100, 10, 1 << 20, &out).code(), Status::Code::kNotFound);
  ASSERT_TRUE(j->Read(101, 10, 1 << 20, &out).ok());
  EXPECT_TRUE(out.empty());
  AppendN(j.get(), 1);
  j->MarkTxEnd();
  ASSERT_TRUE(j->Commit().ok());
  ASSERT_TRUE(j->Read(101, 10, 1 << 20, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].seq, 101u);
}

TEST(JournalTest, RetentionByAge) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  int64_t now = 1'000'000'000;
  JournalOptions options;
  options.clock = [&now] { return now; };
  auto j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  for (int i = 0; i < 10; ++i) {  // seq i+1 written at now + i seconds
    AppendN(j.get(), 1);
    now += 1'000'000;
  }
  j->MarkTxEnd();
  ASSERT_TRUE(j->Commit().ok());
  const int64_t written_first = 1'000'000'000;
  // Max age 5 s at written_first + 8 s: entries written before +3 s go.
  ASSERT_TRUE(j->ApplyRetention(std::nullopt, 5'000'000, written_first + 8'000'000).ok());
  EXPECT_EQ(j->first_seq(), 4u);
  auto rest = ReadAll(*j, 4);
  ASSERT_EQ(rest.size(), 7u);
  EXPECT_EQ(rest.front().write_time_us, written_first + 3'000'000);
  // Both limits: whichever deletes more.
  ASSERT_TRUE(j->ApplyRetention(uint64_t{0}, 1'000'000'000, written_first).ok());
  EXPECT_EQ(j->first_seq(), 11u);
  j.reset();
  j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->first_seq(), 11u);
}

// ---- reads

TEST(JournalTest, ReadWithPrefixesLimitsAndResume) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  auto j = MustOpen(dir.Join("journal"));
  ASSERT_TRUE(j);
  for (int i = 0; i < 100; ++i) {
    uint64_t seq = j->next_seq();
    std::string topic = (i % 10 == 0) ? "parks.legacy.BOOKINGS" : "parks.scheduling.public.t";
    ASSERT_TRUE(j->Append(seq, topic, Body(seq)).ok());
  }
  j->MarkTxEnd();
  ASSERT_TRUE(j->Commit().ok());

  ReadOptions options;
  options.topic_prefixes = {"parks.legacy."};
  std::vector<JournalEntry> out;
  uint64_t resume = 0;
  ASSERT_TRUE(j->Read(1, options, &out, &resume).ok());
  ASSERT_EQ(out.size(), 10u);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].seq, 1 + 10 * i);
  EXPECT_EQ(resume, 101u);

  // Several prefixes.
  options.topic_prefixes = {"parks.legacy.", "parks.scheduling.public.t"};
  ASSERT_TRUE(j->Read(1, options, &out, &resume).ok());
  EXPECT_EQ(out.size(), 100u);

  // The scan bound: a rare prefix answers after max_scanned entries.
  options.topic_prefixes = {"parks.legacy."};
  options.max_scanned = 15;
  ASSERT_TRUE(j->Read(2, options, &out, &resume).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].seq, 11u);
  EXPECT_EQ(resume, 17u);
  ASSERT_TRUE(j->Read(resume, options, &out, &resume).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].seq, 21u);
  EXPECT_EQ(out[1].seq, 31u);
  EXPECT_EQ(resume, 32u);
  options.topic_prefixes = {"nothing."};
  ASSERT_TRUE(j->Read(1, options, &out, &resume).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(resume, 16u);

  // max_entries: resume at the first entry not returned.
  options = ReadOptions();
  options.max_entries = 3;
  ASSERT_TRUE(j->Read(5, options, &out, &resume).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(resume, 8u);

  // max_bytes: stops before exceeding it, but always returns one entry.
  options = ReadOptions();
  options.max_bytes = 1;
  ASSERT_TRUE(j->Read(5, options, &out, &resume).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(resume, 6u);
  const size_t one = out[0].topic.size() + out[0].body.size();
  options.max_bytes = 2 * one + 1;
  ASSERT_TRUE(j->Read(5, options, &out, &resume).ok());
  EXPECT_EQ(out.size(), 2u);

  // From beyond committed_seq: ok and empty; from 0: invalid.
  ASSERT_TRUE(j->Read(101, options, &out, &resume).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(resume, 101u);
  EXPECT_EQ(j->Read(0, options, &out, &resume).code(), Status::Code::kInvalidArgument);
}

TEST(JournalTest, ConcurrentReaderSeesOnlyCommittedEntriesInOrder) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  JournalOptions options;
  options.flush_threshold_bytes = 16 * 1024;  // pending entries land in LMDB too
  options.release_mapped_bytes = 64 * 1024;   // exercise madvise under readers
  auto j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  constexpr uint64_t kTotal = 30000;
  std::atomic<bool> reader_failed{false};
  auto reader = [&] {
    uint64_t next = 1;
    std::vector<JournalEntry> out;
    while (next <= kTotal && !reader_failed) {
      Status s = j->Read(next, 700, 64 * 1024, &out);
      const uint64_t committed = j->committed_seq();
      if (!s.ok()) {
        ADD_FAILURE() << s.ToString();
        reader_failed = true;
        return;
      }
      for (const auto& e : out) {
        if (e.seq != next || e.body != Body(e.seq) || e.seq > committed) {
          ADD_FAILURE() << "got seq " << e.seq << " expected " << next << " committed "
                        << committed;
          reader_failed = true;
          return;
        }
        ++next;
      }
      if (out.empty() && !j->WaitCommitted(next, std::chrono::seconds(30))) {
        ADD_FAILURE() << "no commit of seq " << next;
        reader_failed = true;
      }
    }
  };
  std::thread r1(reader), r2(reader);
  uint64_t tx = 0;
  while (j->next_seq() <= kTotal && !reader_failed) {
    const uint64_t n = std::min<uint64_t>(1 + (tx++ * 37) % 250, kTotal - j->next_seq() + 1);
    AppendN(j.get(), n);
    j->SetPosition("src", std::to_string(j->next_seq() - 1));
    j->MarkTxEnd();
    if (tx % 3 == 0) {
      ASSERT_TRUE(j->Commit().ok());
    }
  }
  ASSERT_TRUE(j->Commit().ok());
  r1.join();
  r2.join();
  EXPECT_FALSE(reader_failed);
  EXPECT_EQ(*j->GetPosition("src").value(), std::to_string(kTotal));
}

TEST(JournalTest, RetentionConcurrentWithWriterAndReader) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  JournalOptions options;
  options.delete_batch_entries = 50;
  auto j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  constexpr uint64_t kTotal = 20000;
  const uint64_t keep_bytes = 300 * journal_format::EntrySize(5, Body(10000).size());
  std::atomic<bool> done{false};
  std::thread retention([&] {
    while (!done) {
      Status s = j->ApplyRetention(keep_bytes, std::nullopt, 0);
      if (!s.ok()) {
        ADD_FAILURE() << s.ToString();
        return;
      }
      j->WaitCommitted(j->committed_seq() + 1, std::chrono::milliseconds(100));
    }
  });
  std::thread reader([&] {
    uint64_t next = 1;
    uint64_t gone = 0;
    std::vector<JournalEntry> out;
    while (next <= kTotal) {
      Status s = j->Read(next, 100, 1 << 20, &out);
      if (s.code() == Status::Code::kNotFound) {
        ++gone;
        uint64_t first = j->first_seq();
        if (first <= next) {
          ADD_FAILURE() << "NotFound from " << next << " with first_seq " << first;
          return;
        }
        next = first;
        continue;
      }
      if (!s.ok()) {
        ADD_FAILURE() << s.ToString();
        return;
      }
      for (const auto& e : out) {
        if (e.seq != next || e.body != Body(e.seq)) {
          ADD_FAILURE() << "got " << e.seq << " expected " << next;
          return;
        }
        ++next;
      }
      if (out.empty()) j->WaitCommitted(next, std::chrono::seconds(30));
    }
  });
  while (j->next_seq() <= kTotal) {
    AppendN(j.get(), 100);
    j->MarkTxEnd();
    ASSERT_TRUE(j->Commit().ok());
  }
  reader.join();
  done = true;
  retention.join();
  ASSERT_TRUE(j->ApplyRetention(keep_bytes, std::nullopt, 0).ok());
  EXPECT_LE(j->size_bytes(), keep_bytes);
  EXPECT_EQ(ReadAll(*j, j->first_seq()).size(), kTotal - j->first_seq() + 1);
  const uint64_t first = j->first_seq();
  const uint64_t bytes = j->size_bytes();
  j.reset();
  j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->first_seq(), first);
  EXPECT_EQ(j->size_bytes(), bytes);
}

// ---- spool

std::vector<std::string> Drain(Journal* j, uint32_t xid) {
  std::vector<std::string> got;
  Status s = j->SpoolDrain(xid, [&](std::string_view r) {
    got.emplace_back(r);
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return got;
}

class SpoolTest : public ::testing::TestWithParam<size_t> {};

TEST_P(SpoolTest, InterleavedAppendDrainDiscard) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  JournalOptions options;
  options.spool_flush_threshold_bytes = GetParam();  // in memory vs. in LMDB
  auto j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->SpoolAppend(7, 7, "a1").ok());
  ASSERT_TRUE(j->SpoolAppend(8, 8, "b1").ok());
  ASSERT_TRUE(j->SpoolAppend(7, 9, "a2-sub9").ok());
  ASSERT_TRUE(j->SpoolAppend(7, 7, "a3").ok());
  ASSERT_TRUE(j->SpoolAppend(8, 10, "b2-sub10").ok());
  ASSERT_TRUE(j->SpoolAppend(7, 9, "a4-sub9").ok());
  ASSERT_TRUE(j->SpoolAppend(7, 11, "a5-sub11").ok());
  // Subtransaction 9 of xid 7 aborts.
  ASSERT_TRUE(j->SpoolDiscard(7, 9).ok());
  EXPECT_EQ(Drain(j.get(), 7), (std::vector<std::string>{"a1", "a3", "a5-sub11"}));
  EXPECT_TRUE(Drain(j.get(), 7).empty());  // drained means gone
  // Transaction 8 aborts as a whole.
  ASSERT_TRUE(j->SpoolDiscard(8, std::nullopt).ok());
  EXPECT_TRUE(Drain(j.get(), 8).empty());
  EXPECT_TRUE(Drain(j.get(), 12345).empty());
}

INSTANTIATE_TEST_SUITE_P(Thresholds, SpoolTest, ::testing::Values(size_t{1} << 20, size_t{1}));

TEST(JournalSpoolTest, LargeDrainAppendsToTheJournalInOrder) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  JournalOptions options;
  options.spool_flush_threshold_bytes = 4096;
  options.flush_threshold_bytes = 8192;
  auto j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  constexpr int kRecords = 10000;  // spans many drain chunks
  const std::string pad(180, 'p');
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_TRUE(j->SpoolAppend(42, i % 3 == 0 ? 43 : 42, std::to_string(i) + pad).ok());
    if (i % 100 == 0) {
      ASSERT_TRUE(j->SpoolAppend(41, 41, "other").ok());
    }
  }
  int expected = 0;
  Status s = j->SpoolDrain(42, [&](std::string_view r) -> Status {
    if (r != std::to_string(expected) + pad) return Status::Corruption("out of order");
    ++expected;
    uint64_t seq = j->next_seq();
    return j->Append(seq, "b.s.t", r);
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(expected, kRecords);
  j->MarkTxEnd();
  ASSERT_TRUE(j->Commit().ok());
  auto all = ReadAll(*j, 1);
  ASSERT_EQ(all.size(), static_cast<size_t>(kRecords));
  EXPECT_EQ(all.back().body, std::to_string(kRecords - 1) + pad);
  EXPECT_TRUE(Drain(j.get(), 42).empty());
  EXPECT_EQ(Drain(j.get(), 41).size(), static_cast<size_t>(kRecords / 100));
}

TEST(JournalSpoolTest, DrainStopsOnCallbackError) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  auto j = MustOpen(dir.Join("journal"));
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->SpoolAppend(1, 1, "x").ok());
  ASSERT_TRUE(j->SpoolAppend(1, 1, "y").ok());
  int calls = 0;
  Status s = j->SpoolDrain(1, [&](std::string_view) {
    ++calls;
    return Status::Aborted("stop");
  });
  EXPECT_EQ(s.code(), Status::Code::kAborted);
  EXPECT_EQ(calls, 1);
}

TEST(JournalSpoolTest, ClearAndReopenEmptyTheSpool) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  JournalOptions options;
  options.spool_flush_threshold_bytes = 1;
  auto j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->SpoolAppend(1, 1, "x").ok());
  ASSERT_TRUE(j->SpoolAppend(2, 2, "y").ok());
  ASSERT_TRUE(j->SpoolClear().ok());
  EXPECT_TRUE(Drain(j.get(), 1).empty());
  ASSERT_TRUE(j->SpoolAppend(2, 2, "z").ok());
  j.reset();
  j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  EXPECT_TRUE(Drain(j.get(), 2).empty());
  ASSERT_TRUE(j->SpoolAppend(2, 2, "w").ok());
  EXPECT_EQ(Drain(j.get(), 2), std::vector<std::string>{"w"});
}

// ---- map full

TEST(JournalTest, MapFullIsAClearStatus) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  JournalOptions options;
  options.map_size_bytes = 1 << 20;
  options.flush_threshold_bytes = 64 * 1024;
  auto j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  const std::string body(10000, 'z');
  Status failed;
  uint64_t committed_ok = 0;
  for (int i = 0; i < 1000 && failed.ok(); ++i) {
    failed = j->Append(j->next_seq(), "b.s.t", body);
    if (failed.ok() && i % 10 == 9) {
      j->MarkTxEnd();
      failed = j->Commit();
      if (failed.ok()) committed_ok = j->committed_seq();
    }
  }
  ASSERT_FALSE(failed.ok()) << "a 1 MiB map never filled";
  EXPECT_EQ(failed.code(), Status::Code::kIoError);
  EXPECT_NE(failed.message().find("MDB_MAP_FULL"), std::string::npos) << failed.message();
  EXPECT_NE(failed.message().find("map size 1 MiB"), std::string::npos) << failed.message();
  EXPECT_NE(failed.message().find("retention"), std::string::npos) << failed.message();
  EXPECT_NE(failed.message().find(dir.Join("journal")), std::string::npos) << failed.message();
  // What was committed is still there and readable.
  EXPECT_EQ(j->committed_seq(), committed_ok);
  EXPECT_EQ(ReadAll(*j, 1).size(), committed_ok);
  j.reset();
  j = MustOpen(dir.Join("journal"), options);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->committed_seq(), committed_ok);
}

TEST(JournalTest, BadPositionKeyFailsCommitClearly) {
  TempDir dir = TempDir::CreateOrDie("journal_test.");
  auto j = MustOpen(dir.Join("journal"));
  ASSERT_TRUE(j);
  j->SetPosition(std::string(600, 'k'), "p");
  Status s = j->Commit();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace deltabridge
