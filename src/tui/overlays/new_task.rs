//! `n`: the new-task form (DESIGN.md, "The TUI's fixed keys"). The description (a text area)
//! has focus first; `tab` moves to the workflow field, where typing filters the known
//! workflows and the top match (or the one picked with ↑/↓) is chosen; then one field per
//! input of that workflow, then the priority (←/→). `ctrl-s` submits from anywhere; `esc`
//! cancels. The form stays open until the engine accepts the task, showing why it refused.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
use ratatui_textarea::TextArea;

use super::{LayerOutcome, modal};
use crate::definitions::workflow::{Candidate, Chosen, Programs, choose};
use crate::protocol::{Priority, SubmitRequest, WorkflowInfo};
use crate::tui::fmt::{fit, pad};
use crate::tui::msg::Effect;
use crate::tui::panes::{RenderCtx, draw_lines};
use crate::tui::theme::Role;

/// Which field has focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Description,
    Workflow,
    Input(usize),
    Priority,
}

#[derive(Debug)]
pub struct NewTaskForm {
    pub description: TextArea<'static>,
    pub focus: Field,
    pub query: String,
    /// Position in the matches; 0 is the top match.
    pub pick: usize,
    pub workflows: Vec<WorkflowInfo>,
    /// Values typed for the chosen workflow's inputs, by name.
    pub inputs: Vec<(String, String)>,
    pub priority: Priority,
    /// Why the last submission was refused.
    pub error: Option<String>,
    pub submitting: bool,
    /// Where a description's first word is looked up, to show what `auto` would run.
    programs: Programs,
}

impl NewTaskForm {
    pub fn new(workflows: Vec<WorkflowInfo>, programs: Programs) -> NewTaskForm {
        let mut description = TextArea::default();
        description.set_placeholder_text("What should be done? (enter for a new line)");
        description.set_cursor_line_style(Style::default());
        NewTaskForm {
            description,
            focus: Field::Description,
            query: String::new(),
            pick: 0,
            workflows,
            inputs: Vec::new(),
            priority: Priority::Normal,
            error: None,
            submitting: false,
            programs,
        }
    }

    /// What `auto` would run for the description as typed so far, or why nothing would: the
    /// same choice the engine makes at submission.
    pub fn auto_choice(&self) -> Result<Chosen, String> {
        let description = self.description.lines().join("\n");
        if description.trim().is_empty() {
            return Err("type a command, or what should be done".to_string());
        }
        let candidates = self.workflows.iter().map(|w| Candidate {
            name: &w.name,
            description: &w.description,
            own: w.source != "bundled",
        });
        choose(candidates, &description, &self.programs)
    }

    /// Workflows matching the query, best first; `None` stands for "let Bosun choose".
    pub fn matches(&self) -> Vec<Option<&WorkflowInfo>> {
        if self.query.is_empty() {
            let mut all: Vec<Option<&WorkflowInfo>> = vec![None];
            all.extend(self.workflows.iter().map(Some));
            return all;
        }
        let mut matcher = Matcher::new(Config::DEFAULT);
        let pattern = Pattern::parse(&self.query, CaseMatching::Ignore, Normalization::Smart);
        pattern
            .match_list(self.workflows.iter().map(Named), &mut matcher)
            .into_iter()
            .map(|(Named(w), _)| Some(w))
            .collect()
    }

    /// The workflow that would be submitted: `Ok(None)` lets Bosun choose.
    pub fn chosen(&self) -> Result<Option<&WorkflowInfo>, String> {
        let matches = self.matches();
        match matches.get(self.pick).or(matches.first()) {
            Some(choice) => Ok(*choice),
            None => Err(format!("no workflow matches `{}`", self.query)),
        }
    }

    /// Keeps one input field per input of the chosen workflow, keeping typed values.
    fn sync_inputs(&mut self) {
        let names: Vec<String> = match self.chosen() {
            Ok(Some(w)) => w.inputs.iter().map(|i| i.name.clone()).collect(),
            _ => Vec::new(),
        };
        let old = std::mem::take(&mut self.inputs);
        self.inputs = names
            .into_iter()
            .map(|n| {
                let value = old
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                (n, value)
            })
            .collect();
    }

    fn fields(&self) -> Vec<Field> {
        let mut f = vec![Field::Description, Field::Workflow];
        f.extend((0..self.inputs.len()).map(Field::Input));
        f.push(Field::Priority);
        f
    }

    fn move_focus(&mut self, forward: bool) {
        let fields = self.fields();
        let i = fields.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = fields.len();
        self.focus = fields[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
    }

    /// The request the form describes, or what is missing.
    pub fn request(&self) -> Result<SubmitRequest, String> {
        let description = self.description.lines().join("\n").trim().to_string();
        if description.is_empty() {
            return Err("describe the task first".into());
        }
        let workflow = self.chosen()?.map(|w| w.name.clone());
        let inputs = self
            .inputs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(SubmitRequest {
            description,
            workflow,
            inputs,
            priority: self.priority,
            isolation: None,
            base: None,
        })
    }

    pub fn handle_key(&mut self, key: &KeyEvent) -> LayerOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return LayerOutcome::Close,
            KeyCode::Char('s') if ctrl => {
                return match self.request() {
                    Ok(request) => {
                        self.error = None;
                        self.submitting = true;
                        LayerOutcome::Effects(vec![Effect::Submit(request)])
                    }
                    Err(e) => {
                        self.error = Some(e);
                        LayerOutcome::Keep
                    }
                };
            }
            KeyCode::Tab => {
                self.move_focus(!key.modifiers.contains(KeyModifiers::SHIFT));
                return LayerOutcome::Keep;
            }
            KeyCode::BackTab => {
                self.move_focus(false);
                return LayerOutcome::Keep;
            }
            _ => {}
        }
        match self.focus {
            Field::Description => {
                self.description.input(*key);
            }
            Field::Workflow => {
                match key.code {
                    KeyCode::Up => self.pick = self.pick.saturating_sub(1),
                    KeyCode::Down => {
                        self.pick = (self.pick + 1).min(self.matches().len().saturating_sub(1))
                    }
                    KeyCode::Enter => self.move_focus(true),
                    KeyCode::Backspace => {
                        self.query.pop();
                        self.pick = 0;
                    }
                    KeyCode::Char(c) if !ctrl => {
                        self.query.push(c);
                        self.pick = 0;
                    }
                    _ => {}
                }
                self.sync_inputs();
            }
            Field::Input(i) => {
                if let Some((_, value)) = self.inputs.get_mut(i) {
                    match key.code {
                        KeyCode::Backspace => {
                            value.pop();
                        }
                        KeyCode::Enter => self.move_focus(true),
                        KeyCode::Char(c) if !ctrl => value.push(c),
                        _ => {}
                    }
                }
            }
            Field::Priority => {
                let all = Priority::ALL;
                let i = all.iter().position(|p| *p == self.priority).unwrap_or(1);
                match key.code {
                    KeyCode::Left | KeyCode::Char('h') => self.priority = all[i.saturating_sub(1)],
                    KeyCode::Right | KeyCode::Char('l') => {
                        self.priority = all[(i + 1).min(all.len() - 1)]
                    }
                    _ => {}
                }
            }
        }
        LayerOutcome::Keep
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, ctx: &RenderCtx) {
        let inner = modal(frame, area, ctx, "New task", 90, 26);
        let theme = ctx.theme;
        let label = |field: Field, text: &str| {
            let role = if self.focus == field {
                Role::Accent
            } else {
                Role::Muted
            };
            Span::styled(pad(text, 11), theme.style(role))
        };
        let desc_h = (inner.height / 3).clamp(3, 8);
        let mut textarea = self.description.clone();
        textarea.set_block(
            Block::default()
                .borders(Borders::LEFT)
                .border_style(theme.style(if self.focus == Field::Description {
                    Role::BorderFocused
                } else {
                    Role::Border
                })),
        );
        textarea.set_style(theme.style(Role::Text));
        draw_lines(
            frame,
            Rect { height: 1, ..inner },
            vec![Line::from(label(Field::Description, "description"))],
            theme.style(Role::Overlay),
        );
        frame.render_widget(
            &textarea,
            Rect {
                y: inner.y + 1,
                height: desc_h,
                ..inner
            },
        );
        let rest = Rect {
            y: inner.y + 1 + desc_h,
            height: inner.height.saturating_sub(1 + desc_h),
            ..inner
        };
        let width = usize::from(rest.width);
        let mut lines = vec![Line::from(vec![
            label(Field::Workflow, "workflow"),
            Span::styled(
                format!(
                    "{}{}",
                    self.query,
                    if self.focus == Field::Workflow {
                        "▏"
                    } else {
                        ""
                    }
                ),
                theme.style(Role::Text),
            ),
        ])];
        let matches = self.matches();
        let list_len = if self.focus == Field::Workflow { 6 } else { 1 };
        for (i, w) in matches
            .iter()
            .enumerate()
            .take(list_len.max(self.pick + 1))
            .skip(self.pick.saturating_sub(list_len - 1))
        {
            let (name, what, role) = match w {
                None => match self.auto_choice() {
                    Ok(chosen) => (
                        "auto".to_string(),
                        format!("→ {}: {}", chosen.workflow, chosen.reason),
                        Role::Muted,
                    ),
                    Err(why) => ("auto".to_string(), why, Role::Error),
                },
                Some(w) => (
                    w.name.clone(),
                    format!("{} ({})", w.description, w.source),
                    Role::Muted,
                ),
            };
            let mark = if i == self.pick { "▶ " } else { "  " };
            let mut line = Line::from(vec![
                Span::raw(" ".repeat(11)),
                Span::styled(mark, theme.style(Role::Accent)),
                Span::styled(pad(&name, 14), theme.style(Role::Text)),
                Span::styled(fit(&what, width.saturating_sub(27)), theme.style(role)),
            ]);
            if i == self.pick {
                line = line.patch_style(theme.style(Role::Selection));
            }
            lines.push(line);
        }
        if matches.is_empty() {
            lines.push(Line::from(Span::styled(
                format!("{}no workflow matches", " ".repeat(11)),
                theme.style(Role::Error),
            )));
        }
        let chosen_inputs = match self.chosen() {
            Ok(Some(w)) => w.inputs.clone(),
            _ => Vec::new(),
        };
        for (i, (name, value)) in self.inputs.iter().enumerate() {
            let spec = chosen_inputs.iter().find(|s| &s.name == name);
            let hint = match spec {
                Some(s) if s.required => " (required)".to_string(),
                Some(s) => s
                    .default
                    .as_ref()
                    .map(|d| format!(" (default {d})"))
                    .unwrap_or_default(),
                None => String::new(),
            };
            let cursor = if self.focus == Field::Input(i) {
                "▏"
            } else {
                ""
            };
            lines.push(Line::from(vec![
                label(Field::Input(i), name),
                Span::styled(format!("{value}{cursor}"), theme.style(Role::Text)),
                Span::styled(hint, theme.style(Role::Muted)),
            ]));
        }
        lines.push(Line::from(vec![
            label(Field::Priority, "priority"),
            Span::styled(format!("◀ {} ▶", self.priority), theme.style(Role::Text)),
        ]));
        lines.push(Line::default());
        if let Some(error) = &self.error {
            lines.push(Line::from(Span::styled(
                fit(error, width),
                theme.style(Role::Error),
            )));
        } else if self.submitting {
            lines.push(Line::from(Span::styled(
                "submitting…",
                theme.style(Role::Muted),
            )));
        }
        lines.push(Line::from(Span::styled(
            fit(
                "ctrl-s submit · tab next field · ↑/↓ pick a workflow · esc cancel",
                width,
            ),
            theme.style(Role::KeyHint),
        )));
        draw_lines(frame, rest, lines, theme.style(Role::Overlay));
    }
}

/// A workflow as the matcher sees it: its name.
struct Named<'a>(&'a WorkflowInfo);

impl AsRef<str> for Named<'_> {
    fn as_ref(&self) -> &str {
        &self.0.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, description: &str, source: &str) -> WorkflowInfo {
        WorkflowInfo {
            name: name.into(),
            description: description.into(),
            source: source.into(),
            inputs: Vec::new(),
        }
    }

    fn form(text: &str) -> NewTaskForm {
        let workflows = vec![
            info("shell", "Run the description as a shell command", "bundled"),
            info(
                "pytest-watch",
                "Run the python tests with pytest",
                ".bosun/workflows/p.yaml",
            ),
        ];
        let programs = Programs::new(
            std::path::Path::new("/nonexistent"),
            &[],
            vec!["/bin".into(), "/usr/bin".into()],
        );
        let mut form = NewTaskForm::new(workflows, programs);
        form.description.insert_str(text);
        form
    }

    /// `auto` shows, as the description is typed, what submitting would run.
    #[test]
    fn auto_shows_what_the_description_would_run() {
        let chosen = form("sh -c 'python -m pytest -q'")
            .auto_choice()
            .expect("a command");
        assert_eq!(chosen.workflow, "shell");
        assert!(
            chosen.reason.contains("`sh` is a program"),
            "{}",
            chosen.reason
        );
        let chosen = form("the python tests").auto_choice().expect("words");
        assert_eq!(chosen.workflow, "pytest-watch");
        let refused = form("frobnicate widgets")
            .auto_choice()
            .expect_err("nothing");
        assert!(refused.contains("no program `frobnicate`"), "{refused}");
        assert!(form("  ").auto_choice().is_err());
    }
}
