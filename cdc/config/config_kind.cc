#include "cdc/config/config_kind.h"

#include <optional>

#include "cdc/config/yaml_reader.h"

namespace deltabridge {

namespace {

constexpr std::string_view kExpected =
    "a bridge file (top-level bridge:) or a sink file (top-level sink:)";

}  // namespace

std::string_view ConfigKindName(ConfigKind kind) {
  return kind == ConfigKind::kBridge ? "bridge" : "sink";
}

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
  bool bridge = top.Has("bridge");
  bool sink = top.Has("sink");
  if (bridge && sink) {
    errors.Add(top.KeyMark("sink"), "sink",
               "expected " + std::string(kExpected) + ", got both bridge and sink");
  } else if (!bridge && !sink) {
    errors.Add(document->mark, "", "expected " + std::string(kExpected) + ", got neither key");
  }
  if (!errors.empty()) return errors.ToStatus();
  return bridge ? ConfigKind::kBridge : ConfigKind::kSink;
}

Result<ConfigKind> DetectConfigKind(const std::string& path) {
  Result<std::string> text = ReadConfigFile(path);
  if (!text.ok()) return text.status();
  return DetectConfigKindOfText(*text, path);
}

}  // namespace deltabridge
