//! From what a person typed to a typo-tolerant tantivy query.
//!
//! Each word must match, in the name or the other text, exactly (scored
//! highest) or within an edit distance that grows with the word's length
//! (0 up to 3 letters, 1 up to 5, 2 beyond; a swap of two letters counts
//! as one edit). The last word also matches as a prefix, so a name being
//! typed is found before it is finished.

use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

use super::doc::DocKind;

/// Words of a query beyond this are ignored (each costs an automaton).
pub(super) const MAX_WORDS: usize = 8;

pub(super) struct Fields {
    pub kind: Field,
    pub name: Field,
    pub text: Field,
}

/// Allowed edits for a word of `len` characters.
pub(super) fn distance(len: usize) -> u8 {
    match len {
        0..=3 => 0,
        4..=5 => 1,
        _ => 2,
    }
}

/// The words of `text` as the index sees them.
pub(super) fn words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        if out.len() == MAX_WORDS {
            break;
        }
        out.push(stream.token().text.clone());
    }
    out
}

/// The query for `words`, limited to `kinds` (all kinds when empty);
/// `None` when there is no word.
pub(super) fn build(
    fields: &Fields,
    words: &[String],
    kinds: &[DocKind],
) -> Option<Box<dyn Query>> {
    let last = words.len().checked_sub(1)?;
    let mut must: Vec<(Occur, Box<dyn Query>)> = words
        .iter()
        .enumerate()
        .map(|(i, word)| (Occur::Must, word_query(fields, word, i == last)))
        .collect();
    if !kinds.is_empty() {
        let any_kind = kinds
            .iter()
            .map(|k| {
                let term = Term::from_field_text(fields.kind, k.as_str());
                let q: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                (Occur::Should, q)
            })
            .collect();
        must.push((Occur::Must, Box::new(BooleanQuery::new(any_kind))));
    }
    Some(Box::new(BooleanQuery::new(must)))
}

fn word_query(fields: &Fields, word: &str, last: bool) -> Box<dyn Query> {
    let edits = distance(word.chars().count());
    let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, weight) in [(fields.name, 2.0), (fields.text, 1.0)] {
        let term = Term::from_field_text(field, word);
        let exact = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
        any.push((Occur::Should, boosted(exact, 3.0 * weight)));
        if edits > 0 {
            any.push((
                Occur::Should,
                boosted(FuzzyTermQuery::new(term.clone(), edits, true), weight),
            ));
        }
        if last {
            any.push((
                Occur::Should,
                boosted(FuzzyTermQuery::new_prefix(term, edits, true), 0.5 * weight),
            ));
        }
    }
    Box::new(BooleanQuery::new(any))
}

fn boosted(query: impl Query, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(Box::new(query), boost))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longer_words_allow_more_typos() {
        assert_eq!(distance(3), 0);
        assert_eq!(distance(4), 1);
        assert_eq!(distance(9), 2);
    }
}
