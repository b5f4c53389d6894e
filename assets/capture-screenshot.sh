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
socket_name=bosun-screenshot
# shellcheck source=assets/screenshot-common.sh
. "$repo/assets/screenshot-common.sh"

project=$work/parser
mkdir -p "$project/.bosun/workflows"
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

submit() { "$BOSUN" --project "$project" submit "$@" >/dev/null; }

# One try: the interface on a fresh copy of the project, the tasks, the capture.
attempt() {
  project=$work/try-$1/parser
  mkdir -p "$project"
  cp -r "$work/parser/.bosun" "$project/"
  open_interface "$project"
  wait_for "no tasks yet" || return 1
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
  wait_for "Ship 0.3.0 to crates.io?" "? Release 0.3.0" "waiting 1" || return 1
  # The selection followed the new question; back to the slow task (two rows down, past the
  # failed one), for its parallel block and live output.
  tmx send-keys -t shot j j
  wait_for "Workflow ci" "deeply_nested_generics" || return 1
  # Let the spinners and clocks move, so the screen is as a user would see it.
  sleep 1.5
  grab
  quit_interface
}

capture_with_retries "$out" "bosun: the terminal interface"
