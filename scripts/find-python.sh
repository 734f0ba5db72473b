#!/usr/bin/env sh
# Prints a Python interpreter for the project venv: FC's python3.12 if this machine has one, else python3.10
# (FC's other runtime), else any python3 >= 3.10. pyenv shims are tried as well as pyenv's own installs.
for candidate in python3.12 python3.10; do
  if "$candidate" -c 'import sys' >/dev/null 2>&1; then command -v "$candidate"; exit 0; fi
  if command -v pyenv >/dev/null 2>&1; then
    for found in "$(pyenv root)"/versions/"${candidate#python}".*/bin/"$candidate"; do
      if [ -x "$found" ]; then echo "$found"; exit 0; fi
    done
  fi
done
if python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1; then command -v python3; exit 0; fi
echo "no Python >= 3.10 found; install python3.12 or set PYTHON=/path/to/python" >&2
exit 1
