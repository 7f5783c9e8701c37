// Logging set-up: one line per event on stderr (journald picks it up), with
// a timestamp and level; never one line per row.
#pragma once

namespace deltabridge {

// `verbose` lowers the level to debug.
void SetUpLogging(bool verbose);

}  // namespace deltabridge
