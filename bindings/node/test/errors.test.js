// Errors are JavaScript `Error`s with a `code` and the details core gives:
// the record, the field, the killmail id.
'use strict'

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const bs = require('..')
const { dataDir, sampleFiles, tempDir } = require('./helpers')

const esi = JSON.parse(fs.readFileSync(path.join(dataDir, 'esi-killmail-78560358.json'), 'utf8'))

test('a field of the wrong type is an InvalidField naming the field and killmail', () => {
  const bad = structuredClone(esi)
  bad.victim.ship_type_id = 'rifter'
  assert.throws(
    () => bs.parseKillmail(bad),
    (e) => {
      assert.ok(e instanceof Error)
      // Valid JSON with a bad field is a field error, not invalid JSON.
      assert.equal(e.code, 'InvalidField')
      assert.equal(e.name, 'InvalidField')
      assert.equal(e.field, 'victim.ship_type_id')
      assert.equal(e.killmailId, 78560358)
      assert.equal(e.reason, 'invalid:victim.ship_type_id')
      assert.match(e.message, /victim\.ship_type_id/)
      return true
    },
  )
})

test('a value that breaks a rule is an InvalidField', () => {
  const bad = structuredClone(esi)
  bad.killmail_id = 0
  assert.throws(() => bs.parseKillmail(bad), { code: 'InvalidField', kind: 'invalid', field: 'killmail_id', reason: 'invalid:killmail_id' })
})

test('JSON that is no killmail, a reference and an empty package are ParseErrors', () => {
  assert.throws(() => bs.parseKillmail({ hello: 'world' }), { code: 'ParseError', reason: 'not_a_killmail' })
  assert.throws(() => bs.parseKillmail('{"killmail_id": 5, "zkb": {"hash": "abc"}}'), {
    code: 'ParseError',
    killmailId: 5,
    message: /zKillboard API row/,
  })
  assert.throws(() => bs.parseKillmail({ package: null }), { code: 'ParseError', message: /empty package/ })
  assert.throws(() => bs.parseKillmail('{not json'), { code: 'ParseError', reason: 'invalid_json' })
  assert.throws(() => bs.parseKillmail(42), { code: 'ConfigError', field: 'killmail' })
})

test('bad records of a file are skipped with their line, or thrown when strict', () => {
  const dir = tempDir()
  const file = path.join(dir, 'mixed.jsonl')
  const bad = structuredClone(esi)
  bad.killmail_id = 99
  bad.victim.damage_taken = 'lots'
  fs.writeFileSync(file, [JSON.stringify(esi), '{oops', JSON.stringify(bad), JSON.stringify(esi)].join('\n') + '\n')
  const set = bs.readKillmails(file)
  assert.equal(set.length, 1)
  assert.equal(set.skipped, 2)
  assert.deepEqual(set.report.skipped, { invalid_json: 1, 'invalid:victim.damage_taken': 1 })
  assert.equal(set.report.duplicates, 1)
  assert.deepEqual(set.duplicateIds, [78560358])
  const [first, second] = set.errors
  assert.equal(first.code, 'ParseError')
  assert.equal(first.line, 2)
  assert.equal(first.source, file)
  assert.equal(first.record, `${file} line 2`)
  assert.equal(second.line, 3)
  assert.equal(second.killmailId, 99)
  assert.equal(second.field, 'victim.damage_taken')
  assert.throws(() => bs.readKillmails(file, { strict: true }), { code: 'ParseError', line: 2, source: file })
})

test('records of an in-memory array are named by index', () => {
  const bad = structuredClone(esi)
  bad.killmail_id = 7
  bad.killmail_time = 'yesterday'
  const set = bs.parseKillmails([esi, JSON.stringify(bad), '   '])
  assert.equal(set.length, 1)
  assert.deepEqual(
    set.errors.map((e) => [e.index, e.killmailId]),
    [
      [1, 7],
      [2, null],
    ],
  )
  assert.throws(() => bs.cluster([esi, bad]), { code: 'InvalidField', index: 1, killmailId: 7, field: 'killmail_time' })
})

test('files that cannot be read are IoErrors; unknown formats are ConfigErrors', async () => {
  const missing = path.join(tempDir(), 'missing.jsonl')
  assert.throws(() => bs.readKillmails([missing]), { code: 'IoError', source: missing, field: null })
  await assert.rejects(bs.readKillmailsAsync(missing), { code: 'IoError', source: missing })
  assert.throws(() => bs.readKillmails(missing, { format: 'xml' }), { code: 'ConfigError', field: 'format' })
})

test('configuration errors name the key as it was written', () => {
  const set = bs.parseKillmails([esi])
  assert.throws(() => bs.cluster(set, { maxGap: 'soon' }), { code: 'ConfigError', field: 'maxGap', message: /`soon`/ })
  assert.throws(() => bs.cluster(set, { max_gap: 'soon' }), { code: 'ConfigError', field: 'max_gap' })
  assert.throws(() => bs.cluster(set, { maxGap: 0 }), { code: 'ConfigError', field: 'maxGap', message: /longer than zero/ })
  assert.throws(() => bs.cluster(set, { minKills: 0 }), { code: 'ConfigError', field: 'minKills' })
  assert.throws(() => bs.cluster(set, { correlateBy: 'fleet' }), { code: 'ConfigError', field: 'correlateBy' })
  assert.throws(() => bs.cluster(set, { windw: '1h' }), { code: 'ConfigError', field: 'windw', message: /is not an option; the options are .*correlationWindow/ })
  assert.throws(() => new bs.Clusterer({ allowedLateness: '-5m' }), { code: 'ConfigError', field: 'allowedLateness' })
  assert.throws(() => bs.cluster('nope'), { code: 'ConfigError', field: 'killmails' })
  assert.throws(() => bs.parseDuration('soon'), { code: 'ConfigError' })
  assert.equal(bs.parseDuration('1h 30m'), 5400)
})

test('ruleset errors name the offending path', () => {
  assert.throws(() => bs.Ruleset.fromObject({ include: { security_classes: ['wormhole', 'deep_space'] } }), {
    code: 'ConfigError',
    field: 'include.security_classes[1]',
  })
  assert.throws(() => bs.Ruleset.fromObject({ min_pilot: 2 }), { code: 'ConfigError', field: 'min_pilot' })
  assert.throws(() => bs.Ruleset.fromString('min_pilots = "two"', 'toml'), { code: 'ConfigError', field: 'min_pilots' })
  assert.throws(() => bs.Ruleset.fromString('{}', 'ini'), { code: 'ConfigError', field: 'format' })
  assert.throws(() => bs.Ruleset.fromFile(path.join(tempDir(), 'rules.txt')), { code: 'FormatError' })
  assert.throws(() => bs.Ruleset.fromFile(path.join(tempDir(), 'rules.yaml')), { code: 'IoError' })
})

test('snapshots, battle ids and events that do not fit are errors', () => {
  assert.throws(() => bs.Clusterer.restore('{"version": 1}'), { code: 'ConfigError', field: 'snapshot' })
  const snapshot = JSON.parse(new bs.Clusterer().snapshot())
  snapshot.version = 99
  assert.throws(() => bs.Clusterer.restore(snapshot), { code: 'ConfigError', field: 'snapshot', message: /version 99/ })
  assert.throws(() => new bs.Clusterer().battle('not-a-uuid'), { code: 'ConfigError', field: 'battleId' })
  assert.throws(() => new bs.Clusterer().pushEvents(esi, { timestamp: 'noon' }), { code: 'ConfigError', field: 'options.timestamp' })
  assert.throws(() => bs.parseEvent({ eventType: 'battle.renamed', version: '1' }), {
    code: 'EventError',
    kind: 'event',
    message: /unknown eventType `battle.renamed`/,
  })
})

test('bad doctrine settings are ConfigErrors naming the setting, as in the CLI and Python', () => {
  const set = bs.readKillmails(sampleFiles())
  const battles = bs.cluster(set)
  for (const similarity of [1.7, -0.1, Number.NaN]) {
    assert.throws(() => bs.analyze({ kind: 'alliance', id: 1 }, battles, set, { doctrine: { similarity } }), {
      code: 'ConfigError',
      kind: 'config',
      field: 'doctrine.similarity',
    })
  }
  assert.throws(() => bs.analyze({ kind: 'alliance', id: 1 }, battles, set, { doctrine: { minFleet: 0 } }), {
    code: 'ConfigError',
    field: 'doctrine.minFleet',
  })
})
