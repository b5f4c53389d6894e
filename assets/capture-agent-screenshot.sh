#!/usr/bin/env bash
# Makes assets/agent-screenshot.svg from a real run of the interface while a coding agent's
# question waits in the Inbox: a demo project whose `fix-tests` workflow runs the real Claude
# Code CLI (headless) twice — once to fix a failing test (it reads the file and edits it, each
# call allowed by Bosun's policy), once to push the fix, whose `git push origin main` the policy
# escalates (rule builtin.git-push) — against the fake model server of ../shared/agents, which
# plays the model's turns. Then as assets/capture-screenshot.sh: tmux at 120x36, a capture with
# colours, assets/render-screenshot.py.
#
# Needs tmux, python3 and the Claude Code CLI (`sh ../shared/agents/install_clis.sh`; CLAUDE=path
# overrides where it is looked for). BOSUN=path/to/bosun uses that binary instead of building one.
# Usage: assets/capture-agent-screenshot.sh [OUT.svg]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
out=${1:-$repo/assets/agent-screenshot.svg}
kit=${AGENTS_KIT:-$repo/../shared/agents}
claude=${CLAUDE:-$HOME/.cache/agent-clis/node_modules/@anthropic-ai/claude-code-linux-x64/claude}
if [ ! -x "$claude" ]; then
  echo "capture: no Claude Code CLI at $claude: install it with \`sh $kit/install_clis.sh\`" \
    "(or set CLAUDE)" >&2
  exit 1
fi
socket_name=bosun-agent-screenshot
# shellcheck source=assets/screenshot-common.sh
. "$repo/assets/screenshot-common.sh"

fake_pid=
on_exit() {
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; fi
}

# The model's turns, in the order the two sessions ask for them: read the lexer, fix it, say
# so; then, in the second session, push.
turns() {
  local file=$1/src/lexer.rs
  cat <<EOF
{"turns": [
  {"match": "The tests fail", "usage": {"input_tokens": 4200, "output_tokens": 120},
   "content": [
     {"type": "text", "text": "The hex literal test fails. Let me read the lexer."},
     {"type": "tool_use", "id": "toolu_read", "name": "Read", "input": {"file_path": "$file"}}]},
  {"match": "tool_result", "usage": {"input_tokens": 5100, "output_tokens": 160},
   "content": [
     {"type": "text", "text": "The end of a 0x literal is off by one."},
     {"type": "tool_use", "id": "toolu_edit", "name": "Edit", "input": {"file_path": "$file",
       "old_string": "        let end = start + len - 1;", "new_string": "        let end = start + len;"}}]},
  {"match": "tool_result", "usage": {"input_tokens": 5600, "output_tokens": 40},
   "text": "Fixed the off-by-one in Lexer::hex: 0x1F lexes whole again."},
  {"match": "Push", "usage": {"input_tokens": 2100, "output_tokens": 60},
   "content": [
     {"type": "text", "text": "The tests pass; pushing the fix."},
     {"type": "tool_use", "id": "toolu_push", "name": "Bash",
      "input": {"command": "git push origin main", "description": "Push the fix to origin"}}]}
 ],
 "after_last": {"text": "done"}}
EOF
}

# The demo project, pointed at the fake model on `port`.
make_project() {
  local project=$1 port=$2
  mkdir -p "$project/.bosun/workflows" "$project/src" "$project/.agent-home" "$project/.agent-tmp"
  cat >"$project/src/lexer.rs" <<'EOF'
impl Lexer {
    /// A `0x` literal: the digits after the prefix.
    fn hex(&mut self, start: usize, len: usize) -> Token {
        let end = start + len - 1;
        Token::Int(&self.text[start..end])
    }
}
EOF
  cat >"$project/.bosun/workflows/fix-tests.yaml" <<'EOF'
description: Run the tests, let Claude fix what fails, test again, then let it push
steps:
  - id: test
    skill: shell
    with: { run: "echo 'running 48 tests'; echo 'test lexer::hex_literals ... FAILED'; echo 'test result: FAILED. 47 passed; 1 failed'" }
  - id: fix
    skill: claude
    with: { prompt: "The tests fail:\n{{ steps.test.output }}\nFix the code, not the tests." }
  - id: retest
    skill: shell
    with: { run: "echo 'running 48 tests'; echo 'test result: ok. 48 passed; 0 failed'" }
  - id: publish
    skill: claude
    with: { prompt: "Push the fix." }
EOF
  # As tests/support/agents.rs `configure_claude`: a private home, the fake model, no traffic
  # beyond it.
  cat >"$project/.bosun/config.yaml" <<EOF
agents:
  claude-code:
    command: "$claude"
    env:
      HOME: "$project/.agent-home"
      CLAUDE_CODE_TMPDIR: "$project/.agent-tmp"
      ANTHROPIC_BASE_URL: "http://127.0.0.1:$port"
      ANTHROPIC_API_KEY: fake
      CLAUDE_CODE_MAX_RETRIES: "2"
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1"
      DISABLE_TELEMETRY: "1"
      DISABLE_AUTOUPDATER: "1"
      DISABLE_ERROR_REPORTING: "1"
EOF
}

# One try: a fresh fake model and project, the tasks, the capture.
attempt() {
  local project=$work/try-$1/parser
  mkdir -p "$project"
  on_exit
  turns "$project" >"$work/turns-$1.json"
  python3 "$kit/fake_anthropic.py" --port 0 --script "$work/turns-$1.json" \
    --log "$work/requests-$1.jsonl" >"$work/port-$1" 2>"$work/fake-$1.err" &
  fake_pid=$!
  for _ in $(seq 1 100); do
    [ -s "$work/port-$1" ] && break
    sleep 0.1
  done
  local port
  port=$(head -n 1 "$work/port-$1")
  [ -n "$port" ] || return 1
  make_project "$project" "$port"
  submit() { "$BOSUN" --project "$project" submit "$@" >/dev/null; }
  open_interface "$project"
  wait_for "no tasks yet" || return 1
  submit --workflow shell --input command="echo 'version = 0.3.0'" "Bump the version to 0.3.0"
  submit --workflow shell --input command="echo '## 0.3.0' && echo '- hex literals fixed'" \
    "Update the changelog"
  wait_for "done (2)" || return 1
  # The agent's task last: the selection follows it, so the Workflow pane shows its steps.
  submit --workflow fix-tests "Fix the failing lexer test"
  wait_for "asks: Bash: git push origin main" "# Push the fix to origin" "today" \
    "waiting 1" || return 1
  # Let the clocks move, so the screen is as a user would see it.
  sleep 1.5
  grab
  quit_interface
}

capture_with_retries "$out" "bosun: a coding agent's question in the inbox"
