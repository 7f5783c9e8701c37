#include "cdc/pg/pg_change_builder.h"

#include <string>

#include "cdc/pg/pg_value.h"

namespace deltabridge {

using pgoutput::OldTupleKind;
using pgoutput::TupleValue;
using pgoutput::ValueKind;

Status PgChangeBuilder::OnBegin(const pgoutput::Begin& m) {
  if (in_tx_) return Status::Corruption("Begin inside an open transaction");
  in_tx_ = true;
  tx_commit_time_us_ = m.commit_time_us;
  tx_pos_ = m.final_lsn.ToString();
  tx_id_ = std::to_string(m.xid);
  // Already journaled before a restart: the server re-sends from its confirmed
  // position, which may be behind ours.
  skip_tx_ = m.final_lsn < resume_after_;
  if (skip_tx_) {
    ++stats_.skipped_transactions;
    return Status::Ok();
  }
  return sink_->BeginTx();
}

Status PgChangeBuilder::OnCommit(const pgoutput::Commit& m) {
  if (!in_tx_) return Status::Corruption("Commit without Begin");
  in_tx_ = false;
  if (skip_tx_) return Status::Ok();
  ++stats_.transactions;
  stats_.last_commit_time_us = m.commit_time_us;
  last_end_lsn_ = m.end_lsn;
  return sink_->EndTx(m.end_lsn.ToString());
}

Status PgChangeBuilder::OnType(const pgoutput::Type& m) {
  types_[m.oid] = std::string(m.name);
  return Status::Ok();
}

Status PgChangeBuilder::OnRelation(const pgoutput::Relation& m) {
  RelationInfo info;
  std::string schema(m.schema.empty() ? "pg_catalog" : m.schema);
  std::string name(m.name);
  info.table = schema + "." + name;
  info.included = !opt_.include_table || opt_.include_table(schema, name);
  std::vector<std::string> pk;
  if (info.included && opt_.primary_key) {
    DB_ASSIGN_OR_RETURN_CTX(pk, opt_.primary_key(m.oid), "primary key of " + info.table);
  }
  info.columns.reserve(m.columns.size());
  for (const auto& c : m.columns) {
    Column col;
    col.name = std::string(c.name);
    col.type_oid = c.type_oid;
    auto t = types_.find(c.type_oid);
    col.type_name = t != types_.end() ? t->second : std::string(PgBuiltinTypeName(c.type_oid));
    col.excluded = opt_.exclude_columns.count(info.table + "." + col.name) > 0;
    col.identity = c.is_key();
    if (!pk.empty()) {
      for (const auto& k : pk) col.key = col.key || k == col.name;
    } else {
      col.key = col.identity;
    }
    info.columns.push_back(std::move(col));
  }
  relations_[m.oid] = std::move(info);
  return Status::Ok();
}

Result<const PgChangeBuilder::RelationInfo*> PgChangeBuilder::Lookup(uint32_t oid) const {
  auto it = relations_.find(oid);
  if (it == relations_.end()) {
    return Status::Corruption("change for relation " + std::to_string(oid) +
                              " before its Relation message");
  }
  return &it->second;
}

Status PgChangeBuilder::CheckTuple(const RelationInfo& rel, const pgoutput::Tuple& t,
                                   const char* what) const {
  if (t.size() != rel.columns.size()) {
    return Status::Corruption(std::string(what) + " of " + rel.table + " has " +
                              std::to_string(t.size()) + " columns, its Relation " +
                              std::to_string(rel.columns.size()));
  }
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].kind == ValueKind::kBinary) {
      return Status::Corruption(std::string(what) + " of " + rel.table + " sends column " +
                                rel.columns[i].name +
                                " in binary format, which the source never asks for (it "
                                "decodes pgoutput's text format only)");
    }
  }
  return Status::Ok();
}

Value PgChangeBuilder::ToValue(const Column& col, const TupleValue& v) const {
  if (v.kind == ValueKind::kNull) return Value::Null(col.type_name);
  return PgTextToValue(col.type_oid, v.data, col.type_name);
}

void PgChangeBuilder::AddKey(const RelationInfo& rel, const pgoutput::Tuple& tuple, bool key_only,
                             Change* change) const {
  for (size_t i = 0; i < rel.columns.size(); ++i) {
    const Column& col = rel.columns[i];
    if (!(key_only ? col.identity : col.key) || tuple[i].kind == ValueKind::kUnchangedToast) {
      continue;
    }
    change->key.emplace_back(col.name, ToValue(col, tuple[i]));
  }
}

Status PgChangeBuilder::Emit(std::optional<uint32_t> xid, Change change) {
  ++stats_.changes;
  change.source = opt_.source;
  if (xid.has_value()) {
    // Inside a stream block: spool under the streamed top-level transaction.
    open_streams_.insert(current_stream_xid_);
    return spool_->Append(current_stream_xid_, *xid, change);
  }
  if (!in_tx_) return Status::Corruption("row change outside a transaction");
  if (skip_tx_) return Status::Ok();
  change.commit_time_us = tx_commit_time_us_;
  change.pos = tx_pos_;
  change.tx_id = tx_id_;
  return sink_->Add(std::move(change));
}

Status PgChangeBuilder::OnInsert(const pgoutput::Insert& m) {
  DB_ASSIGN_OR_RETURN(const RelationInfo* rel, Lookup(m.relation_oid));
  const RelationInfo& r = *rel;
  if (!r.included) return Status::Ok();
  DB_RETURN_IF_ERROR(CheckTuple(r, m.new_tuple, "insert"));
  Change c;
  c.table = r.table;
  c.op = Op::kInsert;
  AddKey(r, m.new_tuple, /*key_only=*/false, &c);
  c.changes.reserve(r.columns.size());
  for (size_t i = 0; i < r.columns.size(); ++i) {
    const Column& col = r.columns[i];
    if (col.excluded || m.new_tuple[i].kind == ValueKind::kUnchangedToast) continue;
    c.changes.push_back({col.name, std::nullopt, ToValue(col, m.new_tuple[i])});
  }
  return Emit(m.xid, std::move(c));
}

Status PgChangeBuilder::OnUpdate(const pgoutput::Update& m) {
  DB_ASSIGN_OR_RETURN(const RelationInfo* rel, Lookup(m.relation_oid));
  const RelationInfo& r = *rel;
  if (!r.included) return Status::Ok();
  DB_RETURN_IF_ERROR(CheckTuple(r, m.new_tuple, "update"));
  Change c;
  c.table = r.table;
  c.op = Op::kUpdate;
  if (m.old_kind != OldTupleKind::kNone) {
    DB_RETURN_IF_ERROR(CheckTuple(r, m.old_tuple, "update old tuple"));
    // The old key (the key may be changing; the new one is in changes).
    AddKey(r, m.old_tuple, m.old_kind == OldTupleKind::kKey, &c);
  } else {
    AddKey(r, m.new_tuple, /*key_only=*/false, &c);
  }
  const bool full = m.old_kind == OldTupleKind::kFull;
  for (size_t i = 0; i < r.columns.size(); ++i) {
    const Column& col = r.columns[i];
    const TupleValue& nv = m.new_tuple[i];
    // Unchanged TOAST: the value did not change and was not sent.
    if (col.excluded || nv.kind == ValueKind::kUnchangedToast) continue;
    Value new_value = ToValue(col, nv);
    if (full && m.old_tuple[i].kind != ValueKind::kUnchangedToast) {
      Value old_value = ToValue(col, m.old_tuple[i]);
      if (old_value.SameValue(new_value)) continue;
      c.changes.push_back({col.name, std::move(old_value), std::move(new_value)});
    } else {
      c.changes.push_back({col.name, std::nullopt, std::move(new_value)});
    }
  }
  // An update that changed nothing visible (all columns equal, or only
  // excluded ones) is not a delta.
  if (full && c.changes.empty()) return Status::Ok();
  return Emit(m.xid, std::move(c));
}

Status PgChangeBuilder::OnDelete(const pgoutput::Delete& m) {
  DB_ASSIGN_OR_RETURN(const RelationInfo* rel, Lookup(m.relation_oid));
  const RelationInfo& r = *rel;
  if (!r.included) return Status::Ok();
  DB_RETURN_IF_ERROR(CheckTuple(r, m.old_tuple, "delete"));
  Change c;
  c.table = r.table;
  c.op = Op::kDelete;
  const bool full = m.old_kind == OldTupleKind::kFull;
  AddKey(r, m.old_tuple, /*key_only=*/!full, &c);
  for (size_t i = 0; i < r.columns.size(); ++i) {
    const Column& col = r.columns[i];
    const TupleValue& ov = m.old_tuple[i];
    if (col.excluded || ov.kind == ValueKind::kUnchangedToast) continue;
    // With only the replica identity sent, the other columns arrive as
    // null: not values.
    if (!full && !col.identity) continue;
    c.changes.push_back({col.name, ToValue(col, ov), std::nullopt});
  }
  return Emit(m.xid, std::move(c));
}

Status PgChangeBuilder::OnTruncate(const pgoutput::Truncate& m) {
  for (uint32_t oid : m.relation_oids) {
    DB_ASSIGN_OR_RETURN(const RelationInfo* rel, Lookup(oid));
    if (!rel->included) continue;
    Change c;
    c.table = rel->table;
    c.op = Op::kTruncate;
    DB_RETURN_IF_ERROR(Emit(m.xid, std::move(c)));
  }
  return Status::Ok();
}

Status PgChangeBuilder::OnStreamStart(const pgoutput::StreamStart& m) {
  current_stream_xid_ = m.xid;
  open_streams_.insert(m.xid);
  if (m.first_segment) ++stats_.streamed_transactions;
  return Status::Ok();
}

Status PgChangeBuilder::OnStreamStop(const pgoutput::StreamStop&) { return Status::Ok(); }

Status PgChangeBuilder::OnStreamCommit(const pgoutput::StreamCommit& m) {
  open_streams_.erase(m.xid);
  if (m.commit_lsn < resume_after_) {
    ++stats_.skipped_transactions;
    return spool_->Discard(m.xid, std::nullopt);
  }
  ++stats_.transactions;
  stats_.last_commit_time_us = m.commit_time_us;
  DB_RETURN_IF_ERROR(sink_->BeginTx());
  Status s =
      spool_->DrainInto(m.xid, m.commit_time_us, m.commit_lsn.ToString(), std::to_string(m.xid));
  if (!s.ok()) {
    sink_->AbortTx();
    return s;
  }
  DB_RETURN_IF_ERROR(sink_->EndTx(m.end_lsn.ToString()));
  last_end_lsn_ = m.end_lsn;
  return Status::Ok();
}

Status PgChangeBuilder::OnStreamAbort(const pgoutput::StreamAbort& m) {
  if (m.subxid == m.xid) {
    open_streams_.erase(m.xid);
    ++stats_.aborted_streams;
    return spool_->Discard(m.xid, std::nullopt);
  }
  return spool_->Discard(m.xid, m.subxid);
}

}  // namespace deltabridge
