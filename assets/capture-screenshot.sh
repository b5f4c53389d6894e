#!/usr/bin/env bash
# Regenerates assets/screenshot.svg from a real run of the interface: a demo project in a
# temporary directory with a few tasks (two done, one failed, one waiting on a question in the
# Inbox, one running a slow step), `bosun` with no verb in a private tmux server at 120x36, a
# capture with colours (`tmux capture-pane -e`), and assets/render-screenshot.py to make the SVG.
#
# Needs tmux and python3. BOSUN=path/to/bosun uses that binary instead of building one.
# Usage: assets/capture-screenshot.sh [OUT.svg]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
out=${1:-$repo/assets/screenshot.svg}
cols=120
rows=36

if [ -z "${BOSUN:-}" ]; then
  cargo build --quiet
  BOSUN=$repo/target/debug/bosun
fi

work=$(mktemp -d)
socket=bosun-screenshot-$$
tmx() { tmux -L "$socket" "$@"; }
cleanup() {
  tmx kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The demo project, with its own (empty) user config and no Redis.
export XDG_CONFIG_HOME=$work/config BOSUN_REDIS_URL=off
unset BOSUN_PROJECT
project=$work/parser
mkdir -p "$project/.bosun/workflows" "$XDG_CONFIG_HOME"
cat >"$project/.bosun/workflows/ci.yaml" <<'EOF'
description: Format check, then lint and test side by side
steps:
  - id: fmt
    skill: shell
    with: { run: "echo 'cargo fmt --check: 42 files formatted'" }
  - id: checks
    parallel:
      - id: clippy
        skill: shell
        with: { run: "echo 'Checking parser v0.3.0'; echo 'Finished dev profile in 3.2s'" }
      - id: test
        skill: shell
        with:
          run: >-
            echo 'running 48 tests';
            for t in lexer::numbers lexer::strings parser::exprs parser::items parser::recovery;
            do echo "test $t ... ok"; done;
            echo 'test parser::deeply_nested_generics has been running for over 60 seconds';
            sleep 600
  - id: report
    skill: shell
    with: { run: "echo 'all checks passed'" }
EOF
cat >"$project/.bosun/workflows/release.yaml" <<'EOF'
description: Build, check in parallel, then ask before shipping
steps:
  - id: build
    skill: shell
    with: { run: "echo 'Compiling parser v0.3.0'" }
  - id: checks
    parallel:
      - { id: unit, skill: shell, with: { run: "echo 'unit: 48 passed'" } }
      - { id: docs, skill: shell, with: { run: "echo 'docs: built'" } }
  - id: ship
    decide: { question: "Ship 0.3.0 to crates.io?", options: [ship, hold], default: hold, risk: high }
  - { id: publish, if: "steps.ship.choice == 'ship'", skill: shell, with: { run: "echo published" } }
EOF

# Waits until the screen contains every one of the given strings; fails after 20 s.
wait_for() {
  local screen
  for _ in $(seq 1 200); do
    screen=$(tmx capture-pane -p -t shot)
    local all=1
    for want in "$@"; do
      case $screen in *"$want"*) ;; *) all=0 ;; esac
    done
    [ "$all" = 1 ] && return 0
    sleep 0.1
  done
  echo "capture-screenshot: never saw: $*" >&2
  echo "$screen" >&2
  return 1
}

submit() { "$BOSUN" --project "$project" submit "$@" >/dev/null; }

# One try: the interface on a fresh copy of the project, the tasks, the capture.
attempt() {
  project=$work/try-$1/parser
  mkdir -p "$project"
  cp -r "$work/parser/.bosun" "$project/"
  tmx kill-server 2>/dev/null || true
  # The shell around the interface says when it has ended.
  tmx -f /dev/null new-session -d -s shot -x "$cols" -y "$rows" \
    "'$BOSUN' --project '$project'; echo EXITED \$?; sleep 60"
  wait_for "no tasks yet" || return 1
  # The slow task first: it stays selected, so the Workflow pane shows its parallel block and
  # live output.
  submit --workflow ci "Check the parser's error recovery"
  wait_for "deeply_nested_generics" "Workflow ci" || return 1
  submit --workflow shell --input command="echo 'version = 0.3.0'" "Bump the version to 0.3.0"
  submit --workflow shell --input command="echo '## 0.3.0' && echo '- error recovery in the parser'" \
    "Update the changelog"
  wait_for "done (2)" || return 1
  submit --workflow shell --input command="echo 'error: no preview token set' >&2; exit 1" \
    "Deploy the docs preview"
  wait_for "✗ Deploy the docs preview" || return 1
  submit --workflow release --priority high "Release 0.3.0"
  wait_for "Ship 0.3.0 to crates.io?" "? Release 0.3.0" "waiting 1" "Workflow ci" || return 1
  # Let the spinners and clocks move, so the screen is as a user would see it.
  sleep 1.5
  tmx capture-pane -e -p -t shot >"$work/screen.ans"
  # Quit: work is running, so the interface asks; `s` stops it (and the slow step) cleanly.
  tmx send-keys -t shot q
  wait_for "s stop and quit" || return 1
  tmx send-keys -t shot s
  wait_for "EXITED 0" || return 1
}

# A try whose screen never shows what is waited for (a slow machine) is made again afresh.
for try in 1 2 3 4 5; do
  if attempt "$try"; then
    python3 "$repo/assets/render-screenshot.py" --cols "$cols" --rows "$rows" \
      --title "bosun: the terminal interface" <"$work/screen.ans" >"$out"
    echo "wrote $out"
    exit 0
  fi
done
echo "capture-screenshot: gave up after $try tries" >&2
exit 1
