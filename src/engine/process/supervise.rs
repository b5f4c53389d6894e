//! `bosun __step`: the leader of every step's process group when the engine runs as the
//! `bosun` binary. It runs the step's command as its child and passes its exit status on; its
//! one extra duty is the parent-death signal. If the engine dies (even by `kill -9`), the
//! kernel sends this supervisor SIGUSR2, and it kills its whole process group — so no process
//! a step started outlives its engine, not even until the next start.
//!
//! Signals the engine sends to the group (SIGTERM on cancel or timeout) reach the command
//! directly; the supervisor only waits for it to end.
//!
//! A command that speaks a protocol on stdin (an agent, started with a grace period) gets its
//! stdin through the supervisor rather than straight from the engine's pipe. A dying engine
//! closes that pipe at once, and an agent reads end of input as "the user went away": Claude
//! Code then refuses the call it was waiting on, asks its model once more and ends, before the
//! SIGTERM that lets it save its session cleanly. Relayed, the end of input is passed on only
//! while the engine lives (it closed the pipe on purpose, the session being over); when the
//! engine died, the agent keeps its stdin open and gets the SIGTERM instead.

use std::process::{Command, ExitCode};

use nix::sys::signal::{SigSet, SigmaskHow, Signal, killpg, raise, sigprocmask};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{Pid, getpgrp, getppid};

/// The hidden verb's name.
pub const SUPERVISE_VERB: &str = "__step";

/// The signal the kernel sends the supervisor when its engine dies.
const ENGINE_DIED: Signal = Signal::SIGUSR2;

fn kill_own_group() -> ! {
    let _ = killpg(getpgrp(), Signal::SIGKILL);
    std::process::exit(137)
}

/// Ends the group when the engine died: at once, or after SIGTERM and `grace` for a command
/// that saves its state on the way out (an agent writes its session down).
fn engine_died(child: Pid, grace: std::time::Duration) -> ! {
    if !grace.is_zero() {
        let _ = killpg(getpgrp(), Signal::SIGTERM);
        let until = std::time::Instant::now() + grace;
        while std::time::Instant::now() < until {
            match waitpid(child, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                _ => break,
            }
        }
    }
    kill_own_group()
}

/// Runs `argv` as a supervised step; `parent` is the engine's PID, `grace` how long the
/// command may take to end once its engine died.
pub fn supervise(parent: i32, grace: std::time::Duration, argv: &[String]) -> ExitCode {
    let Some((program, args)) = argv.split_first() else {
        eprintln!("bosun __step: no command");
        return ExitCode::from(2);
    };
    let mut watched = SigSet::empty();
    for signal in [
        Signal::SIGCHLD,
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        ENGINE_DIED,
    ] {
        watched.add(signal);
    }
    // Block first, so no signal is missed between the checks below and `wait`.
    if sigprocmask(SigmaskHow::SIG_BLOCK, Some(&watched), None).is_err()
        || nix::sys::prctl::set_pdeathsig(ENGINE_DIED).is_err()
    {
        eprintln!("bosun __step: cannot set up signal handling");
        return ExitCode::from(126);
    }
    // The engine may have died before the death signal was armed.
    if getppid().as_raw() != parent {
        kill_own_group();
    }
    let mut command = Command::new(program);
    command.args(args);
    let relayed = !grace.is_zero();
    if relayed {
        command.stdin(std::process::Stdio::piped());
    }
    // SAFETY: runs in the child between fork and exec; sigprocmask is async-signal-safe and
    // the closure allocates nothing (the empty set is built before the fork).
    let unblock = SigSet::empty();
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, move || {
            sigprocmask(SigmaskHow::SIG_SETMASK, Some(&unblock), None).map_err(std::io::Error::from)
        });
    }
    let child = match command.spawn() {
        Ok(mut child) => {
            if let Some(stdin) = child.stdin.take().filter(|_| relayed) {
                // Spawned with the signals blocked, like this thread: `wait` below gets them.
                std::thread::spawn(move || relay(stdin, parent));
            }
            Pid::from_raw(child.id() as i32)
        }
        Err(e) => {
            eprintln!("bosun: cannot start `{program}`: {e}");
            return ExitCode::from(127);
        }
    };
    loop {
        match watched.wait() {
            Ok(ENGINE_DIED) => engine_died(child, grace),
            Ok(Signal::SIGCHLD) => match waitpid(child, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(_, code)) => return ExitCode::from(code as u8),
                Ok(WaitStatus::Signaled(_, signal, _)) => return die_like(signal, &watched),
                _ => {}
            },
            // The group's signals reach the command too: keep waiting for it to end.
            _ => {}
        }
    }
}

/// How long the end of the engine's input waits to be told apart from the engine's death: a
/// dying process closes its files before the kernel gives its children a new parent.
const EOF_SETTLE: std::time::Duration = std::time::Duration::from_millis(100);

/// Copies the engine's lines to the command's stdin. At their end, closes it only if the engine
/// still lives; otherwise keeps it open until the death signal ends the group.
fn relay(mut to_child: std::process::ChildStdin, parent: i32) {
    use std::io::{Read, Write};
    let mut from_engine = std::io::stdin().lock();
    let mut buf = [0u8; 8192];
    loop {
        match from_engine.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to_child.write_all(&buf[..n]).is_err() {
                    return;
                }
                let _ = to_child.flush();
            }
        }
    }
    let until = std::time::Instant::now() + EOF_SETTLE;
    while std::time::Instant::now() < until {
        if getppid().as_raw() != parent {
            // The engine died: hold the pipe open; the group is ended by the death signal.
            loop {
                std::thread::park();
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    drop(to_child);
}

/// Ends the supervisor by the signal that ended the command, so the engine sees the same.
fn die_like(signal: Signal, watched: &SigSet) -> ExitCode {
    let _ = sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(watched), None);
    // SAFETY: restoring the default disposition of a signal is always sound.
    let _ = unsafe { nix::sys::signal::signal(signal, nix::sys::signal::SigHandler::SigDfl) };
    let _ = raise(signal);
    ExitCode::from(128 + signal as u8)
}
