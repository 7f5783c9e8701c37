#include "cdc/core/value.h"

#include <cmath>
#include <cstring>

namespace deltabridge {

bool Value::SameValue(const Value& other) const {
  if (kind != other.kind) return false;
  switch (kind) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return b == other.b;
    case Kind::kInt:
      return i == other.i;
    case Kind::kUInt:
      return u == other.u;
    case Kind::kFloat:
      // Bitwise: NaN equals NaN, and -0 differs from 0, as a DBA comparing rows expects.
      return std::memcmp(&d, &other.d, sizeof d) == 0;
    default:
      return text == other.text;
  }
}

}  // namespace deltabridge
