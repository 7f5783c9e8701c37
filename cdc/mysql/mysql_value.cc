#include "cdc/mysql/mysql_value.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "cdc/core/civil_date.h"

namespace deltabridge::mysql {

namespace {

constexpr int kDigitsPerGroup = 9;
constexpr int kDig2Bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
constexpr uint32_t kPow10[10] = {1,      10,      100,      1000,      10000,
                                 100000, 1000000, 10000000, 100000000, 1000000000};

// Reads `n` big-endian bytes of a decimal group, undoing the sign mask.
uint32_t GroupValue(std::string_view b, size_t* pos, int n, uint8_t mask) {
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | (static_cast<uint8_t>(b[(*pos)++]) ^ mask);
  return v;
}

std::string Pad(uint64_t v, int width) {
  std::string s = std::to_string(v);
  if (static_cast<int>(s.size()) < width) s.insert(0, width - s.size(), '0');
  return s;
}

// 10000-01-01T00:00:00Z in seconds since the epoch.
constexpr int64_t kYear10000 = 253402300800;

// Writes v (below 10^width) as exactly `width` digits at p; returns the end.
char* PutFixed(char* p, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

// Appends v as printf's "%0<width>lld" writes it. Written by hand: snprintf
// was a tenth of the bridge's CPU when it formatted every TIMESTAMP of a row.
void AppendPadded(std::string* out, int64_t v, int width) {
  if (v >= 0 && static_cast<uint64_t>(v) < kPow10[width]) {
    char buf[10];
    out->append(buf, PutFixed(buf, static_cast<uint64_t>(v), width));
    return;
  }
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%0*lld", width, static_cast<long long>(v));
  out->append(buf, static_cast<size_t>(n));
}

// Fraction digits: `micros` zero-padded to 6 digits and cut to `fsp` of them,
// with the dot; nothing for fsp 0.
void AppendFraction(std::string* out, uint32_t micros, int fsp) {
  if (fsp <= 0) return;
  if (fsp > 6) fsp = 6;
  char buf[16];
  if (micros < 1000000) {
    PutFixed(buf, micros, 6);
  } else {
    std::to_chars(buf, buf + sizeof buf, micros);  // more than 6 digits: the leading ones
  }
  out->push_back('.');
  out->append(buf, static_cast<size_t>(fsp));
}

// The fraction bytes of TIME2/DATETIME2/TIMESTAMP2 as microseconds (unsigned form).
Status ReadFraction(ByteReader* r, int fsp, uint32_t* micros) {
  uint64_t v = 0;
  *micros = 0;
  switch (fsp) {
    case 0:
      return Status::Ok();
    case 1:
    case 2:
      DB_RETURN_IF_ERROR(r->UintBe(1, &v, "fraction"));
      *micros = static_cast<uint32_t>(v) * 10000;
      break;
    case 3:
    case 4:
      DB_RETURN_IF_ERROR(r->UintBe(2, &v, "fraction"));
      *micros = static_cast<uint32_t>(v) * 100;
      break;
    case 5:
    case 6:
      DB_RETURN_IF_ERROR(r->UintBe(3, &v, "fraction"));
      *micros = static_cast<uint32_t>(v);
      break;
    default:
      return Status::Corruption("fractional seconds precision " + std::to_string(fsp) + " above 6");
  }
  if (*micros > 999999) return Status::Corruption("fraction above 999999 microseconds");
  return Status::Ok();
}

// "YYYY-MM-DD", as "%04lld-%02lld-%02lld".
void AppendDate(std::string* out, int64_t year, int64_t month, int64_t day) {
  AppendPadded(out, year, 4);
  out->push_back('-');
  AppendPadded(out, month, 2);
  out->push_back('-');
  AppendPadded(out, day, 2);
}

// "[-]HH:MM:SS", as "%s%02lld:%02lld:%02lld".
void AppendClock(std::string* out, bool negative, int64_t hour, int64_t minute, int64_t second) {
  if (negative) out->push_back('-');
  AppendPadded(out, hour, 2);
  out->push_back(':');
  AppendPadded(out, minute, 2);
  out->push_back(':');
  AppendPadded(out, second, 2);
}

// A packed TIME ((intpart << 24) + microseconds, signed) as "[-]HH:MM:SS"
// with `fsp` of its 6 fraction digits.
void AppendPackedTime(std::string* out, int64_t packed, int fsp) {
  bool negative = packed < 0;
  uint64_t p = negative ? static_cast<uint64_t>(-(packed + 1)) + 1 : static_cast<uint64_t>(packed);
  uint64_t hms = p >> 24;
  uint32_t micros = static_cast<uint32_t>(p % (1 << 24));
  int64_t hour = static_cast<int64_t>((hms >> 12) % (1 << 10));
  int64_t minute = static_cast<int64_t>((hms >> 6) % (1 << 6));
  int64_t second = static_cast<int64_t>(hms % (1 << 6));
  AppendClock(out, negative, hour, minute, second);
  AppendFraction(out, micros % 1000000, fsp);
}

// The date and clock of a DATETIME's packed integer part (ymd << 17 | hms).
void SplitDatetime(uint64_t ymdhms, int64_t* y, int64_t* mo, int64_t* d, int64_t* h, int64_t* mi,
                   int64_t* s) {
  uint64_t ymd = ymdhms >> 17;
  uint64_t ym = ymd >> 5;
  uint64_t hms = ymdhms % (1 << 17);
  *d = static_cast<int64_t>(ymd % (1 << 5));
  *mo = static_cast<int64_t>(ym % 13);
  *y = static_cast<int64_t>(ym / 13);
  *s = static_cast<int64_t>(hms % (1 << 6));
  *mi = static_cast<int64_t>((hms >> 6) % (1 << 6));
  *h = static_cast<int64_t>(hms >> 12);
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

size_t PackedDecimalSize(int precision, int scale) {
  int intg = precision - scale;
  return (intg / kDigitsPerGroup) * 4 + kDig2Bytes[intg % kDigitsPerGroup] +
         (scale / kDigitsPerGroup) * 4 + kDig2Bytes[scale % kDigitsPerGroup];
}

Status ReadPackedDecimal(ByteReader* r, int precision, int scale, std::string* out) {
  if (precision < 1 || precision > 65 || scale < 0 || scale > 38 || scale > precision) {
    return Status::Corruption("bad DECIMAL(" + std::to_string(precision) + "," +
                              std::to_string(scale) + ")");
  }
  size_t size = PackedDecimalSize(precision, scale);
  std::string_view raw;
  DB_RETURN_IF_ERROR(r->Bytes(size, &raw, "decimal"));
  std::string b(raw);
  // The sign is the top bit of the first byte, inverted; negatives have every
  // byte inverted.
  bool negative = (static_cast<uint8_t>(b[0]) & 0x80) == 0;
  b[0] = static_cast<char>(static_cast<uint8_t>(b[0]) ^ 0x80);
  uint8_t mask = negative ? 0xFF : 0x00;

  int intg = precision - scale;
  int intg0 = intg / kDigitsPerGroup, intg0x = intg % kDigitsPerGroup;
  int frac0 = scale / kDigitsPerGroup, frac0x = scale % kDigitsPerGroup;
  size_t pos = 0;
  std::string int_digits;
  auto check = [](uint32_t v, int digits) { return v < kPow10[digits]; };
  if (intg0x > 0) {
    uint32_t v = GroupValue(b, &pos, kDig2Bytes[intg0x], mask);
    if (!check(v, intg0x)) return Status::Corruption("bad digits in a packed decimal");
    int_digits += Pad(v, intg0x);
  }
  for (int i = 0; i < intg0; ++i) {
    uint32_t v = GroupValue(b, &pos, 4, mask);
    if (!check(v, 9)) return Status::Corruption("bad digits in a packed decimal");
    int_digits += Pad(v, 9);
  }
  std::string frac_digits;
  for (int i = 0; i < frac0; ++i) {
    uint32_t v = GroupValue(b, &pos, 4, mask);
    if (!check(v, 9)) return Status::Corruption("bad digits in a packed decimal");
    frac_digits += Pad(v, 9);
  }
  if (frac0x > 0) {
    uint32_t v = GroupValue(b, &pos, kDig2Bytes[frac0x], mask);
    if (!check(v, frac0x)) return Status::Corruption("bad digits in a packed decimal");
    frac_digits += Pad(v, frac0x);
  }
  size_t first = int_digits.find_first_not_of('0');
  int_digits = first == std::string::npos ? "0" : int_digits.substr(first);
  out->clear();
  if (negative) *out += '-';
  *out += int_digits;
  if (scale > 0) *out += "." + frac_digits;
  return Status::Ok();
}

Status ReadTime2(ByteReader* r, int fsp, std::string* out) {
  uint64_t v = 0;
  int64_t packed = 0;  // MySQL's packed time: (intpart << 24) + microseconds, signed
  constexpr int64_t kIntOffset = 0x800000;
  switch (fsp) {
    case 0: {
      DB_RETURN_IF_ERROR(r->UintBe(3, &v, "time"));
      packed = (static_cast<int64_t>(v) - kIntOffset) * (int64_t{1} << 24);
      break;
    }
    case 1:
    case 2:
    case 3:
    case 4: {
      DB_RETURN_IF_ERROR(r->UintBe(3, &v, "time"));
      int64_t intpart = static_cast<int64_t>(v) - kIntOffset;
      uint64_t f = 0;
      int bytes = fsp <= 2 ? 1 : 2;
      DB_RETURN_IF_ERROR(r->UintBe(bytes, &f, "time fraction"));
      int64_t frac = static_cast<int64_t>(f);
      if (intpart < 0 && frac != 0) {
        // Negative times keep the fraction as its complement.
        intpart++;
        frac -= bytes == 1 ? 0x100 : 0x10000;
      }
      packed = intpart * (int64_t{1} << 24) + frac * (bytes == 1 ? 10000 : 100);
      break;
    }
    case 5:
    case 6:
      DB_RETURN_IF_ERROR(r->UintBe(6, &v, "time"));
      packed = static_cast<int64_t>(v) - 0x800000000000LL;
      break;
    default:
      return Status::Corruption("TIME precision " + std::to_string(fsp) + " above 6");
  }
  out->clear();
  AppendPackedTime(out, packed, fsp);
  return Status::Ok();
}

std::string FormatPackedTime(int64_t packed) {
  std::string out;
  AppendPackedTime(&out, packed, 6);
  return out;
}

std::string FormatPackedDatetime(int64_t packed) {
  uint64_t p =
      packed < 0 ? static_cast<uint64_t>(-(packed + 1)) + 1 : static_cast<uint64_t>(packed);
  int64_t y, mo, d, h, mi, s;
  SplitDatetime(p >> 24, &y, &mo, &d, &h, &mi, &s);
  std::string out;
  AppendDate(&out, y, mo, d);
  out.push_back(' ');
  AppendClock(&out, false, h, mi, s);
  AppendFraction(&out, static_cast<uint32_t>(p % (1 << 24)) % 1000000, 6);
  return out;
}

std::string FormatPackedDate(int64_t packed) {
  uint64_t p =
      packed < 0 ? static_cast<uint64_t>(-(packed + 1)) + 1 : static_cast<uint64_t>(packed);
  int64_t y, mo, d, h, mi, s;
  SplitDatetime(p >> 24, &y, &mo, &d, &h, &mi, &s);
  std::string out;
  AppendDate(&out, y, mo, d);
  return out;
}

Status ReadDatetime2(ByteReader* r, int fsp, std::string* out) {
  uint64_t v = 0;
  DB_RETURN_IF_ERROR(r->UintBe(5, &v, "datetime"));
  constexpr uint64_t kIntOffset = 0x8000000000ULL;
  if (v < kIntOffset) return Status::Corruption("negative DATETIME");
  uint32_t micros = 0;
  DB_RETURN_IF_ERROR(ReadFraction(r, fsp, &micros));
  int64_t y, mo, d, h, mi, s;
  SplitDatetime(v - kIntOffset, &y, &mo, &d, &h, &mi, &s);
  out->clear();
  AppendDate(out, y, mo, d);
  out->push_back('T');
  AppendClock(out, false, h, mi, s);
  AppendFraction(out, micros, fsp);
  return Status::Ok();
}

void AppendUtcSeconds(std::string* out, int64_t seconds, uint32_t micros, int fsp) {
  if (seconds > 0 && seconds < kYear10000 && micros < 1000000) {
    // Every field within its width (the TIMESTAMP range and more): written
    // into a buffer and appended once.
    const int64_t days = seconds / 86400, rem = seconds % 86400;
    int64_t y;
    int m, d;
    CivilFromDays(days, &y, &m, &d);
    char buf[32];  // YYYY-MM-DDTHH:MM:SS.ffffffZ
    char* p = PutFixed(buf, static_cast<uint64_t>(y), 4);
    *p++ = '-';
    p = PutFixed(p, static_cast<uint64_t>(m), 2);
    *p++ = '-';
    p = PutFixed(p, static_cast<uint64_t>(d), 2);
    *p++ = 'T';
    p = PutFixed(p, static_cast<uint64_t>(rem / 3600), 2);
    *p++ = ':';
    p = PutFixed(p, static_cast<uint64_t>(rem / 60 % 60), 2);
    *p++ = ':';
    p = PutFixed(p, static_cast<uint64_t>(rem % 60), 2);
    if (fsp > 0) {
      const int digits = fsp > 6 ? 6 : fsp;
      char frac[6];
      PutFixed(frac, micros, 6);
      *p++ = '.';
      p = std::copy(frac, frac + digits, p);
    }
    *p++ = 'Z';
    out->append(buf, p);
    return;
  }
  if (seconds == 0 && micros == 0) {
    // MySQL's zero TIMESTAMP ('0000-00-00 00:00:00') is stored as 0.
    out->append("0000-00-00T00:00:00");
  } else {
    int64_t days = seconds / 86400, rem = seconds % 86400;
    if (rem < 0) {
      rem += 86400;
      --days;
    }
    int64_t y;
    int m, d;
    CivilFromDays(days, &y, &m, &d);
    AppendDate(out, y, m, d);
    out->push_back('T');
    AppendClock(out, false, rem / 3600, rem / 60 % 60, rem % 60);
  }
  AppendFraction(out, micros, fsp);
  out->push_back('Z');
}

std::string FormatUtcSeconds(int64_t seconds, uint32_t micros, int fsp) {
  std::string out;
  AppendUtcSeconds(&out, seconds, micros, fsp);
  return out;
}

Status ReadTimestamp2(ByteReader* r, int fsp, std::string* out) {
  uint64_t v = 0;
  DB_RETURN_IF_ERROR(r->UintBe(4, &v, "timestamp"));
  uint32_t micros = 0;
  DB_RETURN_IF_ERROR(ReadFraction(r, fsp, &micros));
  out->clear();
  AppendUtcSeconds(out, static_cast<int64_t>(v), micros, fsp);
  return Status::Ok();
}

Status ReadDate(ByteReader* r, std::string* out) {
  uint64_t v = 0;
  DB_RETURN_IF_ERROR(r->UintLe(3, &v, "date"));
  out->clear();
  AppendDate(out, static_cast<int64_t>(v >> 9), static_cast<int64_t>((v >> 5) & 15),
             static_cast<int64_t>(v & 31));
  return Status::Ok();
}

Status ReadOldTime(ByteReader* r, std::string* out) {
  uint64_t v = 0;
  DB_RETURN_IF_ERROR(r->UintLe(3, &v, "time"));
  int64_t t = static_cast<int64_t>(v);
  if (t & 0x800000) t -= 0x1000000;  // sign-extend 24 bits
  bool negative = t < 0;
  if (negative) t = -t;
  out->clear();
  AppendClock(out, negative, t / 10000, t / 100 % 100, t % 100);
  return Status::Ok();
}

Status ReadOldDatetime(ByteReader* r, std::string* out) {
  uint64_t v = 0;
  DB_RETURN_IF_ERROR(r->UintLe(8, &v, "datetime"));
  uint64_t date = v / 1000000, time = v % 1000000;
  out->clear();
  AppendDate(out, static_cast<int64_t>(date / 10000), static_cast<int64_t>(date / 100 % 100),
             static_cast<int64_t>(date % 100));
  out->push_back('T');
  AppendClock(out, false, static_cast<int64_t>(time / 10000),
              static_cast<int64_t>(time / 100 % 100), static_cast<int64_t>(time % 100));
  return Status::Ok();
}

Status ReadOldTimestamp(ByteReader* r, std::string* out) {
  uint64_t v = 0;
  DB_RETURN_IF_ERROR(r->UintLe(4, &v, "timestamp"));
  out->clear();
  AppendUtcSeconds(out, static_cast<int64_t>(v), 0, 0);
  return Status::Ok();
}

CharsetFamily CharsetOf(uint32_t collation) {
  switch (collation) {
    case 63:
      return CharsetFamily::kBinary;
    case 5:     // latin1_german1_ci
    case 8:     // latin1_swedish_ci
    case 15:    // latin1_danish_ci
    case 31:    // latin1_german2_ci
    case 47:    // latin1_bin
    case 48:    // latin1_general_ci
    case 49:    // latin1_general_cs
    case 94:    // latin1_spanish_ci
    case 1032:  // latin1_swedish_nopad_ci (MariaDB)
    case 1071:  // latin1_nopad_bin (MariaDB)
      return CharsetFamily::kLatin1;
    default:
      return CharsetFamily::kUtf8;
  }
}

std::string Latin1ToUtf8(std::string_view bytes) {
  // Windows-1252 for 0x80..0x9F; MySQL keeps 0x81 0x8D 0x8F 0x90 0x9D as C1.
  static constexpr uint16_t kHigh[32] = {
      0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
      0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};
  // ASCII is the same in both: copy runs of it whole (usually the whole text).
  auto ascii_end = [&bytes](size_t i) {
    while (i < bytes.size() && static_cast<uint8_t>(bytes[i]) < 0x80) ++i;
    return i;
  };
  size_t i = ascii_end(0);
  if (i == bytes.size()) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  out.append(bytes.data(), i);
  while (i < bytes.size()) {
    uint8_t c = static_cast<uint8_t>(bytes[i]);
    if (c < 0x80) {
      size_t j = ascii_end(i);
      out.append(bytes.data() + i, j - i);
      i = j;
      continue;
    }
    AppendUtf8(&out, c <= 0x9F ? kHigh[c - 0x80] : c);
    ++i;
  }
  return out;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = static_cast<uint8_t>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      uint8_t cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

Status SetText(uint64_t bits, const std::vector<std::string>& labels, std::string* out) {
  out->clear();
  for (size_t i = 0; i < 64; ++i) {
    if ((bits >> i & 1) == 0) continue;
    if (i >= labels.size()) {
      return Status::Corruption("SET value has bit " + std::to_string(i) + " but only " +
                                std::to_string(labels.size()) + " labels");
    }
    if (!out->empty()) *out += ',';
    *out += labels[i];
  }
  return Status::Ok();
}

Status EnumText(uint64_t index, const std::vector<std::string>& labels, std::string* out) {
  if (index == 0) {
    out->clear();
    return Status::Ok();
  }
  if (index > labels.size()) {
    return Status::Corruption("ENUM index " + std::to_string(index) + " but only " +
                              std::to_string(labels.size()) + " labels");
  }
  *out = labels[index - 1];
  return Status::Ok();
}

}  // namespace deltabridge::mysql
