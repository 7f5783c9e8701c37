#include "gateway/entity_store.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace deltabridge {
namespace {

constexpr std::string_view kTablesKey = "tables";

std::string U64Key(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  return out;
}

uint64_t ReadU64(std::string_view bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return v;
}

std::string U32Key(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 3; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  return out;
}

std::string MetaKey(std::string_view what, std::string_view bridge) {
  std::string key(what);
  key += ':';
  key += bridge;
  return key;
}

// Reads a u64 meta value in `txn`; 0 when absent.
uint64_t MetaU64(MDB_txn* txn, MDB_dbi meta, const std::string& key) {
  MDB_val k = ToVal(key);
  MDB_val v;
  if (mdb_get(txn, meta, &k, &v) != MDB_SUCCESS) return 0;
  return ReadU64(ToView(v));
}

const char* KindCode(RowChange::Kind kind) {
  switch (kind) {
    case RowChange::Kind::kUpsert:
      return "u";
    case RowChange::Kind::kDelete:
      return "d";
    case RowChange::Kind::kTruncate:
      return "t";
  }
  return "u";
}

// The values of `key_columns` in `row`, in order (null for a missing one).
nlohmann::json KeyValues(const Row& row, const std::vector<std::string>& key_columns) {
  nlohmann::json values = nlohmann::json::array();
  for (const auto& column : key_columns) {
    auto it = row.find(column);
    values.push_back(it == row.end() ? nlohmann::json() : nlohmann::json(*it));
  }
  return values;
}

}  // namespace

EntityStore::~EntityStore() {
  env_.Close();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<std::unique_ptr<EntityStore>> EntityStore::Open(const std::string& dir,
                                                       const std::vector<std::string>& bridges,
                                                       EntityStoreOptions options) {
  std::unique_ptr<EntityStore> store(new EntityStore(dir));
  DB_RETURN_IF_ERROR(store->Init(bridges, options));
  return store;
}

Status EntityStore::LmdbError(int rc, std::string_view what) const {
  return Status::IoError("gateway store " + dir_ + ": " + std::string(what) + ": " +
                         mdb_strerror(rc));
}

Status EntityStore::Init(const std::vector<std::string>& bridges,
                         const EntityStoreOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::IoError("gateway store " + dir_ + ": cannot create: " + ec.message());
  const std::string lock_path = dir_ + "/store.lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (lock_fd_ < 0) {
    return Status::IoError("gateway store " + dir_ + ": cannot open " + lock_path + ": " +
                           std::strerror(errno));
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::FailedPrecondition(
          "gateway store " + dir_ +
          " is already open (another gateway process uses the same state_dir)");
    }
    return Status::IoError("gateway store " + dir_ + ": cannot lock: " + std::strerror(errno));
  }
  int rc = LmdbEnv::Create(&env_);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_env_create");
  if ((rc = mdb_env_set_mapsize(env_.get(), options.map_size_bytes)) != MDB_SUCCESS) {
    return LmdbError(rc, "mdb_env_set_mapsize");
  }
  if ((rc = mdb_env_set_maxdbs(env_.get(), static_cast<MDB_dbi>(2 * bridges.size() + 2))) !=
      MDB_SUCCESS) {
    return LmdbError(rc, "mdb_env_set_maxdbs");
  }
  if ((rc = mdb_env_set_maxreaders(env_.get(), options.max_readers)) != MDB_SUCCESS) {
    return LmdbError(rc, "mdb_env_set_maxreaders");
  }
  // MDB_NOTLS: readers are not tied to threads (the network thread holds
  // many, one per client catching up). Commits fsync (no MDB_NOSYNC): a
  // position reported to a client is never lost.
  rc = mdb_env_open(env_.get(), dir_.c_str(), MDB_NOTLS | MDB_NOMETASYNC, 0640);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_env_open");
  int dead = 0;
  mdb_reader_check(env_.get(), &dead);
  max_key_size_ = static_cast<size_t>(mdb_env_get_maxkeysize(env_.get()));

  LmdbTxn txn;
  if ((rc = LmdbTxn::Begin(env_.get(), 0, &txn)) != MDB_SUCCESS) {
    return LmdbError(rc, "mdb_txn_begin");
  }
  if ((rc = mdb_dbi_open(txn.get(), "meta", MDB_CREATE, &meta_)) != MDB_SUCCESS) {
    return LmdbError(rc, "open meta");
  }
  for (const auto& bridge : bridges) {
    for (std::string_view kind : {"rows", "log"}) {
      const std::string name = MetaKey(kind, bridge);
      MDB_dbi dbi = 0;
      if ((rc = mdb_dbi_open(txn.get(), name.c_str(), MDB_CREATE, &dbi)) != MDB_SUCCESS) {
        return LmdbError(rc, "open " + name);
      }
      dbis_[name] = dbi;
    }
  }
  // The table registry.
  MDB_val k = ToVal(kTablesKey);
  MDB_val v;
  rc = mdb_get(txn.get(), meta_, &k, &v);
  if (rc == MDB_SUCCESS) {
    auto tables = nlohmann::json::parse(ToView(v), nullptr, /*allow_exceptions=*/false);
    if (!tables.is_array()) {
      return Status::Corruption("gateway store " + dir_ + ": the table registry does not decode");
    }
    for (const auto& t : tables) {
      if (!t.is_array() || t.size() != 5) {
        return Status::Corruption("gateway store " + dir_ + ": a table entry does not decode");
      }
      auto table = std::make_shared<StoredTable>();
      table->id = t[0].get<uint32_t>();
      table->bridge = t[1].get<std::string>();
      table->source = t[2].get<std::string>();
      table->table = t[3].get<std::string>();
      table->key_columns = t[4].get<std::vector<std::string>>();
      table->topic = table->bridge + "." + table->source + "." + table->table;
      next_table_id_ = std::max(next_table_id_, table->id + 1);
      tables_by_topic_[table->topic] = table;
      tables_[table->id] = std::move(table);
    }
  } else if (rc != MDB_NOTFOUND) {
    return LmdbError(rc, "read the table registry");
  }
  if ((rc = txn.Commit()) != MDB_SUCCESS) return LmdbError(rc, "mdb_txn_commit");
  return Status::Ok();
}

Result<MDB_dbi> EntityStore::BridgeDb(std::string_view kind, std::string_view bridge) const {
  auto it = dbis_.find(MetaKey(kind, bridge));
  if (it == dbis_.end()) {
    return Status::InvalidArgument("gateway store: bridge \"" + std::string(bridge) +
                                   "\" was not opened");
  }
  return it->second;
}

Result<EntityStore::Batch> EntityStore::Begin() {
  Batch batch;
  int rc = LmdbTxn::Begin(env_.get(), 0, &batch.txn_);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_txn_begin");
  return batch;
}

std::string EntityStore::RowKey(uint32_t table_id, const nlohmann::json& key_values) const {
  std::string key = U32Key(table_id);
  const std::string text = key_values.dump();
  if (key.size() + text.size() <= max_key_size_) {
    key += text;
    return key;
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  key += '\xFF';
  key.append(reinterpret_cast<const char*>(digest), sizeof(digest));
  return key;
}

Result<std::shared_ptr<const StoredTable>> EntityStore::TableFor(
    Batch* batch, std::string_view bridge, std::string_view source, std::string_view table,
    const std::vector<std::string>& key_columns) {
  std::string topic(bridge);
  topic += '.';
  topic += source;
  topic += '.';
  topic += table;
  for (const auto& t : batch->new_tables_) {
    if (t->topic == topic && t->key_columns == key_columns) return t;
  }
  uint32_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tables_by_topic_.find(topic);
    if (it != tables_by_topic_.end()) {
      if (it->second->key_columns == key_columns) return it->second;
      id = it->second->id;  // the key columns changed: same id, new description
    } else {
      id = next_table_id_;
      for (const auto& t : batch->new_tables_) id = std::max(id, t->id + 1);
    }
  }
  auto made = std::make_shared<StoredTable>();
  made->id = id;
  made->bridge = std::string(bridge);
  made->source = std::string(source);
  made->table = std::string(table);
  made->topic = std::move(topic);
  made->key_columns = key_columns;
  std::erase_if(batch->new_tables_, [&](const auto& t) { return t->id == id; });
  batch->new_tables_.push_back(made);
  return std::shared_ptr<const StoredTable>(made);
}

Status EntityStore::SaveTables(MDB_txn* txn,
                               const std::vector<std::shared_ptr<const StoredTable>>& extra) {
  std::map<uint32_t, std::shared_ptr<const StoredTable>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all = tables_;
  }
  for (const auto& t : extra) all[t->id] = t;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [id, t] : all) {
    list.push_back({t->id, t->bridge, t->source, t->table, t->key_columns});
  }
  const std::string text = list.dump();
  MDB_val k = ToVal(kTablesKey);
  MDB_val v = ToVal(text);
  int rc = mdb_put(txn, meta_, &k, &v, 0);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "save the table registry");
  return Status::Ok();
}

std::string EntityStore::EncodeChange(const RowChange& change) {
  nlohmann::ordered_json j;
  j["s"] = change.seq;
  j["t"] = change.table->id;
  j["k"] = KindCode(change.kind);
  if (!change.before.is_null()) j["b"] = change.before;
  if (!change.after.is_null()) j["a"] = change.after;
  j["ts"] = change.ts;
  if (!change.origin.empty()) j["o"] = change.origin;
  if (!change.ref.empty()) j["r"] = change.ref;
  return j.dump();
}

Result<RowChange> EntityStore::DecodeChange(std::string_view bytes) const {
  auto j = Row::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("s") || !j.contains("t") || !j.contains("k")) {
    return Status::Corruption("gateway store " + dir_ + ": a log entry does not decode");
  }
  RowChange change;
  change.seq = j["s"].get<uint64_t>();
  change.table = TableById(j["t"].get<uint32_t>());
  if (!change.table) {
    return Status::Corruption("gateway store " + dir_ + ": a log entry names an unknown table");
  }
  const std::string kind = j["k"].get<std::string>();
  change.kind = kind == "d"   ? RowChange::Kind::kDelete
                : kind == "t" ? RowChange::Kind::kTruncate
                              : RowChange::Kind::kUpsert;
  if (j.contains("b")) change.before = std::move(j["b"]);
  if (j.contains("a")) change.after = std::move(j["a"]);
  if (j.contains("ts") && j["ts"].is_string()) change.ts = j["ts"].get<std::string>();
  if (j.contains("o")) change.origin = j["o"].get<std::vector<std::string>>();
  if (j.contains("r")) change.ref = j["r"].get<std::string>();
  return change;
}

Result<std::optional<RowChange>> EntityStore::Apply(Batch* batch, std::string_view bridge,
                                                    const Row& body, uint64_t seq) {
  auto bad = [&](std::string_view why) {
    return Status::Corruption("delta " + std::to_string(seq) + " of bridge " + std::string(bridge) +
                              ": " + std::string(why));
  };
  if (!body.is_object()) return bad("not a JSON object");
  auto field = [&](const char* name) -> const Row* {
    auto it = body.find(name);
    return it == body.end() ? nullptr : &*it;
  };
  const auto* source = field("source");
  const auto* table_name = field("table");
  const auto* op_field = field("op");
  if (!source || !source->is_string() || !table_name || !table_name->is_string() || !op_field ||
      !op_field->is_string()) {
    return bad("source, table or op missing");
  }
  const std::string op = op_field->get<std::string>();
  const auto* key = field("key");
  const auto* changes = field("changes");
  static const Row kEmptyObject = Row::object();
  if (!key || !key->is_object()) key = &kEmptyObject;
  if (!changes || !changes->is_object()) changes = &kEmptyObject;

  std::vector<std::string> key_columns;
  for (auto it = key->begin(); it != key->end(); ++it) key_columns.push_back(it.key());

  DB_ASSIGN_OR_RETURN(MDB_dbi rows, BridgeDb("rows", bridge));
  DB_ASSIGN_OR_RETURN(MDB_dbi log, BridgeDb("log", bridge));
  MDB_txn* txn = batch->txn_.get();

  RowChange change;
  change.seq = seq;
  if (const auto* ts = field("ts"); ts && ts->is_string()) change.ts = ts->get<std::string>();
  if (const auto* origin = field("origin"); origin && origin->is_array()) {
    for (const auto& node : *origin) {
      if (node.is_string()) change.origin.push_back(node.get<std::string>());
    }
  }
  if (const auto* ref = field("ref"); ref && ref->is_string()) change.ref = ref->get<std::string>();

  if (op == "truncate") {
    // Every table of this source with this name keeps its id; its rows go.
    std::shared_ptr<const StoredTable> table;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = tables_by_topic_.find(std::string(bridge) + "." + source->get<std::string>() + "." +
                                      table_name->get<std::string>());
      if (it != tables_by_topic_.end()) table = it->second;
    }
    for (const auto& t : batch->new_tables_) {
      if (t->bridge == bridge && t->source == source->get<std::string>() &&
          t->table == table_name->get<std::string>()) {
        table = t;
      }
    }
    if (!table) return std::optional<RowChange>();  // never had rows
    const std::string prefix = U32Key(table->id);
    {
      LmdbCursor cursor;
      int rc = LmdbCursor::Open(txn, rows, &cursor);
      if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_cursor_open");
      MDB_val k = ToVal(prefix);
      MDB_val v;
      while ((rc = cursor.Get(&k, &v, MDB_SET_RANGE)) == MDB_SUCCESS &&
             ToView(k).substr(0, 4) == prefix) {
        if ((rc = mdb_cursor_del(cursor.get(), 0)) != MDB_SUCCESS) {
          return LmdbError(rc, "delete a row");
        }
        k = ToVal(prefix);
      }
    }
    change.kind = RowChange::Kind::kTruncate;
    change.table = table;
  } else {
    if (key_columns.empty()) return bad("no key");
    DB_ASSIGN_OR_RETURN(change.table, TableFor(batch, bridge, source->get<std::string>(),
                                               table_name->get<std::string>(), key_columns));
    const auto& table = *change.table;
    nlohmann::json key_values = nlohmann::json::array();
    for (const auto& column : key_columns) key_values.push_back(nlohmann::json((*key)[column]));
    const std::string row_key = RowKey(table.id, key_values);

    Row before;
    {
      MDB_val k = ToVal(row_key);
      MDB_val v;
      int rc = mdb_get(txn, rows, &k, &v);
      if (rc == MDB_SUCCESS) {
        before = Row::parse(ToView(v), nullptr, /*allow_exceptions=*/false);
        if (!before.is_object()) {
          return Status::Corruption("gateway store " + dir_ + ": a row does not decode");
        }
      } else if (rc != MDB_NOTFOUND) {
        return LmdbError(rc, "read a row");
      }
    }

    if (op == "delete") {
      if (before.is_null()) return std::optional<RowChange>();  // never had it
      MDB_val k = ToVal(row_key);
      int rc = mdb_del(txn, rows, &k, nullptr);
      if (rc != MDB_SUCCESS) return LmdbError(rc, "delete a row");
      change.kind = RowChange::Kind::kDelete;
      change.before = std::move(before);
    } else if (op == "insert" || op == "snapshot" || op == "update") {
      Row after;
      if (op == "update" && !before.is_null()) {
        after = before;
      } else {
        after = Row::object();
        for (const auto& column : key_columns) after[column] = (*key)[column];
      }
      for (auto it = changes->begin(); it != changes->end(); ++it) {
        if (it->is_object()) {
          auto n = it->find("new");
          if (n != it->end()) after[it.key()] = *n;
        }
      }
      if (!before.is_null() && before == after) return std::optional<RowChange>();
      nlohmann::json new_key_values = KeyValues(after, key_columns);
      std::string new_row_key = row_key;
      if (new_key_values != key_values) {
        new_row_key = RowKey(table.id, new_key_values);
        if (!before.is_null()) {
          MDB_val k = ToVal(row_key);
          int rc = mdb_del(txn, rows, &k, nullptr);
          if (rc != MDB_SUCCESS) return LmdbError(rc, "delete a row");
        }
      }
      const std::string text = after.dump();
      MDB_val k = ToVal(new_row_key);
      MDB_val v = ToVal(text);
      int rc = mdb_put(txn, rows, &k, &v, 0);
      if (rc != MDB_SUCCESS) return LmdbError(rc, "write a row");
      change.kind = RowChange::Kind::kUpsert;
      change.before = std::move(before);
      change.after = std::move(after);
    } else {
      return bad("unknown op \"" + op + "\"");
    }
  }

  const std::string entry = EncodeChange(change);
  const std::string seq_key = U64Key(seq);
  MDB_val k = ToVal(seq_key);
  MDB_val v = ToVal(entry);
  int rc = mdb_put(txn, log, &k, &v, 0);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "write the log");
  return std::optional<RowChange>(std::move(change));
}

Status EntityStore::SetApplied(Batch* batch, std::string_view bridge, uint64_t seq) {
  const std::string key = MetaKey("applied", bridge);
  const std::string value = U64Key(seq);
  MDB_val k = ToVal(key);
  MDB_val v = ToVal(value);
  int rc = mdb_put(batch->txn_.get(), meta_, &k, &v, 0);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "write the position");
  return Status::Ok();
}

Status EntityStore::TrimLog(Batch* batch, std::string_view bridge, uint64_t floor) {
  DB_ASSIGN_OR_RETURN(MDB_dbi log, BridgeDb("log", bridge));
  MDB_txn* txn = batch->txn_.get();
  {
    LmdbCursor cursor;
    int rc = LmdbCursor::Open(txn, log, &cursor);
    if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_cursor_open");
    MDB_val k;
    MDB_val v;
    while ((rc = cursor.Get(&k, &v, MDB_FIRST)) == MDB_SUCCESS && ReadU64(ToView(k)) <= floor) {
      if ((rc = mdb_cursor_del(cursor.get(), 0)) != MDB_SUCCESS) {
        return LmdbError(rc, "trim the log");
      }
    }
  }
  const std::string key = MetaKey("floor", bridge);
  if (floor > MetaU64(txn, meta_, key)) {
    const std::string value = U64Key(floor);
    MDB_val k = ToVal(key);
    MDB_val v = ToVal(value);
    int rc = mdb_put(txn, meta_, &k, &v, 0);
    if (rc != MDB_SUCCESS) return LmdbError(rc, "write the log floor");
  }
  return Status::Ok();
}

Status EntityStore::ResetBridge(Batch* batch, std::string_view bridge) {
  MDB_txn* txn = batch->txn_.get();
  for (std::string_view kind : {"rows", "log"}) {
    DB_ASSIGN_OR_RETURN(MDB_dbi dbi, BridgeDb(kind, bridge));
    int rc = mdb_drop(txn, dbi, 0);
    if (rc != MDB_SUCCESS) return LmdbError(rc, "empty " + MetaKey(kind, bridge));
  }
  for (std::string_view what : {"applied", "floor", "patterns"}) {
    const std::string key = MetaKey(what, bridge);
    MDB_val k = ToVal(key);
    int rc = mdb_del(txn, meta_, &k, nullptr);
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return LmdbError(rc, "reset " + key);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> EntityStore::Patterns(Batch* batch, std::string_view bridge) {
  const std::string key = MetaKey("patterns", bridge);
  MDB_val k = ToVal(key);
  MDB_val v;
  int rc = mdb_get(batch->txn_.get(), meta_, &k, &v);
  if (rc == MDB_NOTFOUND) return std::vector<std::string>();
  if (rc != MDB_SUCCESS) return LmdbError(rc, "read " + key);
  auto j = nlohmann::json::parse(ToView(v), nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return Status::Corruption("gateway store " + dir_ + ": " + key);
  std::vector<std::string> out;
  for (const auto& p : j) {
    if (p.is_string()) out.push_back(p.get<std::string>());
  }
  return out;
}

Status EntityStore::SetPatterns(Batch* batch, std::string_view bridge,
                                const std::vector<std::string>& patterns) {
  const std::string key = MetaKey("patterns", bridge);
  const std::string value = nlohmann::json(patterns).dump();
  MDB_val k = ToVal(key);
  MDB_val v = ToVal(value);
  int rc = mdb_put(batch->txn_.get(), meta_, &k, &v, 0);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "write " + key);
  return Status::Ok();
}

Status EntityStore::Commit(Batch batch) {
  if (!batch.new_tables_.empty()) {
    DB_RETURN_IF_ERROR(SaveTables(batch.txn_.get(), batch.new_tables_));
  }
  int rc = batch.txn_.Commit();
  if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_txn_commit");
  if (!batch.new_tables_.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : batch.new_tables_) {
      next_table_id_ = std::max(next_table_id_, t->id + 1);
      tables_by_topic_[t->topic] = t;
      tables_[t->id] = t;
    }
  }
  return Status::Ok();
}

Result<EntityStore::Reader> EntityStore::Read() const {
  Reader reader;
  reader.store_ = this;
  int rc = LmdbTxn::Begin(env_.get(), MDB_RDONLY, &reader.txn_);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_txn_begin (read)");
  return reader;
}

uint64_t EntityStore::Reader::Applied(std::string_view bridge) const {
  return MetaU64(txn_.get(), store_->meta_, MetaKey("applied", bridge));
}

uint64_t EntityStore::Reader::Floor(std::string_view bridge) const {
  return MetaU64(txn_.get(), store_->meta_, MetaKey("floor", bridge));
}

Result<Row> EntityStore::Reader::Get(const StoredTable& table, const nlohmann::json& key) const {
  DB_ASSIGN_OR_RETURN(MDB_dbi rows, store_->BridgeDb("rows", table.bridge));
  const std::string row_key = store_->RowKey(table.id, key);
  MDB_val k = ToVal(row_key);
  MDB_val v;
  int rc = mdb_get(txn_.get(), rows, &k, &v);
  if (rc == MDB_NOTFOUND) return Row();
  if (rc != MDB_SUCCESS) return store_->LmdbError(rc, "read a row");
  Row row = Row::parse(ToView(v), nullptr, /*allow_exceptions=*/false);
  if (!row.is_object()) return Status::Corruption("gateway store: a row does not decode");
  return row;
}

std::vector<std::shared_ptr<const StoredTable>> EntityStore::Tables(std::string_view bridge) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<const StoredTable>> out;
  for (const auto& [id, t] : tables_) {
    if (t->bridge == bridge) out.push_back(t);
  }
  return out;
}

std::shared_ptr<const StoredTable> EntityStore::TableById(uint32_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tables_.find(id);
  return it == tables_.end() ? nullptr : it->second;
}

EntityStore::RowWalk::RowWalk(const Reader* reader, std::shared_ptr<const StoredTable> table)
    : reader_(reader), table_(std::move(table)) {}

Result<Row> EntityStore::RowWalk::Next() {
  if (done_) return Row();
  const EntityStore* store = reader_->store_;
  const std::string prefix = U32Key(table_->id);
  MDB_val k;
  MDB_val v;
  int rc;
  if (!started_) {
    DB_ASSIGN_OR_RETURN(MDB_dbi rows, store->BridgeDb("rows", table_->bridge));
    rc = LmdbCursor::Open(reader_->txn_.get(), rows, &cursor_);
    if (rc != MDB_SUCCESS) return store->LmdbError(rc, "mdb_cursor_open");
    started_ = true;
    k = ToVal(prefix);
    rc = cursor_.Get(&k, &v, MDB_SET_RANGE);
  } else {
    rc = cursor_.Get(&k, &v, MDB_NEXT);
  }
  if (rc == MDB_NOTFOUND || (rc == MDB_SUCCESS && ToView(k).substr(0, 4) != prefix)) {
    done_ = true;
    cursor_.Close();
    return Row();
  }
  if (rc != MDB_SUCCESS) return store->LmdbError(rc, "walk the rows");
  Row row = Row::parse(ToView(v), nullptr, /*allow_exceptions=*/false);
  if (!row.is_object()) return Status::Corruption("gateway store: a row does not decode");
  return row;
}

EntityStore::LogWalk::LogWalk(const Reader* reader, std::string bridge, uint64_t after)
    : reader_(reader), bridge_(std::move(bridge)), after_(after) {}

Result<std::optional<RowChange>> EntityStore::LogWalk::Next() {
  if (done_) return std::optional<RowChange>();
  const EntityStore* store = reader_->store_;
  MDB_val k;
  MDB_val v;
  int rc;
  if (!started_) {
    DB_ASSIGN_OR_RETURN(MDB_dbi log, store->BridgeDb("log", bridge_));
    rc = LmdbCursor::Open(reader_->txn_.get(), log, &cursor_);
    if (rc != MDB_SUCCESS) return store->LmdbError(rc, "mdb_cursor_open");
    started_ = true;
    const std::string from = U64Key(after_ + 1);
    k = ToVal(from);
    rc = cursor_.Get(&k, &v, MDB_SET_RANGE);
  } else {
    rc = cursor_.Get(&k, &v, MDB_NEXT);
  }
  if (rc == MDB_NOTFOUND) {
    done_ = true;
    cursor_.Close();
    return std::optional<RowChange>();
  }
  if (rc != MDB_SUCCESS) return store->LmdbError(rc, "walk the log");
  DB_ASSIGN_OR_RETURN(RowChange change, store->DecodeChange(ToView(v)));
  return std::optional<RowChange>(std::move(change));
}

}  // namespace deltabridge
