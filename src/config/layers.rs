//! Reading the layers in order and folding them into [`Settings`].

use std::path::{Path, PathBuf};

use super::settings::{PartialSettings, redis_url};
use super::{ProjectPaths, Settings, parse_duration};
use crate::diagnostic::Diagnostic;

/// Values given on the command line: the last layer, winning over everything else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub redis: Option<String>,
    pub max_concurrent_workflows: Option<usize>,
    pub max_parallel_skills: Option<usize>,
    pub theme: Option<String>,
    /// `bosun run --api ADDR`.
    pub api_listen: Option<String>,
    /// `--api-expose-without-tls`.
    pub api_expose_without_tls: bool,
}

/// The user-wide config file (`~/.config/bosun/config.yaml` on Linux).
pub fn user_config_file() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "bosun").map(|d| d.config_dir().join("config.yaml"))
}

/// Loads settings for a project from every layer, with the real environment.
pub fn load_settings(paths: &ProjectPaths, overrides: &Overrides) -> Result<Settings, Diagnostic> {
    load_settings_from(
        user_config_file().as_deref(),
        &paths.config_file(),
        &|name| std::env::var(name).ok(),
        overrides,
    )
}

/// Loads settings from explicit sources (the testable core of [`load_settings`]).
pub fn load_settings_from(
    user_file: Option<&Path>,
    project_file: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    overrides: &Overrides,
) -> Result<Settings, Diagnostic> {
    // Defaults are valid, so the first layer after which a check fails is the one to blame.
    let mut settings = Settings::default();
    for file in user_file.into_iter().chain([project_file]) {
        if let Some(layer) = read_layer(file)? {
            settings.apply(layer);
            settings
                .check()
                .map_err(|m| Diagnostic::whole_file(file, m))?;
        }
    }
    apply_env(&mut settings, env)?;
    settings
        .check()
        .map_err(|m| Diagnostic::whole_file("the BOSUN_* environment", m))?;
    apply_overrides(&mut settings, overrides);
    settings
        .check()
        .map_err(|m| Diagnostic::whole_file("the command line", m))?;
    Ok(settings)
}

/// Checks one config file on its own (for `bosun validate`).
pub fn load_settings_from_file(file: &Path) -> Result<Settings, Diagnostic> {
    if !file.exists() {
        return Err(Diagnostic::whole_file(file, "does not exist"));
    }
    load_settings_from(None, file, &|_| None, &Overrides::default())
}

/// A missing file is no layer; an unreadable or malformed one is an error naming it.
fn read_layer(file: &Path) -> Result<Option<PartialSettings>, Diagnostic> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Diagnostic::whole_file(file, format!("cannot be read: {e}"))),
    };
    if is_blank_yaml(&text) {
        return Ok(None);
    }
    crate::diagnostic::parse_yaml::<PartialSettings>(file, &text).map(Some)
}

/// True for a file holding only comments and blank lines.
pub(crate) fn is_blank_yaml(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#') || line == "---"
    })
}

fn apply_env(
    settings: &mut Settings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), Diagnostic> {
    let bad = |name: &str, value: &str, what: &str| {
        Diagnostic::whole_file(
            format!("environment variable {name}"),
            format!("`{value}` is not {what}"),
        )
    };
    let count = |name: &str, target: &mut usize| -> Result<(), Diagnostic> {
        if let Some(value) = env(name) {
            *target = value
                .trim()
                .parse()
                .map_err(|_| bad(name, &value, "a whole number"))?;
        }
        Ok(())
    };
    count(
        "BOSUN_MAX_CONCURRENT_WORKFLOWS",
        &mut settings.engine.max_concurrent_workflows,
    )?;
    count(
        "BOSUN_MAX_PARALLEL_SKILLS",
        &mut settings.engine.max_parallel_skills,
    )?;
    count("BOSUN_OUTPUT_LIMIT", &mut settings.engine.output_limit)?;
    count(
        "BOSUN_ESCALATION_BATCH_SIZE",
        &mut settings.escalation.batch_size,
    )?;
    for (name, target) in [
        ("BOSUN_ESCALATION_TIMEOUT", &mut settings.escalation.timeout),
        ("BOSUN_POLL_INTERVAL", &mut settings.engine.poll_interval),
        ("BOSUN_KILL_GRACE", &mut settings.engine.kill_grace),
    ] {
        if let Some(value) = env(name) {
            *target = parse_duration(&value).map_err(|_| bad(name, &value, "a duration"))?;
        }
    }
    if let Some(value) = env("BOSUN_REDIS_URL") {
        settings.cache.redis_url = redis_url(value);
    }
    if let Some(value) = env("BOSUN_LOG") {
        settings.log_level = value;
    }
    if let Some(value) = env("BOSUN_THEME") {
        settings.theme = value;
    }
    Ok(())
}

fn apply_overrides(settings: &mut Settings, overrides: &Overrides) {
    settings.overrides = overrides.clone();
    if let Some(url) = &overrides.redis {
        settings.cache.redis_url = redis_url(url.clone());
    }
    if let Some(n) = overrides.max_concurrent_workflows {
        settings.engine.max_concurrent_workflows = n;
    }
    if let Some(n) = overrides.max_parallel_skills {
        settings.engine.max_parallel_skills = n;
    }
    if let Some(theme) = &overrides.theme {
        settings.theme = theme.clone();
    }
    if let Some(listen) = &overrides.api_listen {
        settings.api.listen = Some(listen.clone());
    }
    if overrides.api_expose_without_tls {
        settings.api.expose_without_tls = true;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    fn load(
        user: Option<&Path>,
        project: &Path,
        env: &[(&str, &str)],
        o: &Overrides,
    ) -> Result<Settings, Diagnostic> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        load_settings_from(user, project, &|k| env.get(k).cloned(), o)
    }

    #[test]
    fn defaults_follow_the_design() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = load(
            None,
            &dir.path().join("none.yaml"),
            &[],
            &Overrides::default(),
        )
        .expect("ok");
        assert_eq!(s.engine.max_concurrent_workflows, 10);
        assert_eq!(s.engine.max_parallel_skills, 5);
        assert_eq!(s.escalation.batch_size, 5);
        assert_eq!(s.escalation.timeout, Duration::from_secs(300));
        assert_eq!(s.backup.interval, Duration::from_secs(300));
        assert_eq!(s.cache.redis_url, None);
    }

    #[test]
    fn each_layer_overrides_only_what_it_sets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let user = write(
            dir.path(),
            "user.yaml",
            "engine:\n  max_parallel_skills: 3\nui:\n  theme: light\n",
        );
        let project = write(
            dir.path(),
            "project.yaml",
            "engine:\n  max_concurrent_workflows: 4\nescalation:\n  timeout: 2m\n",
        );
        let s = load(
            Some(&user),
            &project,
            &[
                ("BOSUN_MAX_PARALLEL_SKILLS", "2"),
                ("BOSUN_REDIS_URL", "redis://x/"),
            ],
            &Overrides::default(),
        )
        .expect("ok");
        assert_eq!(s.engine.max_concurrent_workflows, 4);
        assert_eq!(s.engine.max_parallel_skills, 2);
        assert_eq!(s.escalation.timeout, Duration::from_secs(120));
        assert_eq!(s.theme, "light");
        assert_eq!(s.cache.redis_url.as_deref(), Some("redis://x/"));
        let flags = Overrides {
            redis: Some("off".into()),
            max_parallel_skills: Some(7),
            ..Overrides::default()
        };
        let s = load(
            Some(&user),
            &project,
            &[("BOSUN_MAX_PARALLEL_SKILLS", "2")],
            &flags,
        )
        .expect("ok");
        assert_eq!(s.engine.max_parallel_skills, 7);
        assert_eq!(s.cache.redis_url, None);
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_file_line_and_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let project = write(
            dir.path(),
            "config.yaml",
            "engine:\n  max_paralel_skills: 3\n",
        );
        let err = load(None, &project, &[], &Overrides::default()).expect_err("unknown key");
        assert_eq!((err.line, err.column), (2, 3));
        assert!(err.message.contains("max_paralel_skills"), "{err}");
        let project = write(
            dir.path(),
            "config.yaml",
            "engine:\n  max_parallel_skills: many\n",
        );
        let err = load(None, &project, &[], &Overrides::default()).expect_err("wrong type");
        assert_eq!(err.line, 2);
        assert!(err.to_string().contains("config.yaml:2:"), "{err}");
    }

    #[test]
    fn bad_environment_values_name_the_variable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = load(
            None,
            &dir.path().join("none.yaml"),
            &[("BOSUN_MAX_PARALLEL_SKILLS", "lots")],
            &Overrides::default(),
        )
        .expect_err("bad env");
        assert!(
            err.to_string().contains("BOSUN_MAX_PARALLEL_SKILLS"),
            "{err}"
        );
    }

    #[test]
    fn zero_limits_are_refused_and_comment_only_files_are_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let project = write(dir.path(), "config.yaml", "# nothing yet\n");
        assert!(load(None, &project, &[], &Overrides::default()).is_ok());
        let project = write(
            dir.path(),
            "config.yaml",
            "engine: { max_concurrent_workflows: 0 }\n",
        );
        let err = load(None, &project, &[], &Overrides::default()).expect_err("zero");
        assert!(err.message.contains("at least 1"), "{err}");
    }
}
