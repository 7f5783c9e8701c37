#include "app/cli.h"

int main(int argc, char** argv) { return deltabridge::RunCli(argc, argv); }
