//! The safety floor's lists: places never written (credentials, shell startup files, system
//! directories), system places anyone may read, device files, secret file names, and commands
//! that destroy a disk.
//!
//! These are data, not policy: [`super::judge`] decides with them. Nothing here can be turned
//! off by a scope; the one carve-out (a project that itself lives under a protected system
//! directory) is the judge's.

use std::path::{Path, PathBuf};

/// Under the home directory: credentials and shell startup files.
const HOME_PROTECTED: &[&str] = &[
    ".ssh",
    ".aws",
    ".gnupg",
    ".config/gcloud",
    ".kube",
    ".docker",
    ".netrc",
    ".git-credentials",
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zshenv",
    ".zprofile",
    ".zlogin",
    ".config/fish/config.fish",
];

/// System directories (`/lib*` is matched by prefix below).
const SYSTEM_PROTECTED: &[&str] = &[
    "/etc",
    "/sys",
    "/proc",
    "/boot",
    "/dev",
    "/usr",
    "/bin",
    "/sbin",
    "/var",
    "/root",
    "/private/etc",
    "/private/var",
];

/// Under `/var`: scratch space, not system state (`/var/folders` is macOS's per-user temp).
const VAR_SCRATCH: &[&str] = &[
    "/var/tmp",
    "/var/folders",
    "/private/var/tmp",
    "/private/var/folders",
];

/// System places whose world-readable files anyone on the machine may read: the system's
/// programs, libraries, documentation and configuration, and the shared scratch space.
const SYSTEM_READABLE: &[&str] = &[
    "/usr",
    "/etc",
    "/opt",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/srv",
    "/tmp",
    "/var/tmp",
    "/proc",
    "/sys",
    "/nix/store",
    "/snap",
    "/private/etc",
    "/Library",
    "/System",
    "/Applications",
];

/// Device files that reading or writing never harms.
const HARMLESS_DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/stdout",
    "/dev/stderr",
    "/dev/stdin",
    "/dev/tty",
    "/dev/zero",
    "/dev/urandom",
    "/dev/random",
    "-",
];

/// Name prefixes of block devices under `/dev`.
const DISKS: &[&str] = &[
    "sd", "hd", "vd", "xvd", "nvme", "mmcblk", "disk", "rdisk", "md", "dm-", "loop", "mapper",
];

/// The protected home entry `path` lies under (at or below), if any.
pub(super) fn home_protected(path: &Path, homes: &[PathBuf]) -> Option<PathBuf> {
    homes.iter().find_map(|home| {
        HOME_PROTECTED
            .iter()
            .map(|rel| home.join(rel))
            .find(|p| path.starts_with(p))
    })
}

/// The protected system directory `path` lies under, if any.
pub(super) fn system_protected(path: &Path) -> Option<PathBuf> {
    if VAR_SCRATCH.iter().any(|s| path.starts_with(s)) {
        return None;
    }
    if let Some(std::path::Component::Normal(first)) = path.components().nth(1)
        && first.to_string_lossy().starts_with("lib")
    {
        return Some(Path::new("/").join(first));
    }
    SYSTEM_PROTECTED
        .iter()
        .map(PathBuf::from)
        .find(|p| path.starts_with(p))
}

/// True when `path` is in a system place and anyone may read it (its mode has `o+r`), so
/// reading it reveals nothing private: `/usr/share/doc/git`, `/etc/os-release`. A file that
/// does not exist, or that only its owner or group may read (`/etc/shadow`), is not.
pub(super) fn world_readable_system(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    SYSTEM_READABLE.iter().any(|p| path.starts_with(p))
        && std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o004 != 0)
}

/// True for the device files in [`HARMLESS_DEVICES`] and `/dev/fd/N`, as written.
pub(super) fn harmless_device(value: &str) -> bool {
    HARMLESS_DEVICES.contains(&value) || value.starts_with("/dev/fd/")
}

/// True for a block device: writing it destroys a file system.
pub(super) fn disk_device(path: &Path) -> bool {
    let Ok(rest) = path.strip_prefix("/dev") else {
        return false;
    };
    let name = rest.to_string_lossy();
    DISKS.iter().any(|d| name.starts_with(d))
}

/// File names that hold secrets wherever they are, inside the project too.
const SECRET_NAMES: &[&str] = &[
    ".env",
    ".netrc",
    ".pgpass",
    ".pypirc",
    ".git-credentials",
    ".htpasswd",
    "credentials",
    "credentials.json",
    "credentials.yml",
    "credentials.yaml",
    "secrets.json",
    "secrets.yml",
    "secrets.yaml",
    "secrets.toml",
    "master.key",
    "service-account.json",
    "terraform.tfstate",
    "terraform.tfvars",
];

/// Endings of key and keystore files.
const SECRET_ENDINGS: &[&str] = &[
    ".pem",
    ".key",
    ".p12",
    ".pfx",
    ".jks",
    ".keystore",
    ".ppk",
    ".kdbx",
    ".tfstate",
];

/// `.env.*` files that are templates, committed to be copied: no secret in them.
const ENV_TEMPLATES: &[&str] = &[
    "example", "sample", "template", "dist", "defaults", "schema",
];

/// A file name that holds a secret wherever it is: keys, `.env` files (not their templates,
/// `.env.example`), credential and secrets files.
pub(super) fn secret_name(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return false;
    };
    if let Some(suffix) = name.strip_prefix(".env.") {
        return !ENV_TEMPLATES
            .iter()
            .any(|t| suffix.split('.').any(|part| part == *t));
    }
    SECRET_NAMES.contains(&name.as_ref())
        || SECRET_ENDINGS.iter().any(|e| name.ends_with(e))
        || name.starts_with("id_rsa") && !name.ends_with(".pub")
        || name.starts_with("id_ed25519") && !name.ends_with(".pub")
        || name.starts_with("id_ecdsa") && !name.ends_with(".pub")
}

/// A command that wipes a disk or a file system whatever its arguments.
pub(super) fn disk_tool(name: &str, args: &[Option<&str>]) -> bool {
    let listing = args
        .iter()
        .any(|a| matches!(a, Some("-l" | "--list" | "print")));
    name.starts_with("mkfs")
        || matches!(name, "mke2fs" | "mkswap" | "wipefs" | "blkdiscard")
        || (matches!(name, "fdisk" | "sfdisk" | "parted" | "sgdisk" | "gdisk") && !listing)
}

/// True when `script` defines a function that pipes into itself in the background
/// (`:(){ :|:& };:` and its renamings).
pub(super) fn fork_bomb(script: &str) -> bool {
    let compact: String = script.chars().filter(|c| !c.is_whitespace()).collect();
    let mut from = 0;
    while let Some(i) = compact[from..].find("(){") {
        let at = from + i;
        let name: String = compact[..at]
            .chars()
            .rev()
            .take_while(|c| !";&|(){}".contains(*c))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if !name.is_empty() && compact[at..].contains(&format!("{name}|{name}")) {
            return true;
        }
        from = at + 3;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_dirs_and_scratch() {
        assert!(system_protected(Path::new("/etc/hosts")).is_some());
        assert!(system_protected(Path::new("/lib64/x")).is_some());
        assert!(system_protected(Path::new("/var/lib/x")).is_some());
        assert!(system_protected(Path::new("/var/tmp/x")).is_none());
        assert!(system_protected(Path::new("/tmp/x")).is_none());
        assert!(system_protected(Path::new("/")).is_none());
    }

    #[test]
    fn home_entries() {
        let homes = [PathBuf::from("/home/u")];
        assert!(home_protected(Path::new("/home/u/.ssh/id_rsa"), &homes).is_some());
        assert!(home_protected(Path::new("/home/u/.bashrc"), &homes).is_some());
        assert!(home_protected(Path::new("/home/u/.sshx"), &homes).is_none());
    }

    #[test]
    fn fork_bombs() {
        assert!(fork_bomb(":(){ :|:& };:"));
        assert!(fork_bomb("bomb() { bomb | bomb & }; bomb"));
        assert!(!fork_bomb("f() { echo hi; }; f"));
    }

    #[test]
    fn secret_names_and_templates() {
        for name in [
            ".env",
            ".env.production",
            "server.key",
            "credentials.json",
            "a/id_rsa",
        ] {
            assert!(secret_name(Path::new(name)), "{name}");
        }
        for name in [
            ".env.example",
            ".env.local.sample",
            "id_rsa.pub",
            "keys.rs",
            "env.rs",
        ] {
            assert!(!secret_name(Path::new(name)), "{name}");
        }
    }

    #[test]
    fn devices() {
        assert!(disk_device(Path::new("/dev/sda1")));
        assert!(disk_device(Path::new("/dev/nvme0n1")));
        assert!(!disk_device(Path::new("/dev/null")));
        assert!(harmless_device("/dev/null"));
    }
}
