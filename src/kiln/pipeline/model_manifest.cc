#include "kiln/pipeline/model_manifest.h"

#include <nlohmann/json.hpp>

#include "kiln/base/file_util.h"
#include "kiln/base/json_fields.h"

namespace kiln {
namespace {

// One component: {"file": "...", "config": {...}, <extra fields read by the caller>}.
struct Component {
  const nlohmann::json* object = nullptr;
  std::string file;         // joined to the model directory
  std::string config_json;  // "" when the component has no config
};

StatusOr<Component> ReadComponent(JsonFields& top, const std::string& name, const std::string& dir,
                                  const std::string& context, bool has_config) {
  Component c;
  KILN_RETURN_IF_ERROR(top.Object(name, &c.object));
  if (c.object == nullptr) return top.FieldError(name, "is required");
  JsonFields fields(*c.object, context + ": " + name);
  std::string relative;
  KILN_RETURN_IF_ERROR(fields.String("file", &relative));
  if (relative.empty()) return fields.FieldError("file", "is required");
  c.file = dir + "/" + relative;
  if (has_config) {
    const nlohmann::json* config = nullptr;
    KILN_RETURN_IF_ERROR(fields.Object("config", &config));
    if (config == nullptr) return fields.FieldError("config", "is required");
    c.config_json = config->dump();
  }
  return c;
}

}  // namespace

StatusOr<ModelManifest> ModelManifest::Load(const std::string& dir) {
  KILN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(dir + "/kiln.json"));
  return Parse(text, dir);
}

StatusOr<ModelManifest> ModelManifest::Parse(const std::string& text, const std::string& dir) {
  const std::string context = dir + "/kiln.json";
  KILN_ASSIGN_OR_RETURN(const nlohmann::json root, JsonFields::ParseObject(text, context));
  ModelManifest m;
  m.dir = dir;
  JsonFields top(root, context);
  KILN_RETURN_IF_ERROR(top.String("name", &m.name));
  KILN_RETURN_IF_ERROR(top.String("version", &m.version));

  KILN_ASSIGN_OR_RETURN(Component transformer, ReadComponent(top, "transformer", dir, context, true));
  m.transformer_file = transformer.file;
  auto flux = FluxConfig::FromJson(transformer.config_json);
  if (!flux.ok()) return flux.status().WithContext(context + ": transformer");
  m.transformer = *flux;

  KILN_ASSIGN_OR_RETURN(Component autoencoder, ReadComponent(top, "autoencoder", dir, context, true));
  m.autoencoder_file = autoencoder.file;
  auto ae = AutoencoderConfig::FromJson(autoencoder.config_json);
  if (!ae.ok()) return ae.status().WithContext(context + ": autoencoder");
  m.autoencoder = *ae;

  KILN_ASSIGN_OR_RETURN(Component text_encoder, ReadComponent(top, "text_encoder", dir, context, true));
  m.text_encoder_file = text_encoder.file;
  auto t5 = T5Config::FromJson(text_encoder.config_json);
  if (!t5.ok()) return t5.status().WithContext(context + ": text_encoder");
  m.text_encoder = *t5;
  JsonFields text_fields(*text_encoder.object, context + ": text_encoder");
  int64_t max_length = 0;
  KILN_RETURN_IF_ERROR(text_fields.Int("max_length", &max_length));
  if (max_length < 1 || max_length > 4096) return text_fields.FieldError("max_length", "must be in [1, 4096]");
  m.max_length = static_cast<int>(max_length);
  std::string pooling = "mean";
  KILN_RETURN_IF_ERROR(text_fields.String("pooling", &pooling));
  if (pooling != "mean") return text_fields.FieldError("pooling", "must be \"mean\" (the only pooling Kiln knows)");

  KILN_ASSIGN_OR_RETURN(Component tokenizer, ReadComponent(top, "tokenizer", dir, context, false));
  m.tokenizer_file = tokenizer.file;

  const nlohmann::json* sampling = nullptr;
  KILN_RETURN_IF_ERROR(top.Object("sampling", &sampling));
  if (sampling != nullptr) {
    JsonFields s(*sampling, context + ": sampling");
    int64_t steps = m.steps;
    KILN_RETURN_IF_ERROR(s.Int("steps", &steps));
    if (steps < 1 || steps > 1000) return s.FieldError("steps", "must be in [1, 1000]");
    m.steps = static_cast<int>(steps);
    KILN_RETURN_IF_ERROR(s.Int("width", &m.width));
    KILN_RETURN_IF_ERROR(s.Int("height", &m.height));
    KILN_RETURN_IF_ERROR(s.Bool("shift", &m.shift));
    KILN_RETURN_IF_ERROR(s.Float("guidance", &m.guidance));
    KILN_RETURN_IF_ERROR(s.Float("cfg_scale", &m.cfg_scale));
    if (!(m.cfg_scale >= 0.0f && m.cfg_scale <= 30.0f)) return s.FieldError("cfg_scale", "must be in [0, 30]");
    KILN_RETURN_IF_ERROR(s.RejectUnknown());
  }
  if (m.transformer.context_in_dim != m.text_encoder.d_model || m.transformer.vec_in_dim != m.text_encoder.d_model) {
    return Status::InvalidArgument(context + ": the transformer's context_in_dim and vec_in_dim (" +
                                   std::to_string(m.transformer.context_in_dim) + ", " +
                                   std::to_string(m.transformer.vec_in_dim) +
                                   ") must equal the text encoder's d_model (" +
                                   std::to_string(m.text_encoder.d_model) + ")");
  }
  return m;
}

}  // namespace kiln
