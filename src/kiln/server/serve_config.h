// ServeConfig: every setting of `kiln serve`, from one TOML file, then the
// environment (KILN_*), then flags — later sources win. Defaults run the
// embedded deployment: 127.0.0.1:8080, ./var, kiln-shapes, one worker.
// config/kiln.example.toml documents every key; unknown keys are errors that
// name the key, so a typo never silently keeps a default.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "kiln/base/status.h"

namespace kiln {

struct ServedModelConfig {
  std::string name;                  // the route: POST /v1/<name>
  std::string path;                  // the model directory (kiln.json)
  std::vector<std::string> aliases;  // other routes that reach it (flux-dev, flux-pro-1.1, ...)
  int min_size = 64;                 // width/height range accepted (multiples of 16)
  int max_size = 256;
  int max_steps = 50;
};

struct ServeConfig {
  // [server]
  std::string address = "127.0.0.1";
  int port = 8080;
  std::string public_url;  // base of polling_url and sample URLs; "" → http://address:port
  int io_threads = 2;
  int max_body_bytes = 1 << 20;
  int sync_wait_max_seconds = 120;  // the most a `Prefer: wait=N` request waits
  std::string log_format = "json";  // "json" | "text"
  // [store]
  std::string data_dir = "./var";  // jobs.db (SQLite, WAL) and blobs/
  bool synchronous_full = true;    // fsync every group commit (durable across power loss, not only kill -9)
  // [scheduler]
  int workers = 1;          // worker threads, each with its own model instance
  int compute_threads = 0;  // threads of each worker's compute pool; 0: every core
  int max_batch_size = 4;
  int max_queue_delay_ms = 10;
  int queue_capacity = 1024;  // the global queue bound (429 beyond it)
  // [results]
  int url_ttl_seconds = 600;
  // [webhooks]
  bool webhooks_allow_private = false;  // SSRF guard: loopback/private targets refused unless true
  int webhook_max_attempts = 5;
  int webhook_initial_backoff_ms = 500;
  int webhook_max_backoff_ms = 30000;
  int webhook_timeout_ms = 5000;
  // [moderation]
  bool moderation_enabled = true;      // check every prompt before it is queued and every image before it is served
  std::string moderation_data_dir;     // lexicons/ and moderation/; "" → data/ found like models/
  std::string nsfw_model;              // "" → <models>/nsfw-mobilenet-v2
  std::string text_model;              // "" → <models>/minilm-l6-v2 (absent: lexicons and rules only)
  std::string text_heads;              // "" → <models>/text-moderation-heads/heads.json
  int moderation_threads = 0;          // the moderation service's compute threads; 0: every core
  // [[models]]
  std::vector<ServedModelConfig> models;  // empty → kiln-shapes from models/kiln-shapes
};

// Parses TOML text; errors name the file, key and problem.
StatusOr<ServeConfig> ParseServeConfig(const std::string& toml_text, const std::string& file_name);
StatusOr<ServeConfig> LoadServeConfig(const std::string& path);

// KILN_ADDRESS, KILN_PORT, KILN_PUBLIC_URL, KILN_DATA_DIR, KILN_WORKERS,
// KILN_MAX_BATCH_SIZE, KILN_MAX_QUEUE_DELAY_MS, KILN_QUEUE_CAPACITY,
// KILN_WEBHOOKS_ALLOW_PRIVATE, KILN_MODERATION (true/false). getenv is injectable for tests.
Status ApplyServeEnvironment(ServeConfig* config,
                             const std::function<const char*(const char*)>& getenv_fn);

// The default model list: kiln-shapes with the BFL model names as aliases.
std::vector<ServedModelConfig> DefaultServedModels(const std::string& models_root);

}  // namespace kiln
