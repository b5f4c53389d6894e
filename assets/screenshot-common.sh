# Shared by the capture scripts (sourced, not run): the bosun binary, a private work directory
# and tmux server removed on exit, waiting for text on the screen, and turning the capture into
# an SVG with assets/render-screenshot.py.
#
# Before sourcing, set `repo` (the checkout) and `socket_name`; afterwards define `attempt N`
# (one try: fills "$work/screen.ans") and call `capture_with_retries OUT TITLE`. Extra clean-up
# goes in `on_exit`, which a script may redefine.

cols=${cols:-120}
rows=${rows:-36}

if [ -z "${BOSUN:-}" ]; then
  (cd "$repo" && cargo build --quiet)
  BOSUN=$repo/target/debug/bosun
fi

work=$(mktemp -d)
socket=$socket_name-$$
tmx() { tmux -L "$socket" "$@"; }
on_exit() { :; }
cleanup() {
  on_exit
  tmx kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The demo projects get their own (empty) user config and no Redis.
export XDG_CONFIG_HOME=$work/config BOSUN_REDIS_URL=off
unset BOSUN_PROJECT
mkdir -p "$XDG_CONFIG_HOME"

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
  echo "capture: never saw: $*" >&2
  echo "$screen" >&2
  return 1
}

# Starts the interface on `project` in a fresh tmux server; the shell around it says when it
# has ended.
open_interface() {
  tmx kill-server 2>/dev/null || true
  tmx -f /dev/null new-session -d -s shot -x "$cols" -y "$rows" \
    "'$BOSUN' --project '$1'; echo EXITED \$?; sleep 60"
}

# The screen with its colours, for the renderer.
grab() {
  tmx capture-pane -e -p -t shot >"$work/screen.ans"
}

# Quits while work runs: the interface asks, and `s` stops the engine (and its steps) cleanly.
quit_interface() {
  tmx send-keys -t shot q
  wait_for "s stop and quit" || return 1
  tmx send-keys -t shot s
  wait_for "EXITED 0" || return 1
}

# A try whose screen never shows what is waited for (a slow machine) is made again afresh.
capture_with_retries() {
  local out=$1 title=$2 try
  for try in 1 2 3 4 5; do
    if attempt "$try"; then
      python3 "$repo/assets/render-screenshot.py" --cols "$cols" --rows "$rows" \
        --title "$title" <"$work/screen.ans" >"$out"
      echo "wrote $out"
      return 0
    fi
  done
  echo "capture: gave up after $try tries" >&2
  return 1
}
