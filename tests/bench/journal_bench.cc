// journal_bench: throughput and memory of the LMDB journal (cdc/journal).
//
//   journal_bench [--entries N] [--body BYTES] [--commit-every N] [--tx N]
//                 [--big-tx-mib N] [--dir DIR]
//
// 1. Writes N entries of BYTES-byte bodies, MarkTxEnd every --tx entries and
//    Commit every --commit-every entries; prints entries/s and commit latency.
// 2. Reads the whole journal back in batches of 1000, twice: with the default
//    release of mapped pages (madvise) and with it disabled; prints the peak
//    resident set (anonymous and file-backed) of each pass.
// 3. Appends one transaction of --big-tx-mib MiB (written early in 4 MiB
//    steps) and commits it; prints the peak anonymous memory.
// Not a test: no assertions on timings. Uses a temporary directory unless
// --dir is given; removes what it created.

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cdc/journal/journal.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Rss {
  long rss_kib = 0;
  long anon_kib = 0;
  long file_kib = 0;
};

Rss ReadRss() {
  Rss r;
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    auto value = [&](const char* name, long* out) {
      if (line.rfind(name, 0) == 0) *out = std::atol(line.c_str() + std::strlen(name));
    };
    value("VmRSS:", &r.rss_kib);
    value("RssAnon:", &r.anon_kib);
    value("RssFile:", &r.file_kib);
  }
  return r;
}

void Max(Rss* peak, const Rss& now) {
  peak->rss_kib = std::max(peak->rss_kib, now.rss_kib);
  peak->anon_kib = std::max(peak->anon_kib, now.anon_kib);
  peak->file_kib = std::max(peak->file_kib, now.file_kib);
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void Die(const deltabridge::Status& s) {
  std::fprintf(stderr, "journal_bench: %s\n", s.ToString().c_str());
  std::exit(1);
}

std::unique_ptr<deltabridge::Journal> OpenOrDie(const std::string& dir,
                                                const deltabridge::JournalOptions& options) {
  auto j = deltabridge::Journal::Open(dir, options);
  if (!j.ok()) Die(j.status());
  return std::move(j).value();
}

void ReadPass(const std::string& dir, size_t release_bytes, const char* label) {
  deltabridge::JournalOptions options;
  options.release_mapped_bytes = release_bytes;
  auto j = OpenOrDie(dir, options);
  Rss peak = ReadRss();
  const Rss start = peak;
  std::vector<deltabridge::JournalEntry> out;
  uint64_t from = j->first_seq();
  uint64_t entries = 0, bytes = 0;
  const auto t0 = Clock::now();
  for (;;) {
    deltabridge::Status s = j->Read(from, 1000, size_t{4} << 20, &out);
    if (!s.ok()) Die(s);
    if (out.empty()) break;
    for (const auto& e : out) bytes += e.body.size() + e.topic.size();
    entries += out.size();
    from = out.back().seq + 1;
    Max(&peak, ReadRss());
  }
  const double secs = Seconds(Clock::now() - t0);
  std::printf(
      "read %-22s %9llu entries in %.2f s = %9.0f entries/s (%.0f MB/s); RSS at start %ld KiB, "
      "peak %ld KiB (anon %ld, file-backed %ld)\n",
      label, static_cast<unsigned long long>(entries), secs, entries / secs, bytes / secs / 1e6,
      start.rss_kib, peak.rss_kib, peak.anon_kib, peak.file_kib);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t entries = 1000000;
  size_t body_size = 300;
  uint64_t commit_every = 1000;
  uint64_t tx_size = 10;
  uint64_t big_tx_mib = 256;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    const char* v = argv[i + 1];
    if (flag == "--entries")
      entries = std::strtoull(v, nullptr, 10);
    else if (flag == "--body")
      body_size = std::strtoull(v, nullptr, 10);
    else if (flag == "--commit-every")
      commit_every = std::strtoull(v, nullptr, 10);
    else if (flag == "--tx")
      tx_size = std::strtoull(v, nullptr, 10);
    else if (flag == "--big-tx-mib")
      big_tx_mib = std::strtoull(v, nullptr, 10);
    else if (flag == "--dir")
      dir = v;
    else {
      std::fprintf(stderr, "journal_bench: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  std::string tmp;
  if (dir.empty()) {
    tmp = (std::filesystem::temp_directory_path() / "journal_bench.XXXXXX").string();
    if (::mkdtemp(tmp.data()) == nullptr) return 1;
    dir = tmp + "/journal";
  }

  // 1. Append + Commit.
  {
    auto j = OpenOrDie(dir, {});
    std::string body(body_size, 'x');
    body.replace(0, 11, "{\"seq\":    ");
    const std::string topic = "parks.scheduling.public.tour_slots";
    std::vector<double> commit_ms;
    const auto t0 = Clock::now();
    for (uint64_t i = 1; i <= entries; ++i) {
      deltabridge::Status s = j->Append(j->next_seq(), topic, body);
      if (!s.ok()) Die(s);
      if (i % tx_size == 0) {
        j->SetPosition("scheduling", std::to_string(i));
        j->MarkTxEnd();
      }
      if (i % commit_every == 0 || i == entries) {
        j->MarkTxEnd();
        const auto c0 = Clock::now();
        s = j->Commit();
        if (!s.ok()) Die(s);
        commit_ms.push_back(Seconds(Clock::now() - c0) * 1e3);
      }
    }
    const double secs = Seconds(Clock::now() - t0);
    std::sort(commit_ms.begin(), commit_ms.end());
    double sum = 0;
    for (double ms : commit_ms) sum += ms;
    std::printf(
        "append+commit: %llu entries of %zu-byte bodies, commit every %llu: %.2f s = %.0f "
        "entries/s (%.0f MB/s of bodies); commit latency avg %.2f ms, p50 %.2f, p99 %.2f, max "
        "%.2f\n",
        static_cast<unsigned long long>(entries), body_size,
        static_cast<unsigned long long>(commit_every), secs, entries / secs,
        entries * body_size / secs / 1e6, sum / commit_ms.size(), commit_ms[commit_ms.size() / 2],
        commit_ms[commit_ms.size() * 99 / 100], commit_ms.back());
    std::error_code ec;
    std::printf("journal size_bytes %llu, data.mdb %llu bytes\n",
                static_cast<unsigned long long>(j->size_bytes()),
                static_cast<unsigned long long>(std::filesystem::file_size(dir + "/data.mdb", ec)));
  }

  // 2. Read it all back, with and without releasing mapped pages.
  ReadPass(dir, deltabridge::JournalOptions().release_mapped_bytes, "(madvise every 16 MiB)");
  ReadPass(dir, 0, "(no madvise)");

  // 3. One big transaction: bounded memory thanks to early writes.
  {
    auto j = OpenOrDie(dir, {});
    const std::string body(1000, 'y');
    const uint64_t n = (big_tx_mib << 20) / body.size();
    Rss peak = ReadRss();
    const Rss start = peak;
    const auto t0 = Clock::now();
    for (uint64_t i = 0; i < n; ++i) {
      deltabridge::Status s = j->Append(j->next_seq(), "parks.big.t", body);
      if (!s.ok()) Die(s);
      if (i % 1000 == 0) Max(&peak, ReadRss());
    }
    j->MarkTxEnd();
    deltabridge::SeqRange range;
    deltabridge::Status s = j->Commit(&range);
    if (!s.ok()) Die(s);
    Max(&peak, ReadRss());
    std::printf(
        "big transaction: %llu MiB in %llu entries, %.2f s; RSS at start %ld KiB, peak %ld KiB "
        "(anon %ld, file-backed %ld)\n",
        static_cast<unsigned long long>(big_tx_mib), static_cast<unsigned long long>(n),
        Seconds(Clock::now() - t0), start.rss_kib, peak.rss_kib, peak.anon_kib, peak.file_kib);
  }

  if (!tmp.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(tmp, ec);
  }
  return 0;
}
