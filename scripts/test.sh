#!/usr/bin/env bash
# The test command: installs dependencies, builds, runs every test.
#
#   bash scripts/test.sh
#
# Environment:
#   DELTABRIDGE_SKIP_DEPS=1   do not run scripts/install-deps.sh
#   DELTABRIDGE_BUILD_DIR     build directory (default: build)
#   DELTABRIDGE_JOBS          parallel build and test jobs (default: 2)
#
# Integration tests start their own PostgreSQL servers on 127.0.0.1 in
# temporary directories and stop them; nothing else is needed. Exits with
# ctest's status.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir="${DELTABRIDGE_BUILD_DIR:-build}"
jobs="${DELTABRIDGE_JOBS:-2}"

step="start"
section() {
  printf '\n==== %s ====\n' "$*"
}
trap 'section "Result: FAILED during ${step}"' ERR

if [[ "${DELTABRIDGE_SKIP_DEPS:-0}" == 1 ]]; then
  section "Dependencies: skipped (DELTABRIDGE_SKIP_DEPS=1)"
else
  section "Dependencies"
  step="dependencies"
  bash scripts/install-deps.sh
fi

section "Configure (${build_dir})"
step="configure"
cmake -S . -B "${build_dir}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDELTABRIDGE_WERROR=ON \
  -DDELTABRIDGE_BUILD_TESTS=ON

section "Build (-j${jobs})"
step="build"
cmake --build "${build_dir}" -j"${jobs}"

section "Test (ctest -j${jobs})"
step="test"
status=0
ctest --test-dir "${build_dir}" --output-on-failure --no-tests=error -j"${jobs}" --timeout 600 ||
  status=$?

if ((status == 0)); then
  section "Result: all tests passed"
else
  section "Result: FAILED (ctest exit status ${status})"
fi
exit "${status}"
