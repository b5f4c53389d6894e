//! Commands that write outside the tree without naming a path: global package installs, tool
//! installs into the home, system package managers, services, cron, ssh's known hosts and keys.
//! (`git config --global` is read in [`super::git`].)

/// Package managers of the system, and the subcommands that change it.
const SYSTEM_PACKAGES: &[&str] = &[
    "apt", "apt-get", "aptitude", "dnf", "yum", "zypper", "apk", "brew", "port", "snap", "flatpak",
];
const SYSTEM_VERBS: &[&str] = &[
    "install",
    "reinstall",
    "remove",
    "uninstall",
    "purge",
    "upgrade",
    "update",
    "dist-upgrade",
    "full-upgrade",
    "autoremove",
    "add",
    "del",
    "tap",
    "link",
    "unlink",
    "cleanup",
    "erase",
];

/// Why the command writes outside the tree (completing "`cmd` …"), if it does.
pub(super) fn check(name: &str, args: &[Option<&str>]) -> Option<&'static str> {
    let words: Vec<&str> = args.iter().map(|a| a.unwrap_or("")).collect();
    let has = |flag: &str| words.contains(&flag);
    // The first word that is not an option: the subcommand.
    let sub = words
        .iter()
        .find(|w| !w.starts_with('-'))
        .copied()
        .unwrap_or("");
    match name {
        "npm" | "pnpm" | "yarn" | "bun" => {
            let global = has("-g")
                || has("--global")
                || has("--location=global")
                || (name == "yarn" && sub == "global");
            let looking = matches!(
                sub,
                "ls" | "list" | "outdated" | "root" | "bin" | "prefix" | "view" | "info" | "search"
            );
            (global && !looking).then_some("installs packages globally, outside the project")
        }
        "cargo" => matches!(sub, "install" | "uninstall")
            .then_some("installs binaries into the home directory"),
        "go" => (sub == "install").then_some("installs binaries into the home directory"),
        "gem" => matches!(sub, "install" | "uninstall" | "update")
            .then_some("installs gems outside the project"),
        "pipx" => matches!(
            sub,
            "install" | "uninstall" | "inject" | "upgrade" | "reinstall"
        )
        .then_some("installs tools into the home directory"),
        "uv" if sub == "tool" => Some("installs tools into the home directory"),
        "uv" if sub == "pip" && has("--system") => Some("installs packages into the system Python"),
        n if n.starts_with("pip") => pip(&words),
        n if n.starts_with("python") => {
            let at = words.windows(2).position(|w| w == ["-m", "pip"])?;
            pip(&words[at + 2..])
        }
        "crontab" => (!has("-l")).then_some("changes the user's scheduled jobs"),
        "ssh-keygen" if has("-R") => Some("removes a host from `~/.ssh/known_hosts`"),
        "ssh-keygen"
            if (words.is_empty() || has("-t")) && !words.iter().any(|w| w.starts_with("-f")) =>
        {
            Some("writes a new key into `~/.ssh`")
        }
        "systemctl" => {
            let looking = sub.starts_with("is-")
                || sub.starts_with("list-")
                || matches!(sub, "status" | "show" | "cat" | "");
            (!looking).then_some("changes system services")
        }
        "launchctl" => (!matches!(sub, "list" | "print" | "")).then_some("changes system services"),
        "pacman" => words
            .iter()
            .any(|w| {
                (w.starts_with("-S") && !w.starts_with("-Ss") && !w.starts_with("-Si"))
                    || w.starts_with("-R")
                    || w.starts_with("-U")
            })
            .then_some("changes the system's packages"),
        "rustup" => (!matches!(sub, "show" | "which" | "run" | "doc" | "help" | ""))
            .then_some("changes toolchains in the home directory"),
        n if SYSTEM_PACKAGES.contains(&n) => SYSTEM_VERBS
            .contains(&sub)
            .then_some("changes the system's packages"),
        _ => None,
    }
}

fn pip(words: &[&str]) -> Option<&'static str> {
    let installs = words.iter().any(|w| *w == "install" || *w == "uninstall");
    let outside = words
        .iter()
        .any(|w| *w == "--user" || *w == "--break-system-packages");
    (installs && outside).then_some("installs packages outside a virtual environment")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(line: &str) -> Option<&'static str> {
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or("");
        let args: Vec<Option<&str>> = words.map(Some).collect();
        check(name, &args)
    }

    #[test]
    fn global_installs_escalate_local_ones_do_not() {
        assert!(of("npm install -g typescript").is_some());
        assert!(of("npm install").is_none());
        assert!(of("npm ci").is_none());
        assert!(of("cargo install ripgrep").is_some());
        assert!(of("cargo build --release").is_none());
        assert!(of("pip install --user x").is_some());
        assert!(of("pip install -r requirements.txt").is_none());
        assert!(of("python3 -m pip install --break-system-packages x").is_some());
        assert!(of("apt-get -y install curl").is_some());
        assert!(of("apt list").is_none());
        assert!(of("systemctl status x").is_none());
        assert!(of("systemctl restart x").is_some());
        assert!(of("crontab -l").is_none());
        assert!(of("ssh-keygen -R github.com").is_some());
        assert!(of("ssh-keygen -t ed25519").is_some());
        assert!(of("ssh-keygen -t ed25519 -f deploy_key").is_none());
        assert!(of("ssh-keygen -lf key.pub").is_none());
    }
}
