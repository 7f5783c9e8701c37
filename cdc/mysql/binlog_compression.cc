#include "cdc/mysql/binlog_compression.h"

#include <zlib.h>
#include <zstd.h>

#include <cstdint>

namespace deltabridge::mysql {

Status MariadbUncompress(std::string_view block, std::string* out) {
  if (block.empty()) return Status::Corruption("empty compressed block");
  uint8_t head = static_cast<uint8_t>(block[0]);
  if ((head & 0x80) == 0) return Status::Corruption("compressed block without its 0x80 mark");
  size_t lenlen = head & 0x07;
  unsigned alg = (head & 0x70) >> 4;
  if (alg != 0) {
    return Status::Corruption("compressed block with unknown algorithm " + std::to_string(alg));
  }
  if (lenlen < 1 || lenlen > 4 || block.size() < 1 + lenlen) {
    return Status::Corruption("compressed block with a bad length header");
  }
  size_t len = 0;
  for (size_t i = 0; i < lenlen; ++i) len = (len << 8) | static_cast<uint8_t>(block[1 + i]);
  // zlib cannot compress better than about 1032:1; a larger claim is garbage
  // (and must not make us allocate it).
  if (len > kMaxDecompressedSize || len > (block.size() - 1 - lenlen) * 1032 + 64) {
    return Status::Corruption("compressed block claims an impossible " + std::to_string(len) +
                              " bytes");
  }
  out->assign(len, '\0');
  uLongf got = static_cast<uLongf>(len);
  std::string_view z = block.substr(1 + lenlen);
  // A zero-length original still carries a zlib stream; uncompress needs a
  // non-null destination.
  char dummy = 0;
  int rc = uncompress(reinterpret_cast<Bytef*>(len ? out->data() : &dummy), &got,
                      reinterpret_cast<const Bytef*>(z.data()), static_cast<uLong>(z.size()));
  if (rc != Z_OK || got != len) {
    return Status::Corruption("zlib block does not decompress to its declared " +
                              std::to_string(len) + " bytes (zlib code " + std::to_string(rc) +
                              ")");
  }
  return Status::Ok();
}

Status ZstdUncompress(std::string_view data, size_t expected_size, std::string* out) {
  unsigned long long frame = ZSTD_getFrameContentSize(data.data(), data.size());
  if (frame == ZSTD_CONTENTSIZE_ERROR) return Status::Corruption("not a zstd frame");
  if (frame != ZSTD_CONTENTSIZE_UNKNOWN && expected_size != 0 && frame != expected_size) {
    return Status::Corruption("zstd frame size " + std::to_string(frame) +
                              " differs from the declared " + std::to_string(expected_size));
  }
  size_t limit = expected_size != 0 ? expected_size : kMaxDecompressedSize;
  // Streamed in chunks: memory grows with the bytes really produced, never
  // with a size the input merely claims.
  out->clear();
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  if (ctx == nullptr) return Status::IoError("out of memory for a zstd context");
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  Status status;
  size_t rc = 1;
  while (status.ok()) {
    ZSTD_outBuffer o{chunk.data(), chunk.size(), 0};
    rc = ZSTD_decompressStream(ctx, &o, &in);
    if (ZSTD_isError(rc)) {
      status = Status::Corruption(std::string("zstd payload: ") + ZSTD_getErrorName(rc));
      break;
    }
    out->append(chunk.data(), o.pos);
    if (out->size() > limit) {
      status = Status::Corruption("zstd payload larger than its declared " + std::to_string(limit) +
                                  " bytes");
      break;
    }
    if (in.pos == in.size && o.pos < o.size) break;  // all input consumed, output flushed
  }
  ZSTD_freeDCtx(ctx);
  if (status.ok() && rc != 0) status = Status::Corruption("zstd payload ends inside a frame");
  if (status.ok() && expected_size != 0 && out->size() != expected_size) {
    status = Status::Corruption("zstd payload of " + std::to_string(out->size()) +
                                " bytes, declared " + std::to_string(expected_size));
  }
  return status;
}

uint32_t Crc32(std::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; events are far below 4 GiB, but feed in slices anyway.
  while (!data.empty()) {
    size_t n = data.size() > (1u << 30) ? (1u << 30) : data.size();
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(n));
    data.remove_prefix(n);
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace deltabridge::mysql
