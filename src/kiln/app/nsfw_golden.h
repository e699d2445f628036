// The NSFW classifier's golden folder (../shared/golden/nsfw: golden.safetensors
// from TensorFlow.js, its PNGs, golden_resize.safetensors), run by
// `kiln check-golden`. Unlike the flux cases it has no io.safetensors or
// case_spec, and its tolerance is absolute: max|out − ref| <= 1e-4.
#pragma once

#include <string>

#include "kiln/app/golden_report.h"
#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"

namespace kiln {

inline constexpr double kNsfwGoldenMaxAbs = 1e-4;

// True when dir looks like the nsfw golden folder (golden.safetensors, no io.safetensors).
bool IsNsfwGoldenDir(const std::string& dir);

// Three paths, each compared with the references:
//   1. the model on golden `input` (16 images): probs, logits, features,
//      dense_1, dense_2; the trace/ layers of the trace images (informational,
//      to localise a mismatch);
//   2. inputs_XX.png → PNG decoding → /255 (== `input` exactly) → the model;
//   3. resize_input_200x150.png → /255 → tfjs bilinear resize (== golden_resize
//      `input`) → the model → probs.
// model_dir holds model.safetensors and topology.json. A non-ok Status means
// the case could not run (missing file, bad shape); mismatches go to report.
Status RunNsfwGolden(const std::string& dir, const std::string& model_dir, ThreadPool& pool, GoldenReport& report);

}  // namespace kiln
