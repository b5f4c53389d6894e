//! The Inbox pane: open questions, the current batch first. A number key answers with that
//! option, a letter with the option it begins (unless the letter moves the selection); `A`
//! makes the next answer apply to the grouped near-identical questions, `m` cycles what it is
//! remembered for (task, session, a rule — which asks for confirmation, since it writes
//! `.bosun/policy.yaml`).

mod render;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Hint, Outcome};
use crate::protocol::{AnswerRequest, EscalationId, EscalationView, RememberScope};
use crate::tui::agent;
use crate::tui::keymap::{Action, Keymap};
use crate::tui::model::Model;
use crate::tui::msg::Effect;
use crate::tui::overlays::{Detail, Layer};
use crate::tui::theme::Role;

/// Where an answer given in the interface says it came from (in a remembered rule's comment).
pub const VIA: &str = "the inbox of the terminal interface";

/// UI state of the inbox.
#[derive(Debug, Default)]
pub struct InboxPane {
    pub selected: Option<EscalationId>,
    /// The next answer goes to the whole group.
    pub apply_all: bool,
    pub remember: Option<RememberScope>,
}

impl InboxPane {
    /// Keeps the selection on the same question, or moves to the first open one.
    pub fn follow(&mut self, model: &Model) {
        let open = |id: &EscalationId| model.inbox.iter().any(|q| &q.id == id);
        if !self.selected.as_ref().is_some_and(open) {
            self.selected = model.inbox.first().map(|q| q.id.clone());
        }
    }

    fn current<'m>(&self, model: &'m Model) -> Option<&'m EscalationView> {
        let id = self.selected.as_ref()?;
        model.inbox.iter().find(|q| &q.id == id)
    }

    pub fn handle_key(&mut self, key: &KeyEvent, actions: &[Action], model: &Model) -> Outcome {
        let pos = self
            .selected
            .as_ref()
            .and_then(|id| model.inbox.iter().position(|q| &q.id == id))
            .unwrap_or(0);
        let last = model.inbox.len().saturating_sub(1);
        let moves = |a: &Action| {
            matches!(
                a,
                Action::Up
                    | Action::Down
                    | Action::Top
                    | Action::Bottom
                    | Action::PageUp
                    | Action::PageDown
            )
        };
        for action in actions {
            let to = match action {
                Action::Up => pos.saturating_sub(1),
                Action::Down => (pos + 1).min(last),
                Action::Top | Action::PageUp => 0,
                Action::Bottom | Action::PageDown => last,
                Action::ApplyAll => {
                    self.apply_all = !self.apply_all;
                    return Outcome::Handled;
                }
                Action::Remember => {
                    self.remember = match self.remember {
                        None => Some(RememberScope::Task),
                        Some(RememberScope::Task) => Some(RememberScope::Session),
                        Some(RememberScope::Session) => Some(RememberScope::Rule),
                        Some(RememberScope::Rule) => None,
                    };
                    return Outcome::Handled;
                }
                Action::Open => match self.current(model) {
                    Some(q) => return Outcome::Open(question_detail(q)),
                    None => return Outcome::Handled,
                },
                _ => continue,
            };
            self.selected = model.inbox.get(to).map(|q| q.id.clone());
            return Outcome::Handled;
        }
        if key.code == KeyCode::Esc && (self.apply_all || self.remember.is_some()) {
            self.apply_all = false;
            self.remember = None;
            return Outcome::Handled;
        }
        let Some(question) = self.current(model) else {
            return Outcome::Ignored;
        };
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let choice = match key.code {
            KeyCode::Char(c @ '1'..='9') if plain => {
                let n = usize::from(c as u8 - b'0');
                question.options.get(n - 1).cloned()
            }
            KeyCode::Char(c) if plain && c.is_lowercase() && !actions.iter().any(moves) => {
                initial_choice(&question.options, c)
            }
            _ => None,
        };
        let Some(choice) = choice else {
            return Outcome::Ignored;
        };
        let request = AnswerRequest {
            escalation: question.id.to_string(),
            choice,
            all: self.apply_all,
            remember: self.remember,
            via: VIA.to_string(),
        };
        self.apply_all = false;
        self.remember = None;
        if request.remember == Some(RememberScope::Rule) {
            return Outcome::Open(Layer::confirm_rule(request));
        }
        Outcome::Effects(vec![Effect::Answer(request)])
    }

    pub fn hints(&self, keymap: &Keymap) -> Vec<Hint> {
        vec![
            Hint::new("1-9", "answer with that option"),
            Hint::new(
                "a-z",
                "answer with the option it begins (when only one does)",
            ),
            Hint::action(keymap, Action::ApplyAll),
            Hint::action(keymap, Action::Remember),
            Hint::new(keymap.keys_of(Action::Open), "the whole question"),
            Hint::new("esc", "forget the pending all/remember"),
        ]
    }
}

/// The option `c` begins, when exactly one does.
pub fn initial_choice(options: &[String], c: char) -> Option<String> {
    let mut found = options.iter().filter(|o| {
        o.chars()
            .next()
            .is_some_and(|f| f.to_lowercase().eq(c.to_lowercase()))
    });
    match (found.next(), found.next()) {
        (Some(one), None) => Some(one.clone()),
        _ => None,
    }
}

fn question_detail(q: &EscalationView) -> Layer {
    let mut parts = vec![(Role::Text, q.question.clone())];
    if let Some(detail) = q.detail.as_deref().filter(|d| !d.trim().is_empty()) {
        // After a blank line, the call in full: its first line names it.
        parts.extend(detail.lines().enumerate().map(|(i, l)| match i {
            0 => (Role::Text, format!("\n{l}")),
            _ => (agent::detail_role(i, l), l.to_string()),
        }));
    }
    parts.push((
        Role::Text,
        format!(
            "\noptions: {}\ndefault: {} (taken at {})\nrisk: {}\nwhy: {}\ntask: {}  step: {}\nworkflow: {}  skill: {}\nkind: {}  batch: {}\nsimilar open questions: {}",
            q.options.join(", "),
            q.default,
            q.deadline,
            q.risk,
            q.reason,
            q.task_id,
            q.step_id.as_deref().unwrap_or("-"),
            q.workflow.as_deref().unwrap_or("-"),
            q.skill.as_deref().unwrap_or("-"),
            q.kind.as_str(),
            q.batch,
            q.similar.len(),
        ),
    ));
    Layer::Detail(Detail::from_parts(q.id.to_string(), parts))
}
