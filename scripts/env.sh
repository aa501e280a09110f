# Sourced by scripts/run and scripts/test: a venv with the package, bun from the npm registry,
# and every cache inside the project. Idempotent: a second call only checks.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Recete needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)." >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$(find_python)" -m venv .venv
fi

# Reinstall only when the dependencies changed.
STAMP=.venv/.recete-deps
WANT="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
  echo "==> installing Python packages into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  echo "$WANT" > "$STAMP"
fi

# bun from the npm registry (never bun's internet install script).
BUN_VERSION=1.4.5
if [ ! -x .tools/node_modules/.bin/bun ]; then
  command -v npm >/dev/null 2>&1 || { echo "Recete needs Node.js and npm (for bun)." >&2; exit 1; }
  echo "==> installing bun ${BUN_VERSION} from the npm registry into .tools/"
  npm install --prefix .tools --no-audit --no-fund --loglevel=error "bun@${BUN_VERSION}" >/dev/null
fi

export PATH="$ROOT/.tools/node_modules/.bin:$ROOT/.venv/bin:$PATH"
export REFLEX_BUN_PATH="$ROOT/.tools/node_modules/.bin/bun"
export REFLEX_TELEMETRY_ENABLED=false
export REFLEX_CHECK_LATEST_VERSION=false
export NPM_CONFIG_REGISTRY="${NPM_CONFIG_REGISTRY:-$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)}"
export REFLEX_DIR="$ROOT/.cache/reflex"
export npm_config_cache="$ROOT/.cache/npm"
export BUN_INSTALL_CACHE_DIR="$ROOT/.cache/bun"
export XDG_CACHE_HOME="$ROOT/.cache/xdg"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$ROOT/.cache/runtime}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
