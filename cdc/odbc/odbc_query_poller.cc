// QueryPoller: modes timestamp, incrementing and timestamp+incrementing (see
// odbc_poller.h).
//
// State, in the journal's source state under "odbc.wm.<table>" (staged with
// the poll's transaction, so it is durable exactly when its deltas are):
//   incrementing:  "i <last value>"
//   timestamp(+incrementing): "t <high-water mark, micros>" and then one line
//     per row already emitted whose timestamp lies within the lookback window
//     below the mark: "<ts micros>\t<inc>\t<key text>".
// Invariants: every change whose incrementing value is <= the mark, or whose
// (timestamp, incrementing, key) is listed, is in the journal; a poll reads
// again from mark - lookback and skips the listed ones, so a row committed
// late with an older timestamp (within the lookback) is still caught, and no
// row is emitted twice for one change.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <set>
#include <sstream>

#include "cdc/odbc/odbc_poller.h"

namespace deltabridge::odbc {

namespace {

bool AsInt(const Value& v, int64_t* out) {
  switch (v.kind) {
    case Value::Kind::kInt:
      *out = v.i;
      return true;
    case Value::Kind::kUInt:
      *out = static_cast<int64_t>(v.u);
      return true;
    case Value::Kind::kDecimal:
    case Value::Kind::kText:
    case Value::Kind::kOther: {
      char* end = nullptr;
      *out = std::strtoll(v.text.c_str(), &end, 10);
      return end != v.text.c_str();
    }
    default:
      return false;
  }
}

bool AsMicros(const Value& v, int64_t* out) {
  if (v.is_null()) return false;
  if (v.kind == Value::Kind::kInt) {  // a column holding epoch seconds
    *out = v.i * 1000000;
    return true;
  }
  return ParseTimestampMicros(v.text, out);
}

class QueryPoller : public TablePoller {
 public:
  QueryPoller(const OdbcTableConfig& table, const PollContext& ctx)
      : table_(table),
        ctx_(ctx),
        state_key_("odbc.wm." + table.name),
        use_ts_(PollModeUsesTimestamp(table.mode)),
        use_inc_(PollModeUsesIncrementing(table.mode)) {}

  Result<PollResult> Poll(OdbcConnection& conn, int64_t now_us) override {
    PollResult result;
    // The state as journaled.
    std::optional<std::string> saved = ctx_.sink->GetState(state_key_);
    result.snapshot = !saved || saved->empty();
    int64_t mark = 0;
    std::set<std::string> seen;
    if (!result.snapshot) {
      std::istringstream in(*saved);
      std::string tag;
      in >> tag >> mark;
      std::string line;
      std::getline(in, line);
      while (std::getline(in, line)) {
        if (!line.empty()) seen.insert(line);
      }
    }

    std::string sql = "SELECT * FROM " + conn.QuoteName(table_.name);
    const std::string ts_col = use_ts_ ? conn.QuoteIdentifier(table_.timestamp_column) : "";
    const std::string inc_col = use_inc_ ? conn.QuoteIdentifier(table_.incrementing_column) : "";
    const int64_t floor = mark - ctx_.lookback.count();
    if (!result.snapshot) {
      if (use_ts_) {
        sql += " WHERE " + ts_col + " >= '" + FormatTimestampLiteral(floor) + "'";
      } else {
        sql += " WHERE " + inc_col + " > " + std::to_string(mark);
      }
    }
    sql += " ORDER BY ";
    if (use_ts_) sql += ts_col + (use_inc_ ? ", " + inc_col : "");
    if (!use_ts_) sql += inc_col;

    DB_ASSIGN_OR_RETURN(std::unique_ptr<OdbcCursor> cursor,
                        conn.Query(sql, ctx_.query_timeout_seconds));
    const std::vector<OdbcColumn>& cols = cursor->columns();
    std::vector<size_t> key_idx;
    for (const std::string& k : table_.key) {
      int i = FindColumn(cols, k);
      if (i < 0) {
        return Status::FailedPrecondition("table " + table_.name + " has no key column " + k);
      }
      key_idx.push_back(static_cast<size_t>(i));
    }
    const int ts_i = use_ts_ ? FindColumn(cols, table_.timestamp_column) : -1;
    const int inc_i = use_inc_ ? FindColumn(cols, table_.incrementing_column) : -1;
    if ((use_ts_ && ts_i < 0) || (use_inc_ && inc_i < 0)) {
      return Status::FailedPrecondition(
          "table " + table_.name + " has no column " +
          (use_ts_ && ts_i < 0 ? table_.timestamp_column : table_.incrementing_column));
    }

    const std::string tag = std::to_string(now_us);  // the poll, by its time
    PollTransaction tx(ctx_.sink, ctx_.source, table_.name, now_us, table_.name + ":" + tag,
                       table_.name + ":" + tag);
    int64_t new_mark = mark;
    std::set<std::string> emitted;
    std::vector<Value> row;
    while (true) {
      DB_ASSIGN_OR_RETURN(bool more, cursor->Next(&row));
      if (!more) break;
      ++result.rows_read;
      if ((result.rows_read & 1023) == 0 && ctx_.stop != nullptr && ctx_.stop->load()) {
        return Status::Aborted("stopping");
      }
      int64_t ts = 0, inc = 0;
      if (use_ts_ && !AsMicros(row[static_cast<size_t>(ts_i)], &ts)) {
        if (!result.snapshot) continue;  // no usable timestamp: only the snapshot has it
        ts = INT64_MIN;
      }
      if (use_inc_ && !AsInt(row[static_cast<size_t>(inc_i)], &inc)) {
        if (!result.snapshot) continue;
        inc = INT64_MIN;
      }
      std::string key_text;
      for (size_t k : key_idx) key_text += KeyText(row[k]) + "\x1f";
      std::string id;
      if (use_ts_) {
        if (!result.snapshot && ts < floor) continue;  // a loose text comparison let it in
        id = std::to_string(ts) + "\t" + std::to_string(inc) + "\t" + key_text;
        if (seen.count(id) != 0 || !emitted.insert(id).second) continue;
        if (ts != INT64_MIN && ts > new_mark) new_mark = ts;
      } else {
        if (!result.snapshot && inc <= mark) continue;
        if (inc > new_mark) new_mark = inc;
      }
      std::vector<std::pair<std::string, Value>> key;
      for (size_t k : key_idx) key.emplace_back(cols[k].name, row[k]);
      std::vector<ColumnChange> changes;
      changes.reserve(cols.size());
      for (size_t i = 0; i < cols.size(); ++i)
        changes.push_back({cols[i].name, std::nullopt, row[i]});
      // A timestamp poll cannot tell an insert from an update, and has no
      // before-image: an update with every column as new (contract section 3).
      const Op op = result.snapshot ? Op::kSnapshot : (use_ts_ ? Op::kUpdate : Op::kInsert);
      DB_RETURN_IF_ERROR(tx.Add(op, std::move(key), std::move(changes)));
    }
    result.changes = tx.changes();
    if (!result.snapshot && result.changes == 0) return result;

    std::string state;
    if (use_ts_) {
      state = "t " + std::to_string(new_mark) + "\n";
      const int64_t keep_from = new_mark - ctx_.lookback.count();
      for (const std::set<std::string>* s : {&seen, &emitted}) {
        for (const std::string& id : *s) {
          if (std::strtoll(id.c_str(), nullptr, 10) >= keep_from) state += id + "\n";
        }
      }
    } else {
      state = "i " + std::to_string(new_mark) + "\n";
    }
    DB_RETURN_IF_ERROR(tx.Commit({{state_key_, state}}));
    return result;
  }

 private:
  OdbcTableConfig table_;
  PollContext ctx_;
  const std::string state_key_;
  const bool use_ts_, use_inc_;
};

}  // namespace

std::unique_ptr<TablePoller> MakeQueryPoller(const OdbcTableConfig& table, const PollContext& ctx) {
  return std::make_unique<QueryPoller>(table, ctx);
}

}  // namespace deltabridge::odbc
