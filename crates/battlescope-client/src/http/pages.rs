//! Cursor pagination: [`Pages`] asks for one page after another, passing
//! each page's `nextCursor` to the next request, until a page has none.
//!
//! Guarantees: with the server's cursors (keyset: start time, then id),
//! walking the pages of a list that does not change meanwhile yields each
//! item exactly once, newest first; a failed page leaves the position
//! where it was, so calling [`Pages::next_page`] again retries that page;
//! a page whose `nextCursor` is the cursor it was asked with is an error
//! ([`ClientError::CursorRepeated`]), never an endless walk.

use std::collections::VecDeque;

use futures_util::Stream;
use serde::de::DeserializeOwned;

use super::{BattleFilter, Client, ClientError};
use crate::{Battle, BattlePage, BattleSearch, KillmailPage, KillmailView};

/// A page of a paginated list: its items and the cursor of the next one.
pub trait Page: DeserializeOwned + sealed::Sealed {
    /// What the page lists.
    type Item;
    /// The `nextCursor` (`None` on the last page).
    fn next_cursor(&self) -> Option<&str>;
    /// The items, in order.
    fn into_items(self) -> Vec<Self::Item>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::BattlePage {}
    impl Sealed for crate::KillmailPage {}
}

impl Page for BattlePage {
    type Item = Battle;
    fn next_cursor(&self) -> Option<&str> {
        self.next_cursor.as_deref()
    }
    fn into_items(self) -> Vec<Battle> {
        self.battles
    }
}

impl Page for KillmailPage {
    type Item = KillmailView;
    fn next_cursor(&self) -> Option<&str> {
        self.next_cursor.as_deref()
    }
    fn into_items(self) -> Vec<KillmailView> {
        self.killmails
    }
}

/// Which list, with what filters.
#[derive(Debug, Clone)]
pub(super) enum Request {
    Battles(BattleFilter),
    SearchBattles(BattleSearch),
    Killmails { limit: Option<u32> },
}

/// The pages of a list, fetched one at a time; made by
/// [`Client::battle_pages`], [`Client::search_battle_pages`] and
/// [`Client::killmail_pages`].
#[derive(Debug, Clone)]
pub struct Pages<P> {
    client: Client,
    request: Request,
    /// The cursor of the next page to fetch (`None`: the first page).
    cursor: Option<String>,
    done: bool,
    _page: std::marker::PhantomData<fn() -> P>,
}

impl<P: Page> Pages<P> {
    pub(super) fn new(client: Client, request: Request, cursor: Option<String>) -> Self {
        Self {
            client,
            request,
            cursor,
            done: false,
            _page: std::marker::PhantomData,
        }
    }

    /// The next page, or `None` once the last page was returned.
    ///
    /// # Errors
    /// As the page's request ([`ClientError`]); the position does not move,
    /// so the next call asks for the same page again.
    pub async fn next_page(&mut self) -> Result<Option<P>, ClientError> {
        if self.done {
            return Ok(None);
        }
        let page: P = self
            .client
            .fetch_page(&self.request, self.cursor.clone())
            .await?;
        if page.next_cursor().is_some() && page.next_cursor() == self.cursor.as_deref() {
            return Err(ClientError::CursorRepeated {
                cursor: self.cursor.clone().unwrap_or_default(),
            });
        }
        self.cursor = page.next_cursor().map(str::to_owned);
        self.done = self.cursor.is_none();
        Ok(Some(page))
    }

    /// The cursor the next page will be asked from (`None` before the
    /// first page or after the last): keep it to resume later.
    #[must_use]
    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }

    /// Every item of every page, in order, fetching pages as they are
    /// needed. The stream ends after the first error, which it yields.
    pub fn items(self) -> impl Stream<Item = Result<P::Item, ClientError>> + Send
    where
        P: Send,
        P::Item: Send,
    {
        let state = (self, VecDeque::<P::Item>::new());
        futures_util::stream::try_unfold(state, |(mut pages, mut buffered)| async move {
            loop {
                if let Some(item) = buffered.pop_front() {
                    return Ok(Some((item, (pages, buffered))));
                }
                match pages.next_page().await? {
                    Some(page) => buffered.extend(page.into_items()),
                    None => return Ok(None),
                }
            }
        })
    }
}

impl Client {
    pub(super) async fn fetch_page<P: Page>(
        &self,
        request: &Request,
        cursor: Option<String>,
    ) -> Result<P, ClientError> {
        match request {
            Request::Battles(filter) => {
                let mut filter = filter.clone();
                filter.set_cursor(cursor);
                self.get_json(&["api", "battles"], &filter.query_pairs())
                    .await
            }
            Request::SearchBattles(search) => {
                let cursor = match cursor {
                    None => None,
                    Some(c) => Some(crate::BattleSearchCursor::try_from(c.as_str()).map_err(
                        |e| ClientError::UnexpectedAnswer {
                            status: reqwest::StatusCode::OK,
                            url: "/api/search/battles".to_owned(),
                            path: Some("nextCursor".to_owned()),
                            message: format!("`{c}` is not a battle cursor: {e}"),
                        },
                    )?),
                };
                let body = BattleSearch {
                    cursor,
                    ..search.clone()
                };
                self.post_json(&["api", "search", "battles"], &body).await
            }
            Request::Killmails { limit } => {
                let mut pairs = Vec::new();
                if let Some(limit) = limit {
                    pairs.push(("limit".to_owned(), limit.to_string()));
                }
                if let Some(cursor) = cursor {
                    pairs.push(("cursor".to_owned(), cursor));
                }
                self.get_json(&["api", "killmails", "recent"], &pairs).await
            }
        }
    }
}
