// ByteReader: bounds-checked reads over bytes borrowed from a binlog event.
//
// Every read checks the remaining size first and fails as Corruption naming
// what it was reading and at which offset; nothing here asserts or reads past
// the end, so truncated or garbage input can only produce a Status. Integers
// are little-endian unless the name says Be (big-endian), as in the binlog.
//
// Borrows `data`: it must outlive the reader. Not thread-safe; cheap to copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cdc/core/status.h"

namespace deltabridge::mysql {

class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(std::string_view data) : data_(data) {}

  size_t pos() const { return pos_; }
  size_t size() const { return data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ >= data_.size(); }
  // The unread bytes (not consumed).
  std::string_view rest() const { return data_.substr(pos_); }

  // Fails unless `n` more bytes are there.
  Status Need(size_t n, const char* what) const {
    if (n > remaining()) {
      return Status::Corruption(std::string("truncated ") + what + ": need " + std::to_string(n) +
                                " bytes at offset " + std::to_string(pos_) + ", have " +
                                std::to_string(remaining()));
    }
    return Status::Ok();
  }

  Status Skip(size_t n, const char* what) {
    DB_RETURN_IF_ERROR(Need(n, what));
    pos_ += n;
    return Status::Ok();
  }

  Status Bytes(size_t n, std::string_view* out, const char* what) {
    DB_RETURN_IF_ERROR(Need(n, what));
    *out = data_.substr(pos_, n);
    pos_ += n;
    return Status::Ok();
  }

  // Unsigned little-endian integer of `n` (1..8) bytes.
  Status UintLe(size_t n, uint64_t* out, const char* what) {
    DB_RETURN_IF_ERROR(Need(n, what));
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      v |= uint64_t{static_cast<uint8_t>(data_[pos_ + i])} << (8 * i);
    }
    pos_ += n;
    *out = v;
    return Status::Ok();
  }

  // Unsigned big-endian integer of `n` (1..8) bytes.
  Status UintBe(size_t n, uint64_t* out, const char* what) {
    DB_RETURN_IF_ERROR(Need(n, what));
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += n;
    *out = v;
    return Status::Ok();
  }

  Status U8(uint8_t* out, const char* what) {
    uint64_t v = 0;
    DB_RETURN_IF_ERROR(UintLe(1, &v, what));
    *out = static_cast<uint8_t>(v);
    return Status::Ok();
  }
  Status U16(uint16_t* out, const char* what) {
    uint64_t v = 0;
    DB_RETURN_IF_ERROR(UintLe(2, &v, what));
    *out = static_cast<uint16_t>(v);
    return Status::Ok();
  }
  Status U32(uint32_t* out, const char* what) {
    uint64_t v = 0;
    DB_RETURN_IF_ERROR(UintLe(4, &v, what));
    *out = static_cast<uint32_t>(v);
    return Status::Ok();
  }
  Status U64(uint64_t* out, const char* what) { return UintLe(8, out, what); }

  // MySQL's length-encoded integer (net_field_length): < 0xfb is the value,
  // 0xfc/0xfd/0xfe prefix 2/3/8 bytes. 0xfb (NULL) and 0xff are corruption.
  Status LenEnc(uint64_t* out, const char* what) {
    uint8_t first = 0;
    DB_RETURN_IF_ERROR(U8(&first, what));
    if (first < 0xfb) {
      *out = first;
      return Status::Ok();
    }
    switch (first) {
      case 0xfc:
        return UintLe(2, out, what);
      case 0xfd:
        return UintLe(3, out, what);
      case 0xfe:
        return UintLe(8, out, what);
      default:
        return Status::Corruption(std::string("bad length-encoded integer in ") + what +
                                  " at offset " + std::to_string(pos_ - 1));
    }
  }

  // A length-encoded integer that must fit what remains (a length of bytes to follow).
  Status LenEncSize(size_t* out, const char* what) {
    uint64_t v = 0;
    DB_RETURN_IF_ERROR(LenEnc(&v, what));
    if (v > remaining()) {
      return Status::Corruption(std::string("length ") + std::to_string(v) + " of " + what +
                                " exceeds the " + std::to_string(remaining()) +
                                " bytes left at offset " + std::to_string(pos_));
    }
    *out = static_cast<size_t>(v);
    return Status::Ok();
  }

  // A length-encoded string.
  Status LenEncString(std::string_view* out, const char* what) {
    size_t n = 0;
    DB_RETURN_IF_ERROR(LenEncSize(&n, what));
    return Bytes(n, out, what);
  }

  // An unsigned integer of the MySQL serialization library (MySQL 8.3+:
  // tagged GTID events and GTID sets): the count of trailing 1 bits of the
  // first byte, plus one, is the length in bytes (1..8), and the value is the
  // little-endian integer of those bytes shifted right by that length; a first
  // byte 0xff is followed by the value in 8 bytes.
  Status VarlenUint(uint64_t* out, const char* what) {
    DB_RETURN_IF_ERROR(Need(1, what));
    const uint8_t first = static_cast<uint8_t>(data_[pos_]);
    if (first == 0xff) {
      DB_RETURN_IF_ERROR(Skip(1, what));
      return UintLe(8, out, what);
    }
    size_t n = 1;
    while ((first >> (n - 1)) & 1) ++n;
    uint64_t v = 0;
    DB_RETURN_IF_ERROR(UintLe(n, &v, what));
    *out = v >> n;
    return Status::Ok();
  }
  // A signed one: zigzag over VarlenUint (the low bit is the sign).
  Status VarlenInt(int64_t* out, const char* what) {
    uint64_t u = 0;
    DB_RETURN_IF_ERROR(VarlenUint(&u, what));
    *out = (u & 1) != 0 ? -static_cast<int64_t>(u >> 1) - 1 : static_cast<int64_t>(u >> 1);
    return Status::Ok();
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// Appends `v` as ByteReader::VarlenUint reads it, in the fewest bytes.
inline void AppendVarlenUint(std::string* out, uint64_t v) {
  for (size_t n = 1; n <= 8; ++n) {
    // n bytes hold 8n - n = 7n value bits.
    if (n == 8 ? v < (uint64_t{1} << 56) : v < (uint64_t{1} << (7 * n))) {
      const uint64_t word = (v << n) | ((uint64_t{1} << (n - 1)) - 1);
      for (size_t i = 0; i < n; ++i) out->push_back(static_cast<char>((word >> (8 * i)) & 0xff));
      return;
    }
  }
  out->push_back(static_cast<char>(0xff));
  for (size_t i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace deltabridge::mysql
