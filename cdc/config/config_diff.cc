#include "cdc/config/config_diff.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

namespace deltabridge {
namespace {

// A canonical text of a node: maps with sorted keys, so order does not count.
std::string Canonical(const YAML::Node& node) {
  if (!node.IsDefined()) return "~";  // a key one side lacks (an invalid node)
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      std::vector<std::pair<std::string, std::string>> items;
      for (const auto& kv : node) items.emplace_back(Canonical(kv.first), Canonical(kv.second));
      std::sort(items.begin(), items.end());
      std::string out = "{";
      for (const auto& [k, v] : items) out += k + ":" + v + ",";
      return out + "}";
    }
    case YAML::NodeType::Sequence: {
      std::string out = "[";
      for (const auto& item : node) out += Canonical(item) + ",";
      return out + "]";
    }
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    default:
      return "~";
  }
}

}  // namespace

Result<std::vector<std::string>> ChangedConfigKeys(const std::string& old_text,
                                                   const std::string& new_text) {
  YAML::Node loaded_a, loaded_b;
  try {
    loaded_a = YAML::Load(old_text);
    loaded_b = YAML::Load(new_text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("not YAML: ") + e.what());
  }
  // Const handles: a non-const operator[] would add the key it looks up.
  const YAML::Node a = loaded_a, b = loaded_b;
  std::set<std::string> top;
  for (const YAML::Node* n : {&a, &b}) {
    if (!n->IsMap()) continue;
    for (const auto& kv : *n) top.insert(kv.first.Scalar());
  }
  std::vector<std::string> changed;
  for (const std::string& key : top) {
    const YAML::Node x = a.IsMap() ? a[key] : YAML::Node();
    const YAML::Node y = b.IsMap() ? b[key] : YAML::Node();
    if ((key == "bridge" || key == "sink") && x.IsMap() && y.IsMap()) {
      std::set<std::string> sub;
      for (const YAML::Node* n : {&x, &y}) {
        for (const auto& kv : *n) sub.insert(kv.first.Scalar());
      }
      for (const std::string& s : sub) {
        if (Canonical(x[s]) != Canonical(y[s])) changed.push_back(key + "." + s);
      }
    } else if (Canonical(x) != Canonical(y)) {
      changed.push_back(key);
    }
  }
  return changed;
}

}  // namespace deltabridge
