#!/bin/sh
# Catch2 test names become CTest test names through catch_discover_tests, and CMake reads a ';'
# in them as a list separator: the test splits into two names that match nothing and fail.
# Usage: test_names.sh SOURCE_DIR
cd "${1:?usage: test_names.sh SOURCE_DIR}" || exit 2
found=$(grep -rn --include='*.cpp' -E 'TEST_CASE\("[^"]*;' base lab switchd transports gui kernel tests 2>/dev/null)
if [ -n "$found" ]; then
  echo "test names with ';' (CTest splits them; write ',' instead):"
  echo "$found"
  exit 1
fi
echo "no test name has a ';'"
