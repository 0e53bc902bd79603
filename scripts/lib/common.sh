# Shared by scripts/demo and scripts/test: find or install what HVFLVSPOT needs.
# Sourced, not executed.

# Debian packages the build, the demo and the tests need.
SPOT_SYSTEM_PACKAGES=(
  libsqlite3-dev       # the node's SQLite (GRDB links the system library)
  libssl-dev           # TLS for PostgreSQL connections
  libcurl4-openssl-dev # FoundationNetworking (URLSession)
  libqrencode-dev      # QR code rendering
  zlib1g-dev           # PNG compression
  zbar-tools           # zbarimg: decodes QR images in the tests and the demo's "try it"
  libzbar-dev          # the node decodes camera frames from phones without a barcode detector
  librsvg2-bin         # rsvg-convert: rasterizes SVG QR codes in the tests
  postgresql-15        # the central server's database (a throwaway cluster for the tests)
  postgresql-contrib   # pg_trgm for fuzzy search
  python3-venv         # the tests' Python tools (OpenAPI validation, Selenium) in a virtual environment
  chromium             # the real browser the kiosk tests drive, headless
  chromium-driver      # chromedriver: WebDriver for that browser
  python3-aiosmtpd     # a real SMTP server the email tests send to
  openssl              # the email tests' self-signed relay certificate; checks the node's HTTPS chain
  curl                 # an independent HTTPS client for the node's venue certificates
  libnss3-tools        # certutil: the browser tests trust the venue CA as a phone would
)

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs missing Debian packages when root; otherwise names them and stops.
ensure_system_packages() {
  local missing=() package
  for package in "${SPOT_SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    fail "missing system packages: ${missing[*]}
  install them with:  sudo apt-get install -y ${missing[*]}
  (or run this script as root and it installs them itself)"
  fi
  step "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Finds Swift 6.1 or newer (also in /opt/swift, where some images keep it).
ensure_swift() {
  if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
  fi
  command -v swift >/dev/null 2>&1 || fail "Swift 6.1 or newer is required and was not found.
  Install it from https://www.swift.org/install/linux/ (for example with swiftly), then run this again."
  local version
  version=$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9]*\.[0-9]*\).*/\1/p' | head -n 1)
  case "$version" in
    6.[1-9]*|[7-9].*) ;;
    *) fail "Swift 6.1 or newer is required (found ${version:-an unknown version}): https://www.swift.org/install/linux/" ;;
  esac
}

# A Python virtual environment in .build/test-python with the PyPI packages the
# tests use; exports SPOT_TEST_PYTHON, the interpreter the tests run.
ensure_python_packages() {
  local venv=.build/test-python
  if [ ! -x "$venv/bin/python" ]; then
    step "Creating a Python environment for the tests in $venv"
    /usr/bin/python3 -m venv "$venv" || fail "python3 -m venv failed (is python3-venv installed?)"
  fi
  local package module missing=()
  for package in "$@"; do
    module=${package//-/_}
    "$venv/bin/python" -c "import $module" 2>/dev/null || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    step "Installing Python packages: ${missing[*]}"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${missing[@]}"
  fi
  SPOT_TEST_PYTHON="$PWD/$venv/bin/python"
  export SPOT_TEST_PYTHON
}

# The newest installed PostgreSQL server binaries directory.
postgres_bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] || fail "PostgreSQL server binaries not found under /usr/lib/postgresql"
  printf '%s' "$dir"
}

# Starts a throwaway PostgreSQL on a Unix socket in a new temporary directory
# (as the postgres user when root: PostgreSQL refuses to run as root), exports
# SPOT_TEST_DATABASE_URL, and registers stop_throwaway_postgres to run on exit.
start_throwaway_postgres() {
  local bin
  bin=$(postgres_bin_dir)
  SPOT_PG_DIR=$(mktemp -d /tmp/spotpg.XXXXXX)  # short: socket paths are limited to ~107 bytes
  SPOT_PG_AS=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$SPOT_PG_DIR"
    SPOT_PG_AS=(runuser -u postgres --)
  fi
  SPOT_PG_BIN=$bin
  trap stop_throwaway_postgres EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  step "Starting a throwaway PostgreSQL in $SPOT_PG_DIR"
  "${SPOT_PG_AS[@]}" "$bin/initdb" -D "$SPOT_PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null \
    || fail "initdb failed"
  # fsync=off is for this throwaway test cluster only, never for real data.
  if ! "${SPOT_PG_AS[@]}" "$bin/pg_ctl" -D "$SPOT_PG_DIR/data" -l "$SPOT_PG_DIR/log" -w \
      -o "-k $SPOT_PG_DIR -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c max_connections=200" \
      start >/dev/null; then
    cat "$SPOT_PG_DIR/log" >&2 || true
    fail "PostgreSQL did not start"
  fi
  export SPOT_TEST_DATABASE_URL="postgres://postgres@/postgres?host=$SPOT_PG_DIR"
}

stop_throwaway_postgres() {
  [ -n "${SPOT_PG_DIR:-}" ] || return 0
  "${SPOT_PG_AS[@]}" "$SPOT_PG_BIN/pg_ctl" -D "$SPOT_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$SPOT_PG_DIR"
  SPOT_PG_DIR=
}
