// kiln serve: the HTTP API, the job store and the workers in one process —
// the embedded default deployment (docs/ARCHITECTURE.md).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>

#include "kiln/app/commands.h"
#include "kiln/app/serve_setup.h"
#include "kiln/base/flags.h"
#include "kiln/base/logging.h"

namespace kiln {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"config", false, "TOML config file (also $KILN_CONFIG); config/kiln.example.toml documents every key"},
    {"address", false, "listen address (default 127.0.0.1; $KILN_ADDRESS)"},
    {"port", false, "listen port (default 8080; $KILN_PORT)"},
    {"public-url", false, "base URL clients reach the server at, for polling_url and sample URLs "
                          "(default http://ADDRESS:PORT; $KILN_PUBLIC_URL)"},
    {"data-dir", false, "jobs.db (SQLite, WAL), blobs/ and the URL signing key (default ./var; $KILN_DATA_DIR)"},
    {"workers", false, "worker threads, each with its own model instances (default 1; 0: API only, jobs stay queued; $KILN_WORKERS)"},
    {"compute-threads", false, "threads of each worker's compute pool (default: every core)"},
    {"max-batch-size", false, "most jobs batched into one forward pass (default 4; $KILN_MAX_BATCH_SIZE)"},
    {"max-queue-delay-ms", false, "how long a batch waits for more compatible jobs (default 10; $KILN_MAX_QUEUE_DELAY_MS)"},
    {"queue-capacity", false, "the global queue bound; beyond it submits get 429 (default 1024; $KILN_QUEUE_CAPACITY)"},
    {"io-threads", false, "network threads (default 2)"},
    {"log-format", false, "json (default) or text"},
    {"moderation-threads", false, "compute threads of the moderation service (prompt checks); 0: every core"},
    {"no-moderation", true, "serve without moderation (no prompt or image checks, no /v1/moderations)"},
    {"allow-private-webhooks", true, "let webhooks reach loopback/private addresses (SSRF guard off; "
                                     "$KILN_WEBHOOKS_ALLOW_PRIVATE)"},
    {"help", true, "show this help"},
};

int Fail(const std::string& message, int code) {
  std::fprintf(stderr, "kiln serve: %s\n", message.c_str());
  return code;
}

}  // namespace

int ServeCommand(int argc, char** argv) {
  StatusOr<Flags> flags = Flags::Parse(argc, argv, kFlags);
  if (!flags.ok()) return Fail(flags.status().message() + " (kiln serve --help lists the options)", 2);
  if (flags->Has("help")) {
    std::printf("usage: kiln serve [options]\n\nServes the BFL-compatible API, the playground and the workers.\n"
                "Settings: the config file, then the environment, then these flags (later wins).\n\n%s",
                Flags::Usage(kFlags).c_str());
    return 0;
  }
  StatusOr<ServeConfig> config = LoadServeSettings(*flags, argv);
  if (!config.ok()) return Fail(config.status().message(), 2);
  SetLogFormat(config->log_format == "text" ? LogFormat::kText : LogFormat::kJson);

  // SIGINT/SIGTERM are taken by sigwait below: blocked before any thread starts,
  // so every thread inherits the mask and none is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  StatusOr<std::unique_ptr<ServeRuntime>> runtime = ServeRuntime::Create(*config);
  if (!runtime.ok()) return Fail(runtime.status().message(), 1);
  Status started = (*runtime)->Start();
  if (!started.ok()) return Fail(started.message(), 1);
  SetLogBuffered(true);  // a line per request: batched writes

  const ServeRuntime& rt = **runtime;
  std::fprintf(stderr,
               "\nKiln is serving %s at %s\n  playground:  %s/\n  API:         POST %s/v1/%s  (header x-key)\n"
               "  get a key:   kiln keys create --tenant NAME --data-dir %s\n\n",
               rt.model_names().c_str(), rt.public_url().c_str(), rt.public_url().c_str(), rt.public_url().c_str(),
               config->models.front().name.c_str(), config->data_dir.c_str());

  int received = 0;
  sigwait(&signals, &received);
  KILN_LOG(kInfo) << "signal " << received << ": stopping";
  (*runtime)->Stop();
  SetLogBuffered(false);
  return 0;
}

}  // namespace kiln
