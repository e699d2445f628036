// The kiln binary: dispatches to subcommands.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  std::fprintf(stderr, "usage: kiln <command> [options]\n");
  return 2;
}
