#include "kiln/server/serve_config.h"

#include <map>

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(ServeConfigTest, ReadsEverySection) {
  StatusOr<ServeConfig> c = ParseServeConfig(R"(
[server]
address = "0.0.0.0"
port = 9000
public_url = "https://kiln.example.com"
io_threads = 4
log_format = "text"
[store]
data_dir = "/srv/kiln"
synchronous_full = false
[scheduler]
workers = 2
max_batch_size = 8
max_queue_delay_ms = 25
queue_capacity = 500
[results]
url_ttl_seconds = 60
[webhooks]
allow_private = true
max_attempts = 3
[[models]]
name = "shapes"
path = "models/kiln-shapes"
aliases = ["flux-dev"]
max_size = 128
)",
                                             "test.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->address, "0.0.0.0");
  EXPECT_EQ(c->port, 9000);
  EXPECT_EQ(c->public_url, "https://kiln.example.com");
  EXPECT_EQ(c->io_threads, 4);
  EXPECT_EQ(c->log_format, "text");
  EXPECT_EQ(c->data_dir, "/srv/kiln");
  EXPECT_FALSE(c->synchronous_full);
  EXPECT_EQ(c->workers, 2);
  EXPECT_EQ(c->max_batch_size, 8);
  EXPECT_EQ(c->max_queue_delay_ms, 25);
  EXPECT_EQ(c->queue_capacity, 500);
  EXPECT_EQ(c->url_ttl_seconds, 60);
  EXPECT_TRUE(c->webhooks_allow_private);
  EXPECT_EQ(c->webhook_max_attempts, 3);
  ASSERT_EQ(c->models.size(), 1u);
  EXPECT_EQ(c->models[0].name, "shapes");
  EXPECT_EQ(c->models[0].aliases, std::vector<std::string>{"flux-dev"});
  EXPECT_EQ(c->models[0].max_size, 128);
}

TEST(ServeConfigTest, ErrorsNameTheKey) {
  auto expect_error = [](const char* text, const char* needle) {
    StatusOr<ServeConfig> c = ParseServeConfig(text, "k.toml");
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_NE(c.status().message().find(needle), std::string::npos) << c.status().message();
  };
  expect_error("[server]\nprot = 1\n", "prot");
  expect_error("[server]\nport = \"x\"\n", "server.port");
  expect_error("[sever]\n", "sever");
  expect_error("[scheduler]\nworkers = -1\n", "scheduler.workers");
  expect_error("[[models]]\npath = \"x\"\n", "name");
  expect_error("[server\n", "k.toml:1");
}

TEST(ServeConfigTest, EnvironmentOverrides) {
  ServeConfig c;
  std::map<std::string, std::string> env = {{"KILN_PORT", "8181"}, {"KILN_DATA_DIR", "/tmp/x"},
                                            {"KILN_WEBHOOKS_ALLOW_PRIVATE", "true"}};
  auto getenv_fn = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  ASSERT_TRUE(ApplyServeEnvironment(&c, getenv_fn).ok());
  EXPECT_EQ(c.port, 8181);
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_TRUE(c.webhooks_allow_private);
  env["KILN_WORKERS"] = "two";
  Status s = ApplyServeEnvironment(&c, getenv_fn);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("KILN_WORKERS"), std::string::npos);
}

}  // namespace
}  // namespace kiln

namespace kiln {
namespace {

// The documented example is the defaults, key for key.
TEST(ServeConfigTest, ExampleFileIsTheDefaults) {
  StatusOr<ServeConfig> c = LoadServeConfig(std::string(KILN_SOURCE_DIR) + "/config/kiln.example.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const ServeConfig d;
  EXPECT_EQ(c->address, d.address);
  EXPECT_EQ(c->port, d.port);
  EXPECT_EQ(c->public_url, d.public_url);
  EXPECT_EQ(c->io_threads, d.io_threads);
  EXPECT_EQ(c->max_body_bytes, d.max_body_bytes);
  EXPECT_EQ(c->sync_wait_max_seconds, d.sync_wait_max_seconds);
  EXPECT_EQ(c->log_format, d.log_format);
  EXPECT_EQ(c->data_dir, d.data_dir);
  EXPECT_EQ(c->synchronous_full, d.synchronous_full);
  EXPECT_EQ(c->workers, d.workers);
  EXPECT_EQ(c->compute_threads, d.compute_threads);
  EXPECT_EQ(c->max_batch_size, d.max_batch_size);
  EXPECT_EQ(c->max_queue_delay_ms, d.max_queue_delay_ms);
  EXPECT_EQ(c->queue_capacity, d.queue_capacity);
  EXPECT_EQ(c->url_ttl_seconds, d.url_ttl_seconds);
  EXPECT_EQ(c->webhooks_allow_private, d.webhooks_allow_private);
  EXPECT_EQ(c->webhook_max_attempts, d.webhook_max_attempts);
  EXPECT_EQ(c->webhook_initial_backoff_ms, d.webhook_initial_backoff_ms);
  EXPECT_EQ(c->webhook_max_backoff_ms, d.webhook_max_backoff_ms);
  EXPECT_EQ(c->webhook_timeout_ms, d.webhook_timeout_ms);
  EXPECT_EQ(c->moderation_enabled, d.moderation_enabled);
  EXPECT_EQ(c->moderation_data_dir, d.moderation_data_dir);
  EXPECT_EQ(c->nsfw_model, d.nsfw_model);
  EXPECT_EQ(c->text_model, d.text_model);
  EXPECT_EQ(c->text_heads, d.text_heads);
  EXPECT_EQ(c->moderation_threads, d.moderation_threads);
  const std::vector<ServedModelConfig> models = DefaultServedModels("models");
  ASSERT_EQ(c->models.size(), models.size());
  EXPECT_EQ(c->models[0].name, models[0].name);
  EXPECT_EQ(c->models[0].path, models[0].path);
  EXPECT_EQ(c->models[0].aliases, models[0].aliases);
  EXPECT_EQ(c->models[0].max_size, models[0].max_size);
}

}  // namespace
}  // namespace kiln
