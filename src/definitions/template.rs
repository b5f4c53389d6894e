//! Templates (`with:` values, skill commands) and expressions (`if:`), through minijinja.
//!
//! One environment for the whole engine: fuel bounds what a user-written template may cost,
//! and `SemiStrict` makes a misspelt name an error when rendered while `if` tests of missing
//! values stay falsy.

use std::collections::BTreeSet;

use minijinja::{Environment, UndefinedBehavior, Value};

/// Enough for any sane template; stops a runaway loop.
const FUEL: u64 = 100_000;

/// Compiles, checks and evaluates templates and expressions.
pub struct Templates {
    env: Environment<'static>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templates")
    }
}

/// A template or expression error, in one line.
fn describe(error: &minijinja::Error) -> String {
    let mut text = error.kind().to_string();
    if let Some(detail) = error.detail() {
        text.push_str(": ");
        text.push_str(detail);
    }
    text
}

impl Templates {
    pub fn new() -> Templates {
        let mut env = Environment::new();
        env.set_fuel(Some(FUEL));
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        Templates { env }
    }

    /// Checks that `source` compiles; returns the dotted names it reads (`steps.test.ok`).
    pub fn check_template(&self, source: &str) -> Result<BTreeSet<String>, String> {
        let template = self
            .env
            .template_from_str(source)
            .map_err(|e| describe(&e))?;
        Ok(template.undeclared_variables(true).into_iter().collect())
    }

    /// Checks that an expression compiles; returns the dotted names it reads.
    pub fn check_expression(&self, source: &str) -> Result<BTreeSet<String>, String> {
        let expr = self
            .env
            .compile_expression(source)
            .map_err(|e| describe(&e))?;
        Ok(expr.undeclared_variables(true).into_iter().collect())
    }

    /// Renders a template against `context`.
    pub fn render(&self, source: &str, context: &Value) -> Result<String, String> {
        self.env
            .render_str(source, context)
            .map_err(|e| describe(&e))
    }

    /// Evaluates an expression to its truthiness.
    pub fn eval_bool(&self, source: &str, context: &Value) -> Result<bool, String> {
        let expr = self
            .env
            .compile_expression(source)
            .map_err(|e| describe(&e))?;
        expr.eval(context)
            .map(|v| v.is_true())
            .map_err(|e| describe(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_evaluates_against_a_context() {
        let t = Templates::new();
        let ctx = Value::from(minijinja::value::Serde(serde_json::json!({
            "inputs": {"path": "src"},
            "steps": {"test": {"ok": true, "choice": null}},
        })));
        assert_eq!(
            t.render("cargo test {{ inputs.path }}", &ctx),
            Ok("cargo test src".into())
        );
        assert_eq!(t.eval_bool("steps.test.ok", &ctx), Ok(true));
        assert_eq!(t.eval_bool("steps.test.choice == 'push'", &ctx), Ok(false));
    }

    #[test]
    fn reports_names_read_and_syntax_errors() {
        let t = Templates::new();
        let names = t
            .check_expression("steps.test.ok and inputs.flag")
            .expect("compiles");
        assert!(
            names.contains("steps.test.ok") && names.contains("inputs.flag"),
            "{names:?}"
        );
        assert!(t.check_expression("steps.test.ok and").is_err());
        assert!(t.check_template("{{ unclosed").is_err());
    }

    #[test]
    fn misspelt_names_fail_when_rendered() {
        let t = Templates::new();
        let ctx = Value::from(minijinja::value::Serde(serde_json::json!({"inputs": {}})));
        assert!(t.render("{{ inptus.path }}", &ctx).is_err());
    }

    #[test]
    fn runaway_templates_run_out_of_fuel() {
        let t = Templates::new();
        let ctx = Value::from(minijinja::value::Serde(serde_json::json!({})));
        let err = t.render(
            "{% for i in range(100000) %}{% for j in range(100) %}x{% endfor %}{% endfor %}",
            &ctx,
        );
        assert!(err.is_err());
    }
}
