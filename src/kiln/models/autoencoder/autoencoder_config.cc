#include "kiln/models/autoencoder/autoencoder_config.h"

#include <nlohmann/json.hpp>

namespace kiln {
namespace {

constexpr int64_t kGroupNormGroups = 32;  // hard-coded in the official modules

Status FieldError(const std::string& field, const std::string& problem) {
  return Status::InvalidArgument("autoencoder config: field '" + field + "' " + problem);
}

Status ReadInt(const nlohmann::json& value, const std::string& field, int64_t* out) {
  // Booleans are not numbers here, and 32.0 is not an int (the dataclass
  // fields are typed int).
  if (!value.is_number_integer()) return FieldError(field, "must be an integer");
  *out = value.get<int64_t>();
  return Status::Ok();
}

Status ReadFloat(const nlohmann::json& value, const std::string& field, float* out) {
  if (!value.is_number()) return FieldError(field, "must be a number");
  *out = static_cast<float>(value.get<double>());
  return Status::Ok();
}

}  // namespace

StatusOr<AutoencoderConfig> AutoencoderConfig::FromJson(const std::string& json) {
  const nlohmann::json root = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Status::InvalidArgument("autoencoder config: not valid JSON");
  if (!root.is_object()) return Status::InvalidArgument("autoencoder config: must be a JSON object");

  AutoencoderConfig config;
  for (const auto& [key, value] : root.items()) {
    if (key == "resolution") {
      KILN_RETURN_IF_ERROR(ReadInt(value, key, &config.resolution));
    } else if (key == "in_channels") {
      KILN_RETURN_IF_ERROR(ReadInt(value, key, &config.in_channels));
    } else if (key == "ch") {
      KILN_RETURN_IF_ERROR(ReadInt(value, key, &config.ch));
    } else if (key == "out_ch") {
      KILN_RETURN_IF_ERROR(ReadInt(value, key, &config.out_ch));
    } else if (key == "num_res_blocks") {
      KILN_RETURN_IF_ERROR(ReadInt(value, key, &config.num_res_blocks));
    } else if (key == "z_channels") {
      KILN_RETURN_IF_ERROR(ReadInt(value, key, &config.z_channels));
    } else if (key == "scale_factor") {
      KILN_RETURN_IF_ERROR(ReadFloat(value, key, &config.scale_factor));
    } else if (key == "shift_factor") {
      KILN_RETURN_IF_ERROR(ReadFloat(value, key, &config.shift_factor));
    } else if (key == "ch_mult") {
      if (!value.is_array()) return FieldError(key, "must be an array of integers");
      config.ch_mult.clear();
      for (size_t i = 0; i < value.size(); ++i) {
        int64_t mult = 0;
        KILN_RETURN_IF_ERROR(ReadInt(value[i], key + "[" + std::to_string(i) + "]", &mult));
        config.ch_mult.push_back(mult);
      }
    } else {
      return FieldError(key, "is not an AutoEncoderParams field");
    }
  }
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
