//! A byte buffer that keeps only the last `limit` bytes written to it, so a step that prints
//! gigabytes costs a fixed amount of memory and database space.

use std::collections::VecDeque;

/// The tail of a stream, and how much of it was dropped.
#[derive(Debug, Clone)]
pub struct TailBuffer {
    limit: usize,
    bytes: VecDeque<u8>,
    dropped: u64,
}

impl TailBuffer {
    pub fn new(limit: usize) -> TailBuffer {
        TailBuffer {
            limit,
            bytes: VecDeque::with_capacity(limit.min(64 * 1024)),
            dropped: 0,
        }
    }

    pub fn push(&mut self, chunk: &[u8]) {
        let keep = chunk.len().min(self.limit);
        self.dropped += (chunk.len() - keep) as u64;
        let chunk = &chunk[chunk.len() - keep..];
        let overflow = (self.bytes.len() + chunk.len()).saturating_sub(self.limit);
        self.bytes.drain(..overflow);
        self.dropped += overflow as u64;
        self.bytes.extend(chunk);
    }

    /// Bytes written in all, kept or not.
    pub fn total(&self) -> u64 {
        self.dropped + self.bytes.len() as u64
    }

    /// The kept bytes as text, led by a note of how much was left out.
    pub fn into_text(self) -> String {
        let (a, b) = self.bytes.as_slices();
        let mut raw = Vec::with_capacity(a.len() + b.len());
        raw.extend_from_slice(a);
        raw.extend_from_slice(b);
        let text = String::from_utf8_lossy(&raw);
        if self.dropped == 0 {
            text.into_owned()
        } else {
            format!("[… {} earlier bytes omitted …]\n{text}", self.dropped)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_tail_and_says_how_much_was_dropped() {
        let mut t = TailBuffer::new(4);
        t.push(b"ab");
        t.push(b"cdef");
        t.push(b"g");
        assert_eq!(t.into_text(), "[… 3 earlier bytes omitted …]\ndefg");
        let mut t = TailBuffer::new(10);
        t.push(b"short");
        assert_eq!(t.into_text(), "short");
        let mut t = TailBuffer::new(3);
        t.push(b"0123456789");
        assert_eq!(t.into_text(), "[… 7 earlier bytes omitted …]\n789");
    }
}
