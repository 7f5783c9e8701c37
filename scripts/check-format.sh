#!/usr/bin/env bash
# Checks that every C++ file git tracks is formatted as .clang-format says:
#
#   bash scripts/check-format.sh          # exits 1 and names each file that is not
#   bash scripts/check-format.sh --fix    # formats them in place
#
# CI runs it as the ctest entry `format` (clang-format 14, Debian 12's).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
clang_format="${CLANG_FORMAT:-clang-format}"
if ! command -v "${clang_format}" >/dev/null; then
  echo "check-format: ${clang_format} not found: install the Debian package clang-format" >&2
  exit 2
fi
# The C++ files git tracks; every .cc/.h outside build directories when this
# is not a git checkout.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cc' '*.h')
else
  mapfile -t files < <(find app cdc sinks mappings tests -name '*.cc' -o -name '*.h' | sort)
fi
if [[ "${1:-}" == "--fix" ]]; then
  "${clang_format}" -i "${files[@]}"
  exit 0
fi
report="$(mktemp)"
trap 'rm -f "${report}"' EXIT
if ! "${clang_format}" --dry-run -Werror "${files[@]}" 2>"${report}"; then
  grep -E '^[^ ].*: error:' "${report}" | cut -d: -f1 | sort -u | sed 's/^/not formatted: /' >&2
  echo "check-format: run bash scripts/check-format.sh --fix (or clang-format -i FILE)" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted as .clang-format says"
