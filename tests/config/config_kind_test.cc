#include "cdc/config/config_kind.h"

#include <gtest/gtest.h>

namespace deltabridge {
namespace {

std::string KindError(std::string_view text) {
  Result<ConfigKind> kind = DetectConfigKindOfText(text, "f.yaml");
  EXPECT_FALSE(kind.ok());
  EXPECT_EQ(kind.status().code(), Status::Code::kInvalidArgument);
  return kind.status().message();
}

TEST(DetectConfigKindTest, BridgeSinkAndGateway) {
  Result<ConfigKind> bridge = DetectConfigKindOfText("bridge:\n  name: x\nsources: []\n", "f");
  ASSERT_TRUE(bridge.ok());
  EXPECT_EQ(*bridge, ConfigKind::kBridge);
  Result<ConfigKind> sink = DetectConfigKindOfText("sink:\n  name: x\n", "f");
  ASSERT_TRUE(sink.ok());
  EXPECT_EQ(*sink, ConfigKind::kSink);
  EXPECT_EQ(ConfigKindName(ConfigKind::kBridge), "bridge");
  EXPECT_EQ(ConfigKindName(ConfigKind::kSink), "sink");
  Result<ConfigKind> gateway = DetectConfigKindOfText("gateway:\n  name: x\nentities: []\n", "f");
  ASSERT_TRUE(gateway.ok());
  EXPECT_EQ(*gateway, ConfigKind::kGateway);
  EXPECT_EQ(ConfigKindName(ConfigKind::kGateway), "gateway");
}

TEST(DetectConfigKindTest, ContractExampleIsABridge) {
  Result<ConfigKind> kind =
      DetectConfigKind(std::string(DELTABRIDGE_CONFIG_TESTDATA) + "/bridge_full.yaml");
  ASSERT_TRUE(kind.ok()) << kind.status().ToString();
  EXPECT_EQ(*kind, ConfigKind::kBridge);
}

TEST(DetectConfigKindTest, Neither) {
  EXPECT_EQ(KindError("\nname: x\n"),
            "f.yaml:2:1: expected a bridge file (top-level bridge:), a sink file (top-level "
            "sink:) or a gateway file (top-level gateway:), got none of those keys");
  EXPECT_EQ(KindError(""),
            "f.yaml:1:1: expected a bridge file (top-level bridge:), a sink file (top-level "
            "sink:) or a gateway file (top-level gateway:), got an empty document");
  EXPECT_EQ(KindError("- a\n"),
            "f.yaml:1:1: expected a bridge file (top-level bridge:), a sink file (top-level "
            "sink:) or a gateway file (top-level gateway:), got a list");
}

TEST(DetectConfigKindTest, Both) {
  EXPECT_EQ(KindError("bridge: {}\nsink: {}\n"),
            "f.yaml:2:1: sink: expected a bridge file (top-level bridge:), a sink file "
            "(top-level sink:) or a gateway file (top-level gateway:), got both bridge and sink");
  EXPECT_EQ(KindError("gateway: {}\nbridge: {}\n"),
            "f.yaml:1:1: gateway: expected a bridge file (top-level bridge:), a sink file "
            "(top-level sink:) or a gateway file (top-level gateway:), got both bridge and "
            "gateway");
  EXPECT_EQ(KindError("sink: {}\ngateway: {}\nbridge: {}\n"),
            "f.yaml:2:1: gateway: expected a bridge file (top-level bridge:), a sink file "
            "(top-level sink:) or a gateway file (top-level gateway:), got bridge, sink and "
            "gateway");
}

TEST(DetectConfigKindTest, SyntaxErrorAndUnreadable) {
  EXPECT_EQ(KindError("bridge: [\n"), "f.yaml:2:1: invalid YAML: end of sequence flow not found");
  Result<ConfigKind> missing = DetectConfigKind("missing.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "missing.yaml: cannot read: No such file or directory");
}

}  // namespace
}  // namespace deltabridge
