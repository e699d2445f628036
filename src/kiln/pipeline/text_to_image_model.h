// TextToImageModel: a model directory (kiln.json + its files) loaded and
// ready to turn prompts into images — tokenizer, text encoder, transformer
// and autoencoder, all through the same code that serves FLUX.1.
//
// Load maps every file once; the weights stay mapped for the model's life.
// Generate is not thread-safe (the pipeline keeps its buffers): one model
// object per worker thread, or external locking.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/autoencoder/autoencoder.h"
#include "kiln/models/flux/flux_transformer.h"
#include "kiln/models/t5/t5_encoder.h"
#include "kiln/pipeline/flux_pipeline.h"
#include "kiln/pipeline/model_manifest.h"
#include "kiln/pipeline/text_conditioner.h"
#include "kiln/tokenizers/sentencepiece_tokenizer.h"

namespace kiln {

class TextToImageModel {
 public:
  static StatusOr<std::unique_ptr<TextToImageModel>> Load(const std::string& dir);

  const ModelManifest& manifest() const { return manifest_; }
  // The manifest's sampling defaults as GenerateOptions.
  GenerateOptions DefaultOptions() const;

  // One image per prompt, each from its own seed: (batch, 3, height, width),
  // the decoder's raw output (about [-1, 1]).
  StatusOr<Tensor> Generate(ThreadPool& pool, const std::vector<std::string>& prompts,
                            const std::vector<uint64_t>& seeds, const GenerateOptions& options,
                            const FlowStepFn& on_step = nullptr, GenerateTimings* timings = nullptr);

 private:
  TextToImageModel() = default;

  // Guidance's unconditional branch: the empty prompt's txt and y, encoded on first use (once,
  // whichever worker gets there first) and repeated for each of the batch's images.
  Status UnconditionalFor(ThreadPool& pool, int64_t batch, UnconditionalText* out);

  ModelManifest manifest_;
  std::unique_ptr<SafetensorsFile> transformer_file_, autoencoder_file_, text_encoder_file_;
  std::unique_ptr<SentencePieceTokenizer> tokenizer_;
  std::unique_ptr<T5Encoder> text_encoder_;
  std::unique_ptr<FluxTransformer> transformer_;
  std::unique_ptr<Autoencoder> autoencoder_;
  std::unique_ptr<TextConditioner> conditioner_;
  std::unique_ptr<FluxPipeline> pipeline_;
  std::once_flag empty_prompt_once_;
  Status empty_prompt_status_;
  Tensor empty_txt_, empty_y_;  // (1, max_length, d_model), (1, d_model)
};

}  // namespace kiln
