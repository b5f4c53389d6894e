//! The `backup:` settings (DESIGN.md §11): how often the engine backs the database up, how long
//! backups are kept, how often a full copy is taken rather than only the pages that changed,
//! and whom backups are encrypted to.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::DurationSpec;

/// `backup:` resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupSettings {
    /// How often a running engine backs up, when something changed; zero turns it off.
    pub interval: Duration,
    /// How long backups are kept (the newest good one is kept whatever its age).
    pub retention: Duration,
    /// The longest a backup may go on being only the pages changed since a full copy: past it
    /// the next backup is a full copy again.
    pub full_every: Duration,
    /// age recipients (`age1…`) every backup is encrypted to; empty: not encrypted.
    pub encrypt: Vec<String>,
}

impl Default for BackupSettings {
    fn default() -> Self {
        BackupSettings {
            interval: Duration::from_secs(300),
            retention: Duration::from_secs(30 * 24 * 3600),
            full_every: Duration::from_secs(24 * 3600),
            encrypt: Vec::new(),
        }
    }
}

/// One recipient or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum Recipients {
    One(String),
    Many(Vec<String>),
}

/// `backup:` as one config layer writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PartialBackup {
    pub interval: Option<DurationSpec>,
    pub retention: Option<DurationSpec>,
    pub full_every: Option<DurationSpec>,
    pub encrypt: Option<Recipients>,
}

impl BackupSettings {
    pub(super) fn apply(&mut self, layer: PartialBackup) {
        if let Some(d) = layer.interval {
            self.interval = d.0;
        }
        if let Some(d) = layer.retention {
            self.retention = d.0;
        }
        if let Some(d) = layer.full_every {
            self.full_every = d.0;
        }
        if let Some(recipients) = layer.encrypt {
            // `off` (or an empty value) in a later layer turns an earlier layer's encryption off.
            self.encrypt = match recipients {
                Recipients::One(r) if r.trim().is_empty() || r.trim() == "off" => Vec::new(),
                Recipients::One(r) => vec![r.trim().to_string()],
                Recipients::Many(list) => list.into_iter().map(|r| r.trim().to_string()).collect(),
            };
        }
    }

    pub(super) fn check(&self) -> Result<(), String> {
        for recipient in &self.encrypt {
            recipient.parse::<age::x25519::Recipient>().map_err(|e| {
                format!("backup.encrypt: `{recipient}` is not an age recipient (age1…): {e}")
            })?;
        }
        if self.retention.is_zero() {
            return Err("backup.retention must be longer than zero".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_recipient_is_refused_by_name() {
        let mut s = BackupSettings::default();
        s.apply(PartialBackup {
            encrypt: Some(Recipients::One("age1nope".into())),
            ..Default::default()
        });
        let err = s.check().expect_err("bad recipient");
        assert!(err.contains("age1nope"), "{err}");
    }

    #[test]
    fn off_turns_encryption_off() {
        let key = age::x25519::Identity::generate().to_public().to_string();
        let mut s = BackupSettings::default();
        s.apply(PartialBackup {
            encrypt: Some(Recipients::Many(vec![key.clone()])),
            ..Default::default()
        });
        assert_eq!(s.encrypt, vec![key]);
        s.check().expect("valid");
        s.apply(PartialBackup {
            encrypt: Some(Recipients::One("off".into())),
            ..Default::default()
        });
        assert!(s.encrypt.is_empty());
    }
}
