#include "cdc/mysql/binlog_change_builder.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <variant>

namespace deltabridge::mysql {

namespace {

// The query's first word, upper-cased ("BEGIN", "COMMIT", "XA", ...).
std::string FirstWord(const std::string& q) {
  size_t i = 0;
  while (i < q.size() && std::isspace(static_cast<unsigned char>(q[i]))) ++i;
  std::string w;
  while (i < q.size() && std::isalpha(static_cast<unsigned char>(q[i]))) {
    w += static_cast<char>(std::toupper(static_cast<unsigned char>(q[i])));
    ++i;
  }
  return w;
}

}  // namespace

void BinlogChangeBuilder::Begin(const BinlogEvent& ev, std::string gtid, bool implicit) {
  tx_.emplace();
  tx_->gtid = std::move(gtid);
  tx_->start = file_ + ":" + std::to_string(ev.offset);
  tx_->implicit = implicit;
  tx_->original_commit_us = pending_commit_us_;
  if (!tx_->gtid.empty()) tx_->maria_domain = pending_domain_;
  tx_->mysql_gtid = std::move(pending_mysql_);
  pending_mysql_.reset();
  pending_domain_.reset();
  pending_gtid_.clear();
  pending_commit_us_ = 0;
}

void BinlogChangeBuilder::AddMysqlGtid(const std::optional<MysqlGtidEvent>& g) {
  // The decoder checked the uuid, tag and number.
  if (g && !g->anonymous) mysql_gtids_.Add(g->uuid, g->tag, g->gno).ok();
}

Status BinlogChangeBuilder::set_gtid_state(const std::string& list) {
  if (list.find(':') != std::string::npos) {
    Result<MysqlGtidSet> set = MysqlGtidSet::Parse(list);
    if (!set.ok()) return set.status();
    mysql_gtids_ = std::move(set).value();
    gtid_state_.clear();
    return Status::Ok();
  }
  std::map<uint32_t, std::string> state;
  size_t start = 0;
  while (start < list.size()) {
    size_t comma = list.find(',', start);
    std::string gtid = list.substr(start, comma == std::string::npos ? comma : comma - start);
    unsigned long domain = 0;
    unsigned long long server = 0, seq = 0;
    char tail = 0;
    if (std::sscanf(gtid.c_str(), "%lu-%llu-%llu%c", &domain, &server, &seq, &tail) != 3) {
      return Status::InvalidArgument("not a MariaDB GTID list: \"" + list + "\"");
    }
    state[static_cast<uint32_t>(domain)] = gtid;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  gtid_state_ = std::move(state);
  mysql_gtids_ = MysqlGtidSet();
  return Status::Ok();
}

std::string BinlogChangeBuilder::gtid_state() const {
  if (gtid_state_.empty()) return mysql_gtids_.ToString();
  std::string out;
  for (const auto& [domain, gtid] : gtid_state_) {
    if (!out.empty()) out += ',';
    out += gtid;
  }
  return out;
}

Status BinlogChangeBuilder::Commit(const BinlogEvent& ev) {
  BinlogTransaction t;
  t.gtid = tx_->gtid;
  t.tx_id = tx_->gtid.empty() ? tx_->start : tx_->gtid;
  if (tx_->maria_domain) gtid_state_[*tx_->maria_domain] = tx_->gtid;
  AddMysqlGtid(tx_->mysql_gtid);
  const std::string gtids = gtid_state();
  t.position = (gtids.empty() ? "" : gtids + " ") + file_ + ":" + std::to_string(ev.header.log_pos);
  t.commit_time_us = tx_->original_commit_us != 0 ? static_cast<int64_t>(tx_->original_commit_us)
                                                  : int64_t{ev.header.timestamp} * 1000000;
  t.changes = std::move(tx_->changes);
  tx_.reset();
  for (Change& c : t.changes) {
    c.pos = t.position;
    c.tx_id = t.tx_id;
    c.commit_time_us = t.commit_time_us;
    c.tx_last = false;
  }
  if (!t.changes.empty()) t.changes.back().tx_last = true;
  ++stats_.transactions;
  stats_.changes += t.changes.size();
  return on_tx_(std::move(t));
}

Status BinlogChangeBuilder::OnEvent(const BinlogEvent& ev) {
  if (const auto* q = std::get_if<QueryEvent>(&ev.body)) {
    std::string word = FirstWord(q->query);
    if (word == "BEGIN") {
      std::string gtid = pending_gtid_;
      if (!tx_) Begin(ev, std::move(gtid), false);
      return Status::Ok();
    }
    if (word == "COMMIT") {
      if (!tx_) return Status::Ok();  // a COMMIT without its BEGIN (read from mid-transaction)
      return Commit(ev);
    }
    if (word == "ROLLBACK") {
      // A MySQL transaction rolled back in the binlog (it had touched a
      // non-transactional table) still used its GTID: the server counts it
      // as executed, so the set must too.
      if (tx_) {
        ++stats_.rollbacks;
        AddMysqlGtid(tx_->mysql_gtid);
      }
      AddMysqlGtid(pending_mysql_);
      pending_mysql_.reset();
      tx_.reset();
      pending_gtid_.clear();
      pending_domain_.reset();
      return Status::Ok();
    }
    if (tx_) return Status::Ok();  // a statement inside a transaction (e.g. on a MyISAM table)
    // A statement that is a transaction of its own (DDL): it only moves the position.
    Begin(ev, pending_gtid_, false);
    return Commit(ev);
  }
  if (const auto* x = std::get_if<XidEvent>(&ev.body)) {
    (void)x;
    if (!tx_) return Status::Ok();
    return Commit(ev);
  }
  if (const auto* g = std::get_if<MysqlGtidEvent>(&ev.body)) {
    pending_gtid_ = g->anonymous ? std::string() : g->Text();
    pending_mysql_ = *g;
    pending_domain_.reset();
    pending_commit_us_ = g->original_commit_us;
    return Status::Ok();
  }
  if (const auto* g = std::get_if<MariaGtidEvent>(&ev.body)) {
    tx_.reset();  // a transaction cut short (never committed) ends here
    pending_gtid_ = g->Text();
    pending_domain_ = g->domain_id;
    pending_commit_us_ = 0;
    if (!g->standalone()) Begin(ev, g->Text(), false);
    return Status::Ok();
  }
  if (const auto* p = std::get_if<PreviousGtidsEvent>(&ev.body)) {
    // At the start of each file: everything before it. A union, so that a
    // set seeded from the journal keeps what it had (it can only be larger
    // after a failover to a server that lacks some of it).
    mysql_gtids_.Add(p->set);
    return Status::Ok();
  }
  if (const auto* t = std::get_if<TableMapEvent>(&ev.body)) {
    tables_[t->table_id] = *t;
    return Status::Ok();
  }
  if (const auto* rows = std::get_if<RowsEvent>(&ev.body)) return OnRows(ev, *rows);
  return Status::Ok();
}

Status BinlogChangeBuilder::OnRows(const BinlogEvent& ev, const RowsEvent& rows) {
  auto it = tables_.find(rows.table_id);
  if (it == tables_.end()) {
    return Status::Corruption("rows event for table id " + std::to_string(rows.table_id) +
                              " without a TABLE_MAP before it");
  }
  const TableMapEvent& table = it->second;
  if (!tx_) Begin(ev, pending_gtid_, true);
  std::string name = table.QualifiedName();
  if (!opt_.include_table || opt_.include_table(name)) {
    std::vector<RowPair> pairs;
    Status s = DecodeRows(table, rows, &pairs);
    if (!s.ok()) return s.WithContext(EventTypeName(ev.header.type) + " event of " + name);
    for (RowPair& p : pairs) AddRow(table, name, rows.kind, std::move(p));
  }
  if (tx_->implicit && rows.statement_end()) return Commit(ev);
  return Status::Ok();
}

void BinlogChangeBuilder::AddRow(const TableMapEvent& table, const std::string& name, RowsKind kind,
                                 RowPair&& row) {
  Change c;
  c.source = opt_.source;
  c.table = name;
  // The key first, copied from the image that names the row (a MINIMAL
  // before image always holds the key; else the after image): the values are
  // moved into the column changes below.
  const Row* key_image = kind == RowsKind::kWrite ? &*row.after : &*row.before;
  for (uint32_t k : table.primary_key) {
    const Row* image = key_image;
    if (k >= image->size() || !(*image)[k]) image = row.after ? &*row.after : image;
    if (k < image->size() && (*image)[k]) c.key.emplace_back(table.ColumnName(k), *(*image)[k]);
  }
  switch (kind) {
    case RowsKind::kWrite: {
      c.op = Op::kInsert;
      Row& after = *row.after;
      c.changes.reserve(after.size());
      for (size_t i = 0; i < after.size(); ++i) {
        if (after[i]) c.changes.push_back({table.ColumnName(i), std::nullopt, std::move(after[i])});
      }
      break;
    }
    case RowsKind::kUpdate: {
      c.op = Op::kUpdate;
      // A column in both images is reported only when its value changed, as
      // {old, new}; a column only in the after image (MINIMAL: every changed
      // column; NOBLOB: a changed BLOB) as new only. With FULL every column
      // is in both images.
      Row& after = *row.after;
      Row& before = *row.before;
      for (size_t i = 0; i < after.size(); ++i) {
        if (!after[i]) continue;
        if (i >= before.size() || !before[i]) {
          c.changes.push_back({table.ColumnName(i), std::nullopt, std::move(after[i])});
        } else if (!before[i]->SameValue(*after[i])) {
          c.changes.push_back({table.ColumnName(i), std::move(before[i]), std::move(after[i])});
        }
      }
      break;
    }
    case RowsKind::kDelete: {
      c.op = Op::kDelete;
      Row& before = *row.before;
      c.changes.reserve(before.size());
      for (size_t i = 0; i < before.size(); ++i) {
        if (before[i])
          c.changes.push_back({table.ColumnName(i), std::move(before[i]), std::nullopt});
      }
      break;
    }
  }
  tx_->changes.push_back(std::move(c));
}

}  // namespace deltabridge::mysql
