#include "cli.hpp"

#include <iostream>

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  int status = umlab::cli::run(argc > 0 ? argv[0] : "umlab", args, std::cout, std::cerr);
  std::cout.flush();
  return status;
}
