// The kiln subcommands. Each takes the arguments after its name and returns
// the process exit code: 0 success, 1 failure of the work (e.g. a golden
// mismatch), 2 bad usage or input (the message names the flag or file).
#pragma once

namespace kiln {

int CheckGoldenCommand(int argc, char** argv);
int GenerateCommand(int argc, char** argv);
int BenchCommand(int argc, char** argv);
int ServeCommand(int argc, char** argv);
int KeysCommand(int argc, char** argv);
int EmbedCommand(int argc, char** argv);
int EvalCommand(int argc, char** argv);

}  // namespace kiln
