// Issue 15, point 7: every argument error is the package's error (a
// documented `code`, the `field` as the caller wrote it), the promise
// variants reject instead of throwing, conflicting or unknown options are
// refused, and nothing is read half without saying so.
'use strict'

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const bs = require('..')
const { root, dataDir, sampleFiles, tempDir } = require('./helpers')

const esi = JSON.parse(fs.readFileSync(path.join(dataDir, 'esi-killmail-78560358.json'), 'utf8'))
const archive = path.join(root, 'crates', 'battlescope-core', 'tests', 'fixtures', 'eve-ref', 'killmails-2021-11-27-extract.tar.bz2')

/** A predicate for assert.throws / rejects: the package's error with this code and field. */
function packageError(code, field) {
  return (e) => {
    assert.ok(bs.isBattleScopeError(e), `not a BattleScopeError: ${e}`)
    assert.equal(e.code, code, e.message)
    assert.equal(e.field, field, e.message)
    assert.doesNotMatch(e.message, /Value is none of these types|Array<T>|struct |RawRecord/)
    return true
  }
}

test('readKillmailsAsync rejects (never throws) on a bad argument, naming it', async () => {
  let promise
  assert.doesNotThrow(() => {
    promise = bs.readKillmailsAsync(42)
  })
  await assert.rejects(promise, packageError('ConfigError', 'paths'))
  await assert.rejects(bs.readKillmailsAsync(['a.jsonl', 3]), packageError('ConfigError', 'paths[1]'))
  await assert.rejects(bs.readKillmailsAsync(sampleFiles(), { format: 'xml' }), packageError('ConfigError', 'format'))
  await assert.rejects(bs.readKillmailsAsync(sampleFiles(), { onProgress: 'yes' }), packageError('ConfigError', 'onProgress'))
  assert.throws(() => bs.readKillmails(42), packageError('ConfigError', 'paths'))
  assert.throws(() => bs.readKillmails(sampleFiles(), { strict: 'yes' }), packageError('ConfigError', 'strict'))
})

test('unknown options are refused, naming the key', async () => {
  assert.throws(() => bs.readKillmails(sampleFiles(), { fromat: 'jsonl' }), packageError('ConfigError', 'fromat'))
  // `source` is parseKillmails', `onProgress` readKillmails'.
  assert.throws(() => bs.readKillmails(sampleFiles(), { source: 'x' }), packageError('ConfigError', 'source'))
  assert.throws(() => bs.parseKillmails([esi], { onProgress() {} }), packageError('ConfigError', 'onProgress'))
  const set = bs.readKillmails(sampleFiles())
  assert.throws(() => bs.cluster(set, { maxGapp: '5m' }), packageError('ConfigError', 'maxGapp'))
  await assert.rejects(bs.clusterAsync(set, { maxGapp: '5m' }), packageError('ConfigError', 'maxGapp'))
  assert.throws(() => new bs.Clusterer({ keepSeald: true }), packageError('ConfigError', 'keepSeald'))
})

test('an option given twice (camelCase and snake_case) is refused', () => {
  const set = bs.readKillmails(sampleFiles())
  assert.throws(() => bs.cluster(set, { maxGap: '5m', max_gap: '50m' }), (e) => {
    packageError('ConfigError', 'max_gap')(e)
    assert.match(e.message, /maxGap/)
    return true
  })
  // Either spelling alone still works, and means the same.
  assert.deepEqual(bs.cluster(set, { maxGap: '5m' }), bs.cluster(set, { max_gap: '5m' }))
})

test('an invalid Date is refused, not taken for now', () => {
  const clusterer = new bs.Clusterer()
  assert.throws(() => clusterer.pushEvents(esi, { timestamp: new Date(NaN) }), packageError('ConfigError', 'options.timestamp'))
  const [event] = clusterer.pushEvents(esi, { timestamp: new Date('2024-01-02T03:04:05Z') })
  assert.equal(event, undefined) // one kill makes no battle: no event, and no error
})

test('classes refuse to be called without new', () => {
  for (const cls of [bs.Clusterer, bs.Ruleset, bs.KillmailSet]) {
    assert.throws(() => cls(), (e) => e instanceof TypeError && /without 'new'/.test(e.message))
  }
  const clusterer = new bs.Clusterer()
  assert.ok(clusterer instanceof bs.Clusterer)
  assert.ok(bs.Clusterer.restore(clusterer.snapshot()) instanceof bs.Clusterer)
})

test('a missing field is named by its path, without positions in JSON the package wrote', () => {
  const bad = structuredClone(esi)
  delete bad.victim.ship_type_id
  assert.throws(() => bs.parseKillmail(bad), (e) => {
    packageError('InvalidField', 'victim.ship_type_id')(e)
    assert.equal(e.reason, 'invalid:victim.ship_type_id')
    assert.doesNotMatch(e.message, /line \d+ column/)
    return true
  })
})

test('a truncated archive names the entry, and skipUnreadable keeps what came before', () => {
  const dir = tempDir()
  const cut = path.join(dir, 'killmails-2021-11-27.tar.bz2')
  const bytes = fs.readFileSync(archive)
  fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.8)))
  assert.throws(() => bs.readKillmails(cut), (e) => {
    assert.equal(e.code, 'IoError')
    assert.match(e.message, /entry killmails\/\d+\.json/)
    assert.equal(e.source, cut)
    return true
  })
  const whole = bs.readKillmails(archive)
  const some = bs.readKillmails(cut, { skipUnreadable: true })
  assert.ok(some.length > 0 && some.length < whole.length, `${some.length} of ${whole.length}`)
  assert.equal(some.unreadable.length, 1)
  assert.equal(some.unreadable[0].code, 'IoError')
  assert.match(some.unreadable[0].message, /entry killmails\//)
  assert.equal(whole.unreadable.length, 0)
})

test('isBattleScopeError tells the package errors from others', () => {
  let thrown
  try {
    bs.parseKillmail('{oops')
  } catch (e) {
    thrown = e
  }
  assert.equal(bs.isBattleScopeError(thrown), true)
  assert.equal(bs.isBattleScopeError(new Error('x')), false)
  assert.equal(bs.isBattleScopeError({ code: 'ParseError', message: 'x' }), false)
  assert.equal(bs.isBattleScopeError(Object.assign(new Error('x'), { code: 'ENOENT' })), false)
  assert.equal(bs.isBattleScopeError(null), false)
})

test('a KillmailSet is iterable with for…of', () => {
  const set = bs.readKillmails(sampleFiles())
  const ids = []
  for (const km of set) ids.push(km.killmail_id)
  assert.deepEqual(ids, set.killmailIds())
  assert.deepEqual([...set].length, set.length)
})
