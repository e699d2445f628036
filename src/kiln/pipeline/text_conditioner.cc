#include "kiln/pipeline/text_conditioner.h"

#include <algorithm>

namespace kiln {

void TextConditioner::Tokenize(const std::string& prompt, std::vector<int32_t>* ids,
                               std::vector<int32_t>* mask) const {
  *ids = tokenizer_.EncodeForT5(prompt, max_length_, /*append_eos=*/true);
  mask->resize(ids->size());
  // Padding is the tail only; everything before it (eos included) is attended to.
  size_t real = ids->size();
  while (real > 0 && (*ids)[real - 1] == tokenizer_.pad_id()) --real;
  std::fill(mask->begin(), mask->begin() + static_cast<std::ptrdiff_t>(real), 1);
  std::fill(mask->begin() + static_cast<std::ptrdiff_t>(real), mask->end(), 0);
}

Status TextConditioner::Encode(ThreadPool& pool, const std::vector<std::string>& prompts, Tensor* txt, Tensor* y) {
  const int64_t batch = static_cast<int64_t>(prompts.size()), len = max_length_;
  const int64_t dim = encoder_.config().d_model;
  if (batch == 0) return Status::InvalidArgument("prompt: at least one is needed");
  std::vector<int32_t> ids(static_cast<size_t>(batch * len)), mask(ids.size());
  std::vector<int32_t> one_ids, one_mask;
  for (int64_t b = 0; b < batch; ++b) {
    Tokenize(prompts[b], &one_ids, &one_mask);
    std::copy(one_ids.begin(), one_ids.end(), ids.begin() + b * len);
    std::copy(one_mask.begin(), one_mask.end(), mask.begin() + b * len);
  }
  KILN_RETURN_IF_ERROR(encoder_.ValidateInputs(ids.data(), batch, len).WithContext("prompt"));
  *txt = Tensor::Empty(DType::kF32, {batch, len, dim});
  encoder_.Forward(pool, ids.data(), batch, len, mask.data(), txt->f32(), workspace_);

  *y = Tensor::Zeros(DType::kF32, {batch, dim});
  for (int64_t b = 0; b < batch; ++b) {
    float* pooled = y->f32() + b * dim;
    int64_t count = 0;
    for (int64_t t = 0; t < len; ++t) {
      if (mask[b * len + t] == 0) continue;
      const float* h = txt->f32() + (b * len + t) * dim;
      for (int64_t d = 0; d < dim; ++d) pooled[d] += h[d];
      ++count;
    }
    for (int64_t d = 0; d < dim; ++d) pooled[d] /= static_cast<float>(std::max<int64_t>(count, 1));
  }
  return Status::Ok();
}

}  // namespace kiln
