//! The names stored with killmails, looked up by what they name: a page
//! shows a name when the enrichment resolved one, and nothing otherwise.

use rustc_hash::FxHashMap;

use crate::events::{EntityName, NameCategory};

/// Names by (category, id); the first seen wins.
#[derive(Debug, Default, Clone)]
pub struct Names(FxHashMap<(NameCategory, u64), String>);

impl Names {
    /// The names of many killmails.
    #[must_use]
    pub fn of<'a>(lists: impl IntoIterator<Item = &'a [EntityName]>) -> Self {
        let mut map = FxHashMap::default();
        for list in lists {
            for n in list {
                map.entry((n.category, n.id))
                    .or_insert_with(|| n.name.clone());
            }
        }
        Self(map)
    }

    /// The name of `id` as a `category`, if one was stored.
    #[must_use]
    pub fn get(&self, category: NameCategory, id: Option<u64>) -> Option<String> {
        self.0.get(&(category, id?)).cloned()
    }
}
