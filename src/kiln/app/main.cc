// The kiln binary: one subcommand per job.
#include <cstdio>
#include <cstring>

#include "kiln/app/commands.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"serve", kiln::ServeCommand, "serve the BFL-compatible API, the playground and the workers"},
    {"keys", kiln::KeysCommand, "create API keys for tenants (kiln keys create --tenant NAME)"},
    {"generate", kiln::GenerateCommand, "generate an image with a FLUX.1-architecture model"},
    {"check-golden", kiln::CheckGoldenCommand, "check parity with a golden case folder (../shared/golden format)"},
    {"embed", kiln::EmbedCommand, "sentence embeddings with MiniLM-L6 (kiln embed [--model DIR] TEXT ...)"},
    {"eval", kiln::EvalCommand, "precision/recall of the prompt check on a labelled set (kiln eval --dataset F)"},
    {"bench", kiln::BenchCommand, "benchmark the engine (kiln bench flux ...)"},
};

void PrintUsage() {
  std::fprintf(stderr, "usage: kiln <command> [options]\n\ncommands:\n");
  for (const Command& c : kCommands) std::fprintf(stderr, "  %-14s %s\n", c.name, c.summary);
  std::fprintf(stderr, "\n'kiln <command> --help' describes a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    PrintUsage();
    return argc < 2 ? 2 : 0;
  }
  for (const Command& c : kCommands) {
    if (std::strcmp(argv[1], c.name) == 0) return c.run(argc - 2, argv + 2);
  }
  std::fprintf(stderr, "kiln: unknown command '%s'\n\n", argv[1]);
  PrintUsage();
  return 2;
}
