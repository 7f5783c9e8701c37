#include "sinks/jsonl/jsonl_target.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "cdc/core/atomic_file.h"
#include "cdc/core/utc_time.h"
#include "cdc/wire/envelope.h"

namespace deltabridge {

namespace {

constexpr int kStateFormat = 1;

void AppendUInt(std::string* out, uint64_t v) {
  fmt::format_int f(v);
  out->append(f.data(), f.size());
}

std::string Errno(int err) { return std::strerror(err); }

// The directory holding `path` ("." for a bare file name).
std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// mkdir -p with `mode` for each directory it creates; 0 or an errno.
int MakeDirs(const std::string& dir, mode_t mode) {
  if (dir.empty()) return 0;
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
  if (errno != ENOENT) return errno;
  std::string parent = ParentDir(dir);
  if (parent != dir && parent != "." && parent != "/") {
    int err = MakeDirs(parent, mode);
    if (err != 0) return err;
  }
  if (::mkdir(dir.c_str(), mode) != 0) return errno == EEXIST ? 0 : errno;
  return FsyncDirectory(parent);  // the new name, durable
}

// Writes all of [data, data + size) to `fd`; *written counts what was
// written, also on failure. 0 or an errno.
int WriteAll(int fd, const char* data, size_t size, size_t* written) {
  *written = 0;
  while (*written < size) {
    ssize_t n = ::write(fd, data + *written, size - *written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    *written += static_cast<size_t>(n);
  }
  return 0;
}

// Errors of Open() that may pass by themselves (the runner retries Open()
// after Unavailable); anything else needs an operator.
bool Transient(int err) {
  return err == ENOSPC || err == EDQUOT || err == EIO || err == EINTR || err == EAGAIN ||
         err == ENOMEM || err == EMFILE || err == ENFILE;
}

struct State {
  bool exists = false;
  std::string file;
  uint64_t size = 0;
  Checkpoints checkpoints;
};

// The value of target key column `column`: from the delta's key, else from its
// changes (the old value, else the new one); nullptr when it carries none.
const Value* FindKeyValue(const Change& change, const std::vector<std::string>& key_targets,
                          const std::vector<std::string>& change_targets,
                          const std::string& column) {
  for (size_t i = 0; i < change.key.size(); ++i) {
    if (key_targets[i] == column) return &change.key[i].second;
  }
  for (size_t i = 0; i < change.changes.size(); ++i) {
    if (change_targets[i] != column) continue;
    const ColumnChange& cc = change.changes[i];
    if (cc.old_value) return &*cc.old_value;
    if (cc.new_value) return &*cc.new_value;
  }
  return nullptr;
}

}  // namespace

JsonlLineKind AppendJsonlLine(const SinkDelta& delta, std::string* out,
                              std::vector<std::string>* missing_key_columns) {
  const MappingConfig& mapping = *delta.mapping;
  const Change& c = delta.delta.change;
  JsonlLineKind kind = JsonlLineKind::kSkipped;
  std::string_view op = OpName(c.op);
  bool soft = false;
  switch (c.op) {
    case Op::kInsert:
    case Op::kSnapshot:
      kind = JsonlLineKind::kInsert;
      break;
    case Op::kUpdate:
      kind = JsonlLineKind::kUpdate;
      break;
    case Op::kDelete:
      switch (mapping.on_delete) {
        case OnDelete::kApply:
          kind = JsonlLineKind::kDelete;
          break;
        case OnDelete::kIgnore:
          return JsonlLineKind::kSkipped;
        case OnDelete::kManual:
          kind = JsonlLineKind::kHeldDelete;
          break;
        case OnDelete::kSoft:
          kind = JsonlLineKind::kUpdate;
          op = OpName(Op::kUpdate);
          soft = true;
          break;
      }
      break;
    case Op::kTruncate:
      if (mapping.on_delete != OnDelete::kApply) return JsonlLineKind::kSkipped;
      kind = JsonlLineKind::kTruncate;
      break;
  }

  out->append("{\"seq\":");
  AppendUInt(out, delta.delta.seq);
  out->append(",\"bridge\":");
  AppendJsonString(out, delta.delta.bridge);
  out->append(",\"source\":");
  AppendJsonString(out, c.source);
  out->append(",\"topic\":");
  AppendJsonString(out, delta.topic);
  out->append(",\"table\":");
  AppendJsonString(out, mapping.to);
  out->append(",\"op\":\"").append(op).push_back('"');
  if (kind == JsonlLineKind::kHeldDelete) out->append(",\"held\":true");
  out->append(",\"key\":{");
  if (kind != JsonlLineKind::kTruncate) {
    // Target names, computed once per delta: "" for an excluded column.
    std::vector<std::string> key_targets;
    key_targets.reserve(c.key.size());
    for (const auto& [name, value] : c.key) key_targets.push_back(TargetColumn(mapping, name));
    std::vector<std::string> change_targets;
    change_targets.reserve(c.changes.size());
    for (const ColumnChange& cc : c.changes)
      change_targets.push_back(TargetColumn(mapping, cc.name));

    bool first = true;
    for (const std::string& column : mapping.key) {
      const Value* value = FindKeyValue(c, key_targets, change_targets, column);
      if (value == nullptr) {
        if (missing_key_columns != nullptr) missing_key_columns->push_back(column);
        continue;
      }
      if (!first) out->push_back(',');
      first = false;
      AppendJsonString(out, column);
      out->push_back(':');
      AppendJsonValue(out, *value);
    }
    out->append("},\"changes\":{");
    if (soft) {
      AppendJsonString(out, mapping.soft_delete_column);
      out->append(":{\"new\":");
      AppendJsonValue(out, Value::Textual(Value::Kind::kTimestampTz,
                                          FormatUtcMicros(c.commit_time_us), "timestamptz"));
      out->push_back('}');
    } else {
      first = true;
      for (size_t i = 0; i < c.changes.size(); ++i) {
        if (change_targets[i].empty()) continue;  // excluded
        const ColumnChange& cc = c.changes[i];
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(out, change_targets[i]);
        out->push_back(':');
        AppendFieldChange(out, cc);
      }
    }
    out->push_back('}');
  } else {
    out->append("},\"changes\":{}");
  }
  out->append(",\"ts\":\"").append(FormatUtcMicros(c.commit_time_us)).append("\",\"tx\":{\"id\":");
  AppendJsonString(out, c.tx_id);
  out->append(c.tx_last ? ",\"last\":true}}\n" : ",\"last\":false}}\n");
  return kind;
}

// ---- JsonlTarget::Fd

JsonlTarget::Fd& JsonlTarget::Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = other.release();
  }
  return *this;
}

void JsonlTarget::Fd::Reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

// ---- JsonlTarget

JsonlTarget::JsonlTarget(const JsonlTargetConfig& config, std::string state_dir,
                         std::string sink_name, JsonlTargetOptions options)
    : path_(config.path),
      state_dir_(std::move(state_dir)),
      sink_name_(std::move(sink_name)),
      options_(options) {}

JsonlTarget::~JsonlTarget() = default;

std::string JsonlTarget::state_path() const { return state_dir_ + "/" + kStateFileName; }
std::string JsonlTarget::lock_path() const { return state_dir_ + "/" + kLockFileName; }
std::string JsonlTarget::Describe() const { return "jsonl " + path_; }

ApplyCounters JsonlTarget::counters() const {
  ApplyCounters c;
  c.deltas = deltas_.load(std::memory_order_relaxed);
  c.rows_inserted = rows_inserted_.load(std::memory_order_relaxed);
  c.rows_updated = rows_updated_.load(std::memory_order_relaxed);
  c.rows_deleted = rows_deleted_.load(std::memory_order_relaxed);
  c.conflicts = conflicts_.load(std::memory_order_relaxed);
  c.transactions = transactions_.load(std::memory_order_relaxed);
  return c;
}

Status JsonlTarget::Broken(std::string what, int err) {
  open_ = false;
  return Status::Unavailable(fmt::format("jsonl target {}: {}: {}", path_, what, Errno(err)));
}

Status JsonlTarget::Lock() {
  if (lock_fd_.valid()) return Status::Ok();  // held since an earlier Open()
  const std::string lock = lock_path();
  Fd fd(::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640));
  if (!fd.valid()) {
    return Status::FailedPrecondition(
        fmt::format("jsonl target {}: cannot open lock file {}: {}", path_, lock, Errno(errno)));
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::FailedPrecondition(fmt::format(
          "jsonl target {}: lock file {} is held by another sink using state_dir {} (another "
          "deltabridge process, or the same target opened twice); a state_dir serves one sink",
          path_, lock, state_dir_));
    }
    return Status::FailedPrecondition(
        fmt::format("jsonl target {}: cannot lock {}: {}", path_, lock, Errno(errno)));
  }
  lock_fd_ = std::move(fd);
  return Status::Ok();
}

namespace {

// Reads the state file; exists == false when there is none.
Result<State> ReadState(const std::string& state_path) {
  State state;
  int fd = ::open(state_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return state;
    int err = errno;
    std::string msg = fmt::format("cannot open state file {}: {}", state_path, Errno(err));
    return Transient(err) ? Status::Unavailable(msg) : Status::FailedPrecondition(msg);
  }
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Status::Unavailable(
          fmt::format("cannot read state file {}: {}", state_path, Errno(err)));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);

  auto bad = [&](const std::string& why) {
    return Status::FailedPrecondition(fmt::format(
        "state file {} is not valid ({}); only this sink writes it, atomically, so it was "
        "edited or damaged: restore it from a backup, or remove it to start over (the sink "
        "then keeps the data file, appends after it and applies everything the bridges still "
        "hold again)",
        state_path, why));
  };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (!j.contains("format") || !j["format"].is_number_integer() || j["format"] != kStateFormat) {
    return bad(fmt::format("format is not {}", kStateFormat));
  }
  if (!j.contains("file") || !j["file"].is_string()) return bad("no \"file\" string");
  if (!j.contains("size") || !j["size"].is_number_unsigned()) return bad("no \"size\" number");
  if (!j.contains("checkpoints") || !j["checkpoints"].is_object()) {
    return bad("no \"checkpoints\" object");
  }
  state.exists = true;
  state.file = j["file"].get<std::string>();
  state.size = j["size"].get<uint64_t>();
  for (const auto& [bridge, seq] : j["checkpoints"].items()) {
    if (!seq.is_number_unsigned()) return bad("checkpoint of " + bridge + " is not a seq");
    state.checkpoints[bridge] = seq.get<uint64_t>();
  }
  return state;
}

}  // namespace

Result<Checkpoints> JsonlTarget::ReadCheckpoints(const std::string& state_dir) {
  DB_ASSIGN_OR_RETURN(State state, ReadState(state_dir + "/" + kStateFileName));
  return std::move(state.checkpoints);
}

Status JsonlTarget::WriteState(uint64_t size, const Checkpoints& checkpoints, bool* renamed) {
  *renamed = false;
  nlohmann::ordered_json j;
  j["format"] = kStateFormat;
  j["file"] = path_;
  j["size"] = size;
  nlohmann::ordered_json cps = nlohmann::ordered_json::object();
  for (const auto& [bridge, seq] : checkpoints) cps[bridge] = seq;
  j["checkpoints"] = std::move(cps);
  const std::string text = j.dump() + "\n";

  AtomicFileWriter file;
  Status s = file.Open(state_path(), AtomicFileOptions{.mode = 0640});
  if (s.ok()) s = file.Append(text);
  if (s.ok()) s = file.Commit();
  *renamed = file.renamed();
  if (!s.ok()) {
    open_ = false;
    return Status::Unavailable(fmt::format("jsonl target {}: state file: {}", path_, s.message()));
  }
  return Status::Ok();
}

Result<Checkpoints> JsonlTarget::Open() {
  open_ = false;
  in_tx_ = false;
  state_ahead_ = false;
  buffer_.clear();
  pending_ = {};
  data_fd_.Reset();

  if (int err = MakeDirs(state_dir_, 0750); err != 0) {
    return Status::FailedPrecondition(fmt::format("jsonl target {}: cannot create state_dir {}: {}",
                                                  path_, state_dir_, Errno(err)));
  }
  DB_RETURN_IF_ERROR(Lock());
  // Left by a crash inside WriteState.
  ::unlink(AtomicFileWriter::TempPathFor(state_path()).c_str());

  DB_ASSIGN_OR_RETURN_CTX(State state, ReadState(state_path()), "jsonl target " + path_);

  // The data file as it stands: opened without O_CREAT first, to tell a
  // missing file apart.
  const int flags = O_WRONLY | O_APPEND | O_CLOEXEC;
  Fd fd(::open(path_.c_str(), flags));
  bool created = false;
  if (!fd.valid()) {
    int err = errno;
    if (err != ENOENT) {
      std::string msg = fmt::format("jsonl target {}: cannot open: {}", path_, Errno(err));
      return Transient(err) ? Status::Unavailable(msg) : Status::FailedPrecondition(msg);
    }
    fd = Fd(::open(path_.c_str(), flags | O_CREAT | O_EXCL, 0640));
    if (!fd.valid()) {
      err = errno;
      std::string msg = fmt::format("jsonl target {}: cannot create: {}", path_, Errno(err));
      return Transient(err) ? Status::Unavailable(msg) : Status::FailedPrecondition(msg);
    }
    created = true;
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Broken("fstat", errno);
  if (!S_ISREG(st.st_mode)) {
    return Status::FailedPrecondition(fmt::format(
        "jsonl target {}: not a regular file; the jsonl target appends to, and truncates, "
        "a regular file of its own",
        path_));
  }
  const uint64_t actual = static_cast<uint64_t>(st.st_size);

  uint64_t committed = actual;
  bool write_state = false;
  if (!state.exists) {
    write_state = true;
    if (actual > 0) {
      spdlog::info(
          "sink {}: jsonl target {}: no state in {} yet; the file already holds {} bytes, which "
          "are kept; appending after them",
          sink_name_, path_, state_dir_, actual);
    }
  } else if (state.file != path_) {
    write_state = true;
    spdlog::info(
        "sink {}: jsonl target: the path changed from {} to {}; continuing from the same "
        "checkpoint in {}{}",
        sink_name_, state.file, path_, path_,
        actual > 0 ? fmt::format(" after the {} bytes it already holds", actual) : "");
  } else if (created && state.size > 0) {
    write_state = true;
    committed = 0;
    spdlog::info(
        "sink {}: jsonl target {}: the file is gone ({} committed bytes were in it: moved or "
        "rotated away?); starting a new file, continuing after the checkpoint",
        sink_name_, path_, state.size);
  } else if (actual < state.size) {
    // Nothing created here (actual < size means the file existed).
    return Status::FailedPrecondition(fmt::format(
        "jsonl target {}: the file holds {} bytes, but {} bytes were committed to it (per {}): "
        "something truncated or replaced it, and the sink cannot tell which deltas it lost. "
        "Restore the file; or move it away, and the sink starts a new file and goes on after "
        "its checkpoint (the deltas before it stay only in the moved file)",
        path_, actual, state.size, state_path()));
  } else {
    committed = state.size;
  }

  if (created) {
    if (int err = FsyncDirectory(ParentDir(path_)); err != 0) {
      return Broken("fsync of directory " + ParentDir(path_), err);
    }
  }
  if (actual > committed) {
    if (::ftruncate(fd.get(), static_cast<off_t>(committed)) != 0) {
      return Broken("cannot truncate the uncommitted tail", errno);
    }
    if (::fdatasync(fd.get()) != 0) return Broken("fdatasync", errno);
    spdlog::warn(
        "sink {}: jsonl target {}: dropped {} bytes written after the last commit (the sink "
        "stopped between writing them and committing); they will be applied again from the "
        "checkpoint",
        sink_name_, path_, actual - committed);
  }
  if (write_state) {
    bool renamed = false;
    DB_RETURN_IF_ERROR(WriteState(committed, state.checkpoints, &renamed));
  }

  data_fd_ = std::move(fd);
  committed_size_ = committed;
  file_size_ = committed;
  committed_ = state.checkpoints;
  open_ = true;
  return state.checkpoints;
}

Status JsonlTarget::Begin() {
  if (!open_) {
    return Status::FailedPrecondition("jsonl target " + path_ + ": Begin() before Open()");
  }
  if (in_tx_) {
    return Status::FailedPrecondition("jsonl target " + path_ + ": Begin() inside a transaction");
  }
  in_tx_ = true;
  buffer_.clear();
  pending_ = {};
  return Status::Ok();
}

Status JsonlTarget::FlushBuffer() {
  if (buffer_.empty()) return Status::Ok();
  size_t written = 0;
  int err = WriteAll(data_fd_.get(), buffer_.data(), buffer_.size(), &written);
  file_size_ += written;
  buffer_.clear();
  if (err != 0) return Broken("write", err);
  return Status::Ok();
}

Status JsonlTarget::Apply(const std::vector<SinkDelta>& chunk) {
  if (!open_ || !in_tx_) {
    return Status::FailedPrecondition("jsonl target " + path_ +
                                      ": Apply() outside Begin()..Commit() or after an error");
  }
  std::vector<std::string> missing;
  for (const SinkDelta& d : chunk) {
    if (d.mapping == nullptr) {
      return Status::FailedPrecondition(fmt::format(
          "jsonl target {}: delta seq {} of {} has no mapping", path_, d.delta.seq, d.topic));
    }
    missing.clear();
    JsonlLineKind kind = AppendJsonlLine(d, &buffer_, &missing);
    ++pending_.deltas;
    switch (kind) {
      case JsonlLineKind::kInsert:
        ++pending_.inserted;
        break;
      case JsonlLineKind::kUpdate:
        ++pending_.updated;
        break;
      case JsonlLineKind::kDelete:
        ++pending_.deleted;
        break;
      case JsonlLineKind::kHeldDelete:
        ++pending_.held;
        break;
      case JsonlLineKind::kSkipped:
      case JsonlLineKind::kTruncate:
        break;
    }
    if (!missing.empty()) {
      uint64_t suppressed = 0;
      if (missing_key_log_.Allow(&suppressed)) {
        spdlog::warn(
            "sink {}: jsonl target {}: delta seq {} of bridge {} ({}) carries no value for key "
            "column(s) {} of {}; written without them ({} similar not logged)",
            sink_name_, path_, d.delta.seq, d.delta.bridge, d.topic, fmt::join(missing, ", "),
            d.mapping->to, suppressed);
      }
    }
    if (buffer_.size() >= options_.flush_bytes) DB_RETURN_IF_ERROR(FlushBuffer());
  }
  return Status::Ok();
}

Status JsonlTarget::Commit(const Checkpoints& checkpoints) {
  if (!open_ || !in_tx_) {
    return Status::FailedPrecondition("jsonl target " + path_ +
                                      ": Commit() outside Begin()..Commit() or after an error");
  }
  DB_RETURN_IF_ERROR(FlushBuffer());
  const bool grew = file_size_ != committed_size_;
  if (grew && ::fdatasync(data_fd_.get()) != 0) return Broken("fdatasync", errno);
  if (grew || checkpoints != committed_) {
    bool renamed = false;
    Status s = WriteState(file_size_, checkpoints, &renamed);
    if (!s.ok()) {
      state_ahead_ = renamed;
      return s;
    }
  }
  committed_size_ = file_size_;
  committed_ = checkpoints;
  in_tx_ = false;
  deltas_.fetch_add(pending_.deltas, std::memory_order_relaxed);
  rows_inserted_.fetch_add(pending_.inserted, std::memory_order_relaxed);
  rows_updated_.fetch_add(pending_.updated, std::memory_order_relaxed);
  rows_deleted_.fetch_add(pending_.deleted, std::memory_order_relaxed);
  conflicts_.fetch_add(pending_.held, std::memory_order_relaxed);
  transactions_.fetch_add(1, std::memory_order_relaxed);
  pending_ = {};
  return Status::Ok();
}

void JsonlTarget::Abort() {
  buffer_.clear();
  pending_ = {};
  in_tx_ = false;
  if (!data_fd_.valid()) return;
  if (state_ahead_) {
    // The failed Commit() may have made its state durable: leave the file
    // whole; the next Open() reads which state won and cuts accordingly.
    open_ = false;
    return;
  }
  if (file_size_ != committed_size_ || !open_) {
    if (::ftruncate(data_fd_.get(), static_cast<off_t>(committed_size_)) != 0) {
      spdlog::warn(
          "sink {}: jsonl target {}: cannot truncate back to the last commit ({} bytes): {}; the "
          "next open will",
          sink_name_, path_, committed_size_, Errno(errno));
      open_ = false;
      return;
    }
    file_size_ = committed_size_;
  }
}

}  // namespace deltabridge
