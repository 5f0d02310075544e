#!/bin/sh
# Prints the path of the first usable Python >= 3.12 (the project's requires-python), for the
# Makefile's .venv. Each candidate is run, not just looked up: pyenv's shims (python3.12, ...)
# exist on PATH but fail unless pyenv is told which version to use.
#
# Order: $PYTHON if set (used as given, or an error: it is never silently replaced), then
# python3.13, python3.12 and python3 on PATH, then pyenv's own 3.12/3.13 builds
# ($(pyenv root)/versions/3.12*, 3.13*). Prints the interpreter's own path (sys.executable; the
# base interpreter when the candidate is a virtualenv's) and exits 0; with none, says on stderr
# what was tried and what to install, and exits 1.
set -u

MIN_MAJOR=3
MIN_MINOR=12
CHECK="import sys
if sys.version_info < ($MIN_MAJOR, $MIN_MINOR): sys.exit(3)
print(getattr(sys, '_base_executable', '') if sys.prefix != sys.base_prefix else sys.executable)"
tried=""

# usable CMD: prints CMD's sys.executable when it runs and is recent enough, else records why not.
usable() {
  out=$("$1" -c "$CHECK" 2>/dev/null)
  status=$?
  if [ "$status" -eq 0 ] && [ -n "$out" ]; then
    printf '%s\n' "$out"
    return 0
  fi
  if [ "$status" -eq 3 ]; then
    why=$("$1" -c 'import sys; print("Python %d.%d.%d, too old" % sys.version_info[:3])' 2>/dev/null)
  else
    why="does not run (exit $status)"
  fi
  tried="$tried
  $1: $why"
  return 1
}

if [ -n "${PYTHON:-}" ]; then
  usable "$PYTHON" && exit 0
  echo "find_python: PYTHON=$PYTHON is not a usable Python >= $MIN_MAJOR.$MIN_MINOR:$tried" >&2
  echo "Unset PYTHON to search for one, or point it at a Python $MIN_MAJOR.$MIN_MINOR or 3.13." >&2
  exit 1
fi

for name in python3.13 python3.12 python3; do
  path=$(command -v "$name" 2>/dev/null) || continue
  usable "$path" && exit 0
done

if root=$(pyenv root 2>/dev/null) && [ -n "$root" ]; then :; else root=${PYENV_ROOT:-${HOME:-}/.pyenv}; fi
for path in "$root"/versions/3.12*/bin/python "$root"/versions/3.13*/bin/python; do
  [ -x "$path" ] || continue
  usable "$path" && exit 0
done

{
  echo "find_python: no Python >= $MIN_MAJOR.$MIN_MINOR found (the project needs 3.12 or 3.13)."
  if [ -n "$tried" ]; then
    echo "Tried:$tried"
  else
    echo "Tried: python3.13, python3.12, python3 on PATH and $root/versions/3.12*, 3.13*: none there."
  fi
  distro=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}")
  [ -n "$distro" ] && echo "This machine: $distro."
  echo "Install one of:"
  echo "  - Ubuntu 24.04, Debian 13 (python3 is 3.12 / 3.13):  sudo apt install python3 python3-venv"
  echo "  - elsewhere (Debian 12, Ubuntu 22.04, ...), with pyenv:  pyenv install 3.12"
  echo "then run make again, or name the interpreter: PYTHON=/path/to/python3.12 make demo"
} >&2
exit 1
