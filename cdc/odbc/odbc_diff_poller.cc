// DiffPoller: mode diff (see odbc_poller.h and diff_state.h).
#include <strings.h>

#include <cstdlib>

#include "cdc/odbc/diff_state.h"
#include "cdc/odbc/odbc_poller.h"

namespace deltabridge::odbc {

Status PollTransaction::Open() {
  DB_RETURN_IF_ERROR(sink_->BeginTx());
  open_ = true;
  for (Change& c : buffered_) DB_RETURN_IF_ERROR(sink_->Add(std::move(c)));
  buffered_.clear();
  buffered_.shrink_to_fit();
  return Status::Ok();
}

Status PollTransaction::Add(Op op, std::vector<std::pair<std::string, Value>> key,
                            std::vector<ColumnChange> changes) {
  Change c;
  c.source = source_;
  c.table = table_;
  c.op = op;
  c.key = std::move(key);
  c.changes = std::move(changes);
  c.commit_time_us = now_us_;
  c.pos = pos_;
  c.tx_id = tx_id_;
  ++changes_;
  if (open_) return sink_->Add(std::move(c));
  buffered_.push_back(std::move(c));
  if (buffered_.size() >= kMaxBuffered) return Open();
  return Status::Ok();
}

Status PollTransaction::Commit(const std::vector<std::pair<std::string, std::string>>& state) {
  if (!open_) DB_RETURN_IF_ERROR(Open());
  for (const auto& [k, v] : state) sink_->SetState(k, v);
  Status s = sink_->EndTx(pos_);
  open_ = false;
  if (!s.ok()) return s;
  return sink_->Flush();
}

int FindColumn(const std::vector<OdbcColumn>& columns, const std::string& name) {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (strcasecmp(columns[i].name.c_str(), name.c_str()) == 0) return static_cast<int>(i);
  }
  return -1;
}

namespace {

class DiffPoller : public TablePoller {
 public:
  DiffPoller(const OdbcTableConfig& table, const PollContext& ctx)
      : table_(table), ctx_(ctx), state_key_("odbc.diff." + table.name) {}

  void Recover() override {
    std::optional<uint64_t> gen = Generation();
    RemoveOtherGenerations(ctx_.state_dir, table_.name, gen.value_or(0));
  }

  Result<PollResult> Poll(OdbcConnection& conn, int64_t now_us) override {
    PollResult result;
    const std::optional<uint64_t> gen = Generation();
    result.snapshot = !gen.has_value();
    std::string order;
    for (const std::string& k : table_.key) {
      order += (order.empty() ? "" : ", ") + conn.QuoteIdentifier(k);
    }
    const std::string sql = "SELECT * FROM " + conn.QuoteName(table_.name) + " ORDER BY " + order;
    DB_ASSIGN_OR_RETURN(std::unique_ptr<OdbcCursor> cursor,
                        conn.Query(sql, ctx_.query_timeout_seconds));
    const std::vector<OdbcColumn>& cols = cursor->columns();
    std::vector<std::string> names;
    for (const OdbcColumn& c : cols) names.push_back(c.name);
    std::vector<size_t> key_idx;
    for (const std::string& k : table_.key) {
      int i = FindColumn(cols, k);
      if (i < 0) {
        return Status::FailedPrecondition("table " + table_.name + " has no key column " + k);
      }
      key_idx.push_back(static_cast<size_t>(i));
    }

    // The last generation, its columns mapped onto today's by name.
    DiffStateReader reader;
    std::vector<int> old_index(cols.size(), -1);
    size_t old_columns = 0;
    if (gen) {
      DB_RETURN_IF_ERROR(reader.Open(DiffStatePath(ctx_.state_dir, table_.name, *gen)));
      old_columns = reader.columns().size();
      for (size_t i = 0; i < cols.size(); ++i) {
        for (size_t j = 0; j < reader.columns().size(); ++j) {
          if (strcasecmp(reader.columns()[j].c_str(), cols[i].name.c_str()) == 0) {
            old_index[i] = static_cast<int>(j);
          }
        }
      }
      for (size_t k : key_idx) {
        if (old_index[k] < 0) {
          return Status::FailedPrecondition(
              "table " + table_.name + ": key column " + cols[k].name +
              " is not in the kept state; re-snapshot the source (run --resnapshot)");
        }
      }
    }
    // While every row so far matched the kept generation, nothing is written:
    // at the first change the matched prefix is copied from the old file
    // verbatim (equal rows encode to equal bytes), so a poll that finds
    // nothing changed writes nothing. Only when the columns are unchanged.
    bool deferred = gen.has_value() && reader.columns() == names;
    const std::string old_path = gen ? DiffStatePath(ctx_.state_dir, table_.name, *gen) : "";
    const uint64_t next_gen = gen.value_or(0) + 1;
    DiffStateWriter writer;
    DB_RETURN_IF_ERROR(writer.Open(DiffStatePath(ctx_.state_dir, table_.name, next_gen), names));
    const std::string pos = table_.name + ":" + std::to_string(next_gen);
    PollTransaction tx(ctx_.sink, ctx_.source, table_.name, now_us, pos, pos);

    std::vector<Value> new_row, prev_row, old_raw, old_row(cols.size());
    std::string record, old_record;
    bool have_prev = false;
    auto next_new = [&]() -> Result<bool> {
      if (have_prev || !new_row.empty()) {
        prev_row.swap(new_row);
        have_prev = true;
      }
      Result<bool> more = cursor->Next(&new_row);
      if (!more.ok() || !*more) return more;
      ++result.rows_read;
      if ((result.rows_read & 1023) == 0 && ctx_.stop != nullptr && ctx_.stop->load()) {
        return Status::Aborted("stopping");
      }
      if (have_prev && CompareKeys(new_row, prev_row, key_idx) <= 0) {
        return Status::FailedPrecondition(
            "table " + table_.name + ": ORDER BY " + order + " returned key " +
            KeyString(new_row, key_idx) + " after " + KeyString(prev_row, key_idx) +
            "; diff mode needs a unique key whose order is numeric or by bytes (a binary "
            "collation: COLLATE \"C\" in PostgreSQL, a _bin collation in MySQL)");
      }
      return true;
    };
    auto next_old = [&]() -> Result<bool> {
      if (!gen) return false;
      Result<bool> more = reader.Next(&old_record);
      if (!more.ok() || !*more) return more;
      DB_RETURN_IF_ERROR(DecodeRow(old_record, old_columns, &old_raw));
      for (size_t i = 0; i < cols.size(); ++i) {
        old_row[i] = old_index[i] < 0 ? Value::Null() : old_raw[static_cast<size_t>(old_index[i])];
        old_row[i].sql_type = cols[i].type_name;
      }
      return true;
    };
    // Called before the first change is handed on: the old records before
    // the current one all matched and are the new file's prefix.
    auto materialise = [&]() -> Status {
      if (!deferred) return Status::Ok();
      deferred = false;
      const uint64_t end = reader.record_offset();
      return writer.CopyRecords(old_path, reader.data_offset(), end - reader.data_offset());
    };
    auto write_new = [&]() -> Status {
      if (deferred) return Status::Ok();
      record.clear();
      EncodeRow(new_row, &record);
      return writer.Append(record);
    };
    auto key_of = [&](const std::vector<Value>& row) {
      std::vector<std::pair<std::string, Value>> key;
      for (size_t k : key_idx) key.emplace_back(cols[k].name, row[k]);
      return key;
    };

    DB_ASSIGN_OR_RETURN(bool have_new, next_new());
    DB_ASSIGN_OR_RETURN(bool have_old, next_old());
    while (have_new || have_old) {
      const int cmp = !have_new ? 1 : !have_old ? -1 : CompareKeys(new_row, old_row, key_idx);
      if (cmp != 0) DB_RETURN_IF_ERROR(materialise());
      if (cmp < 0) {
        std::vector<ColumnChange> changes;
        changes.reserve(cols.size());
        for (size_t i = 0; i < cols.size(); ++i) {
          changes.push_back({cols[i].name, std::nullopt, new_row[i]});
        }
        DB_RETURN_IF_ERROR(tx.Add(result.snapshot ? Op::kSnapshot : Op::kInsert, key_of(new_row),
                                  std::move(changes)));
        DB_RETURN_IF_ERROR(write_new());
        DB_ASSIGN_OR_RETURN(have_new, next_new());
      } else if (cmp > 0) {
        std::vector<ColumnChange> changes;
        for (size_t i = 0; i < cols.size(); ++i) {
          changes.push_back({cols[i].name, old_row[i], std::nullopt});
        }
        DB_RETURN_IF_ERROR(tx.Add(Op::kDelete, key_of(old_row), std::move(changes)));
        DB_ASSIGN_OR_RETURN(have_old, next_old());
      } else {
        std::vector<ColumnChange> changes;
        for (size_t i = 0; i < cols.size(); ++i) {
          if (!new_row[i].SameValue(old_row[i])) {
            changes.push_back({cols[i].name, old_row[i], new_row[i]});
          }
        }
        if (!changes.empty()) {
          DB_RETURN_IF_ERROR(materialise());
          DB_RETURN_IF_ERROR(tx.Add(Op::kUpdate, key_of(old_row), std::move(changes)));
        }
        DB_RETURN_IF_ERROR(write_new());
        DB_ASSIGN_OR_RETURN(have_new, next_new());
        DB_ASSIGN_OR_RETURN(have_old, next_old());
      }
    }
    result.changes = tx.changes();
    if (!result.snapshot && result.changes == 0) {
      writer.Discard();  // nothing changed: the kept generation still holds
      return result;
    }
    // The new generation is complete on disk before the journal names it.
    DB_RETURN_IF_ERROR(writer.Finish());
    DB_RETURN_IF_ERROR(tx.Commit({{state_key_, std::to_string(next_gen)}}));
    RemoveOtherGenerations(ctx_.state_dir, table_.name, next_gen);
    return result;
  }

 private:
  std::optional<uint64_t> Generation() const {
    std::optional<std::string> v = ctx_.sink->GetState(state_key_);
    if (!v || v->empty()) return std::nullopt;
    return std::strtoull(v->c_str(), nullptr, 10);
  }

  static int CompareKeys(const std::vector<Value>& a, const std::vector<Value>& b,
                         const std::vector<size_t>& key_idx) {
    for (size_t k : key_idx) {
      int c = CompareKeyValue(a[k], b[k]);
      if (c != 0) return c;
    }
    return 0;
  }

  static std::string KeyString(const std::vector<Value>& row, const std::vector<size_t>& key_idx) {
    std::string out = "(";
    for (size_t k : key_idx) out += (out.size() > 1 ? ", " : "") + KeyText(row[k]);
    return out + ")";
  }

  OdbcTableConfig table_;
  PollContext ctx_;
  const std::string state_key_;  // journal state: the generation that matches the journal
};

}  // namespace

std::unique_ptr<TablePoller> MakeDiffPoller(const OdbcTableConfig& table, const PollContext& ctx) {
  return std::make_unique<DiffPoller>(table, ctx);
}

}  // namespace deltabridge::odbc
