#!/usr/bin/env sh
# Prints a Python interpreter. With a version argument (3.10, 3.12), one of exactly that version; without, FC's
# python3.12 if this machine has one, else python3.10 (FC's other runtime), else any python3 >= 3.10.
# pyenv shims are tried as well as pyenv's own installs.
if [ -n "$1" ]; then versions="$1"; else versions="3.12 3.10"; fi
for version in $versions; do
  candidate="python$version"
  if "$candidate" -c 'import sys' >/dev/null 2>&1; then command -v "$candidate"; exit 0; fi
  if command -v pyenv >/dev/null 2>&1; then
    for found in "$(pyenv root)"/versions/"$version".*/bin/"$candidate"; do
      if [ -x "$found" ]; then echo "$found"; exit 0; fi
    done
  fi
done
if [ -z "$1" ] && python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1; then
  command -v python3; exit 0
fi
echo "no Python ${1:->= 3.10} found; install it or set PYTHON=/path/to/python" >&2
exit 1
