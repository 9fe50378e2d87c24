# Shared set-up steps for scripts/test and scripts/run: system packages, a Python >= 3.12 venv, the project.
# Sourced, not executed. Idempotent: a second run installs nothing new.

ENCORE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENCORE_VENV="${ENCORE_VENV:-$ENCORE_ROOT/.venv}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

encore_log() { printf '\033[1m[encore]\033[0m %s\n' "$*" >&2; }

encore_as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        encore_log "need root for: $*"; return 1; fi
}

# Debian/Ubuntu packages the project needs on the host: ffmpeg, libopus0, redis-server (+ git, ca-certificates);
# with "test", also prometheus for its promtool (the alert rules' tests) and chromium (the sandbox page's browser
# tests drive it headless with Playwright). Installing prometheus must not leave a
# Prometheus server running: service starts are denied during the install, and if systemd started the unit anyway
# (a host policy-rc.d that allows it) the unit this install brought is stopped and disabled.
encore_system_packages() {
    local missing=()
    command -v ffmpeg >/dev/null || missing+=(ffmpeg)
    command -v redis-server >/dev/null || missing+=(redis-server)
    ldconfig -p 2>/dev/null | grep -q 'libopus\.so\.0' || missing+=(libopus0)
    if [ "${1:-}" = test ]; then
        command -v promtool >/dev/null || missing+=(prometheus)
        command -v chromium >/dev/null || missing+=(chromium)
    fi
    if [ "${#missing[@]}" -gt 0 ]; then
        encore_log "installing system packages: ${missing[*]}"
        encore_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        encore_no_service_starts encore_as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        case " ${missing[*]} " in *" prometheus "*) encore_stop_unit prometheus.service ;; esac
    fi
}

# Runs "$@" with a /usr/sbin/policy-rc.d that denies service starts (unless the host has one of its own).
encore_no_service_starts() {
    local policy=/usr/sbin/policy-rc.d ours=0 status=0
    if [ ! -e "$policy" ]; then
        encore_as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy" && ours=1
    fi
    "$@" || status=$?
    if [ "$ours" = 1 ]; then encore_as_root rm -f "$policy"; fi
    return "$status"
}

# Stops and disables a systemd unit a package install just brought (no-op without a running systemd).
encore_stop_unit() {
    [ -d /run/systemd/system ] || return 0
    encore_as_root systemctl disable --now "$1" >/dev/null 2>&1 || true
}

# Prints a python >= 3.12 (nextcord 3.x needs it): $ENCORE_PYTHON, python3.12/3.13 on PATH, pyenv, or python3.
encore_find_python() {
    local candidates=("${ENCORE_PYTHON:-}" python3.12 python3.13)
    local root="${PYENV_ROOT:-$HOME/.pyenv}"
    for v in "$root"/versions/3.12.* "$root"/versions/3.13.*; do candidates+=("$v/bin/python"); done
    candidates+=(python3)
    for c in "${candidates[@]}"; do
        [ -n "$c" ] || continue
        command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || continue
        if "$c" -c 'import sys, venv; sys.exit(not ((3, 12) <= sys.version_info[:2] < (3, 14)))' 2>/dev/null; then
            command -v "$c" 2>/dev/null || echo "$c"; return 0
        fi
    done
    # Debian 13 / Ubuntu 24.04 ship 3.12+ as python3; make sure venv support is there.
    if command -v apt-get >/dev/null; then
        encore_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null 2>&1 || true
        if python3 -c 'import sys, venv; sys.exit(not ((3, 12) <= sys.version_info[:2] < (3, 14)))' 2>/dev/null; then
            command -v python3; return 0
        fi
    fi
    encore_log "encore needs Python 3.12 or 3.13 (nextcord 3.x requires it); set ENCORE_PYTHON=/path/to/python3.12"
    return 1
}

# Creates the venv (or recreates it if its Python is too old) and installs the project with pinned versions.
encore_venv() {
    local extras="$1" python stamp
    if [ ! -x "$ENCORE_VENV/bin/python" ] || ! "$ENCORE_VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
        python="$(encore_find_python)" || return 1
        encore_log "creating $ENCORE_VENV with $("$python" --version)"
        rm -rf "$ENCORE_VENV"
        "$python" -m venv "$ENCORE_VENV"
    fi
    stamp="$ENCORE_VENV/.encore-installed-${extras:-base}"
    if [ ! -f "$stamp" ] || [ "$ENCORE_ROOT/pyproject.toml" -nt "$stamp" ] || [ "$ENCORE_ROOT/requirements/constraints.txt" -nt "$stamp" ]; then
        encore_log "installing encore[$extras] into $ENCORE_VENV"
        "$ENCORE_VENV/bin/python" -m pip install -q --upgrade pip
        local target="$ENCORE_ROOT"
        [ -n "$extras" ] && target="$ENCORE_ROOT[$extras]"
        "$ENCORE_VENV/bin/python" -m pip install -q -c "$ENCORE_ROOT/requirements/constraints.txt" -e "$target"
        touch "$stamp"
    fi
}
