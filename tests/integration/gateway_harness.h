// Test harness for the gateway's end-to-end tests: a real `deltabridge
// gateway` process following a BridgeUnderTest, real clients (Node.js with
// the ws library, through tests/gateway/js/ws_subscriber.mjs; curl for plain
// HTTP), and the stream they receive turned back into rows.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/bridge_harness.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace deltabridge::test {

class GatewayUnderTest {
 public:
  // Writes GATEWAY.yaml: listen on a free loopback port, following `bridge`
  // (named `bridge_name`); `entities_yaml` is the `entities:` list (indented
  // by 2), `gateway_extra` more keys of the `gateway:` section (indented by 2).
  GatewayUnderTest(const std::string& name, const BridgeUnderTest& bridge,
                   const std::string& entities_yaml, const std::string& gateway_extra = "",
                   const std::string& bridge_name = "parks");
  ~GatewayUnderTest();

  const std::string& config_path() const { return config_path_; }
  std::string state_dir() const { return dir_->Join("state"); }
  std::string tokens_file() const { return dir_->Join("app.tokens"); }
  int port() const { return port_; }
  // "http://127.0.0.1:PORT" + path, "ws://127.0.0.1:PORT" + path.
  std::string Url(const std::string& path) const;
  std::string WsUrl(const std::string& path) const;
  std::string log() const;  // this start's output

  // `deltabridge token GATEWAY.yaml NAME ARGS...`: the token it printed.
  std::string AddToken(const std::string& name, const std::vector<std::string>& args);

  // Starts and waits until it listens (its log says so).
  void Start();
  void Stop();  // SIGTERM, asserts exit 0
  void Kill9();
  bool running();

 private:
  std::unique_ptr<TempDir> dir_;
  std::string config_path_, log_path_;
  int port_ = 0;
  std::unique_ptr<Child> child_;
  int starts_ = 0;
};

// One real client process (node tests/gateway/js/ws_subscriber.mjs ARGS...),
// its stdout read line by line.
class NodeClient {
 public:
  explicit NodeClient(const std::vector<std::string>& args);
  ~NodeClient();

  // Every line printed so far, parsed (a line that is not JSON is skipped).
  std::vector<nlohmann::json> Lines() const;
  // Waits until a line satisfies `pred`; a test failure with the output when it never does.
  bool WaitFor(const std::function<bool(const nlohmann::json&)>& pred,
               std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
  // Waits for the process to end; its exit code (-1 on timeout).
  int WaitExit(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  void Kill();
  std::string output() const;

 private:
  std::unique_ptr<TempDir> dir_;
  std::string out_path_;
  std::unique_ptr<Child> child_;
};

// What a curl request got.
struct HttpResult {
  int status = 0;
  std::string body;
  nlohmann::json json() const;
};
// curl -X METHOD URL [-H Authorization: Bearer TOKEN] [--data-binary BODY]
// (Content-Type: application/json with a body), plus `headers`.
// `insecure`: accept the server's self-signed certificate (curl -k).
HttpResult Http(const std::string& method, const std::string& url, const std::string& token = "",
                const std::string& body = "", const std::vector<std::string>& headers = {},
                bool insecure = false);

// The rows a client holds after the messages of a raw stream (snapshot,
// insert, update (also a key change), delete, truncate, reset), keyed by
// table and key JSON; and the last seq it processed.
struct ClientRows {
  std::map<std::string, nlohmann::json> rows;  // "table|key json" -> {column: value}
  uint64_t seq = 0;
  // Applies one message; false (with a test failure) for one that cannot apply.
  bool Apply(const nlohmann::json& message);
  // The rows as "key json=row json" lines, sorted, for comparisons.
  std::string Text() const;
};

}  // namespace deltabridge::test
