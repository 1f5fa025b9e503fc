// The promise variants give what the synchronous functions give, run off
// the JavaScript thread, and report progress on it.
'use strict'

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const bs = require('..')
const { sampleFiles, tempDir } = require('./helpers')

/**
 * A larger set made from the sample: copies of every killmail moved `k`
 * days later under new ids, `copies` times (the fights repeat; none merge).
 */
function bigger(copies) {
  const base = bs.readKillmails(sampleFiles()).toArray()
  const out = []
  for (let k = 0; k < copies; k++) {
    for (const km of base) {
      const copy = structuredClone(km)
      copy.killmail_id = km.killmail_id + k * 1_000_000_000
      copy.killmail_time = new Date(Date.parse(km.killmail_time) + k * 86_400_000).toISOString().replace('.000Z', 'Z')
      out.push(JSON.stringify(copy))
    }
  }
  return out
}

test('readKillmailsAsync reads what readKillmails reads, with progress', async () => {
  const files = sampleFiles()
  const progress = []
  const promise = bs.readKillmailsAsync(files, { onProgress: (p) => progress.push(p) })
  assert.ok(promise instanceof Promise)
  const set = await promise
  const sync = bs.readKillmails(files)
  assert.deepEqual(set.toArray(), sync.toArray())
  assert.deepEqual(set.report, sync.report)
  // One report at the start and end of each file at least, in order,
  // ending at 100 % of all the files.
  assert.deepEqual([...new Set(progress.map((p) => p.path))], files)
  const last = progress.at(-1)
  assert.equal(last.filesDone, files.length)
  assert.equal(last.files, files.length)
  const total = files.reduce((sum, f) => sum + fs.statSync(f).size, 0)
  assert.equal(last.bytesRead, total)
  assert.equal(last.totalBytes, total)
})

test('readKillmails reports progress every 4 MiB and at the end', () => {
  const file = path.join(tempDir(), 'big.jsonl')
  fs.writeFileSync(file, bigger(60).join('\n') + '\n')
  const size = fs.statSync(file).size
  assert.ok(size > 5 << 20)
  const seen = []
  const set = bs.readKillmails(file, { onProgress: (p) => seen.push(p.bytesRead) })
  assert.equal(set.length, 60 * 122)
  assert.equal(seen.at(-1), size)
  assert.ok(seen.length >= Math.floor(size / (4 << 20)))
  assert.deepEqual(seen, [...seen].sort((a, b) => a - b))
})

test('an onProgress that throws stops the read with its error', async () => {
  const boom = new Error('stop reading')
  assert.throws(() => bs.readKillmails(sampleFiles(), { onProgress: () => { throw boom } }), (e) => e === boom)
  await assert.rejects(bs.readKillmailsAsync(sampleFiles(), { onProgress: () => { throw boom } }), (e) => e === boom)
})

test('clusterAsync gives the battles of cluster, off the JavaScript thread', async () => {
  const set = bs.parseKillmails(bigger(200))
  assert.equal(set.length, 200 * 122)
  const sync = bs.cluster(set, { maxGap: '20m' })
  let turns = 0
  let spinning = true
  const spin = () => {
    turns++
    if (spinning) setImmediate(spin)
  }
  setImmediate(spin)
  const battles = await bs.clusterAsync(set, { maxGap: '20m' })
  spinning = false
  assert.deepEqual(battles, sync)
  assert.ok(turns > 0, 'the event loop kept turning while clustering')
  // Arrays of records are accepted too (parsed first, on this thread).
  assert.deepEqual(await bs.clusterAsync(bs.readKillmails(sampleFiles()).toArray()), bs.cluster(bs.readKillmails(sampleFiles())))
})

test('promises reject with the same errors the functions throw', async () => {
  await assert.rejects(bs.clusterAsync([], { maxGap: 0 }), { code: 'ConfigError', field: 'maxGap' })
  await assert.rejects(bs.readKillmailsAsync(sampleFiles(), { format: 'xml' }), { code: 'ConfigError' })
  const file = path.join(tempDir(), 'bad.jsonl')
  fs.writeFileSync(file, '{"killmail_id": 3, "killmail_time": "x"}\n')
  await assert.rejects(bs.readKillmailsAsync(file, { strict: true }), { code: 'InvalidField', field: 'killmail_time', line: 1, killmailId: 3 })
  assert.equal((await bs.readKillmailsAsync(file)).skipped, 1)
})

test('analyzeAsync gives the report of analyze', async () => {
  const set = bs.readKillmails(sampleFiles())
  const battles = bs.cluster(set)
  const alliance = battles.flatMap((b) => b.sides.flatMap((s) => s.alliances))[0]
  const entity = { kind: 'alliance', id: alliance }
  const options = { doctrine: { minFleet: 3, scope: 'entity' } }
  assert.deepEqual(await bs.analyzeAsync(entity, battles, set, options), bs.analyze(entity, battles, set, options))
  await assert.rejects(bs.analyzeAsync({ kind: 'fleet', id: 1 }, battles, set), { code: 'ConfigError', field: 'entity.kind' })
})

test('several promises run at once', async () => {
  const set = bs.readKillmails(sampleFiles())
  const results = await Promise.all([1, 2, 3, 4].map((n) => bs.clusterAsync(set, { minKills: n })))
  results.forEach((r, i) => assert.deepEqual(r, bs.cluster(set, { minKills: i + 1 })))
})
