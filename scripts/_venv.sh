# Shared by scripts/test and scripts/syllabot: create .venv with Python 3.11+ and install.
install_venv() {
  local python="${PYTHON:-}"
  if [ -z "$python" ]; then
    for candidate in python3.13 python3.12 python3.11 python3 python; do
      if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        python="$candidate"
        break
      fi
    done
  fi
  if [ -z "$python" ]; then
    echo "Syllabot needs Python 3.11 or newer; none was found on PATH." >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
  fi
  # Reinstall only when pyproject.toml changed since the last install.
  local stamp=".venv/.installed-$1"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "Installing Syllabot ($1) into .venv; the log is in .venv/install.log" >&2
    if ! { .venv/bin/python -m pip install --upgrade pip &&
      .venv/bin/python -m pip install -e "$1"; } >.venv/install.log 2>&1; then
      tail -n 30 .venv/install.log >&2
      echo "Installation failed; see .venv/install.log" >&2
      exit 1
    fi
    touch "$stamp"
  fi
}
