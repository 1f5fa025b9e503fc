//! The embedded search index (tantivy): battles, entities (alliances,
//! corporations, characters, solar systems) and killmails by name, with
//! typo-tolerant queries.
//!
//! One writer and one reader per process, as tantivy intends: writes are
//! buffered by the writer and become visible at [`SearchIndex::commit`],
//! the durability point. Commits and searches run in `spawn_blocking`, so
//! the async runtime never waits on disk or on a long query.

mod doc;
mod port;
mod query;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::schema::{
    Field, NumericOptions, Schema, TantivyDocument, Value, FAST, INDEXED, STORED, STRING, TEXT,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};

pub use doc::{DocKind, SearchDoc, SearchHit};
/// The port's documents as index documents, shared with the Typesense index.
pub(crate) use port::{battle_doc, doc_kind, entity_kind, hit_kind, killmail_doc};

/// Tuning of the index writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchConfig {
    /// Indexing threads (each buffers up to `writer_memory / threads`).
    pub writer_threads: usize,
    /// Memory the writer buffers before it flushes a segment, in bytes
    /// (tantivy needs at least 15 MB per thread).
    pub writer_memory: usize,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self {
            writer_threads: 1,
            writer_memory: 50_000_000,
        }
    }
}

/// A search request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// What was typed, misspelled or not.
    pub text: String,
    /// Only these kinds; every kind when empty.
    pub kinds: Vec<DocKind>,
    /// Most results returned.
    pub limit: usize,
}

impl SearchQuery {
    /// Up to 10 results of any kind.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            kinds: Vec::new(),
            limit: 10,
        }
    }

    /// Only `kinds`.
    #[must_use]
    pub fn kinds(mut self, kinds: &[DocKind]) -> Self {
        self.kinds = kinds.to_vec();
        self
    }
}

/// Errors of the index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// Opening, writing or reading the index failed.
    #[error("search index: {context}: {source}")]
    Index {
        context: &'static str,
        #[source]
        source: tantivy::TantivyError,
    },
    /// The index directory holds an index of another layout.
    #[error("search index at {dir}: {reason}")]
    Layout { dir: String, reason: String },
    /// A blocking task was cancelled or panicked.
    #[error("search index: background task failed: {0}")]
    Task(String),
}

fn index_err(context: &'static str) -> impl FnOnce(tantivy::TantivyError) -> SearchError {
    move |source| SearchError::Index { context, source }
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    key: Field,
    kind: Field,
    id: Field,
    name: Field,
    text: Field,
    time: Field,
    rank: Field,
}

impl Fields {
    fn schema() -> Schema {
        let mut b = Schema::builder();
        b.add_text_field("key", STRING);
        b.add_text_field("kind", STRING | STORED);
        b.add_text_field("id", STRING | STORED);
        b.add_text_field("name", TEXT | STORED);
        b.add_text_field("text", TEXT);
        b.add_i64_field("time", NumericOptions::default() | INDEXED | FAST);
        b.add_u64_field("rank", FAST);
        b.build()
    }

    fn of(schema: &Schema) -> tantivy::Result<Self> {
        Ok(Self {
            key: schema.get_field("key")?,
            kind: schema.get_field("kind")?,
            id: schema.get_field("id")?,
            name: schema.get_field("name")?,
            text: schema.get_field("text")?,
            time: schema.get_field("time")?,
            rank: schema.get_field("rank")?,
        })
    }
}

struct Inner {
    index: Index,
    writer: Mutex<IndexWriter>,
    reader: IndexReader,
    fields: Fields,
}

/// The index; clone it freely (clones share the one writer and reader).
#[derive(Debug, Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

impl SearchIndex {
    /// Open the index in `dir`, creating it (and the directory) if needed.
    /// Only one process may hold it: tantivy locks the directory.
    ///
    /// # Errors
    /// When the directory cannot be used or holds another layout.
    pub fn open(dir: &Path, config: SearchConfig) -> Result<Self, SearchError> {
        let shown = dir.display().to_string();
        std::fs::create_dir_all(dir).map_err(|e| SearchError::Layout {
            dir: shown.clone(),
            reason: e.to_string(),
        })?;
        let directory = MmapDirectory::open(dir).map_err(|e| SearchError::Layout {
            dir: shown.clone(),
            reason: e.to_string(),
        })?;
        let index = Index::open_or_create(directory, Fields::schema()).map_err(|e| {
            SearchError::Layout {
                dir: shown,
                reason: e.to_string(),
            }
        })?;
        Self::with_index(index, config)
    }

    /// An index in memory, gone when dropped (tests, benchmarks).
    ///
    /// # Errors
    /// When tantivy cannot start its writer.
    pub fn in_memory(config: SearchConfig) -> Result<Self, SearchError> {
        Self::with_index(Index::create_in_ram(Fields::schema()), config)
    }

    fn with_index(index: Index, config: SearchConfig) -> Result<Self, SearchError> {
        let fields = Fields::of(&index.schema()).map_err(index_err("reading the schema"))?;
        let writer = index
            .writer_with_num_threads(config.writer_threads.max(1), config.writer_memory)
            .map_err(index_err("starting the writer"))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(index_err("starting the reader"))?;
        Ok(Self {
            inner: Arc::new(Inner {
                index,
                writer: Mutex::new(writer),
                reader,
                fields,
            }),
        })
    }

    /// Add or replace `docs` (by kind and id). Visible after the next
    /// [`SearchIndex::commit`].
    ///
    /// # Errors
    /// When the writer has failed (it then needs reopening).
    pub async fn upsert(&self, docs: Vec<SearchDoc>) -> Result<(), SearchError> {
        // Adding may block while the writer's queue is full.
        self.blocking(move |inner| {
            let writer = inner.writer();
            for doc in &docs {
                writer.delete_term(inner.key_term(doc.kind, &doc.id));
                writer
                    .add_document(inner.to_document(doc))
                    .map_err(index_err("adding a document"))?;
            }
            Ok(())
        })
        .await
    }

    /// Remove a document (a battle merged into another). Visible after the
    /// next commit.
    ///
    /// # Errors
    /// When the writer has failed.
    pub async fn delete(&self, kind: DocKind, id: &str) -> Result<(), SearchError> {
        let id = id.to_owned();
        self.blocking(move |inner| {
            inner.writer().delete_term(inner.key_term(kind, &id));
            Ok(())
        })
        .await
    }

    /// Make every write so far durable and visible to searches; returns
    /// tantivy's opstamp of the commit.
    ///
    /// # Errors
    /// When writing the segment or reloading the reader fails.
    pub async fn commit(&self) -> Result<u64, SearchError> {
        self.blocking(|inner| {
            let opstamp = inner.writer().commit().map_err(index_err("committing"))?;
            inner
                .reader
                .reload()
                .map_err(index_err("reloading the reader"))?;
            Ok(opstamp)
        })
        .await
    }

    /// The best matches for `query`, best first; equal scores go to the
    /// higher rank.
    ///
    /// # Errors
    /// When reading the index fails.
    pub async fn search(&self, query: SearchQuery) -> Result<Vec<SearchHit>, SearchError> {
        self.blocking(move |inner| inner.search(&query)).await
    }

    /// Documents visible to searches.
    #[must_use]
    pub fn num_docs(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    /// The same as [`SearchIndex::search`], on the calling thread (for
    /// benchmarks and blocking callers).
    ///
    /// # Errors
    /// As [`SearchIndex::search`].
    pub fn search_blocking(&self, query: &SearchQuery) -> Result<Vec<SearchHit>, SearchError> {
        self.inner.search(query)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner) -> Result<T, SearchError> + Send + 'static,
    ) -> Result<T, SearchError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| SearchError::Task(e.to_string()))?
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // tantivy's writer and reader have no Debug of their own.
        f.debug_struct("SearchIndex")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl Inner {
    fn writer(&self) -> MutexGuard<'_, IndexWriter> {
        // A panic while holding the writer leaves tantivy's own state as
        // it was (its operations are atomic); keep using it.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn key_term(&self, kind: DocKind, id: &str) -> Term {
        Term::from_field_text(self.fields.key, &format!("{}:{id}", kind.as_str()))
    }

    fn to_document(&self, doc: &SearchDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut out = TantivyDocument::default();
        out.add_text(f.key, format!("{}:{}", doc.kind.as_str(), doc.id));
        out.add_text(f.kind, doc.kind.as_str());
        out.add_text(f.id, &doc.id);
        out.add_text(f.name, &doc.name);
        out.add_text(f.text, &doc.text);
        if let Some(time) = doc.time {
            out.add_i64(f.time, time.timestamp());
        }
        out.add_u64(f.rank, doc.rank);
        out
    }

    fn search(&self, request: &SearchQuery) -> Result<Vec<SearchHit>, SearchError> {
        if request.limit == 0 {
            return Ok(Vec::new());
        }
        let f = &self.fields;
        let mut analyzer = self
            .index
            .tokenizer_for_field(f.name)
            .map_err(index_err("loading the tokenizer"))?;
        let words = query::words(&mut analyzer, &request.text);
        let fields = query::Fields {
            kind: f.kind,
            name: f.name,
            text: f.text,
        };
        let Some(query) = query::build(&fields, &words, &request.kinds) else {
            return Ok(Vec::new());
        };
        let searcher = self.reader.searcher();
        // Fuzzy matches score alike, so order ties by rank: fetch a few
        // more than asked and sort (score, rank).
        let top = searcher
            .search(
                &query,
                &TopDocs::with_limit(request.limit.saturating_mul(4)),
            )
            .map_err(index_err("searching"))?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address).map_err(index_err("reading a hit"))?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let Some(kind) = DocKind::parse(&text(f.kind)) else {
                continue;
            };
            let rank = searcher
                .segment_reader(address.segment_ord)
                .fast_fields()
                .u64("rank")
                .ok()
                .and_then(|column| column.first(address.doc_id))
                .unwrap_or(0);
            hits.push((
                rank,
                SearchHit {
                    kind,
                    id: text(f.id),
                    name: text(f.name),
                    score,
                },
            ));
        }
        hits.sort_by(|(ra, a), (rb, b)| b.score.total_cmp(&a.score).then(rb.cmp(ra)));
        hits.truncate(request.limit);
        Ok(hits.into_iter().map(|(_, hit)| hit).collect())
    }
}
