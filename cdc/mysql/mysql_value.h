// The binary forms MySQL and MariaDB write into row images, turned into the
// exact text of contract section 3. Each function decodes one value's bytes;
// RowImageDecoder picks the function by column type.
//
// Texts: DECIMAL every digit with `scale` fraction digits ("-12.3400");
// TIME "[-]HH:MM:SS[.f]" with hours past 24 (up to 838) and fsp fraction
// digits; DATETIME "YYYY-MM-DDTHH:MM:SS[.f]"; TIMESTAMP the same in UTC with
// a trailing "Z" (MySQL stores TIMESTAMP as UTC seconds); DATE "YYYY-MM-DD".
// Zero dates ("0000-00-00") keep MySQL's zeros.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"
#include "cdc/mysql/byte_reader.h"

namespace deltabridge::mysql {

// Bytes of a packed DECIMAL(precision, scale).
size_t PackedDecimalSize(int precision, int scale);
// Reads a packed DECIMAL(precision, scale) (MySQL's decimal2bin format).
Status ReadPackedDecimal(ByteReader* r, int precision, int scale, std::string* out);

// TIME2(fsp): 3 bytes big-endian plus (fsp+1)/2 fraction bytes.
Status ReadTime2(ByteReader* r, int fsp, std::string* out);
// DATETIME2(fsp): 5 bytes big-endian plus fraction bytes.
Status ReadDatetime2(ByteReader* r, int fsp, std::string* out);
// TIMESTAMP2(fsp): 4 bytes big-endian seconds plus fraction bytes; UTC text with "Z".
Status ReadTimestamp2(ByteReader* r, int fsp, std::string* out);
// DATE: 3 bytes little-endian (day | month << 5 | year << 9).
Status ReadDate(ByteReader* r, std::string* out);
// Pre-5.6 TIME (3 bytes, [-]HHMMSS), DATETIME (8 bytes, YYYYMMDDhhmmss), TIMESTAMP (4 bytes).
Status ReadOldTime(ByteReader* r, std::string* out);
Status ReadOldDatetime(ByteReader* r, std::string* out);
Status ReadOldTimestamp(ByteReader* r, std::string* out);

// MySQL's in-memory packed temporal longlongs (inside binary JSON opaque values):
// a TIME as "[-]HH:MM:SS.ffffff", a DATETIME/TIMESTAMP as
// "YYYY-MM-DD HH:MM:SS.ffffff", a DATE as "YYYY-MM-DD".
std::string FormatPackedTime(int64_t packed);
std::string FormatPackedDatetime(int64_t packed);
std::string FormatPackedDate(int64_t packed);

// "YYYY-MM-DDTHH:MM:SS[.f]Z" for seconds and microseconds since the epoch, with fsp digits.
std::string FormatUtcSeconds(int64_t seconds, uint32_t micros, int fsp);
// The same text appended to *out.
void AppendUtcSeconds(std::string* out, int64_t seconds, uint32_t micros, int fsp);

// The character set family of a collation id, which decides how bytes become text.
enum class CharsetFamily : uint8_t { kUtf8, kLatin1, kBinary };
CharsetFamily CharsetOf(uint32_t collation);
// MySQL's latin1 (which is Windows-1252, with 0x81 0x8D 0x8F 0x90 0x9D kept
// as the C1 controls) to UTF-8.
std::string Latin1ToUtf8(std::string_view bytes);
bool IsValidUtf8(std::string_view bytes);

// SET: the labels of the set bits joined by ','; a bit without a label is an error.
Status SetText(uint64_t bits, const std::vector<std::string>& labels, std::string* out);
// ENUM: the label of a 1-based index; 0 is MySQL's '' (invalid value).
Status EnumText(uint64_t index, const std::vector<std::string>& labels, std::string* out);

}  // namespace deltabridge::mysql
