#include "cdc/config/config_diff.h"

#include <gtest/gtest.h>

namespace deltabridge {
namespace {

const char* kBase =
    "bridge:\n  name: parks\n  state_dir: /tmp/x\n  retention: {max_bytes: 1GiB}\n"
    "sources:\n  - name: a\n    type: postgres\n    dsn: \"host=h\"\n    tables: [public.t]\n";

std::vector<std::string> Changed(const std::string& a, const std::string& b) {
  Result<std::vector<std::string>> r = ChangedConfigKeys(a, b);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<std::string>{"error"};
}

TEST(ConfigDiffTest, FormattingOrderAndCommentsDoNotCount) {
  EXPECT_TRUE(Changed(kBase, kBase).empty());
  const std::string reordered =
      "# a comment\nsources:\n  - {tables: [public.t], dsn: \"host=h\", type: postgres, name: a}\n"
      "bridge:\n  state_dir: /tmp/x\n  name: parks\n  retention:\n    max_bytes: 1GiB\n";
  EXPECT_TRUE(Changed(kBase, reordered).empty());
}

TEST(ConfigDiffTest, NamesSectionKeysAndTopLevelKeys) {
  std::string b = kBase;
  b.replace(b.find("1GiB"), 4, "2GiB");
  EXPECT_EQ(Changed(kBase, b), std::vector<std::string>{"bridge.retention"});
  b.replace(b.find("public.t"), 8, "public.u");
  EXPECT_EQ(Changed(kBase, b), (std::vector<std::string>{"bridge.retention", "sources"}));
  std::string added = std::string(kBase) + "extra: 1\n";
  added.insert(added.find("  state_dir"), "  metrics: 127.0.0.1:9\n");
  EXPECT_EQ(Changed(kBase, added), (std::vector<std::string>{"bridge.metrics", "extra"}));
  EXPECT_FALSE(ChangedConfigKeys(kBase, "a: [b").ok());
}

}  // namespace
}  // namespace deltabridge
