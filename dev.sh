#!/usr/bin/env bash
# Bedside developer entry point.
#   ./dev.sh serve   install what is missing, train missing bundles, build, serve (prints the URL)
#   ./dev.sh test    the same setup and build, then every test (what CI runs)
#   ./dev.sh bench   measure sizes and browser timings (see BENCHMARKS.md)
#   ./dev.sh parity  the same models in scikit-learn on identical splits (see BENCHMARKS.md)
#   ./dev.sh bench-validate  predict/evaluate on 100,000 rows (CLI) and the Validate view on 10,000
#   ./dev.sh bench-onnx  Bedside against scikit-learn → ONNX → ONNX Runtime Web, one Chromium
#   ./dev.sh bench-load  1,000 assessments/s for 60 s in Chromium: rate, p99, memory (BENCHMARKS.md)
#   ./dev.sh bench-lighthouse  Lighthouse on the app, desktop and mobile, medians (BENCHMARKS.md)
#   ./dev.sh fuzz [seconds] [target]  fuzz every decoder (default 600 s each; RELIABILITY.md)
# Each setup step checks versions and skips itself when already done.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Bundles the app ships, as id:training-csv (or id:equation file for a published equation), read
# from the manifest data/bundles.txt (schema is data/<id>.schema.toml).
BUNDLES=$(awk '!/^#/ && NF == 2 { printf "%s:%s ", $1, $2 }' data/bundles.txt)

say() { printf '\n==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "error: '$*' needs root (no sudo found)" >&2; exit 1; fi
}

setup() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32 target"
    rustup target add wasm32-unknown-unknown
  fi
  # wasm-bindgen's CLI must match the library version in Cargo.lock exactly.
  local want have
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
  have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
  if [ "$have" != "$want" ]; then
    say "installing wasm-bindgen-cli $want (found '${have:-none}')"
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
  if ! command -v wasm-pack >/dev/null 2>&1; then
    say "installing wasm-pack"
    cargo install --locked wasm-pack
  fi
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
     || ! { command -v fc-list >/dev/null 2>&1 && fc-list | grep -i 'Noto Sans CJK' >/dev/null; }; then
    say "installing Debian's chromium, chromium-driver and CJK fonts"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
  fi
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing npm dev tools (binaryen, esbuild, playwright-core)"
    npm ci --no-audit --no-fund
  fi
}

build_cli() {
  say "building the bedside CLI"
  # The CLI needs none of the browser shell (features `ui`, `engine`). It is built for speed
  # (opt-level 3: training 5,000 rows takes half the time of the size-optimised build, same
  # bytes out); the release profile's "z" is for the WASM the browser downloads.
  CARGO_PROFILE_RELEASE_OPT_LEVEL=3 cargo build --release --locked --no-default-features --bin bedside
}

train_bundles() {
  local entry id data schema out
  for entry in $BUNDLES; do
    id=${entry%%:*}; data=${entry#*:}; schema="data/$id.schema.toml"; out="static/bundles/$id.bdsx"
    rules="data/$id.rules.toml"   # picked up by `bedside train` when present
    if [ ! -f "$out" ] || [ "$data" -nt "$out" ] || [ "$schema" -nt "$out" ] || [ target/release/bedside -nt "$out" ] \
       || { [ -f "$rules" ] && [ "$rules" -nt "$out" ]; }; then
      case "$data" in
        *.equation.toml)   # a published equation: built from its coefficients, nothing fitted
          say "building $out from the published equation $data"
          target/release/bedside train --equation "$data" --schema "$schema" --out "$out" ;;
        *)
          say "training $out"
          target/release/bedside train --data "$data" --schema "$schema" --out "$out" ;;
      esac
    fi
  done
}

# Every shipped bundle is signed. This machine's own development key lives in target/keys/
# (made on first use, never committed); its public key is built into the app and the widget as
# their trusted key. A deployment signs with its own key, kept offline, and builds with
# BEDSIDE_TRUSTED_KEYS set to its public key (see README, "Signed bundles").
DEV_KEY=target/keys/dev
sign_bundles() {
  if [ ! -f "$DEV_KEY.key" ]; then
    say "making this machine's development signing key ($DEV_KEY.key)"
    target/release/bedside keygen --out "$DEV_KEY" >/dev/null
  fi
  local entry
  for entry in $BUNDLES; do
    # `verify` exits non-zero on an unsigned or stale signature: only then is it signed again.
    target/release/bedside verify --trusted "$DEV_KEY.pub" "static/bundles/${entry%%:*}.bdsx" >/dev/null 2>&1 \
      || target/release/bedside sign --key "$DEV_KEY.key" "static/bundles/${entry%%:*}.bdsx" >/dev/null
  done
  BEDSIDE_TRUSTED_KEYS="${BEDSIDE_TRUSTED_KEYS:-$(cat "$DEV_KEY.pub")}"
  export BEDSIDE_TRUSTED_KEYS
}

build_wasm() {
  say "building the UI (wasm-pack): the page, the widget and the iframe"
  # wasm-pack does not clear its output directory: a build of an older layout would linger.
  rm -rf pkg
  wasm-pack build --target web --release --mode no-install 2>&1 | grep -v 'failed to get wasm-pack version' || true
  test -f pkg/bedside_bg.wasm
  # The JS glue and snippets as shipped, minified (esbuild, npm): 2 KB of the app's gzip budget
  # were comments and indentation. Imports and `import.meta.url` are left as they are.
  local f
  for f in pkg/bedside.js pkg/snippets/*/*.js; do
    esbuild "$f" --minify --format=esm --log-level=warning --outfile="$f" --allow-overwrite
  done
  esbuild www/style.css --minify --log-level=warning --outfile=pkg/style.css
  # The SMART team's client (npm fhirclient, its build without polyfills) for the EHR launch
  # page only (www/launch.html); no other page loads it.
  cp node_modules/fhirclient/build/fhir-client.pure.min.js pkg/fhir-client.js
  # The page's script too (www/main.js imports ../pkg/ files; from pkg/ they are ./).
  sed "s#'\.\./pkg/#'./#g; s#\`\.\./pkg/#\`./#g" www/main.js \
    | esbuild --minify --format=esm --log-level=warning --loader=js > pkg/main.js
}

# A second build of the crate with cargo `features` (and no default features: the UI), into
# `dir` as `name`.js / `name`_bg.wasm.
build_wasm_variant() {
  local dir=$1 name=$2 features=$3
  say "building $dir (--no-default-features --features $features)"
  wasm-pack build --target web --release --mode no-install --out-dir "$dir" --out-name "$name" --no-pack \
    -- --no-default-features --features "$features" 2>&1 | grep -v 'failed to get wasm-pack version' || true
  test -f "$dir/${name}_bg.wasm"
  local f
  for f in "$dir/$name.js" "$dir"/snippets/*/*.js; do
    [ -f "$f" ] || continue
    esbuild "$f" --minify --format=esm --log-level=warning --outfile="$f" --allow-overwrite
  done
}

# The headless JS API (`Engine`) for portals that only score, in pkg/engine/: no UI code at all,
# so it stays small and can never mount anything.
build_engine_wasm() { build_wasm_variant pkg/engine bedside_engine engine; }

# The data team's page (www/validate.html): the app plus the Validate view, in pkg/validate/, so
# the clinician's page (the UI build) does not carry it. Its script is the page's, pointed at it.
build_validate_wasm() {
  build_wasm_variant pkg/validate bedside_validate validate
  sed "s#'\.\./pkg/bedside\.js#'./validate/bedside_validate.js#g; s#\`\.\./pkg/bedside\.js#\`./validate/bedside_validate.js#g; s#'\.\./pkg/#'./#g; s#\`\.\./pkg/#\`./#g" www/main.js \
    | esbuild --minify --format=esm --log-level=warning --loader=js > pkg/validate-main.js
}

# What the service worker (www/sw.js) precaches, with a version that changes whenever any of
# those files does: a changed version is what makes the browser install the new worker.
write_precache() {
  local files=(www/index.html pkg/main.js www/manifest.webmanifest www/icon.svg
               pkg/style.css pkg/bedside.js pkg/bedside_bg.wasm pkg/snippets/*/*.js
               static/bundles/index.json static/bundles/*.bdsx)
  local version f
  version=$(cat "${files[@]}" | sha256sum | cut -c1-16)
  {
    echo "// Generated by ./dev.sh build: the files the service worker precaches, and their version."
    echo "self.BEDSIDE_PRECACHE = {"
    echo "  version: '$version',"
    echo "  files: ["
    echo "    './',"
    for f in "${files[@]}"; do echo "    '../$f',"; done
    echo "  ],"
    echo "};"
  } > pkg/precache.js
}

# pkg/ as an npm package a portal can install (www/npm/: package.json, README, types): the
# widget, the headless API and the stylesheet. Bundles are the portal's own files.
write_npm_package() {
  cp www/npm/package.json www/npm/README.md www/npm/widget.d.ts pkg/
  # wasm-pack's .gitignore files say "*"; npm would honour them. package.json's `files` decides.
  local d
  for d in pkg pkg/engine; do echo "# package.json's files field decides what is packed" > "$d/.npmignore"; done
  sed -e "s#'../pkg/bedside.js'#'./bedside.js'#" -e "s#'../pkg/style.css'#'./style.css'#" www/widget.js > pkg/widget.js
}

build_all() { setup; build_cli; train_bundles; sign_bundles; build_wasm; build_engine_wasm; build_validate_wasm; write_precache; write_npm_package; }

# The app plus its benchmark-only entry points (synthetic case libraries), in target/bench-pkg;
# the case benchmark serves it in place of pkg/.
build_bench_wasm() { build_wasm_variant target/bench-pkg bedside bench; }

# The FHIR model (fhir.resources, PyPI) that FHIR output is validated against, in its own venv;
# rebuilt when tests/fhir/requirements.txt changes.
fhir_venv() {
  local venv=target/fhir-venv
  if [ ! -x "$venv/bin/python" ] || ! cmp -s tests/fhir/requirements.txt "$venv/requirements.txt"; then
    say "creating a Python venv with fhir.resources (PyPI)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -r tests/fhir/requirements.txt
    cp tests/fhir/requirements.txt "$venv/requirements.txt"
  fi
}

# Fuzz every decoder for `seconds` each (cargo-fuzz, nightly; see RELIABILITY.md). New inputs
# go to target/fuzz-corpus/, the committed seeds in tests/fuzz/corpus/ are only read, and a
# crash is saved to target/fuzz-artifacts/<target>/ and fails the run.
FUZZ_TARGETS="bundle bundle_wire schema_csv rules fhir patient"
fuzz() {
  local seconds=${1:-60} t corpus
  if ! rustup toolchain list | grep -q '^nightly'; then
    say "adding the nightly toolchain (cargo fuzz needs it)"
    rustup toolchain install nightly --profile minimal
  fi
  if ! cargo fuzz --version >/dev/null 2>&1; then
    say "installing cargo-fuzz"
    cargo install --locked cargo-fuzz
  fi
  local seeds
  for t in ${2:-$FUZZ_TARGETS}; do
    corpus=target/fuzz-corpus/$t
    # bundle_wire reads the bundle target's inputs (tests/fuzz/fuzz_targets/bundle_wire.rs).
    seeds=tests/fuzz/corpus/$t
    [ "$t" = bundle_wire ] && seeds=tests/fuzz/corpus/bundle
    mkdir -p "$corpus" "target/fuzz-artifacts/$t"
    # The current bundles as seeds too (the committed seed may predate a format change).
    local max_len=16384
    if [ "$t" = bundle ] || [ "$t" = bundle_wire ]; then
      # The target's first byte picks the mode: 1 = a whole file, 0 = a payload it wraps in a
      # correct header (tests/fuzz/fuzz_targets/bundle.rs). The current signed bundles in both.
      # Where the payload lies is the CLI's to say (`inspect --json`'s layout), not this script's.
      local b off len
      for b in pima biopsy; do
        { printf '\001'; cat "static/bundles/$b.bdsx"; } > "$corpus/$b-file"
        read -r off len < <(target/release/bedside inspect --json --bundle "static/bundles/$b.bdsx" \
          | node -e 'const l = JSON.parse(require("fs").readFileSync(0, "utf8")).layout; console.log(l.payload_offset, l.payload_len)')
        { printf '\000'; tail -c +$((off + 1)) "static/bundles/$b.bdsx" | head -c "$len"; } > "$corpus/$b-payload"
      done
      max_len=160000
    fi
    say "fuzzing $t for ${seconds}s"
    if ! cargo +nightly fuzz run --fuzz-dir tests/fuzz "$t" "$corpus" "$seeds" -- \
      -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="target/fuzz-artifacts/$t/" -print_final_stats=1 > "target/fuzz-artifacts/$t.log" 2>&1; then
      grep -a -E 'panicked|ERROR|SUMMARY|Test unit written' "target/fuzz-artifacts/$t.log" | head -20 >&2 || true
      echo "error: fuzz target $t failed (log: target/fuzz-artifacts/$t.log; input in target/fuzz-artifacts/$t/)" >&2
      return 1
    fi
    grep -a -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "target/fuzz-artifacts/$t.log" || true
  done
}


# scikit-learn in its own venv (PyPI), for the parity benchmark.
parity_venv() {
  local venv=target/parity-venv
  if [ ! -x "$venv/bin/python" ]; then
    say "creating a Python venv with scikit-learn (PyPI)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet scikit-learn pandas
  fi
}

# The ONNX comparison's tools (pinned: scikit-learn, skl2onnx, onnxruntime from PyPI;
# onnxruntime-web from npm) and both stacks' models, in target/onnx-bench.
onnx_setup() {
  local out=target/onnx-bench ort_version=1.30.0
  if [ ! -x "$out/venv/bin/python" ] || ! cmp -s tests/bench/onnx/requirements.txt "$out/venv/requirements.txt"; then
    say "creating a Python venv with scikit-learn, skl2onnx and onnxruntime (PyPI)"
    rm -rf "$out/venv"
    python3 -m venv "$out/venv"
    "$out/venv/bin/pip" install --quiet -r tests/bench/onnx/requirements.txt
    cp tests/bench/onnx/requirements.txt "$out/venv/requirements.txt"
  fi
  if [ "$(node -p "require('./$out/npm/node_modules/onnxruntime-web/package.json').version" 2>/dev/null)" != "$ort_version" ]; then
    say "installing onnxruntime-web $ort_version (npm)"
    mkdir -p "$out/npm"
    echo '{ "name": "bedside-onnx-bench", "private": true }' > "$out/npm/package.json"
    npm install --prefix "$out/npm" --no-audit --no-fund --ignore-scripts "onnxruntime-web@$ort_version" >/dev/null
  fi
  say "training both stacks' models"
  "$out/venv/bin/python" tests/bench/onnx_models.py "$out/site"
}

# Lighthouse (npm, pinned; 12.x runs on Node 20) in target/lighthouse, for the page-load audit.
lighthouse_setup() {
  local out=target/lighthouse version=12.8.2
  if [ "$(node -p "require('./$out/node_modules/lighthouse/package.json').version" 2>/dev/null)" != "$version" ]; then
    say "installing lighthouse $version (npm)"
    mkdir -p "$out"
    echo '{ "name": "bedside-lighthouse", "private": true }' > "$out/package.json"
    npm install --prefix "$out" --no-audit --no-fund "lighthouse@$version" >/dev/null
  fi
}

# Every benchmark script, run briefly (a few iterations, tiny sizes): it proves each still runs
# against today's app and engine; no figure is judged (BENCHMARKS.md has the real runs).
bench_smoke() {
  local log=target/bench-smoke.log
  run_quiet() { "$@" > "$log" 2>&1 || { tail -40 "$log" >&2; echo "error: benchmark smoke run failed: $*" >&2; return 1; }; }
  say "benchmark smoke run: bench.mjs"
  BENCH_RUNS=1 BENCH_CALLS=10 run_quiet node tests/bench/bench.mjs
  say "benchmark smoke run: load.mjs"
  LOAD_SECONDS=2 LOAD_RATE=50 run_quiet node tests/bench/load.mjs
  build_bench_wasm
  say "benchmark smoke run: cases_bench.mjs"
  CASE_SIZES=1000 CASE_SAMPLES=5 RECALL_QUERIES=5 run_quiet node tests/bench/cases_bench.mjs
  parity_venv
  say "benchmark smoke run: sklearn_parity.py"
  BENCH_SMOKE=1 run_quiet target/parity-venv/bin/python tests/bench/sklearn_parity.py
  say "benchmark smoke run: train_bench.py (2,000 rows)"
  BENCH_SMOKE=1 BENCH_SIZES=2000 run_quiet target/parity-venv/bin/python tests/bench/train_bench.py
  onnx_setup
  say "benchmark smoke run: validate_bench.py and validate_browser.mjs"
  BENCH_SMOKE=1 run_quiet target/parity-venv/bin/python tests/bench/validate_bench.py
  BENCH_SMOKE=1 run_quiet node tests/bench/validate_browser.mjs
  say "benchmark smoke run: onnx_bench.mjs"
  BENCH_SMOKE=1 BENCH_RUNS=1 run_quiet node tests/bench/onnx_bench.mjs
  lighthouse_setup
  say "benchmark smoke run: lighthouse.mjs"
  LH_RUNS=1 run_quiet node tests/bench/lighthouse.mjs
}

run_tests() {
  say "format and lints (native and wasm32)"
  cargo fmt --check
  cargo clippy --locked --all-targets --features validate -- -D warnings
  cargo clippy --locked --lib --target wasm32-unknown-unknown -- -D warnings
  cargo clippy --locked --lib --target wasm32-unknown-unknown --no-default-features --features validate -- -D warnings
  cargo clippy --locked --lib --target wasm32-unknown-unknown --no-default-features -- -D warnings
  cargo clippy --locked --lib --target wasm32-unknown-unknown --no-default-features --features engine -- -D warnings
  cargo clippy --locked --lib --target wasm32-unknown-unknown --no-default-features --features bench -- -D warnings
  cargo clippy --locked --lib --target wasm32-unknown-unknown --features bench -- -D warnings
  say "unit and integration tests"
  cargo test --locked
  say "local validation against scikit-learn (bedside evaluate/recalibrate, computed independently)"
  parity_venv
  target/parity-venv/bin/python tests/validation/agreement.py
  say "published equations against an independent implementation on 100,000 random patients each"
  target/parity-venv/bin/python tests/validation/equations.py --bedside target/release/bedside \
    --prevent-bundle static/bundles/prevent.bdsx --pce-bundle static/bundles/pce.bdsx --n 100000
  say "bedside init then train, no edits, on every shipped CSV and two awkward ones: AUC within 0.03 of scikit-learn"
  target/parity-venv/bin/python tests/validation/init_parity.py
  say "FHIR output against the FHIR model (fhir.resources)"
  fhir_venv
  target/fhir-venv/bin/python tests/fhir/validate.py
  say "WASM tests in headless Chromium"
  CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome --mode no-install 2>&1 \
    | grep -v 'failed to get wasm-pack version'
  say "end-to-end tests (Playwright + Debian Chromium)"
  node --test --test-reporter=spec tests/e2e/
  bench_smoke
  say "fuzz smoke run (10 s per target; the long runs are in RELIABILITY.md)"
  fuzz 10
}

case "${1:-}" in
  serve) build_all; say "serving"; exec target/release/bedside serve --port "${PORT:-8000}" ;;
  test) build_all; run_tests; say "all tests passed" ;;
  bench) build_all; node tests/bench/bench.mjs; build_bench_wasm; node tests/bench/cases_bench.mjs ;;
  bench-load) build_all; node tests/bench/load.mjs ;;
  bench-lighthouse) build_all; lighthouse_setup; node tests/bench/lighthouse.mjs ;;
  bench-cases) build_all; build_bench_wasm; node tests/bench/cases_bench.mjs ;;
  bench-validate) build_all; parity_venv; target/parity-venv/bin/python tests/bench/validate_bench.py; node tests/bench/validate_browser.mjs ;;
  parity) build_cli; parity_venv; target/parity-venv/bin/python tests/bench/sklearn_parity.py ;;
  bench-train) build_cli; parity_venv; target/parity-venv/bin/python tests/bench/train_bench.py ;;
  bench-onnx) build_all; onnx_setup; say "measuring in Chromium"; node tests/bench/onnx_bench.mjs ;;
  fuzz) build_all; fuzz "${2:-600}" "${3:-}" ;;
  setup) setup ;;
  build) build_all ;;
  *) echo "usage: ./dev.sh serve | test | bench | bench-cases | bench-validate | bench-load | bench-lighthouse | bench-onnx | parity | fuzz [seconds] [target]" >&2; exit 64 ;;
esac
