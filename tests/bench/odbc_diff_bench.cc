// odbc_diff_bench: the cost of a diff-mode poll of a large table against a
// plain SELECT * of the same table through the same driver (target: at most
// 2x on SQLite).
//
//   odbc_diff_bench DRIVER.so [ROWS] [CHANGED]
//
// Builds a SQLite file of ROWS rows (default 1000000: id, name, amount,
// created, flag) in a temporary directory, then times, through sqliteodbc:
//   - select: SELECT * ... ORDER BY id, every value fetched (the same typed
//     SQLGetData path the source uses), best of 3;
//   - select_text: the same with every column as SQL_C_CHAR (the plainest
//     client), best of 3;
//   - snapshot: the first diff poll (every row journaled as snapshot, to a
//     counting sink, and the state file written);
//   - diff_none: a diff poll that finds nothing changed, best of 3;
//   - diff_changed: a diff poll after CHANGED rows were updated.
// and prints the ratios diff/select. Peak RSS is printed too (bounded
// memory: it must not grow with ROWS). Not a test: it asserts nothing.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "cdc/odbc/odbc_connection.h"
#include "cdc/odbc/odbc_poller.h"

namespace deltabridge::odbc {
namespace {

// A ChangeSink that counts and keeps state in memory.
class CountingSink : public ChangeSink {
 public:
  Status BeginTx() override { return Status::Ok(); }
  Status Add(Change) override {
    ++changes;
    return Status::Ok();
  }
  Status EndTx(const std::string&) override {
    for (auto& [k, v] : staged_) state_[k] = v;
    staged_.clear();
    return Status::Ok();
  }
  void AbortTx() override { staged_.clear(); }
  Status Flush() override { return Status::Ok(); }
  size_t unflushed() const override { return 0; }
  std::optional<std::string> DurablePosition() const override { return std::nullopt; }
  std::optional<std::string> GetState(const std::string& key) const override {
    auto it = state_.find(key);
    if (it == state_.end()) return std::nullopt;
    return it->second;
  }
  void SetState(const std::string& key, const std::string& value) override { staged_[key] = value; }
  uint64_t changes = 0;

 private:
  std::map<std::string, std::string> state_, staged_;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: odbc_diff_bench DRIVER.so [ROWS] [CHANGED]\n");
    return 2;
  }
  const std::string driver = argv[1];
  const long rows = argc > 2 ? std::atol(argv[2]) : 1000000;
  const long changed = argc > 3 ? std::atol(argv[3]) : 1000;
  char tmpl[] = "/tmp/deltabridge-odbc-bench.XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const char* extra = std::getenv("ODBC_BENCH_EXTRA");
  const std::string dsn = "Driver=" + driver + ";Database=" + dir + "/bench.db;";
  auto filler = OdbcConnection::Connect(dsn);
  Check(filler.status(), "connect");
  OdbcConnection& f = **filler;
  auto t0 = std::chrono::steady_clock::now();
  Check(f.Exec("CREATE TABLE big (id INTEGER PRIMARY KEY, name VARCHAR(40), amount "
               "DECIMAL(12,2), created TIMESTAMP, flag INTEGER)"),
        "create");
  Check(f.Exec("WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < " +
               std::to_string(rows) +
               ") INSERT INTO big SELECT x, 'name number ' || x, x * 0.25, "
               "datetime(1700000000 + x, 'unixepoch'), x % 7 FROM g"),
        "fill");
  // The measured connection, as the source makes it (StepAPI=1: sqliteodbc
  // streams results); ODBC_BENCH_EXTRA adds attributes (e.g. "StepAPI=0;").
  auto conn = OdbcConnection::Connect(dsn + (extra != nullptr ? extra : ""), 15,
                                      /*stream_results=*/true);
  Check(conn.status(), "connect");
  OdbcConnection& c = **conn;
  std::printf("rows %ld (filled in %.2f s), SQLite %s, extra attributes \"%s\"\n", rows,
              Seconds(t0), c.dbms_version().c_str(), extra != nullptr ? extra : "");

  auto select = [&](bool text) {
    double best = 1e9;
    for (int i = 0; i < 3; ++i) {
      auto start = std::chrono::steady_clock::now();
      long n = 0;
      if (!text) {
        auto cur = c.Query("SELECT * FROM big ORDER BY id");
        Check(cur.status(), "select");
        std::vector<Value> row;
        while (true) {
          auto more = (*cur)->Next(&row);
          Check(more.status(), "fetch");
          if (!*more) break;
          ++n;
        }
      } else {
        OdbcStmt stmt = std::move(OdbcStmt::Allocate(c.dbc()).value());
        std::string sql = "SELECT * FROM big ORDER BY id";
        SQLExecDirect(stmt.get(), reinterpret_cast<SQLCHAR*>(sql.data()), SQL_NTS);
        SQLSMALLINT cols = 0;
        SQLNumResultCols(stmt.get(), &cols);
        char buf[256];
        SQLLEN ind = 0;
        while (SQL_SUCCEEDED(SQLFetch(stmt.get()))) {
          for (SQLSMALLINT k = 1; k <= cols; ++k) {
            SQLGetData(stmt.get(), static_cast<SQLUSMALLINT>(k), SQL_C_CHAR, buf, sizeof(buf),
                       &ind);
          }
          ++n;
        }
      }
      if (n != rows) {
        std::fprintf(stderr, "select read %ld rows\n", n);
        std::exit(1);
      }
      best = std::min(best, Seconds(start));
    }
    return best;
  };
  const double sel = select(false);
  const double sel_text = select(true);
  std::printf("select       %.3f s  (typed values, the source's fetch path)\n", sel);
  std::printf("select_text  %.3f s  (every column as SQL_C_CHAR)\n", sel_text);

  CountingSink sink;
  PollContext ctx;
  ctx.source = "bench";
  ctx.state_dir = dir;
  ctx.sink = &sink;
  OdbcTableConfig table;
  table.name = "big";
  table.key = {"id"};
  table.mode = PollMode::kDiff;
  auto poller = MakeDiffPoller(table, ctx);
  auto poll = [&](const char* what, uint64_t want) {
    auto start = std::chrono::steady_clock::now();
    const uint64_t before = sink.changes;
    auto r = poller->Poll(c, 0);
    Check(r.status(), what);
    const double s = Seconds(start);
    if (sink.changes - before != want) {
      std::fprintf(stderr, "%s: %llu changes, expected %llu\n", what,
                   static_cast<unsigned long long>(sink.changes - before),
                   static_cast<unsigned long long>(want));
      std::exit(1);
    }
    return s;
  };
  const double snap = poll("snapshot", static_cast<uint64_t>(rows));
  double none = 1e9;
  for (int i = 0; i < 3; ++i) none = std::min(none, poll("diff_none", 0));
  Check(f.Exec("UPDATE big SET flag = flag + 100 WHERE id % " +
               std::to_string(std::max(1L, rows / std::max(1L, changed))) + " = 0"),
        "update");
  const long updated = rows / std::max(1L, rows / std::max(1L, changed));
  const double chg = poll("diff_changed", static_cast<uint64_t>(updated));
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("snapshot     %.3f s  (first poll: %ld rows journaled as snapshot)\n", snap, rows);
  std::printf("diff_none    %.3f s  ratio %.2fx select, %.2fx select_text\n", none, none / sel,
              none / sel_text);
  std::printf("diff_changed %.3f s  ratio %.2fx select, %.2fx select_text (%ld rows updated)\n",
              chg, chg / sel, chg / sel_text, updated);
  std::printf("peak RSS     %.1f MiB\n", static_cast<double>(ru.ru_maxrss) / 1024.0);
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace deltabridge::odbc

int main(int argc, char** argv) { return deltabridge::odbc::Main(argc, argv); }
