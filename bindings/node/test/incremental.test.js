// The incremental Clusterer: its events are the envelopes of the event
// schemas (golden stream in schemas/examples), and it ends with the
// battles of batch `cluster()` whatever the order of arrival.
'use strict'

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const bs = require('..')
const { root, sampleFiles, byTime, shuffled, memberships } = require('./helpers')

const golden = fs
  .readFileSync(path.join(root, 'schemas', 'examples', 'events.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l))

test('pushEvents gives the battle events of the golden stream, envelope and all', () => {
  const clusterer = new bs.Clusterer()
  const produced = []
  for (const event of golden) {
    if (event.eventType.startsWith('killmail.')) produced.push(event)
    if (event.eventType !== 'killmail.enriched') continue
    // The stream's clusterer stamps its events one second after enrich.
    const timestamp = new Date(Date.parse(event.timestamp) + 1000).toISOString()
    produced.push(...clusterer.pushEvents(event.data.killmail, { timestamp }))
  }
  assert.ok(golden.some((e) => e.eventType === 'battle.deleted'))
  assert.deepEqual(produced, golden.map((e) => bs.parseEvent(e)))
  assert.deepEqual(produced, golden)
})

test('metadata, source and timestamp can be given', () => {
  const killmails = golden.filter((e) => e.eventType === 'killmail.enriched').map((e) => e.data.killmail)
  const metadata = { correlationId: golden[0].eventId, causationId: golden[1].eventId, source: 'my-service' }
  const clusterer = new bs.Clusterer()
  const events = clusterer.pushManyEvents(killmails, { metadata, timestamp: '2030-01-01T00:00:00Z' })
  assert.ok(events.length > 0)
  for (const e of events) {
    assert.deepEqual(e.metadata, metadata)
    assert.equal(e.timestamp, '2030-01-01T00:00:00Z')
  }
  const again = new bs.Clusterer().pushManyEvents(killmails, { source: 'other' })
  assert.deepEqual(
    again.map((e) => e.eventId),
    events.map((e) => e.eventId),
    'event ids depend on the change only',
  )
  assert.ok(again.every((e) => e.metadata.source === 'other'))
})

test('pushed in time order, the clusterer ends with exactly the batch battles', () => {
  const set = bs.readKillmails(sampleFiles())
  const batch = bs.cluster(set)
  // The sample spans years: keep every fight open (nothing sealed).
  const clusterer = new bs.Clusterer({ allowedLateness: '3000d' })
  for (const km of byTime(set.toArray())) clusterer.push(km)
  assert.deepEqual(clusterer.battles(), batch)
})

test('in any order and with duplicates, the battles are the batch ones, ids included', () => {
  const set = bs.readKillmails(sampleFiles())
  const battles = bs.cluster(set)
  const batch = memberships(battles)
  const killmails = set.toArray()
  // Keep everything open however late it comes.
  const config = { allowedLateness: '3000d' }
  for (const seed of [1, 2, 3, 42, 1234]) {
    const order = shuffled([...killmails, ...killmails.slice(0, 20)], seed)
    const clusterer = new bs.Clusterer(config)
    const live = new Map()
    for (const km of order) {
      for (const e of clusterer.pushEvents(km)) {
        if (e.eventType === 'battle.deleted') live.delete(e.data.battleId)
        else {
          // A battle is named by its earliest kill: a rename moves it.
          if (e.eventType === 'battle.updated' && e.data.previousId) live.delete(e.data.previousId)
          live.set(e.data.battle.id, e.data.battle)
        }
      }
    }
    assert.deepEqual(clusterer.battles(), battles, `seed ${seed}`)
    // Applying the events alone rebuilds the same battles.
    assert.deepEqual(memberships([...live.values()]), batch, `events of seed ${seed}`)
    assert.deepEqual(new Set(live.keys()), new Set(battles.map((b) => b.id)), `ids of seed ${seed}`)
  }
})

test('pushMany and pushManyEvents on a KillmailSet equal pushing one by one', () => {
  const set = bs.readKillmails(sampleFiles())
  const options = { timestamp: '2030-01-01T00:00:00Z' }
  const one = new bs.Clusterer()
  const changes = set.toArray().flatMap((km) => one.push(km).events)
  const many = new bs.Clusterer()
  assert.deepEqual(many.pushMany(set), changes)
  assert.deepEqual(many.battles(), one.battles())
  const oneEvents = new bs.Clusterer()
  const events = set.toArray().flatMap((km) => oneEvents.pushEvents(km, options))
  assert.deepEqual(new bs.Clusterer().pushManyEvents(set, options), events)
  // The bus events carry the same changes, with the documents.
  assert.deepEqual(
    events.map((e) => e.eventType),
    changes.map((c) => `battle.${c.type}`),
  )
})

test('push reports its outcome, the battle changes, late kills beyond the horizon and sealed battles', () => {
  const killmails = byTime(bs.readKillmails(sampleFiles()).toArray())
  const clusterer = new bs.Clusterer({ allowedLateness: '1h', keepSealed: false })
  const sealed = []
  for (const km of killmails) {
    const r = clusterer.push(km)
    assert.equal(r.outcome, 'added')
    sealed.push(...r.sealed)
    for (const b of r.sealed) assert.ok(r.events.some((e) => e.type === 'sealed' && e.battle_id === b.id))
  }
  assert.ok(sealed.length > 0, 'older fights are sealed as time moves on')
  assert.deepEqual(clusterer.push(killmails.at(-1)), {
    outcome: 'duplicate',
    events: [],
    sealed: [],
    lateBattles: [],
    trustedTime: null,
  })
  // A kill older than the horizon comes back for the re-cluster path.
  const fight = sealed[0]
  const inside = structuredClone(killmails.find((k) => k.killmail_id === fight.killmailIds[0]))
  inside.killmail_id = 1
  const late = clusterer.push(inside)
  assert.equal(late.outcome, 'late_beyond_horizon')
  assert.ok(Array.isArray(late.lateBattles))
  assert.equal(late.trustedTime, null)
  const open = clusterer.battles()
  assert.equal(clusterer.openBattleCount, open.length)
  assert.deepEqual(clusterer.openBattles(), open)
  assert.ok(clusterer.watermark)
  assert.equal(clusterer.counts.late_beyond_horizon, 1)
  assert.equal(clusterer.counts.duplicates, 1)
})

test('a keepSealed clusterer (the default) re-clusters late kills and lists every battle', () => {
  const killmails = bs.readKillmails(sampleFiles()).toArray()
  const batch = bs.cluster(killmails)
  const clusterer = new bs.Clusterer({ allowedLateness: '1h' })
  // Newest first: almost every kill arrives beyond the horizon.
  for (const km of byTime(killmails).reverse()) clusterer.push(km)
  assert.deepEqual(clusterer.battles(), batch)
  assert.ok(clusterer.counts.reclustered > 0)
  const [battle] = batch
  assert.equal(clusterer.battleOf(battle.killmailIds[0]), battle.id)
})

test('kills dated far after the trusted time are refused', () => {
  const [km] = byTime(bs.readKillmails(sampleFiles()).toArray())
  const clusterer = new bs.Clusterer()
  clusterer.setTrustedTime(new Date(Date.parse(km.killmail_time) - 2 * 3600 * 1000))
  const r = clusterer.push(km)
  assert.equal(r.outcome, 'future_dated')
  assert.equal(Date.parse(r.trustedTime), Date.parse(km.killmail_time) - 2 * 3600 * 1000)
  assert.equal(clusterer.liveKillmails, 0)
  assert.equal(clusterer.watermark, null)
})

test('snapshot and restore carry the whole state', () => {
  const killmails = byTime(bs.readKillmails(sampleFiles()).toArray())
  const half = Math.floor(killmails.length / 2)
  const config = { allowedLateness: '3000d', maxGap: '20m' }
  const whole = new bs.Clusterer(config)
  const first = new bs.Clusterer(config)
  killmails.forEach((km) => whole.push(km))
  killmails.slice(0, half).forEach((km) => first.push(km))
  const text = first.snapshot()
  assert.equal(typeof text, 'string')
  for (const restored of [bs.Clusterer.restore(text), bs.Clusterer.restore(JSON.parse(text)), bs.Clusterer.restore(Buffer.from(text))]) {
    assert.deepEqual(restored.config, first.config)
    assert.equal(restored.liveKillmails, first.liveKillmails)
    killmails.slice(half).forEach((km) => restored.push(km))
    assert.deepEqual(restored.battles(), whole.battles())
  }
  assert.equal(whole.config.max_gap, '20m')
  const [battle] = whole.battles()
  assert.deepEqual(whole.battle(battle.id), battle)
  assert.equal(whole.battle('00000000-0000-0000-0000-000000000000'), null)
})
