// Base64 (RFC 4648, standard alphabet, padded): binary values on the wire.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace deltabridge {

std::string Base64Encode(std::string_view bytes);
// nullopt on characters outside the alphabet or bad padding.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace deltabridge
