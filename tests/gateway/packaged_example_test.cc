// The files the packages install for the gateway (packaging/): the example
// gateway file loads as the gateway loads it and names the paths the unit
// and docs/install.md use; the unit runs that file with the sink unit's
// hardening. packaging/test-packages.sh checks the installed copies with
// systemd-analyze and `deltabridge check` as the service user.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/gateway_config.h"

namespace deltabridge {
namespace {

const std::string kPackaging = DELTABRIDGE_PACKAGING_DIR;

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool Has(const std::vector<std::string>& lines, const std::string& line) {
  for (const std::string& l : lines) {
    if (l == line) return true;
  }
  return false;
}

TEST(PackagedGatewayTest, TheExampleLoads) {
  Result<GatewayConfig> loaded = LoadGatewayConfig(kPackaging + "/examples/gateway.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const GatewayConfig& config = *loaded;
  // As deltabridge-gateway@app runs it: /etc/deltabridge/gateway-app.yaml,
  // state under /var/lib/deltabridge (the unit's only writable place), the
  // files it reads under /etc/deltabridge.
  EXPECT_EQ(config.name, "app");
  EXPECT_EQ(config.state_dir, "/var/lib/deltabridge/gateway-app");
  EXPECT_EQ(config.tokens_file, "/etc/deltabridge/gateway-app.tokens");
  ASSERT_TRUE(config.tls.has_value());
  EXPECT_EQ(config.tls->cert_file, "/etc/deltabridge/gateway-app.crt");
  EXPECT_EQ(config.tls->key_file, "/etc/deltabridge/gateway-app.key");
  EXPECT_EQ(config.listen.ToString(), "0.0.0.0:8443");
  EXPECT_GE(config.listen.port, 1024) << "the unit grants no CAP_NET_BIND_SERVICE";
  ASSERT_EQ(config.subscribe.size(), 1u);
  EXPECT_EQ(config.subscribe[0].publish, "tcp://127.0.0.1:5556");  // as sink.yaml's bridge
  ASSERT_EQ(config.entities.size(), 2u);
  ASSERT_TRUE(config.entities[0].push.has_value());
  EXPECT_EQ(config.entities[0].push->target.type, TargetType::kPostgres);
  EXPECT_EQ(config.entities[0].push->mapping.to, "public.tour_slots");
  EXPECT_FALSE(config.entities[1].push.has_value());
}

TEST(PackagedGatewayTest, TheUnitRunsTheFileWithTheSinkUnitsHardening) {
  const std::vector<std::string> gateway =
      Lines(kPackaging + "/systemd/deltabridge-gateway@.service");
  const std::vector<std::string> sink = Lines(kPackaging + "/systemd/deltabridge-sink@.service");
  ASSERT_FALSE(gateway.empty());
  EXPECT_TRUE(
      Has(gateway, "ExecStart=/usr/bin/deltabridge gateway /etc/deltabridge/gateway-%i.yaml"));
  EXPECT_TRUE(Has(gateway, "User=deltabridge"));
  EXPECT_TRUE(Has(gateway, "RestartPreventExitStatus=2"));
  EXPECT_TRUE(Has(gateway, "ExecReload=/bin/kill -HUP $MAINPID"));
  // Every line of the sink unit's hardening section is in the gateway unit:
  // the gateway grants itself nothing more (a port below 1024 is a drop-in).
  bool hardening = false;
  size_t compared = 0;
  for (const std::string& line : sink) {
    if (line.starts_with("# Hardening")) hardening = true;
    if (line == "[Install]") break;
    if (!hardening || line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(Has(gateway, line)) << line;
    ++compared;
  }
  EXPECT_GE(compared, 20u);
}

}  // namespace
}  // namespace deltabridge
