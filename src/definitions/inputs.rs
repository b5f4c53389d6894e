//! Declared inputs of workflows and skills, and resolving given values against them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One declared input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<serde_json::Value>,
    #[serde(default)]
    pub description: Option<String>,
}

/// Fills defaults and checks that every required input is given and nothing unknown is.
/// `what` names the owner in messages, e.g. "workflow `ci`".
pub fn resolve_inputs(
    declared: &BTreeMap<String, InputSpec>,
    given: &BTreeMap<String, serde_json::Value>,
    what: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    if let Some(unknown) = given.keys().find(|k| !declared.contains_key(*k)) {
        let known: Vec<&str> = declared.keys().map(String::as_str).collect();
        return Err(format!(
            "{what} has no input `{unknown}` (it takes: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ));
    }
    let mut resolved = serde_json::Map::new();
    for (name, spec) in declared {
        match (given.get(name), &spec.default) {
            (Some(value), _) => {
                resolved.insert(name.clone(), value.clone());
            }
            (None, Some(default)) => {
                resolved.insert(name.clone(), default.clone());
            }
            (None, None) if spec.required => {
                return Err(format!("{what} needs the input `{name}`"));
            }
            (None, None) => {
                resolved.insert(name.clone(), serde_json::Value::Null);
            }
        }
    }
    Ok(resolved)
}

/// True for names usable as `inputs.name` / `steps.name` in expressions.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared() -> BTreeMap<String, InputSpec> {
        let mut d = BTreeMap::new();
        d.insert(
            "path".into(),
            InputSpec {
                default: Some(".".into()),
                ..InputSpec::default()
            },
        );
        d.insert(
            "message".into(),
            InputSpec {
                required: true,
                ..InputSpec::default()
            },
        );
        d
    }

    #[test]
    fn fills_defaults_and_refuses_missing_or_unknown() {
        let mut given = BTreeMap::new();
        given.insert("message".to_string(), serde_json::Value::from("hi"));
        let r = resolve_inputs(&declared(), &given, "workflow `x`").expect("ok");
        assert_eq!(r["path"], ".");
        let err =
            resolve_inputs(&declared(), &BTreeMap::new(), "workflow `x`").expect_err("missing");
        assert!(err.contains("needs the input `message`"), "{err}");
        given.insert("colour".into(), "red".into());
        let err = resolve_inputs(&declared(), &given, "workflow `x`").expect_err("unknown");
        assert!(
            err.contains("no input `colour`") && err.contains("message, path"),
            "{err}"
        );
    }

    #[test]
    fn identifiers_are_expression_friendly() {
        assert!(is_identifier("test_2"));
        assert!(!is_identifier("my-step"));
        assert!(!is_identifier("2fast"));
    }
}
