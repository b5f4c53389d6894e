//! The definitions users write, parsed and checked: workflows, skills, the catalogs that find
//! them (project files over bundled ones), templates and inputs. Pure reading: nothing here runs
//! a step, opens the store or decides anything; the engine runs what this module parses.
//!
//! - [`workflow`]: workflow YAML → [`workflow::Workflow`], validated against the skills; plans.
//! - [`skills`]: skill YAML → [`skills::Skill`], found lazily by name.
//! - [`catalog`]: the name → file index shared by both, bundled files compiled in.
//! - [`template`], [`inputs`]: minijinja templates and expressions; declared inputs.
//! - [`problems`]: what is wrong, right now, with the definitions a running engine reads.

pub mod catalog;
pub mod inputs;
pub mod problems;
pub mod skills;
pub mod template;
pub mod workflow;
