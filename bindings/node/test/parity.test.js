// The package gives what the Rust CLI gives on the repository's sample
// data: the same battles (ids, memberships, every field of the document),
// the same ruleset decisions, the same intel report.
'use strict'

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const bs = require('..')
const { dataDir, rulesetDir, sampleFiles, cli, jsonLines, tempDir } = require('./helpers')

/** The CLI's battle documents without the `kills` summaries it adds. */
function cliBattles(args) {
  return jsonLines(cli(['cluster', dataDir, '--format', 'jsonl', '--quiet', ...args])).map(
    ({ kills, ...battle }) => battle,
  )
}

test('cluster on examples/data equals `battlescope cluster`', () => {
  const expected = cliBattles([])
  const battles = bs.cluster(bs.readKillmails(sampleFiles()))
  assert.ok(expected.length > 0)
  assert.deepEqual(
    battles.map((b) => b.id),
    expected.map((b) => b.id),
  )
  assert.deepEqual(battles, expected)
})

test('cluster options mean what the CLI flags mean', () => {
  const expected = cliBattles([
    '--max-gap', '5m',
    '--correlation-window', '20m',
    '--min-kills', '3',
    '--correlate-by', 'alliance',
    '--min-shared', '2',
  ])
  const options = { maxGap: '5m', correlationWindow: 1200, minKills: 3, correlateBy: 'alliance', minShared: 2 }
  const battles = bs.cluster(bs.readKillmails(sampleFiles()), options)
  assert.deepEqual(battles, expected)
  // The schema's snake_case document is the same configuration.
  const snake = { max_gap: '5m', correlation_window: '20m', min_kills: 3, correlate_by: 'alliance', min_shared: 2 }
  assert.deepEqual(bs.cluster(bs.readKillmails(sampleFiles()), snake), expected)
})

test('Ruleset.filter and evaluate equal `battlescope filter`', () => {
  const rules = path.join(rulesetDir, 'wormhole-fights.yaml')
  const rejectedFile = path.join(tempDir(), 'rejected.jsonl')
  const accepted = jsonLines(cli(['filter', dataDir, '--ruleset', rules, '--quiet', '--rejected', rejectedFile]))
  const rejected = jsonLines(fs.readFileSync(rejectedFile, 'utf8'))
  assert.ok(accepted.length > 0 && rejected.length > 0)

  const ruleset = bs.Ruleset.fromFile(rules)
  const set = bs.readKillmails(sampleFiles())
  const kept = ruleset.filter(set)
  assert.deepEqual(kept.toArray(), accepted)
  const byRule = {}
  for (const r of rejected) byRule[r.rule] = (byRule[r.rule] ?? 0) + 1
  assert.deepEqual(kept.rejected, byRule)

  const decisions = new Map(set.toArray().map((km) => [km.killmail_id, ruleset.evaluate(km)]))
  for (const r of rejected) {
    const { killmailId, ...why } = r
    assert.deepEqual(decisions.get(killmailId), { decision: 'reject', ...why })
  }
  for (const km of accepted) assert.deepEqual(decisions.get(km.killmail_id), { decision: 'accept' })
})

test('analyze equals `battlescope intel`', () => {
  const set = bs.readKillmails(sampleFiles())
  const battles = bs.cluster(set)
  // The alliance on the most battle sides in the sample.
  const counts = new Map()
  for (const b of battles) for (const s of b.sides) for (const a of s.alliances) counts.set(a, (counts.get(a) ?? 0) + 1)
  const [alliance] = [...counts].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0]
  const expected = JSON.parse(cli(['intel', dataDir, '--alliance', String(alliance), '--quiet']))
  const report = bs.analyze({ kind: 'alliance', id: alliance }, battles, set)
  assert.ok(report.summary.battles > 0)
  assert.deepEqual(report, expected)
})
