//! Splitting a byte stream into records without parsing them: JSON Lines by
//! newline, JSON arrays by top-level element. Both stream (memory bounded by
//! the largest record) and enforce a size limit, so one huge or broken record
//! costs only itself.

use std::io::{self, BufRead};

/// The reader's buffered bytes (empty at end of input), retrying reads
/// that were interrupted.
fn fill<R: BufRead>(reader: &mut R) -> io::Result<&[u8]> {
    loop {
        match reader.fill_buf() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
            Ok(_) => break,
        }
    }
    // Already buffered: this call returns without reading.
    reader.fill_buf()
}

/// Tracks JSON strings byte by byte, so structural characters inside them
/// (`"a,]}"`) are not taken for structure.
#[derive(Debug, Default, Clone, Copy)]
struct Strings {
    inside: bool,
    escaped: bool,
}

impl Strings {
    /// Feed one byte: true when it belongs to a string (quotes included).
    fn inside(&mut self, b: u8) -> bool {
        if self.inside {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.inside = false;
            }
            true
        } else {
            self.inside = b == b'"';
            self.inside
        }
    }
}

/// True when `bytes` hold exactly one balanced JSON object or array (the
/// test that tells JSON Lines from a pretty-printed document).
pub(crate) fn is_complete_value(bytes: &[u8]) -> bool {
    let trimmed = bytes.trim_ascii();
    let (mut depth, mut strings) = (0_i64, Strings::default());
    for (i, &b) in trimmed.iter().enumerate() {
        if strings.inside(b) {
            continue;
        }
        match b {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1 == trimmed.len();
                }
            }
            _ => {}
        }
    }
    false
}

/// One raw record cut from the stream.
#[derive(Debug)]
pub(crate) enum Chunk {
    /// The record's bytes.
    Bytes(Vec<u8>),
    /// The record was longer than the limit; its bytes were skipped.
    TooLarge(u64),
}

/// Splits JSON Lines. Blank lines are skipped; line numbers are 1-based.
#[derive(Debug)]
pub(crate) struct Lines<R> {
    inner: R,
    limit: usize,
    line: u64,
    done: bool,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(inner: R, limit: usize) -> Self {
        Self {
            inner,
            limit,
            line: 0,
            done: false,
        }
    }

    /// The reader, positioned after the lines already returned.
    pub(crate) fn into_inner(self) -> R {
        self.inner
    }

    /// Hand every remaining non-blank line to `f` (`Err(size)` for a line
    /// over the limit). A line that sits whole in the reader's buffer is
    /// passed in place, without a copy.
    pub(crate) fn for_each_line(
        &mut self,
        mut f: impl FnMut(u64, Result<&[u8], u64>),
    ) -> io::Result<()> {
        loop {
            let available = fill(&mut self.inner)?;
            if available.is_empty() {
                self.done = true;
                return Ok(());
            }
            if let Some(i) = memchr::memchr(b'\n', available) {
                self.line += 1;
                let line = &available[..i];
                if line.len() > self.limit {
                    f(self.line, Err(line.len() as u64));
                } else if !line.iter().all(u8::is_ascii_whitespace) {
                    f(self.line, Ok(line));
                }
                self.inner.consume(i + 1);
                continue;
            }
            // The line runs past the buffer: take the copying path.
            match self.next_line()? {
                Some((n, Chunk::Bytes(b))) => f(n, Ok(&b)),
                Some((n, Chunk::TooLarge(size))) => f(n, Err(size)),
                None => return Ok(()),
            }
        }
    }

    /// Next non-blank line and its number, `None` at end of input.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<(u64, Chunk)>> {
        while !self.done {
            self.line += 1;
            let mut buf = Vec::new();
            let mut size: u64 = 0;
            let mut too_large = false;
            loop {
                let available = fill(&mut self.inner)?;
                if available.is_empty() {
                    self.done = true;
                    break;
                }
                let (take, newline) = match memchr::memchr(b'\n', available) {
                    Some(i) => (i, true),
                    None => (available.len(), false),
                };
                size += take as u64;
                if !too_large && buf.len() + take > self.limit {
                    too_large = true;
                    buf = Vec::new();
                }
                if !too_large {
                    buf.extend_from_slice(&available[..take]);
                }
                self.inner.consume(take + usize::from(newline));
                if newline {
                    break;
                }
            }
            if too_large {
                return Ok(Some((self.line, Chunk::TooLarge(size))));
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Ok(Some((self.line, Chunk::Bytes(buf))));
        }
        Ok(None)
    }
}

/// Splits a top-level JSON array into its elements (0-based indices).
///
/// Tracks strings and nesting only; each element is parsed later on its own,
/// so a malformed element loses only itself — unless it breaks the nesting,
/// which is reported as a syntax error of the array and ends the read.
#[derive(Debug)]
pub(crate) struct ArrayElements<R> {
    inner: R,
    limit: usize,
    index: u64,
    state: ArrayState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArrayState {
    /// Before `[`.
    Start,
    /// Inside the array, before an element or `]`.
    Elements,
    Finished,
}

/// What the array splitter found next.
#[derive(Debug)]
pub(crate) enum ArrayItem {
    Element(u64, Chunk),
    /// The array is not well-formed at this byte; nothing more can be read.
    Syntax(String),
}

impl<R: BufRead> ArrayElements<R> {
    pub(crate) fn new(inner: R, limit: usize) -> Self {
        Self {
            inner,
            limit,
            index: 0,
            state: ArrayState::Start,
        }
    }

    fn next_significant(&mut self) -> io::Result<Option<u8>> {
        loop {
            let available = fill(&mut self.inner)?;
            if available.is_empty() {
                return Ok(None);
            }
            match available.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => {
                    let b = available[i];
                    self.inner.consume(i);
                    return Ok(Some(b));
                }
                None => {
                    let n = available.len();
                    self.inner.consume(n);
                }
            }
        }
    }

    pub(crate) fn next_item(&mut self) -> io::Result<Option<ArrayItem>> {
        loop {
            match self.state {
                ArrayState::Finished => return Ok(None),
                ArrayState::Start => match self.next_significant()? {
                    Some(b'[') => {
                        self.inner.consume(1);
                        self.state = ArrayState::Elements;
                    }
                    Some(b) => {
                        self.state = ArrayState::Finished;
                        return Ok(Some(ArrayItem::Syntax(format!(
                            "expected `[` at the start of a JSON array, found `{}`",
                            char::from(b)
                        ))));
                    }
                    None => {
                        self.state = ArrayState::Finished;
                        return Ok(Some(ArrayItem::Syntax("empty input".to_owned())));
                    }
                },
                ArrayState::Elements => match self.next_significant()? {
                    Some(b']') => {
                        self.inner.consume(1);
                        self.state = ArrayState::Finished;
                    }
                    Some(b',') => self.inner.consume(1),
                    Some(_) => return self.element().map(Some),
                    None => {
                        self.state = ArrayState::Finished;
                        return Ok(Some(ArrayItem::Syntax(format!(
                            "input ends inside the array after {} elements (missing `]`)",
                            self.index
                        ))));
                    }
                },
            }
        }
    }

    /// Cut one element: up to the `,` or `]` that closes it at depth 0.
    fn element(&mut self) -> io::Result<ArrayItem> {
        let index = self.index;
        self.index += 1;
        let mut buf = Vec::new();
        let mut size: u64 = 0;
        let mut too_large = false;
        let (mut depth, mut strings) = (0_i64, Strings::default());
        loop {
            let available = fill(&mut self.inner)?;
            if available.is_empty() {
                self.state = ArrayState::Finished;
                return Ok(ArrayItem::Syntax(format!(
                    "input ends inside element {index} (truncated JSON)"
                )));
            }
            let mut end = None;
            for (i, &b) in available.iter().enumerate() {
                if strings.inside(b) {
                    continue;
                }
                match b {
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => depth -= 1,
                    b',' | b']' if depth == 0 => {
                        end = Some(i);
                        break;
                    }
                    b'}' => {
                        self.state = ArrayState::Finished;
                        return Ok(ArrayItem::Syntax(format!(
                            "unbalanced `}}` in element {index}"
                        )));
                    }
                    _ => {}
                }
            }
            let take = end.unwrap_or(available.len());
            size += take as u64;
            if !too_large && buf.len() + take > self.limit {
                too_large = true;
                buf = Vec::new();
            }
            if !too_large {
                buf.extend_from_slice(&available[..take]);
            }
            self.inner.consume(take);
            if end.is_some() {
                let chunk = if too_large {
                    Chunk::TooLarge(size)
                } else {
                    Chunk::Bytes(buf)
                };
                return Ok(ArrayItem::Element(index, chunk));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &str, limit: usize) -> Vec<(u64, String)> {
        let mut l = Lines::new(input.as_bytes(), limit);
        let mut out = Vec::new();
        while let Some((n, c)) = l.next_line().unwrap() {
            out.push((
                n,
                match c {
                    Chunk::Bytes(b) => String::from_utf8(b).unwrap(),
                    Chunk::TooLarge(s) => format!("<too large {s}>"),
                },
            ));
        }
        out
    }

    #[test]
    fn lines_skip_blanks_and_number_from_one() {
        assert_eq!(
            lines("a\n\n  \nbb\nccc", 10),
            vec![(1, "a".into()), (4, "bb".into()), (5, "ccc".into())]
        );
    }

    #[test]
    fn oversized_line_is_skipped_and_reading_goes_on() {
        let big = "x".repeat(50);
        let input = format!("a\n{big}\nb\n");
        assert_eq!(
            lines(&input, 10),
            vec![
                (1, "a".into()),
                (2, "<too large 50>".into()),
                (3, "b".into())
            ]
        );
    }

    #[test]
    fn for_each_line_agrees_with_next_line_in_and_across_buffers() {
        let big = "y".repeat(40);
        let input = format!("a\n\n  \nbb\n{big}\nccc\n{}\nd", "z".repeat(9));
        for capacity in [1, 4, 16, 1024] {
            let reader = std::io::BufReader::with_capacity(capacity, input.as_bytes());
            let mut got = Vec::new();
            Lines::new(reader, 10)
                .for_each_line(|n, line| {
                    got.push((
                        n,
                        match line {
                            Ok(b) => String::from_utf8(b.to_vec()).unwrap(),
                            Err(size) => format!("<too large {size}>"),
                        },
                    ));
                })
                .unwrap();
            assert_eq!(got, lines(&input, 10), "capacity {capacity}");
        }
    }

    #[test]
    fn complete_values_tell_lines_from_documents() {
        assert!(is_complete_value(br#" {"a": {"b": "}"}} "#));
        assert!(is_complete_value(br#"{"a": "x\"}"}"#));
        assert!(!is_complete_value(b"{"));
        assert!(!is_complete_value(br#"{"a": 1"#));
        assert!(!is_complete_value(br#"{"a": 1} x"#));
        assert!(!is_complete_value(br#"{"a": "}"#));
    }

    fn elements(input: &str) -> Vec<String> {
        let mut a = ArrayElements::new(input.as_bytes(), 1000);
        let mut out = Vec::new();
        while let Some(item) = a.next_item().unwrap() {
            out.push(match item {
                ArrayItem::Element(i, Chunk::Bytes(b)) => {
                    format!("{i}:{}", String::from_utf8(b).unwrap().trim())
                }
                ArrayItem::Element(i, Chunk::TooLarge(_)) => format!("{i}:<too large>"),
                ArrayItem::Syntax(s) => format!("syntax: {s}"),
            });
        }
        out
    }

    #[test]
    fn arrays_split_on_top_level_commas_only() {
        assert_eq!(
            elements(r#" [ {"a":[1,2],"s":"x,]}\"y"} , 3, "z" ] "#),
            vec![r#"0:{"a":[1,2],"s":"x,]}\"y"}"#, "1:3", r#"2:"z""#]
        );
        assert_eq!(elements("[]"), Vec::<String>::new());
    }

    #[test]
    fn truncated_array_reports_after_the_good_elements() {
        let out = elements(r#"[{"a":1},{"b":"#);
        assert_eq!(out[0], r#"0:{"a":1}"#);
        assert!(
            out[1].starts_with("syntax: input ends inside element 1"),
            "{out:?}"
        );
    }
}
