//! One audit record: how it is sealed into the chain, written as a line, and read back.
//!
//! The hash covers the record's *content*, not its layout: SHA-256 over the compact JSON of the
//! record without its `hash` field, with object keys sorted at every depth. So a reader can
//! recompute it from any line that parses, whatever the key order or spacing on disk, and the
//! result does not depend on whether `serde_json`'s `preserve_order` feature is on.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The `prev` of the first record: there is nothing before it.
pub(super) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Fields the log owns; a caller's values for them are replaced when the record is sealed.
pub(super) const SEQ: &str = "seq";
pub(super) const PREV: &str = "prev";
pub(super) const HASH: &str = "hash";
pub(super) const AT: &str = "at";
const KIND: &str = "kind";

/// Where a readable line sits in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Link {
    pub seq: u64,
    pub prev: String,
    pub hash: String,
}

/// Why a line is not a record, worded to follow "line N ...".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Unreadable {
    /// The JSON stops early: a write was cut off (or the line was truncated by hand).
    Incomplete,
    NotJson(String),
    NotRecord(String),
}

impl Unreadable {
    pub(super) fn message(&self) -> String {
        match self {
            Unreadable::Incomplete => "the line is incomplete (a write was cut off)".to_string(),
            Unreadable::NotJson(e) => format!("the line is not valid JSON ({e})"),
            Unreadable::NotRecord(why) => format!("the line is not an audit record ({why})"),
        }
    }
}

/// SHA-256 over the canonical form of `record` without its `hash` field, as lowercase hex.
pub(super) fn content_hash(record: &Map<String, Value>) -> String {
    let mut content = record.clone();
    content.remove(HASH);
    let mut content = Value::Object(content);
    // A no-op unless `preserve_order` is on, in which case insertion order must not leak in.
    content.sort_all_objects();
    hex(&Sha256::digest(content.to_string().as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Turns a caller's entry into record `seq` chained after `prev`, with its hash.
///
/// The entry first goes through the same JSON text a reader will parse, so the hash is computed
/// over exactly what `verify` will see (serde_json's default float parsing is not always exact,
/// and an entry nested deeper than the parser allows would be unreadable). An entry that does not
/// survive that trip is recorded as an `unrecordable` stand-in rather than dropped, so the log
/// still shows that something happened there.
/// Returns the sealed record and its hash.
pub(super) fn seal(
    entry: &Map<String, Value>,
    seq: u64,
    prev: &str,
) -> (Map<String, Value>, String) {
    let text = Value::Object(entry.clone()).to_string();
    let mut record = match serde_json::from_str::<Map<String, Value>>(&text) {
        Ok(read_back) => read_back,
        Err(e) => stand_in(entry, &e.to_string()),
    };
    record.insert(SEQ.to_string(), Value::from(seq));
    record.insert(PREV.to_string(), Value::from(prev));
    record.remove(HASH);
    let hash = content_hash(&record);
    record.insert(HASH.to_string(), Value::from(hash.as_str()));
    (record, hash)
}

fn stand_in(entry: &Map<String, Value>, error: &str) -> Map<String, Value> {
    let mut record = Map::new();
    record.insert(KIND.to_string(), Value::from("unrecordable"));
    for field in [KIND, AT] {
        if let Some(Value::String(s)) = entry.get(field) {
            record.insert(format!("original_{field}"), Value::from(s.as_str()));
        }
    }
    record.insert("error".to_string(), Value::from(error));
    record
}

/// One line for people as well as programs: `seq`, `at` and `kind` first, the payload in key
/// order, `prev` and `hash` last. Ends with a newline.
pub(super) fn render_line(record: &Map<String, Value>) -> String {
    const FIRST: [&str; 3] = [SEQ, AT, KIND];
    const LAST: [&str; 2] = [PREV, HASH];
    let mut keys: Vec<&String> = record
        .keys()
        .filter(|k| !FIRST.contains(&k.as_str()) && !LAST.contains(&k.as_str()))
        .collect();
    keys.sort();
    let ordered = FIRST
        .iter()
        .filter_map(|k| record.get_key_value(*k))
        .chain(keys.into_iter().filter_map(|k| record.get_key_value(k)))
        .chain(LAST.iter().filter_map(|k| record.get_key_value(*k)));
    let mut line = String::from("{");
    for (i, (key, value)) in ordered.enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&Value::from(key.as_str()).to_string());
        line.push(':');
        line.push_str(&value.to_string());
    }
    line.push_str("}\n");
    line
}

/// Parses one line (without its newline) into the record and its place in the chain.
pub(super) fn read_line(bytes: &[u8]) -> Result<(Map<String, Value>, Link), Unreadable> {
    let record: Map<String, Value> = match serde_json::from_slice(bytes) {
        Ok(record) => record,
        Err(e) if e.is_eof() => return Err(Unreadable::Incomplete),
        Err(e) if e.is_data() => {
            return Err(Unreadable::NotRecord("it is not a JSON object".to_string()));
        }
        Err(e) => return Err(Unreadable::NotJson(e.to_string())),
    };
    let seq = match record.get(SEQ).and_then(Value::as_u64) {
        Some(seq) if seq > 0 => seq,
        _ => {
            return Err(Unreadable::NotRecord(
                "`seq` is missing or not a positive whole number".to_string(),
            ));
        }
    };
    let prev = digest_field(&record, PREV)?;
    let hash = digest_field(&record, HASH)?;
    Ok((record, Link { seq, prev, hash }))
}

fn digest_field(record: &Map<String, Value>, field: &str) -> Result<String, Unreadable> {
    match record.get(field).and_then(Value::as_str) {
        Some(s) if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) => {
            Ok(s.to_string())
        }
        _ => Err(Unreadable::NotRecord(format!(
            "`{field}` is missing or not 64 lowercase hex digits"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn the_hash_covers_content_not_layout() {
        let a = entry(json!({"kind": "decision", "choice": "hold", "nested": {"b": 1, "a": 2}}));
        let (sealed, _) = seal(&a, 1, GENESIS);
        let line = render_line(&sealed);
        let (read, link) = read_line(line.trim_end().as_bytes()).expect("reads back");
        assert_eq!(content_hash(&read), link.hash);
        // Spacing and key order are layout; the hash does not change with them.
        let respaced = serde_json::to_string_pretty(&read).expect("pretty");
        let (reread, _) = read_line(respaced.as_bytes()).expect("reads back");
        assert_eq!(content_hash(&reread), link.hash);
    }

    #[test]
    fn any_change_of_content_changes_the_hash() {
        let (sealed, _) = seal(
            &entry(json!({"kind": "decision", "choice": "hold"})),
            1,
            GENESIS,
        );
        let mut edited = sealed.clone();
        edited.insert("choice".into(), json!("push"));
        assert_ne!(content_hash(&edited), content_hash(&sealed));
        let mut reseq = sealed.clone();
        reseq.insert(SEQ.into(), json!(2));
        assert_ne!(content_hash(&reseq), content_hash(&sealed));
    }

    #[test]
    fn seal_owns_seq_prev_and_hash() {
        let forged = entry(json!({"kind": "command", "seq": 99, "prev": "x", "hash": "y"}));
        let (sealed, hash) = seal(&forged, 3, GENESIS);
        assert_eq!(sealed[SEQ], json!(3));
        assert_eq!(sealed[PREV], json!(GENESIS));
        assert_eq!(sealed[HASH], json!(hash));
        assert_eq!(hash, content_hash(&sealed));
    }

    #[test]
    fn the_line_reads_seq_at_kind_first_and_prev_hash_last() {
        let e = entry(json!({"zeta": 1, "kind": "command", "at": "2026-01-01T00:00:00.000Z"}));
        let line = render_line(&seal(&e, 1, GENESIS).0);
        let order: Vec<usize> = [
            "\"seq\"", "\"at\"", "\"kind\"", "\"zeta\"", "\"prev\"", "\"hash\"",
        ]
        .iter()
        .map(|k| line.find(k).expect("key present"))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{line}");
        assert_eq!(line.matches('\n').count(), 1);
    }

    #[test]
    fn floats_hash_the_same_after_a_round_trip() {
        let e = entry(json!({"kind": "decision", "score": 0.1 + 0.2, "big": 1.0e300}));
        let line = render_line(&seal(&e, 1, GENESIS).0);
        let (read, link) = read_line(line.trim_end().as_bytes()).expect("reads back");
        assert_eq!(content_hash(&read), link.hash);
    }

    #[test]
    fn an_entry_too_deep_to_read_back_becomes_a_stand_in() {
        let mut deep = json!("bottom");
        for _ in 0..200 {
            deep = json!([deep]);
        }
        let e = entry(json!({"kind": "decision", "payload": deep}));
        let (sealed, _) = seal(&e, 1, GENESIS);
        assert_eq!(sealed["kind"], json!("unrecordable"));
        assert_eq!(sealed["original_kind"], json!("decision"));
        let line = render_line(&sealed);
        assert!(read_line(line.trim_end().as_bytes()).is_ok());
    }

    #[test]
    fn unreadable_lines_say_why() {
        assert_eq!(
            read_line(br#"{"seq":1,"at":"20"#),
            Err(Unreadable::Incomplete)
        );
        assert!(matches!(read_line(b"{nope}"), Err(Unreadable::NotJson(_))));
        assert!(matches!(read_line(b"[1,2]"), Err(Unreadable::NotRecord(_))));
        assert!(matches!(
            read_line(br#"{"seq":1,"prev":"00","hash":"00"}"#),
            Err(Unreadable::NotRecord(_))
        ));
        assert!(matches!(
            read_line(br#"{"prev":"a"}"#),
            Err(Unreadable::NotRecord(_))
        ));
    }
}
