#include "kiln/models/autoencoder/autoencoder_config.h"

#include <nlohmann/json.hpp>

#include "kiln/base/json_fields.h"

namespace kiln {
namespace {

constexpr int64_t kGroupNormGroups = 32;  // hard-coded in the official modules

Status FieldError(const std::string& field, const std::string& problem) {
  return Status::InvalidArgument("autoencoder config: field '" + field + "' " + problem);
}

}  // namespace

StatusOr<AutoencoderConfig> AutoencoderConfig::FromJson(const std::string& json) {
  KILN_ASSIGN_OR_RETURN(const nlohmann::json root, JsonFields::ParseObject(json, "autoencoder config"));
  AutoencoderConfig config;
  JsonFields fields(root, "autoencoder config");
  KILN_RETURN_IF_ERROR(fields.Int("resolution", &config.resolution));
  KILN_RETURN_IF_ERROR(fields.Int("in_channels", &config.in_channels));
  KILN_RETURN_IF_ERROR(fields.Int("ch", &config.ch));
  KILN_RETURN_IF_ERROR(fields.Int("out_ch", &config.out_ch));
  KILN_RETURN_IF_ERROR(fields.IntList("ch_mult", &config.ch_mult));
  KILN_RETURN_IF_ERROR(fields.Int("num_res_blocks", &config.num_res_blocks));
  KILN_RETURN_IF_ERROR(fields.Int("z_channels", &config.z_channels));
  KILN_RETURN_IF_ERROR(fields.Float("scale_factor", &config.scale_factor));
  KILN_RETURN_IF_ERROR(fields.Float("shift_factor", &config.shift_factor));
  // The official AutoEncoderParams(**d) refuses unknown fields too.
  KILN_RETURN_IF_ERROR(fields.RejectUnknown());
  KILN_RETURN_IF_ERROR(config.Validate());
  return config;
}

Status AutoencoderConfig::Validate() const {
  auto positive = [](int64_t value, const char* field) {
    return value > 0 ? Status::Ok() : FieldError(field, "must be positive, got " + std::to_string(value));
  };
  KILN_RETURN_IF_ERROR(positive(resolution, "resolution"));
  KILN_RETURN_IF_ERROR(positive(in_channels, "in_channels"));
  KILN_RETURN_IF_ERROR(positive(ch, "ch"));
  KILN_RETURN_IF_ERROR(positive(out_ch, "out_ch"));
  KILN_RETURN_IF_ERROR(positive(z_channels, "z_channels"));
  if (num_res_blocks < 0) {
    return FieldError("num_res_blocks", "must not be negative, got " + std::to_string(num_res_blocks));
  }
  if (ch_mult.empty()) return FieldError("ch_mult", "must not be empty");
  // 2^(levels - 1) must fit the int64 sizes it multiplies.
  if (ch_mult.size() > 32) return FieldError("ch_mult", "has more than 32 levels");
  if (ch % kGroupNormGroups != 0) {
    return FieldError("ch", "must be divisible by the 32 GroupNorm groups, got " + std::to_string(ch));
  }
  for (size_t i = 0; i < ch_mult.size(); ++i) {
    const std::string field = "ch_mult[" + std::to_string(i) + "]";
    KILN_RETURN_IF_ERROR(positive(ch_mult[i], field.c_str()));
    // ch is a multiple of 32, so ch * mult is too: no further GroupNorm check.
  }
  if (scale_factor == 0.0f) return FieldError("scale_factor", "must not be zero (decode divides by it)");
  return Status::Ok();
}

int64_t AutoencoderConfig::downsample_factor() const {
  if (ch_mult.empty()) return 1;
  return int64_t{1} << (ch_mult.size() - 1);
}

}  // namespace kiln
