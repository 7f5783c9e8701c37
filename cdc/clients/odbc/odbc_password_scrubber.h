// OdbcPasswordScrubber: takes the passwords of an ODBC connection string out
// of text that may quote them. Drivers build diagnostics from what they were
// given (a connection string, a login), so every message that carries a
// driver's diagnostics passes through Scrub before it leaves the ODBC source
// or target.
//
// Holds copies of the password values (PWD and Password items, parsed as
// odbc_connection_string.h does); copyable. Immutable after construction:
// thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge {

class OdbcPasswordScrubber {
 public:
  OdbcPasswordScrubber() = default;
  explicit OdbcPasswordScrubber(std::string_view connection_string);

  // `text` with every occurrence of each non-empty password replaced by ***.
  std::string Scrub(std::string text) const;
  // `status` with its message scrubbed; same code. Ok stays Ok.
  Status Scrub(const Status& status) const;

 private:
  std::vector<std::string> secrets_;  // non-empty password values
};

}  // namespace deltabridge
