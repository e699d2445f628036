#include "kiln/server/serve_config.h"

// Errors as values, not exceptions (this is the only file that includes toml++).
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include "kiln/base/file_util.h"

namespace kiln {
namespace {

class TableReader {
 public:
  TableReader(const toml::table& table, std::string context) : table_(table), context_(std::move(context)) {}

  template <typename T>
  Status Read(const char* key, T* out) {
    seen_.push_back(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr) return Status::Ok();
    if constexpr (std::is_same_v<T, bool>) {
      if (auto v = node->value_exact<bool>()) {
        *out = *v;
        return Status::Ok();
      }
      return Error(key, "must be true or false");
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (auto v = node->value_exact<std::string>()) {
        *out = *v;
        return Status::Ok();
      }
      return Error(key, "must be a string");
    } else {
      if (auto v = node->value_exact<int64_t>()) {
        if (*v < 0 || *v > 2147483647) return Error(key, "must be between 0 and 2147483647");
        *out = static_cast<T>(*v);
        return Status::Ok();
      }
      return Error(key, "must be an integer");
    }
  }

  Status ReadStrings(const char* key, std::vector<std::string>* out) {
    seen_.push_back(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr) return Status::Ok();
    const toml::array* array = node->as_array();
    if (array == nullptr) return Error(key, "must be an array of strings");
    out->clear();
    for (const toml::node& item : *array) {
      auto v = item.value_exact<std::string>();
      if (!v) return Error(key, "must be an array of strings");
      out->push_back(*v);
    }
    return Status::Ok();
  }

  Status RejectUnknown() const {
    for (const auto& [key, value] : table_) {
      bool known = false;
      for (const char* s : seen_) known = known || key.str() == s;
      if (!known) return Status::InvalidArgument(context_ + ": unknown key '" + std::string(key.str()) + "'");
    }
    return Status::Ok();
  }

 private:
  Status Error(const char* key, const char* problem) const {
    return Status::InvalidArgument(context_ + "." + key + ": " + problem);
  }
  const toml::table& table_;
  std::string context_;
  std::vector<const char*> seen_;
};

const toml::table* SubTable(const toml::table& root, const char* name) {
  const toml::node* node = root.get(name);
  return node == nullptr ? nullptr : node->as_table();
}

}  // namespace

std::vector<ServedModelConfig> DefaultServedModels(const std::string& models_root) {
  ServedModelConfig shapes;
  shapes.name = "kiln-shapes";
  shapes.path = models_root + "/kiln-shapes";
  // BFL's model routes, so a client written for their API works unchanged.
  shapes.aliases = {"flux-dev", "flux-pro", "flux-pro-1.1", "flux-pro-1.1-ultra", "flux-schnell"};
  return {shapes};
}

StatusOr<ServeConfig> ParseServeConfig(const std::string& text, const std::string& file_name) {
  toml::parse_result parsed = toml::parse(text, file_name);
  if (!parsed) {
    const auto& err = parsed.error();
    return Status::InvalidArgument(file_name + ":" + std::to_string(err.source().begin.line) + ": " +
                                   std::string(err.description()));
  }
  const toml::table& root = parsed.table();
  ServeConfig c;
  for (const auto& [key, value] : root) {
    const std::string k(key.str());
    if (k != "server" && k != "store" && k != "scheduler" && k != "results" && k != "webhooks" && k != "models" &&
        k != "moderation") {
      return Status::InvalidArgument(file_name + ": unknown section '" + k + "'");
    }
    if (k != "models" && !value.is_table()) {
      return Status::InvalidArgument(file_name + ": '" + k + "' must be a table ([" + k + "])");
    }
  }
  if (const toml::table* t = SubTable(root, "server")) {
    TableReader r(*t, file_name + ": server");
    KILN_RETURN_IF_ERROR(r.Read("address", &c.address));
    KILN_RETURN_IF_ERROR(r.Read("port", &c.port));
    KILN_RETURN_IF_ERROR(r.Read("public_url", &c.public_url));
    KILN_RETURN_IF_ERROR(r.Read("io_threads", &c.io_threads));
    KILN_RETURN_IF_ERROR(r.Read("max_body_bytes", &c.max_body_bytes));
    KILN_RETURN_IF_ERROR(r.Read("sync_wait_max_seconds", &c.sync_wait_max_seconds));
    KILN_RETURN_IF_ERROR(r.Read("log_format", &c.log_format));
    KILN_RETURN_IF_ERROR(r.RejectUnknown());
  }
  if (const toml::table* t = SubTable(root, "store")) {
    TableReader r(*t, file_name + ": store");
    KILN_RETURN_IF_ERROR(r.Read("data_dir", &c.data_dir));
    KILN_RETURN_IF_ERROR(r.Read("synchronous_full", &c.synchronous_full));
    KILN_RETURN_IF_ERROR(r.RejectUnknown());
  }
  if (const toml::table* t = SubTable(root, "scheduler")) {
    TableReader r(*t, file_name + ": scheduler");
    KILN_RETURN_IF_ERROR(r.Read("workers", &c.workers));
    KILN_RETURN_IF_ERROR(r.Read("compute_threads", &c.compute_threads));
    KILN_RETURN_IF_ERROR(r.Read("max_batch_size", &c.max_batch_size));
    KILN_RETURN_IF_ERROR(r.Read("max_queue_delay_ms", &c.max_queue_delay_ms));
    KILN_RETURN_IF_ERROR(r.Read("queue_capacity", &c.queue_capacity));
    KILN_RETURN_IF_ERROR(r.RejectUnknown());
  }
  if (const toml::table* t = SubTable(root, "results")) {
    TableReader r(*t, file_name + ": results");
    KILN_RETURN_IF_ERROR(r.Read("url_ttl_seconds", &c.url_ttl_seconds));
    KILN_RETURN_IF_ERROR(r.RejectUnknown());
  }
  if (const toml::table* t = SubTable(root, "webhooks")) {
    TableReader r(*t, file_name + ": webhooks");
    KILN_RETURN_IF_ERROR(r.Read("allow_private", &c.webhooks_allow_private));
    KILN_RETURN_IF_ERROR(r.Read("max_attempts", &c.webhook_max_attempts));
    KILN_RETURN_IF_ERROR(r.Read("initial_backoff_ms", &c.webhook_initial_backoff_ms));
    KILN_RETURN_IF_ERROR(r.Read("max_backoff_ms", &c.webhook_max_backoff_ms));
    KILN_RETURN_IF_ERROR(r.Read("timeout_ms", &c.webhook_timeout_ms));
    KILN_RETURN_IF_ERROR(r.RejectUnknown());
  }
  if (const toml::table* t = SubTable(root, "moderation")) {
    TableReader r(*t, file_name + ": moderation");
    KILN_RETURN_IF_ERROR(r.Read("enabled", &c.moderation_enabled));
    KILN_RETURN_IF_ERROR(r.Read("data_dir", &c.moderation_data_dir));
    KILN_RETURN_IF_ERROR(r.Read("nsfw_model", &c.nsfw_model));
    KILN_RETURN_IF_ERROR(r.Read("text_model", &c.text_model));
    KILN_RETURN_IF_ERROR(r.Read("text_heads", &c.text_heads));
    KILN_RETURN_IF_ERROR(r.Read("threads", &c.moderation_threads));
    KILN_RETURN_IF_ERROR(r.RejectUnknown());
  }
  if (const toml::node* models = root.get("models")) {
    const toml::array* array = models->as_array();
    if (array == nullptr) return Status::InvalidArgument(file_name + ": models must be an array of tables ([[models]])");
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::table* t = (*array)[i].as_table();
      const std::string context = file_name + ": models[" + std::to_string(i) + "]";
      if (t == nullptr) return Status::InvalidArgument(context + ": must be a table");
      ServedModelConfig m;
      TableReader r(*t, context);
      KILN_RETURN_IF_ERROR(r.Read("name", &m.name));
      KILN_RETURN_IF_ERROR(r.Read("path", &m.path));
      KILN_RETURN_IF_ERROR(r.ReadStrings("aliases", &m.aliases));
      KILN_RETURN_IF_ERROR(r.Read("min_size", &m.min_size));
      KILN_RETURN_IF_ERROR(r.Read("max_size", &m.max_size));
      KILN_RETURN_IF_ERROR(r.Read("max_steps", &m.max_steps));
      KILN_RETURN_IF_ERROR(r.RejectUnknown());
      if (m.name.empty()) return Status::InvalidArgument(context + ".name: required");
      if (m.path.empty()) return Status::InvalidArgument(context + ".path: required");
      c.models.push_back(std::move(m));
    }
  }
  return c;
}

StatusOr<ServeConfig> LoadServeConfig(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseServeConfig(text, path);
}

Status ApplyServeEnvironment(ServeConfig* c, const std::function<const char*(const char*)>& getenv_fn) {
  auto text = [&](const char* name, std::string* out) {
    if (const char* v = getenv_fn(name)) *out = v;
  };
  auto integer = [&](const char* name, int* out) -> Status {
    const char* v = getenv_fn(name);
    if (v == nullptr) return Status::Ok();
    char* end = nullptr;
    const long value = std::strtol(v, &end, 10);
    if (end == v || *end != '\0' || value < 0 || value > 2147483647) {
      return Status::InvalidArgument(std::string(name) + ": '" + v + "' is not a non-negative integer");
    }
    *out = static_cast<int>(value);
    return Status::Ok();
  };
  text("KILN_ADDRESS", &c->address);
  KILN_RETURN_IF_ERROR(integer("KILN_PORT", &c->port));
  text("KILN_PUBLIC_URL", &c->public_url);
  text("KILN_DATA_DIR", &c->data_dir);
  KILN_RETURN_IF_ERROR(integer("KILN_WORKERS", &c->workers));
  KILN_RETURN_IF_ERROR(integer("KILN_MAX_BATCH_SIZE", &c->max_batch_size));
  KILN_RETURN_IF_ERROR(integer("KILN_MAX_QUEUE_DELAY_MS", &c->max_queue_delay_ms));
  KILN_RETURN_IF_ERROR(integer("KILN_QUEUE_CAPACITY", &c->queue_capacity));
  auto boolean = [&](const char* name, bool* out) -> Status {
    const char* v = getenv_fn(name);
    if (v == nullptr) return Status::Ok();
    const std::string s(v);
    if (s != "0" && s != "1" && s != "true" && s != "false") {
      return Status::InvalidArgument(std::string(name) + ": '" + s + "' is not true/false/1/0");
    }
    *out = s == "1" || s == "true";
    return Status::Ok();
  };
  KILN_RETURN_IF_ERROR(boolean("KILN_WEBHOOKS_ALLOW_PRIVATE", &c->webhooks_allow_private));
  return boolean("KILN_MODERATION", &c->moderation_enabled);
}

}  // namespace kiln
