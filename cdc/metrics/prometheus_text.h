// PrometheusText: builds a scrape body in the Prometheus text exposition
// format (version 0.0.4): for each metric family a # HELP and # TYPE line,
// then its samples, `name{label="value",...} number`.
//
// Names must match [a-zA-Z_:][a-zA-Z0-9_:]* (the caller's constants); label
// values are escaped here (backslash, double quote, newline). Numbers: whole
// values print without a fraction, NaN and infinities as Prometheus spells
// them. Not thread-safe; one per scrape.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deltabridge {

using MetricLabels = std::vector<std::pair<std::string_view, std::string>>;

class PrometheusText {
 public:
  // Starts a family; its samples follow. `type`: "counter" or "gauge".
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, const MetricLabels& labels, double value);

  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

}  // namespace deltabridge
