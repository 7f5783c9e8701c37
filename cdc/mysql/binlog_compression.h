// The two compressions found in binlogs:
//  - MariaDB's compressed events (log_bin_compress=ON): QUERY_COMPRESSED's
//    query text and *_ROWS_COMPRESSED's row images are each one block of
//    [header byte: 0x80 | algorithm << 4 | n][n bytes big-endian original
//    length][zlib stream]; algorithm 0 is zlib, the only one defined;
//  - MySQL 8.0.20+ TRANSACTION_PAYLOAD_EVENT: zstd frames holding the
//    transaction's events (binlog_transaction_compression=ON).
// Pure functions; thread-safe. Output sizes are bounded by the lengths the
// input declares (and by kMaxDecompressedSize), so garbage cannot make them
// allocate without limit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "cdc/core/status.h"

namespace deltabridge::mysql {

// Upper bound on a decompressed block: MySQL and MariaDB cap events at 1 GiB.
constexpr size_t kMaxDecompressedSize = size_t{1} << 30;

// Decompresses a MariaDB compressed block (see above) into *out.
Status MariadbUncompress(std::string_view block, std::string* out);

// Decompresses zstd data whose decompressed size is `expected_size` (from the
// payload event's header; 0 when unknown) into *out.
Status ZstdUncompress(std::string_view data, size_t expected_size, std::string* out);

// CRC32 (ISO-HDLC, as zlib computes it), the binlog event checksum.
uint32_t Crc32(std::string_view data);

}  // namespace deltabridge::mysql
