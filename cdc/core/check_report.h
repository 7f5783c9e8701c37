// CheckReport: the lines `deltabridge check` prints, one per prerequisite:
// "ok", "FAIL" with the exact fix, or "note" (advice that does not fail).
#pragma once

#include <string>
#include <vector>

namespace deltabridge {

struct CheckLine {
  enum class Level { kOk, kFail, kNote } level = Level::kOk;
  std::string what;  // "source scheduling: wal_level is logical"
  std::string fix;   // the SQL statement or setting that fixes it (kFail, kNote)
};

class CheckReport {
 public:
  void Ok(std::string what) { lines_.push_back({CheckLine::Level::kOk, std::move(what), {}}); }
  void Fail(std::string what, std::string fix) {
    lines_.push_back({CheckLine::Level::kFail, std::move(what), std::move(fix)});
  }
  void Note(std::string what, std::string fix) {
    lines_.push_back({CheckLine::Level::kNote, std::move(what), std::move(fix)});
  }
  bool passed() const {
    for (const auto& l : lines_) {
      if (l.level == CheckLine::Level::kFail) return false;
    }
    return true;
  }
  const std::vector<CheckLine>& lines() const { return lines_; }

 private:
  std::vector<CheckLine> lines_;
};

}  // namespace deltabridge
