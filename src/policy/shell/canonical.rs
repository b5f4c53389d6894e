//! The form of a simple command that rules are matched against, besides its words as written:
//! the program by its name (`/usr/bin/git` → `git`), git's global options dropped
//! (`git -C dir -c k=v reset --hard` → `git reset --hard`), and `git checkout`'s paths made
//! explicit (`git checkout HEAD a.txt` → `git checkout HEAD -- a.txt`), so one rule pattern
//! covers every way of writing the same command.
//!
//! Invariant: the canonical form only drops or makes explicit what does not change what the
//! command does; a rule that matches the words as written still matches them.

/// Git's options that come before the subcommand and take a value as the next word.
const GIT_VALUED: &[&str] = &[
    "-C",
    "-c",
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--exec-path",
    "--config-env",
    "--super-prefix",
    "--list-cmds",
];

/// `git checkout`'s options that take a value as the next word.
const CHECKOUT_VALUED: &[&str] = &["-b", "-B", "--orphan", "--conflict", "--pathspec-from-file"];

/// The canonical text of `words` (the command as rules see it).
pub(super) fn canonical(words: &[String]) -> String {
    let Some((program, rest)) = words.split_first() else {
        return String::new();
    };
    let name = program.rsplit('/').next().unwrap_or(program);
    let mut out: Vec<&str> = vec![name];
    if name != "git" {
        out.extend(rest.iter().map(String::as_str));
        return out.join(" ");
    }
    let mut i = 0;
    while let Some(word) = rest.get(i) {
        if !word.starts_with('-') {
            break;
        }
        i += if GIT_VALUED.contains(&word.as_str()) {
            2
        } else {
            1
        };
    }
    let rest = rest.get(i..).unwrap_or_default();
    match rest.split_first() {
        Some((sub, args)) if sub == "checkout" => {
            out.push("checkout");
            out.extend(explicit_paths(args));
        }
        _ => out.extend(rest.iter().map(String::as_str)),
    }
    out.join(" ")
}

/// `git checkout REF PATH…` with the `--` that separates the paths, when it was left out.
fn explicit_paths(args: &[String]) -> Vec<&str> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    if words.contains(&"--") {
        return words;
    }
    let mut operands = Vec::new();
    let mut i = 0;
    while let Some(word) = words.get(i) {
        if CHECKOUT_VALUED.contains(word) {
            i += 2;
            continue;
        }
        if !word.starts_with('-') {
            operands.push(i);
        }
        i += 1;
    }
    match operands.get(1) {
        Some(&second) => {
            let mut out = words[..second].to_vec();
            out.push("--");
            out.extend(&words[second..]);
            out
        }
        None => words,
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    fn c(line: &str) -> String {
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        canonical(&words)
    }

    #[test]
    fn programs_by_name_and_git_without_its_global_options() {
        assert_eq!(c("/usr/bin/git reset --hard"), "git reset --hard");
        assert_eq!(
            c("git -C repo -c a=b --no-pager reset --hard"),
            "git reset --hard"
        );
        assert_eq!(c("git --git-dir=repo/.git clean -fd"), "git clean -fd");
        assert_eq!(c("git --config-env k=ENV reset --hard"), "git reset --hard");
        assert_eq!(c("./node_modules/.bin/eslint ."), "eslint .");
        assert_eq!(c("cargo test -q"), "cargo test -q");
    }

    #[test]
    fn checkout_paths_are_made_explicit() {
        assert_eq!(c("git checkout HEAD a.txt"), "git checkout HEAD -- a.txt");
        assert_eq!(c("git checkout main a b"), "git checkout main -- a b");
        assert_eq!(c("git checkout -b new main"), "git checkout -b new main");
        assert_eq!(c("git checkout main"), "git checkout main");
        assert_eq!(c("git checkout -- ."), "git checkout -- .");
    }
}
