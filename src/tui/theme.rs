//! Themes are semantic roles (STYLE.md practice 8): panes ask for `Role::TaskFailed`, never for
//! a colour. A theme is a YAML file of roles; the bundled ones (`themes/*.yaml`) are compiled
//! in, and a user's theme (`extends:` a bundled one, `dark` by default) overrides only the roles
//! it sets. The theme is passed to render explicitly; there is no global.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::diagnostic::{Diagnostic, parse_yaml};

macro_rules! roles {
    ($($role:ident => $name:ident),* $(,)?) => {
        /// What a piece of the screen means; each theme gives every role a style.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Role { $($role),* }

        impl Role {
            pub const ALL: &[Role] = &[$(Role::$role),*];

            /// The role's key in a theme file.
            pub fn name(self) -> &'static str {
                match self { $(Role::$role => stringify!($name)),* }
            }
        }

        /// A theme file: every role optional, nothing unknown.
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RolesFile { $(#[serde(default)] $name: Option<StyleSpec>),* }

        impl RolesFile {
            fn entries(self) -> Vec<(Role, StyleSpec)> {
                let mut out = Vec::new();
                $(if let Some(spec) = self.$name { out.push((Role::$role, spec)); })*
                out
            }
        }
    };
}

roles! {
    Text => text, Muted => muted, Accent => accent, Border => border,
    BorderFocused => border_focused, Title => title, TitleFocused => title_focused,
    Selection => selection, GroupHeader => group_header, KeyHint => key_hint,
    StatusBar => status_bar, Overlay => overlay, Error => error, SearchMatch => search_match,
    TaskQueued => task_queued, TaskRunning => task_running, TaskWaiting => task_waiting,
    TaskSucceeded => task_succeeded, TaskFailed => task_failed, TaskCancelled => task_cancelled,
    StepPending => step_pending, StepSkipped => step_skipped,
    RiskLow => risk_low, RiskMedium => risk_medium, RiskHigh => risk_high,
    RiskCritical => risk_critical, EscalationUrgent => escalation_urgent,
    LogError => log_error, LogWarn => log_warn, LogInfo => log_info, LogDebug => log_debug,
    LogOutput => log_output, HealthOk => health_ok, HealthBad => health_bad,
    HealthOff => health_off, DiffAdded => diff_added, DiffRemoved => diff_removed,
}

/// How one role looks, as written in a theme file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    reversed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    extends: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    roles: RolesFile,
}

/// The bundled themes, compiled in.
pub const BUNDLED_THEMES: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.yaml")),
    ("light", include_str!("../../themes/light.yaml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.yaml"),
    ),
];

/// A style for every role.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: Vec<Style>,
}

impl Theme {
    /// The style of `role`.
    pub fn style(&self, role: Role) -> Style {
        self.styles[role as usize]
    }

    /// A bundled theme by name.
    pub fn bundled(name: &str) -> Result<Theme, Diagnostic> {
        let (_, text) = BUNDLED_THEMES
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| Diagnostic::whole_file(name, unknown(name)))?;
        let path = PathBuf::from(format!("<bundled>/themes/{name}.yaml"));
        let file: ThemeFile = parse_yaml(&path, text)?;
        let mut theme = Theme {
            name: name.to_string(),
            styles: vec![Style::default(); Role::ALL.len()],
        };
        theme.apply(&path, file.roles)?;
        Ok(theme)
    }

    /// The theme `name` names: a file path (when it has a `/` or ends in `.yaml`), a theme in
    /// `user_dir` (`NAME.yaml`), or a bundled theme.
    pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Theme, Diagnostic> {
        let as_path = Path::new(name);
        let file = if name.contains('/') || name.ends_with(".yaml") {
            Some(as_path.to_path_buf())
        } else {
            user_dir
                .map(|d| d.join(format!("{name}.yaml")))
                .filter(|p| p.is_file())
        };
        let Some(file) = file else {
            return Theme::bundled(name);
        };
        let text = std::fs::read_to_string(&file)
            .map_err(|e| Diagnostic::whole_file(&file, format!("cannot be read: {e}")))?;
        let parsed: ThemeFile = parse_yaml(&file, &text)?;
        let base = parsed.extends.as_deref().unwrap_or("dark");
        let mut theme = Theme::bundled(base).map_err(|_| {
            Diagnostic::whole_file(&file, format!("`extends: {base}`: {}", unknown(base)))
        })?;
        theme.name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.to_string());
        let _ = parsed.description;
        theme.apply(&file, parsed.roles)?;
        Ok(theme)
    }

    fn apply(&mut self, file: &Path, roles: RolesFile) -> Result<(), Diagnostic> {
        for (role, spec) in roles.entries() {
            let style = spec
                .to_style()
                .map_err(|m| Diagnostic::whole_file(file, format!("roles.{}: {m}", role.name())))?;
            self.styles[role as usize] = style;
        }
        Ok(())
    }
}

fn unknown(name: &str) -> String {
    let names: Vec<&str> = BUNDLED_THEMES.iter().map(|(n, _)| *n).collect();
    format!(
        "no theme `{name}` (bundled: {}; or a file in the user config dir's themes/)",
        names.join(", ")
    )
}

impl StyleSpec {
    fn to_style(&self) -> Result<Style, String> {
        let color = |text: &Option<String>| -> Result<Option<Color>, String> {
            text.as_deref()
                .map(|t| {
                    Color::from_str(t).map_err(|_| {
                        format!("`{t}` is not a colour (a name such as `red`, `#rrggbb`, or 0-255)")
                    })
                })
                .transpose()
        };
        let mut style = Style::default();
        if let Some(fg) = color(&self.fg)? {
            style = style.fg(fg);
        }
        if let Some(bg) = color(&self.bg)? {
            style = style.bg(bg);
        }
        for (on, modifier) in [
            (self.bold, Modifier::BOLD),
            (self.italic, Modifier::ITALIC),
            (self.underline, Modifier::UNDERLINED),
            (self.dim, Modifier::DIM),
            (self.reversed, Modifier::REVERSED),
        ] {
            if on {
                style = style.add_modifier(modifier);
            }
        }
        Ok(style)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_theme_sets_every_role() {
        for (name, text) in BUNDLED_THEMES {
            let file: ThemeFile = parse_yaml(Path::new(name), text).expect("parses");
            let set: Vec<Role> = file.roles.entries().into_iter().map(|(r, _)| r).collect();
            for role in Role::ALL {
                assert!(
                    set.contains(role),
                    "theme {name} does not set {}",
                    role.name()
                );
            }
            Theme::bundled(name).expect("loads");
        }
    }

    #[test]
    fn a_user_theme_overrides_only_what_it_sets() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("mine.yaml"),
            "extends: light\nroles:\n  task_failed: { fg: \"#ff0000\", bold: true }\n",
        )
        .expect("write");
        let mine = Theme::load("mine", Some(dir.path())).expect("loads");
        let light = Theme::bundled("light").expect("light");
        assert_eq!(
            mine.style(Role::TaskFailed),
            Style::default()
                .fg(Color::Rgb(255, 0, 0))
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(mine.style(Role::Text), light.style(Role::Text));
        assert_eq!(mine.name, "mine");
    }

    #[test]
    fn a_bad_theme_names_the_file_and_the_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("bad.yaml");
        std::fs::write(&file, "roles:\n  text: { fg: red }\n  txet: { fg: blue }\n")
            .expect("write");
        let err = Theme::load(file.to_str().expect("utf-8"), None)
            .expect_err("unknown role")
            .to_string();
        assert!(err.contains("bad.yaml:3:"), "{err}");
        std::fs::write(&file, "roles:\n  text: { fg: reddish }\n").expect("write");
        let err = Theme::load(file.to_str().expect("utf-8"), None)
            .expect_err("bad colour")
            .to_string();
        assert!(
            err.contains("roles.text") && err.contains("reddish"),
            "{err}"
        );
        assert!(Theme::load("nope", None).is_err());
    }
}
