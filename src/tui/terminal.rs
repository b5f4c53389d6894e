//! The terminal's state while the interface runs: raw mode, the alternate screen and bracketed
//! paste, restored on drop, on a panic (before the message prints), and around Ctrl-Z.

use std::io::{self, Stdout, Write};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Owns the terminal's special modes; dropping it restores the terminal.
pub struct TerminalGuard {
    pub terminal: Term,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen, and makes panics restore the terminal first.
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        enable()?;
        let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        Ok(TerminalGuard { terminal })
    }

    /// Ctrl-Z: restores the terminal, stops the process as the shell expects, and takes the
    /// terminal back when the shell resumes it (`fg`).
    pub fn suspend(&mut self) -> io::Result<()> {
        restore();
        nix::sys::signal::raise(nix::sys::signal::Signal::SIGTSTP).map_err(io::Error::other)?;
        enable()?;
        self.terminal.clear()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

fn enable() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )
}

/// Leaves every special mode; safe to call more than once.
pub fn restore() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Rings the bell and/or sends an OSC 9 desktop notification (terminals that do not know it
/// ignore it).
pub fn notify(bell: bool, osc9: Option<&str>) {
    let mut out = io::stdout();
    if bell {
        let _ = out.write_all(b"\x07");
    }
    if let Some(text) = osc9 {
        let clean: String = text.chars().filter(|c| !c.is_control()).collect();
        let _ = write!(out, "\x1b]9;{clean}\x07");
    }
    let _ = out.flush();
}
