#include "cdc/config/config_kind.h"

#include <array>
#include <optional>
#include <vector>

#include "cdc/config/yaml_reader.h"

namespace deltabridge {

namespace {

constexpr std::string_view kExpected =
    "a bridge file (top-level bridge:), a sink file (top-level sink:) or a gateway file "
    "(top-level gateway:)";

// Each kind's top-level key, in ConfigKind's order.
constexpr std::array<std::string_view, 3> kKindKeys = {"bridge", "sink", "gateway"};

}  // namespace

std::string_view ConfigKindName(ConfigKind kind) { return kKindKeys[static_cast<size_t>(kind)]; }

Result<ConfigKind> DetectConfigKindOfText(std::string_view yaml_text,
                                          const std::string& path_for_messages) {
  ConfigErrors errors(path_for_messages);
  std::optional<ConfigNode> document = ParseYamlDocument(yaml_text, &errors);
  if (!document) return errors.ToStatus();
  if (!document->node.IsMap()) {
    errors.Add(document->mark, "",
               "expected " + std::string(kExpected) + ", got " +
                   (document->node.IsNull() ? std::string("an empty document")
                                            : DescribeNode(document->node)));
    return errors.ToStatus();
  }
  MapReader top(*document, &errors);
  std::vector<size_t> present;
  for (size_t i = 0; i < kKindKeys.size(); ++i) {
    if (top.Has(kKindKeys[i])) present.push_back(i);
  }
  if (present.empty()) {
    errors.Add(document->mark, "",
               "expected " + std::string(kExpected) + ", got none of those keys");
  } else if (present.size() > 1) {
    // Reported at the last of them: "got both bridge and sink", "got bridge, sink and gateway".
    std::string got = present.size() == 2 ? "both " : "";
    for (size_t i = 0; i < present.size(); ++i) {
      if (i > 0) got += i + 1 == present.size() ? " and " : ", ";
      got += kKindKeys[present[i]];
    }
    std::string_view last = kKindKeys[present.back()];
    errors.Add(top.KeyMark(last), last, "expected " + std::string(kExpected) + ", got " + got);
  }
  if (!errors.empty()) return errors.ToStatus();
  return static_cast<ConfigKind>(present.front());
}

Result<ConfigKind> DetectConfigKind(const std::string& path) {
  Result<std::string> text = ReadConfigFile(path);
  if (!text.ok()) return text.status();
  return DetectConfigKindOfText(*text, path);
}

}  // namespace deltabridge
