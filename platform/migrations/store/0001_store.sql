-- The platform's store (ports/store.rs). Portable SQL: the same file runs on
-- SQLite and PostgreSQL (BIGINT ids, TEXT for JSON and UUIDs, times as
-- whole seconds since the epoch, no autoincrement, no dialect functions).

CREATE TABLE rulesets (
    name       TEXT PRIMARY KEY,
    format     TEXT NOT NULL,
    body       TEXT NOT NULL,
    active     BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Ingest: killmail ids already published, and where each source stopped.
CREATE TABLE ingested_killmails (
    killmail_id BIGINT PRIMARY KEY
);

CREATE TABLE source_cursors (
    source     TEXT PRIMARY KEY,
    cursor     TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Clusterer state per partition, saved with the consumer position it covers.
CREATE TABLE clusterer_checkpoints (
    consumer_group TEXT NOT NULL,
    topic          TEXT NOT NULL,
    partition_id   BIGINT NOT NULL,
    log_id         TEXT NOT NULL,
    next_offset    BIGINT NOT NULL,
    snapshot       TEXT NOT NULL,
    saved_at       BIGINT NOT NULL,
    PRIMARY KEY (consumer_group, topic, partition_id)
);

CREATE TABLE killmails (
    killmail_id     BIGINT PRIMARY KEY,
    killmail_time   BIGINT NOT NULL,
    solar_system_id BIGINT NOT NULL,
    total_value     DOUBLE PRECISION,
    body            TEXT NOT NULL,
    summary         TEXT NOT NULL,
    names           TEXT NOT NULL
);

-- Everyone on a killmail (slot 0 is the victim): the battle filters by
-- alliance / corporation / character, and each pilot's ship history.
CREATE TABLE participants (
    killmail_id    BIGINT NOT NULL,
    slot           BIGINT NOT NULL,
    killmail_time  BIGINT NOT NULL,
    character_id   BIGINT,
    corporation_id BIGINT,
    alliance_id    BIGINT,
    ship_type_id   BIGINT,
    is_victim      BOOLEAN NOT NULL,
    PRIMARY KEY (killmail_id, slot)
);
CREATE INDEX participants_character ON participants (character_id, killmail_time);
CREATE INDEX participants_corporation ON participants (corporation_id);
CREATE INDEX participants_alliance ON participants (alliance_id);

CREATE VIEW pilot_ship_history AS
    SELECT character_id, ship_type_id, killmail_id, killmail_time, is_victim AS lost
    FROM participants
    WHERE character_id IS NOT NULL;

-- A battle row without a document is a tombstone: its delete (merge) was
-- seen before any of its documents.
CREATE TABLE battles (
    id             TEXT PRIMARY KEY,
    system_id      BIGINT,
    region_id      BIGINT,
    security_class TEXT,
    start_time     BIGINT,
    end_time       BIGINT,
    kill_count     BIGINT,
    isk_destroyed  DOUBLE PRECISION,
    document       TEXT,
    merged_into    TEXT
);
CREATE INDEX battles_newest ON battles (start_time DESC, id DESC);
CREATE INDEX battles_system ON battles (system_id, start_time);

CREATE TABLE battle_kills (
    killmail_id BIGINT PRIMARY KEY,
    battle_id   TEXT NOT NULL
);
CREATE INDEX battle_kills_battle ON battle_kills (battle_id);

-- Append-only: rows are only ever inserted.
CREATE TABLE events (
    event_id     TEXT PRIMARY KEY,
    event_type   TEXT NOT NULL,
    event_key    TEXT NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    payload      TEXT NOT NULL
);

CREATE TABLE dead_letters (
    id          TEXT PRIMARY KEY,
    stage       TEXT NOT NULL,
    position    TEXT NOT NULL,
    error       TEXT NOT NULL,
    payload     TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
