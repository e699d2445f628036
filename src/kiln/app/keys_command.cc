// kiln keys create --tenant NAME: a new API key for a tenant (created or
// updated with the limits given), stored hashed in the job store.
// kiln keys create --admin: a new operator key for the admin API (/v1/admin/…).
// The key is printed once; only its SHA-256 is kept.
#include <cstdio>
#include <string>

#include "kiln/app/commands.h"
#include "kiln/app/serve_setup.h"
#include "kiln/base/crypto.h"
#include "kiln/base/flags.h"
#include "kiln/server/tenant_auth.h"

namespace kiln {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"tenant", false, "tenant name: letters, digits, '_' and '-' (required unless --admin)"},
    {"admin", true, "an operator key for the admin API instead of a tenant key"},
    {"rate", false, "submits per second allowed (token bucket; default 0: unlimited)"},
    {"burst", false, "token bucket size (default: max(1, rate))"},
    {"max-active", false, "most queued + running tasks at once (default 0: unlimited)"},
    {"max-priority", false, "highest priority its requests may ask for, 0-9 (default 0)"},
    {"config", false, "the serve config file (for data_dir)"},
    {"data-dir", false, "the server's data directory (default ./var)"},
    {"help", true, "show this help"},
};

int Fail(const std::string& message, int code) {
  std::fprintf(stderr, "kiln keys: %s\n", message.c_str());
  return code;
}

}  // namespace

int KeysCommand(int argc, char** argv) {
  if (argc < 1 || std::string(argv[0]) != "create") {
    if (argc >= 1 && (std::string(argv[0]) == "--help" || std::string(argv[0]) == "-h")) {
      std::printf("usage: kiln keys create (--tenant NAME | --admin) [options]\n\n%s", Flags::Usage(kFlags).c_str());
      return 0;
    }
    return Fail("usage: kiln keys create (--tenant NAME | --admin) [options] (kiln keys --help)", 2);
  }
  StatusOr<Flags> flags = Flags::Parse(argc - 1, argv + 1, kFlags);
  if (!flags.ok()) return Fail(flags.status().message(), 2);
  if (flags->Has("help")) {
    std::printf("usage: kiln keys create (--tenant NAME | --admin) [options]\n\n%s", Flags::Usage(kFlags).c_str());
    return 0;
  }
  const bool admin = flags->Has("admin");
  if (admin && flags->Has("tenant")) return Fail("--admin: an admin key belongs to no tenant; drop --tenant", 2);
  Tenant tenant;
  tenant.name = flags->GetString("tenant", "");
  if (tenant.name.empty() && !admin) return Fail("--tenant: required (or --admin)", 2);
  if (Status s = ValidateTenantName(tenant.name); !admin && !s.ok()) return Fail(s.message(), 2);
  StatusOr<double> rate = flags->GetDouble("rate", 0);
  StatusOr<double> burst = flags->GetDouble("burst", 0);
  StatusOr<int64_t> max_active = flags->GetInt("max-active", 0, 0, 1000000);
  StatusOr<int64_t> max_priority = flags->GetInt("max-priority", 0, 0, 9);
  for (const Status& s : {rate.status(), burst.status(), max_active.status(), max_priority.status()}) {
    if (!s.ok()) return Fail(s.message(), 2);
  }
  if (*rate < 0 || *burst < 0) return Fail("--rate and --burst: must not be negative", 2);
  tenant.rate_per_second = *rate;
  tenant.burst = *burst;
  tenant.max_active = static_cast<int>(*max_active);
  tenant.max_priority = static_cast<int>(*max_priority);

  StatusOr<ServeConfig> config = LoadServeSettings(*flags, argv);
  if (!config.ok()) return Fail(config.status().message(), 2);
  StatusOr<std::unique_ptr<JobStore>> store = OpenJobStore(*config);
  if (!store.ok()) return Fail(store.status().message(), 1);
  const std::string key = NewApiKey();
  if (admin) {
    if (Status s = (*store)->AddAdminKey(Sha256Hex(key)); !s.ok()) return Fail(s.message(), 1);
    std::printf("%s\n", key.c_str());
    std::fprintf(stderr, "kiln keys: a new admin key (stored hashed in %s/jobs.db; shown only now)\n",
                 config->data_dir.c_str());
    return 0;
  }
  Status s = (*store)->PutTenant(tenant);
  if (s.ok()) s = (*store)->AddApiKey(Sha256Hex(key), tenant.name);
  if (!s.ok()) return Fail(s.message(), 1);
  std::printf("%s\n", key.c_str());
  std::fprintf(stderr, "kiln keys: a new key for tenant '%s' (stored hashed in %s/jobs.db; shown only now)\n",
               tenant.name.c_str(), config->data_dir.c_str());
  return 0;
}

}  // namespace kiln
