// ModelManifest: the kiln.json of a model directory — which file holds each
// component, each component's config, and the sampling defaults.
//
//   {"name": "kiln-shapes", "version": "1",
//    "transformer":  {"file": "transformer.safetensors", "config": {FluxParams}},
//    "autoencoder":  {"file": "autoencoder.safetensors", "config": {AutoEncoderParams}},
//    "text_encoder": {"file": "text_encoder.safetensors", "config": {HF T5Config},
//                     "max_length": 40, "pooling": "mean"},
//    "tokenizer":    {"file": "tokenizer.model"},
//    "sampling":     {"steps": 20, "width": 128, "height": 128, "shift": true, "guidance": 0.0,
//                     "cfg_scale": 1.0}}
//
// Paths are relative to the directory. Every error names the file and field.
#pragma once

#include <string>

#include "kiln/base/status.h"
#include "kiln/models/autoencoder/autoencoder_config.h"
#include "kiln/models/flux/flux_config.h"
#include "kiln/models/t5/t5_config.h"

namespace kiln {

// How the pooled vector y is made from the text encoder's hidden states.
enum class TextPooling {
  kMean,  // "mean": the average over the non-padding positions (eos included)
};

struct ModelManifest {
  std::string dir;  // the model directory; files below are already joined to it
  std::string name;
  std::string version;

  std::string transformer_file;
  FluxConfig transformer;
  std::string autoencoder_file;
  AutoencoderConfig autoencoder;
  std::string text_encoder_file;
  T5Config text_encoder;
  int max_length = 0;  // tokens per prompt, eos and padding included
  TextPooling pooling = TextPooling::kMean;
  std::string tokenizer_file;

  // Sampling defaults.
  int steps = 20;
  int64_t width = 128;
  int64_t height = 128;
  bool shift = true;
  float guidance = 0.0f;
  float cfg_scale = 1.0f;  // classifier-free guidance against the empty prompt; 1: off

  // Reads dir/kiln.json.
  static StatusOr<ModelManifest> Load(const std::string& dir);
  static StatusOr<ModelManifest> Parse(const std::string& json, const std::string& dir);
};

}  // namespace kiln
