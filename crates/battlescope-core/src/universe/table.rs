//! Shared reading of the embedded TSV tables.
//!
//! A table is UTF-8 text, one row per line, fields separated by tabs; lines
//! starting with `#` (the provenance and column header) and empty lines are
//! skipped. Reading never panics: a malformed row is dropped (the tests pin
//! the exact row counts, so a dropped row cannot go unnoticed).

/// The tab-separated fields of each data line, when it has exactly `N` fields.
pub(super) fn rows<const N: usize>(
    text: &'static str,
) -> impl Iterator<Item = Option<[&'static str; N]>> {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(fields)
}

fn fields<const N: usize>(line: &'static str) -> Option<[&'static str; N]> {
    let mut out = [""; N];
    let mut parts = line.split('\t');
    for slot in &mut out {
        *slot = parts.next()?;
    }
    parts.next().is_none().then_some(out)
}

/// Sorts by id and drops repeated ids (keeping the first), so that
/// [`find`] can binary-search.
pub(super) fn sorted_by_id<T>(mut items: Vec<T>, id: fn(&T) -> u32) -> Vec<T> {
    items.sort_by_key(id);
    items.dedup_by_key(|item| id(item));
    items
}

/// Binary search of a slice sorted by [`sorted_by_id`].
pub(super) fn find<T>(items: &[T], wanted: u32, id: fn(&T) -> u32) -> Option<&T> {
    items
        .binary_search_by_key(&wanted, id)
        .ok()
        .and_then(|index| items.get(index))
}

#[cfg(test)]
mod tests {
    use super::{find, rows, sorted_by_id};

    #[test]
    fn skips_comments_and_blank_lines_and_checks_field_count() {
        let text = "# header\n\n1\ta\n2\tb\tc\n3\n4\t\n";
        let parsed: Vec<Option<[&str; 2]>> = rows(text).collect();
        assert_eq!(parsed, vec![Some(["1", "a"]), None, None, Some(["4", ""])]);
    }

    #[test]
    fn sorts_dedups_and_finds() {
        let items = sorted_by_id(vec![(5, 'a'), (1, 'b'), (5, 'c'), (3, 'd')], |item| item.0);
        assert_eq!(items, vec![(1, 'b'), (3, 'd'), (5, 'a')]);
        assert_eq!(find(&items, 3, |item| item.0), Some(&(3, 'd')));
        assert_eq!(find(&items, 4, |item| item.0), None);
        assert_eq!(find(&items, u32::MAX, |item| item.0), None);
        assert_eq!(find::<(u32, char)>(&[], 0, |item| item.0), None);
    }
}
