// StreamSpool: where a source keeps the changes of transactions that its
// server streams before they commit (PostgreSQL's protocol v2 streaming of
// large transactions), until the commit makes them a transaction of the
// source's ChangeSink or an abort drops them.
//
// The spooled records stay invisible to subscribers and survive nothing that
// matters: after a restart the server streams every unconfirmed transaction
// again, so a source calls Clear() before it streams. One spool belongs to one
// source and its ChangeSink, and is called from that source's thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cdc/core/change.h"
#include "cdc/core/status.h"

namespace deltabridge {

class StreamSpool {
 public:
  virtual ~StreamSpool() = default;

  // Keeps `change` of (sub)transaction `subxid` of the streamed top-level
  // transaction `xid`.
  virtual Status Append(uint32_t xid, uint32_t subxid, const Change& change) = 0;
  // Drops what `xid` spooled: all of it, or only the subtransaction `subxid`
  // (a rolled-back subtransaction).
  virtual Status Discard(uint32_t xid, std::optional<uint32_t> subxid) = 0;
  // Adds the spooled changes of `xid` to the ChangeSink's open transaction
  // (between BeginTx and EndTx), stamped with what is known only at commit:
  // the commit time, the position and the transaction id. Then forgets them.
  virtual Status DrainInto(uint32_t xid, int64_t commit_time_us, const std::string& pos,
                           const std::string& tx_id) = 0;
  // Forgets every spooled record.
  virtual Status Clear() = 0;
};

}  // namespace deltabridge
