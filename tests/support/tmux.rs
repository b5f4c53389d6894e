//! The interface in a real terminal: the `bosun` binary in a private tmux server (its own
//! socket) at [`WIDTH`]x[`HEIGHT`], the screen read with `tmux capture-pane`, panes found by
//! their drawn borders.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::Project;

/// How long one stage may take to show on the screen.
pub const STAGE: Duration = Duration::from_secs(15);
pub const WIDTH: u16 = 120;
pub const HEIGHT: u16 = 36;

/// A tmux server of its own (its own socket) with one session; killed when dropped, also when
/// the test panics.
pub struct Tmux {
    socket: String,
    session: String,
    /// The user config dir the interface sees, so the developer's own is not read.
    _config_home: tempfile::TempDir,
}

impl Tmux {
    /// Starts `bosun ARGS` against `project` in a fresh tmux server. The shell around it prints
    /// `EXITED <status>` and the terminal's mode when it ends, and stays, so the screen can be
    /// read after the interface has quit.
    pub fn start(project: &Project, args: &[&str]) -> Tmux {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let socket = format!("bosun-e2e-{}-{n}", std::process::id());
        let config_home = tempfile::tempdir().expect("config dir");
        let mut line = format!(
            "env -u BOSUN_PROJECT XDG_CONFIG_HOME={} BOSUN_REDIS_URL=off BOSUN_LOG=info {} --project {}",
            quote(&config_home.path().to_string_lossy()),
            quote(env!("CARGO_BIN_EXE_bosun")),
            quote(&project.root().to_string_lossy()),
        );
        for arg in args {
            line.push(' ');
            line.push_str(&quote(arg));
        }
        // After the interface: its exit status, then whether the tty is cooked again (`icanon
        // echo`) or left raw (`-icanon -echo`).
        let script = format!(
            "{line}; echo EXITED $?; echo TTY $(stty -a | tr -s ' ;' '\\n\\n' | grep -x -e -icanon -e icanon -e -echo -e echo | tr '\\n' ' '); sleep 120"
        );
        let tmux = Tmux {
            socket,
            session: "bosun".into(),
            _config_home: config_home,
        };
        let (w, h) = (WIDTH.to_string(), HEIGHT.to_string());
        tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            &tmux.session,
            "-x",
            &w,
            "-y",
            &h,
            "sh",
            "-c",
            &script,
        ]);
        tmux
    }

    /// `tmux -L SOCKET ARGS...`, which must succeed; returns its stdout.
    pub fn run(&self, args: &[&str]) -> String {
        let out: Output = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux (is it installed?)");
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen as text.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.session])
    }

    /// A tmux format about the pane, e.g. `#{alternate_on}`.
    pub fn pane_format(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", &self.session, format])
            .trim()
            .to_string()
    }

    /// Keys by tmux name (`Tab`, `C-s`, `n`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Literal text, typed.
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", &self.session, "-l", text]);
    }

    /// Polls the screen until `check` holds; panics with the last screen after [`STAGE`].
    pub fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if check(&screen) {
                // Shown with the output of a failing test: how long each stage took to show.
                eprintln!("{:>6.2}s  {what}", start.elapsed().as_secs_f64());
                return screen;
            }
            assert!(
                start.elapsed() < STAGE,
                "waited {STAGE:?} for: {what}\n--- last screen ---\n{screen}\n-------------------"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// Single-quotes `text` for `sh`.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The box of the pane titled `title` (its border included), cut out of `screen`: from the
/// top-left corner before ` title` to the matching top-right and bottom-left corners. Found by
/// the drawing, not by fixed coordinates, so layout changes do not break the test.
pub fn pane(screen: &str, title: &str) -> Option<String> {
    let grid: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let label: Vec<char> = format!(" {title}").chars().collect();
    for (top, row) in grid.iter().enumerate() {
        for left in 0..row.len() {
            let after = &row[left + 1..];
            if !matches!(row[left], '┏' | '╭')
                || !after.starts_with(&label)
                || !matches!(after.get(label.len()), Some(' ' | '─' | '━'))
            {
                continue;
            }
            let right = (left + 1..row.len()).find(|&c| matches!(row[c], '┓' | '╮'))?;
            let bottom =
                (top + 1..grid.len()).find(|&r| matches!(grid[r].get(left), Some('┗' | '╰')))?;
            let text = grid[top..=bottom]
                .iter()
                .map(|line| {
                    line.iter()
                        .skip(left)
                        .take(right + 1 - left)
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
                .join("\n");
            return Some(text);
        }
    }
    None
}

/// The pane's text, or "" when it is not on the screen.
pub fn pane_text(screen: &str, title: &str) -> String {
    pane(screen, title).unwrap_or_default()
}

/// The pane is drawn with the focused (heavy) border.
pub fn focused(screen: &str, title: &str) -> bool {
    pane(screen, title).is_some_and(|p| p.starts_with('┏'))
}

/// The status bar: the screen's last non-empty line.
pub fn status_bar(screen: &str) -> &str {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
}

/// A task of the bundled `shell` workflow, submitted by another process; returns its id.
pub fn submit_shell(p: &Project, command: &str, description: &str) -> String {
    let input = format!("command={command}");
    p.submit(&["--workflow", "shell", "--input", &input, description])
}

/// The Tasks pane has a line with `icon` and `text`.
pub fn task_row(screen: &str, icon: char, text: &str) -> bool {
    pane_text(screen, "Tasks")
        .lines()
        .any(|l| l.contains(icon) && l.contains(text))
}
