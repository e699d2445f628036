#include "kiln/pipeline/text_to_image_model.h"

#include <chrono>
#include <cstring>

namespace kiln {

StatusOr<std::unique_ptr<TextToImageModel>> TextToImageModel::Load(const std::string& dir) {
  std::unique_ptr<TextToImageModel> m(new TextToImageModel());
  KILN_ASSIGN_OR_RETURN(m->manifest_, ModelManifest::Load(dir));
  const ModelManifest& mf = m->manifest_;
  KILN_ASSIGN_OR_RETURN(m->tokenizer_, SentencePieceTokenizer::Load(mf.tokenizer_file));
  KILN_ASSIGN_OR_RETURN(m->text_encoder_file_, SafetensorsFile::Open(mf.text_encoder_file));
  KILN_ASSIGN_OR_RETURN(m->text_encoder_, T5Encoder::Load(*m->text_encoder_file_, mf.text_encoder));
  if (m->tokenizer_->vocab_size() > mf.text_encoder.vocab_size) {
    return Status::InvalidArgument(mf.tokenizer_file + ": the tokenizer has " +
                                   std::to_string(m->tokenizer_->vocab_size()) +
                                   " pieces but the text encoder only " + std::to_string(mf.text_encoder.vocab_size));
  }
  KILN_ASSIGN_OR_RETURN(m->transformer_file_, SafetensorsFile::Open(mf.transformer_file));
  KILN_ASSIGN_OR_RETURN(m->transformer_, FluxTransformer::Load(*m->transformer_file_, mf.transformer));
  KILN_ASSIGN_OR_RETURN(m->autoencoder_file_, SafetensorsFile::Open(mf.autoencoder_file));
  KILN_ASSIGN_OR_RETURN(m->autoencoder_, Autoencoder::Load(*m->autoencoder_file_, mf.autoencoder));
  m->conditioner_ = std::make_unique<TextConditioner>(*m->tokenizer_, *m->text_encoder_, mf.max_length);
  m->pipeline_ = std::make_unique<FluxPipeline>(*m->transformer_, *m->autoencoder_);
  return m;
}

GenerateOptions TextToImageModel::DefaultOptions() const {
  GenerateOptions o;
  o.width = manifest_.width;
  o.height = manifest_.height;
  o.steps = manifest_.steps;
  o.guidance = manifest_.guidance;
  o.cfg_scale = manifest_.cfg_scale;
  o.shift = manifest_.shift;
  return o;
}

StatusOr<Tensor> TextToImageModel::Generate(ThreadPool& pool, const std::vector<std::string>& prompts,
                                            const std::vector<uint64_t>& seeds, const GenerateOptions& options,
                                            const FlowStepFn& on_step, GenerateTimings* timings) {
  if (seeds.size() != prompts.size()) {
    return Status::InvalidArgument("seeds: one per prompt is needed (" + std::to_string(prompts.size()) + ")");
  }
  const auto start = std::chrono::steady_clock::now();
  Tensor txt, y;
  KILN_RETURN_IF_ERROR(conditioner_->Encode(pool, prompts, &txt, &y));
  UnconditionalText uncond;
  const bool guided = options.cfg_scale != 1.0f;
  if (guided) KILN_RETURN_IF_ERROR(UnconditionalFor(pool, static_cast<int64_t>(prompts.size()), &uncond));
  const auto encoded = std::chrono::steady_clock::now();
  StatusOr<Tensor> image =
      pipeline_->Generate(pool, txt, y, seeds, options, on_step, timings, guided ? &uncond : nullptr);
  if (timings != nullptr) timings->text_encode_s = std::chrono::duration<double>(encoded - start).count();
  return image;
}

namespace {

// row (1, ...) repeated batch times along the first dimension.
Tensor RepeatRow(const Tensor& row, int64_t batch) {
  Shape shape = row.shape();
  shape[0] = batch;
  Tensor out = Tensor::Empty(row.dtype(), shape);
  const size_t bytes = row.nbytes();
  for (int64_t b = 0; b < batch; ++b) std::memcpy(static_cast<char*>(out.data()) + b * bytes, row.data(), bytes);
  return out;
}

}  // namespace

Status TextToImageModel::UnconditionalFor(ThreadPool& pool, int64_t batch, UnconditionalText* out) {
  std::call_once(empty_prompt_once_, [&] {
    empty_prompt_status_ = conditioner_->Encode(pool, {std::string()}, &empty_txt_, &empty_y_);
  });
  KILN_RETURN_IF_ERROR(empty_prompt_status_);
  out->txt = RepeatRow(empty_txt_, batch);
  out->y = RepeatRow(empty_y_, batch);
  return Status::Ok();
}

}  // namespace kiln
