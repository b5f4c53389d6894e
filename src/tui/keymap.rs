//! Actions and the keys bound to them. Every action has a name (used by the command palette
//! and in `ui.keys` of a config file), a line of help, and default keys; a user's binding
//! replaces the defaults of that action only. Text fields (filters, the new-task form) take
//! keys before any binding does.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

macro_rules! actions {
    ($($action:ident => $name:literal, [$($key:literal),*], $help:literal;)*) => {
        /// Something the user can do from the keyboard or the palette.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $($action),* }

        impl Action {
            pub const ALL: &[Action] = &[$(Action::$action),*];

            /// The name in `ui.keys` and the palette.
            pub fn name(self) -> &'static str {
                match self { $(Action::$action => $name),* }
            }

            pub fn help(self) -> &'static str {
                match self { $(Action::$action => $help),* }
            }

            fn default_keys(self) -> &'static [&'static str] {
                match self { $(Action::$action => &[$($key),*]),* }
            }
        }
    };
}

actions! {
    Quit => "quit", ["q", "ctrl-c"], "quit (asks first while work runs)";
    Help => "help", ["?"], "show the keys of every pane";
    Palette => "palette", [":"], "run any action by name";
    NewTask => "new_task", ["n"], "submit a new task";
    NextPane => "next_pane", ["tab"], "focus the next pane";
    PrevPane => "prev_pane", ["shift-tab"], "focus the previous pane";
    Zoom => "zoom", ["z"], "zoom the focused pane to full screen (again to restore)";
    Up => "up", ["k", "up"], "move up";
    Down => "down", ["j", "down"], "move down";
    PageUp => "page_up", ["pageup", "ctrl-u"], "move up a page";
    PageDown => "page_down", ["pagedown", "ctrl-d"], "move down a page";
    Top => "top", ["g", "home"], "go to the first line";
    Bottom => "bottom", ["G", "end"], "go to the last line";
    Open => "open", ["enter"], "open the selection (step output, task)";
    CancelTask => "cancel_task", ["c"], "cancel the selected task (asks first)";
    RerunTask => "rerun_task", ["r"], "run the selected task again as a new task";
    DismissTask => "dismiss_task", ["x"], "dismiss the selected failed task from needs attention";
    Diff => "diff", ["d"], "the selected task's changes in its worktree: stat, then patch";
    MergeTask => "merge_task", ["m"], "merge the selected task's branch into its base (asks first)";
    DiscardTask => "discard_task", ["D"], "discard the selected task's worktree and branch (asks first)";
    Filter => "filter", ["/"], "filter or search by text";
    StatusFilter => "status_filter", ["s"], "cycle the status filter of the task list";
    ApplyAll => "apply_all", ["A"], "apply the next answer to all similar questions";
    Remember => "remember", ["m"], "cycle what the next answer is remembered for";
    Follow => "follow", ["f"], "follow the newest log lines, or pause";
    LogLevel => "log_level", ["l"], "cycle the lowest log level shown";
    LogScope => "log_scope", ["t"], "logs of the selected task, or of everything";
    Suspend => "suspend", ["ctrl-z"], "suspend to the shell (fg resumes)";
    Redraw => "redraw", ["ctrl-l"], "redraw the whole screen";
}

/// Keys to actions.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<(KeyEvent, Action)>,
}

impl Keymap {
    /// The defaults with `overrides` (action name → keys) applied.
    pub fn new(overrides: &BTreeMap<String, Vec<String>>) -> Result<Keymap, String> {
        let mut bindings = Vec::new();
        for name in overrides.keys() {
            if !Action::ALL.iter().any(|a| a.name() == name) {
                let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                return Err(format!(
                    "ui.keys: no action `{name}` (actions: {})",
                    names.join(", ")
                ));
            }
        }
        for action in Action::ALL {
            let keys: Vec<&str> = match overrides.get(action.name()) {
                Some(keys) => keys.iter().map(String::as_str).collect(),
                None => action.default_keys().to_vec(),
            };
            for key in keys {
                let parsed = parse_key(key)
                    .ok_or_else(|| format!("ui.keys.{}: `{key}` is not a key", action.name()))?;
                bindings.push((parsed, *action));
            }
        }
        Ok(Keymap { bindings })
    }

    /// Every action bound to `key`, in declaration order.
    pub fn actions(&self, key: &KeyEvent) -> Vec<Action> {
        let key = normalize(key);
        self.bindings
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, a)| *a)
            .collect()
    }

    /// The keys of `action`, as shown in hints (`q/ctrl-c`).
    pub fn keys_of(&self, action: Action) -> String {
        let keys: Vec<String> = self
            .bindings
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| show_key(k))
            .collect();
        keys.join("/")
    }

    /// The first key of `action` alone, for short hints.
    pub fn key_of(&self, action: Action) -> String {
        self.bindings
            .iter()
            .find(|(_, a)| *a == action)
            .map(|(k, _)| show_key(k))
            .unwrap_or_else(|| "—".into())
    }
}

impl Default for Keymap {
    fn default() -> Keymap {
        Keymap::new(&BTreeMap::new()).unwrap_or(Keymap {
            bindings: Vec::new(),
        })
    }
}

/// Shift is part of an upper-case letter, not a modifier of its own; kind/state are ignored.
fn normalize(key: &KeyEvent) -> KeyEvent {
    let mut modifiers = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
    let code = match key.code {
        KeyCode::BackTab => {
            modifiers |= KeyModifiers::SHIFT;
            KeyCode::Tab
        }
        KeyCode::Tab if key.modifiers.contains(KeyModifiers::SHIFT) => {
            modifiers |= KeyModifiers::SHIFT;
            KeyCode::Tab
        }
        other => other,
    };
    KeyEvent::new(code, modifiers)
}

/// `q`, `G`, `ctrl-s`, `alt-x`, `shift-tab`, `enter`, `esc`, `f5`, `space`, `pagedown`, …
pub fn parse_key(text: &str) -> Option<KeyEvent> {
    let mut modifiers = KeyModifiers::NONE;
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        if let Some(r) = lower.strip_prefix("ctrl-") {
            modifiers |= KeyModifiers::CONTROL;
            rest = &rest[rest.len() - r.len()..];
        } else if let Some(r) = lower.strip_prefix("alt-") {
            modifiers |= KeyModifiers::ALT;
            rest = &rest[rest.len() - r.len()..];
        } else if let Some(r) = lower.strip_prefix("shift-") {
            modifiers |= KeyModifiers::SHIFT;
            rest = &rest[rest.len() - r.len()..];
        } else {
            break;
        }
    }
    let code = match rest.to_ascii_lowercase().as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backspace" => KeyCode::Backspace,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        "delete" | "del" => KeyCode::Delete,
        f if f.len() > 1 && f.starts_with('f') => KeyCode::F(f[1..].parse().ok()?),
        _ => {
            let mut chars = rest.chars();
            let c = chars.next()?;
            if chars.next().is_some() {
                return None;
            }
            let c = if modifiers.contains(KeyModifiers::SHIFT) {
                c.to_ascii_uppercase()
            } else {
                c
            };
            KeyCode::Char(if modifiers.contains(KeyModifiers::CONTROL) {
                c.to_ascii_lowercase()
            } else {
                c
            })
        }
    };
    if !matches!(code, KeyCode::Tab) {
        modifiers.remove(KeyModifiers::SHIFT);
    }
    Some(normalize(&KeyEvent::new(code, modifiers)))
}

/// A key as written in `ui.keys` and shown in hints.
pub fn show_key(key: &KeyEvent) -> String {
    let mut out = String::new();
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        out.push_str("ctrl-");
    }
    if key.modifiers.contains(KeyModifiers::ALT) {
        out.push_str("alt-");
    }
    if key.modifiers.contains(KeyModifiers::SHIFT) {
        out.push_str("shift-");
    }
    match key.code {
        KeyCode::Char(' ') => out.push_str("space"),
        KeyCode::Char(c) => out.push(c),
        KeyCode::Enter => out.push_str("enter"),
        KeyCode::Esc => out.push_str("esc"),
        KeyCode::Tab => out.push_str("tab"),
        KeyCode::Backspace => out.push_str("backspace"),
        KeyCode::Up => out.push('↑'),
        KeyCode::Down => out.push('↓'),
        KeyCode::Left => out.push('←'),
        KeyCode::Right => out.push('→'),
        KeyCode::Home => out.push_str("home"),
        KeyCode::End => out.push_str("end"),
        KeyCode::PageUp => out.push_str("pgup"),
        KeyCode::PageDown => out.push_str("pgdn"),
        KeyCode::F(n) => out.push_str(&format!("f{n}")),
        _ => out.push('?'),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn defaults_bind_the_fixed_keys() {
        let map = Keymap::default();
        let none = KeyModifiers::NONE;
        assert_eq!(map.actions(&key(KeyCode::Char('q'), none)), [Action::Quit]);
        assert_eq!(map.actions(&key(KeyCode::Tab, none)), [Action::NextPane]);
        assert_eq!(
            map.actions(&key(KeyCode::BackTab, KeyModifiers::SHIFT)),
            [Action::PrevPane]
        );
        assert_eq!(
            map.actions(&key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            [Action::Bottom]
        );
        assert_eq!(map.actions(&key(KeyCode::Char('?'), none)), [Action::Help]);
    }

    #[test]
    fn a_user_binding_replaces_only_that_actions_keys() {
        let overrides = BTreeMap::from([("quit".to_string(), vec!["ctrl-q".to_string()])]);
        let map = Keymap::new(&overrides).expect("valid");
        let none = KeyModifiers::NONE;
        assert!(map.actions(&key(KeyCode::Char('q'), none)).is_empty());
        assert_eq!(
            map.actions(&key(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            [Action::Quit]
        );
        assert_eq!(
            map.actions(&key(KeyCode::Char('n'), none)),
            [Action::NewTask]
        );
        assert_eq!(map.keys_of(Action::Quit), "ctrl-q");
    }

    #[test]
    fn bad_bindings_are_named() {
        let bad = BTreeMap::from([("quit".to_string(), vec!["ctrl-".to_string()])]);
        assert!(
            Keymap::new(&bad)
                .expect_err("bad key")
                .contains("ui.keys.quit")
        );
        let unknown = BTreeMap::from([("fly".to_string(), vec!["x".to_string()])]);
        assert!(Keymap::new(&unknown).expect_err("unknown").contains("fly"));
    }
}
