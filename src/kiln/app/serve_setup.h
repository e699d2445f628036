// What `kiln serve` and `kiln keys` share: reading the settings (config file,
// environment, flags) and wiring the store, queue, workers and HTTP server
// together in the right order (ServeRuntime).
#pragma once

#include <memory>
#include <string>

#include "kiln/base/flags.h"
#include "kiln/base/metrics.h"
#include "kiln/base/status.h"
#include "kiln/jobs/job_store.h"
#include "kiln/server/serve_config.h"

namespace kiln {

struct ApiOptions;
struct WorkerOptions;

// The config file (--config or $KILN_CONFIG), then the environment, then
// the flags that were given. Default models are found next to the working
// directory or the binary (build/<preset>/kiln → ../../models).
StatusOr<ServeConfig> LoadServeSettings(const Flags& flags, char** argv);

// Opens the job store under a data directory (creating it).
StatusOr<std::unique_ptr<JobStore>> OpenJobStore(const ServeConfig& config);

class ServeRuntime {
 public:
  static StatusOr<std::unique_ptr<ServeRuntime>> Create(const ServeConfig& config);
  ~ServeRuntime();

  // Recovers unfinished jobs, starts the workers (loading the models), then listens.
  Status Start();
  // Stops listening, lets the workers finish their batches, stops.
  void Stop();

  std::string public_url() const;
  std::string model_names() const;  // "kiln-shapes (aliases: flux-dev, ...)"
  uint16_t port() const;

 private:
  ServeRuntime() = default;
  // Loads the policies, the classifiers and the moderation service, and hands
  // them to the API and the workers.
  Status StartModeration(ApiOptions* api, WorkerOptions* workers);
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace kiln
