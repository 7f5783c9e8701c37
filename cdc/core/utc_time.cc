#include "cdc/core/utc_time.h"

#include <fmt/format.h>

#include <climits>
#include <ctime>

#include "cdc/core/civil_date.h"

namespace deltabridge {

bool ParseUtcMicros(std::string_view s, int64_t* out) {
  // YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z, read by hand: this runs once per delta a
  // subscriber receives (sscanf and timegm were a tenth of its decode time).
  auto digits = [&](size_t at, size_t n, int* value) {
    if (at + n > s.size()) return false;
    int v = 0;
    for (size_t k = at; k < at + n; ++k) {
      if (s[k] < '0' || s[k] > '9') return false;
      v = v * 10 + (s[k] - '0');
    }
    *value = v;
    return true;
  };
  int year, month, day, hour, minute, second;
  if (s.size() < 20 || s.back() != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
      s[13] != ':' || s[16] != ':' || !digits(0, 4, &year) || !digits(5, 2, &month) ||
      !digits(8, 2, &day) || !digits(11, 2, &hour) || !digits(14, 2, &minute) ||
      !digits(17, 2, &second) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return false;
  }
  int64_t us = 0;
  if (s.size() > 20) {
    if (s[19] != '.' || s.size() < 22 || s.size() > 30) return false;
    int scale = 100000;
    for (size_t k = 20; k + 1 < s.size(); ++k) {
      if (s[k] < '0' || s[k] > '9') return false;
      us += (s[k] - '0') * scale;  // digits past the sixth have scale 0
      scale /= 10;
    }
  }
  const int64_t days = DaysFromCivil(year, month, day);
  *out =
      ((days * 24 + hour) * 60 + minute) * 60 * int64_t{1000000} + second * int64_t{1000000} + us;
  return true;
}

namespace {

// FormatUtcMicros's text for `us`. The deltas of one transaction share their
// commit time: the last one formatted is remembered (per thread), sparing
// gmtime_r and its lock per delta. The reference lives until the thread's
// next call.
const std::string& CachedUtcMicros(int64_t us) {
  thread_local int64_t last_us = INT64_MIN;
  thread_local std::string last_text;
  if (us == last_us) return last_text;
  int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
  int64_t frac = us - secs * 1000000;
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  last_text = fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:06d}Z", tm.tm_year + 1900,
                          tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  last_us = us;
  return last_text;
}

}  // namespace

std::string FormatUtcMicros(int64_t us) { return CachedUtcMicros(us); }

void AppendUtcMicros(std::string* out, int64_t us) { out->append(CachedUtcMicros(us)); }

}  // namespace deltabridge
