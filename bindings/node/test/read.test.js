// Reading killmails: files and memory, every record shape, and the set
// that holds them in Rust memory.
'use strict'

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const bs = require('..')
const { dataDir, sampleFiles, tempDir } = require('./helpers')

test('every sample record shape reads into one killmail model', () => {
  const set = bs.readKillmails(sampleFiles())
  assert.equal(set.length, 122)
  assert.equal(set.skipped, 0)
  assert.equal(set.report.sources, 4)
  assert.equal(String(set), 'KillmailSet(122 killmails, 0 skipped)')
  for (const name of ['esi-killmail-78560358.json', 'r2z2-item-96599404.json', 'redisq-package-119455394.json']) {
    const one = bs.readKillmails(path.join(dataDir, name))
    assert.equal(one.length, 1)
    const record = JSON.parse(fs.readFileSync(path.join(dataDir, name), 'utf8'))
    assert.deepEqual(bs.parseKillmail(record), one.get(0))
    assert.deepEqual(bs.parseKillmail(JSON.stringify(record)), one.get(0))
    assert.deepEqual(bs.parseKillmail(Buffer.from(JSON.stringify(record))), one.get(0))
  }
})

test('a set gives its killmails as plain objects, by index, iteration or array', () => {
  const set = bs.readKillmails(sampleFiles())
  const all = set.toArray()
  assert.equal(all.length, set.length)
  assert.deepEqual([...set.values()], all)
  assert.deepEqual(set.get(5), all[5])
  assert.equal(set.get(set.length), undefined)
  assert.deepEqual(set.killmailIds(), all.map((k) => k.killmail_id))
  const km = all.find((k) => k.zkb)
  assert.equal(typeof km.killmail_id, 'number')
  assert.equal(typeof km.zkb.totalValue, 'number')
  assert.ok(Array.isArray(km.attackers))
  // Round trip: a plain object parses back into the same killmail.
  assert.deepEqual(bs.parseKillmail(km), km)
})

test('in-memory text reads in any container, and arrays record by record', () => {
  const jsonl = fs.readFileSync(path.join(dataDir, 'wormhole-fights-2024.jsonl'), 'utf8')
  const fromFile = bs.readKillmails(path.join(dataDir, 'wormhole-fights-2024.jsonl'))
  const fromText = bs.parseKillmails(jsonl, { source: 'memory' })
  assert.deepEqual(fromText.toArray(), fromFile.toArray())
  const array = `[${jsonl.trim().split('\n').join(',')}]`
  assert.deepEqual(bs.parseKillmails(Buffer.from(array)).toArray(), fromFile.toArray())
  assert.deepEqual(bs.parseKillmails(fromFile.toArray()).toArray(), fromFile.toArray())
  assert.deepEqual(bs.parseKillmails(jsonl, { format: 'jsonl+esi' }).length, fromFile.length)
  const wrongShape = bs.parseKillmails(jsonl, { format: 'jsonl+r2z2' })
  assert.equal(wrongShape.length, 0)
  assert.equal(wrongShape.report.skipped.not_a_killmail, fromFile.length)
})

test('zKillboard API rows are kept as references to fetch', () => {
  const rows = [
    { killmail_id: 11, zkb: { hash: 'aa', totalValue: 5 } },
    { killmail_id: 12, zkb: { hash: 'bb' } },
    { killmail_id: 11, zkb: { hash: 'aa' } },
  ]
  const set = bs.parseKillmails(rows)
  assert.equal(set.length, 0)
  assert.equal(set.report.references, 2)
  assert.equal(set.report.duplicates, 1)
  assert.deepEqual(
    set.references.map((r) => [r.killmail_id, r.hash, r.zkb.hash]),
    [
      [11, 'aa', 'aa'],
      [12, 'bb', 'bb'],
    ],
  )
  assert.equal(bs.parseKillmails([{ package: null }]).report.empty, 1)
})

test('duplicates collapse across files', () => {
  const dir = tempDir()
  const file = path.join(dataDir, 'esi-killmail-78560358.json')
  const copy = path.join(dir, 'copy.json')
  fs.copyFileSync(file, copy)
  const set = bs.readKillmails([file, copy])
  assert.equal(set.length, 1)
  assert.equal(set.report.duplicates, 1)
})

test('a ruleset filters a set and says why', () => {
  const set = bs.readKillmails(sampleFiles())
  const rules = bs.Ruleset.fromObject({ drop_npc: true, include: { security_classes: ['wormhole'] } })
  const kept = rules.filter(set)
  const decisions = set.toArray().map((km) => rules.evaluate(km))
  assert.equal(kept.length, decisions.filter((d) => d.decision === 'accept').length)
  const total = Object.values(kept.rejected).reduce((a, b) => a + b, 0)
  assert.equal(total, set.length - kept.length)
  const rejected = decisions.find((d) => d.decision === 'reject')
  assert.ok(['drop_npc', 'include.security_classes'].includes(rejected.rule))
  assert.equal(typeof rejected.reason, 'string')
  assert.equal(rules.accepts(kept.get(0)), true)
  // The same document in three languages decides the same.
  const yaml = bs.Ruleset.fromFile(path.join(dataDir, '..', 'rulesets', 'wormhole-fights.yaml'))
  for (const ext of ['json', 'toml']) {
    const other = bs.Ruleset.fromFile(path.join(dataDir, '..', 'rulesets', `wormhole-fights.${ext}`))
    assert.deepEqual(other.toObject(), yaml.toObject())
  }
  assert.deepEqual(bs.Ruleset.fromObject(yaml.toObject()).filter(set).killmailIds(), yaml.filter(set).killmailIds())
  assert.equal(bs.Ruleset.jsonSchema().title, 'Ruleset')
})

/** A directory holding one file of every extension the engine reads (the
 * archive made by the system's tar and bzip2), a nested one, and a file it
 * does not read; returns the ids written. */
function everyFormatDirectory(dir) {
  const { execFileSync } = require('node:child_process')
  const kms = bs.readKillmails(sampleFiles()).toArray().slice(0, 6)
  fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify([kms[0]]))
  fs.writeFileSync(path.join(dir, 'b.jsonl'), JSON.stringify(kms[1]) + '\n')
  fs.writeFileSync(path.join(dir, 'c.jsonlines'), JSON.stringify(kms[2]) + '\n')
  fs.writeFileSync(path.join(dir, 'd.ndjson'), JSON.stringify(kms[3]) + '\n')
  const staging = path.join(dir, '..', `${path.basename(dir)}-staging`, 'killmails')
  fs.mkdirSync(staging, { recursive: true })
  for (const km of kms.slice(4)) fs.writeFileSync(path.join(staging, `${km.killmail_id}.json`), JSON.stringify(km))
  fs.mkdirSync(path.join(dir, 'days'))
  execFileSync('tar', ['-cjf', path.join(dir, 'days', 'killmails-2024-01-01.tar.bz2'), '-C', path.dirname(staging), 'killmails'])
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not killmails')
  return new Set(kms.map((k) => k.killmail_id))
}

test('a directory of every format reads whole, with progress to 100 %', async () => {
  const dir = path.join(tempDir(), 'every')
  fs.mkdirSync(dir)
  const ids = everyFormatDirectory(dir)
  const seen = []
  const set = bs.readKillmails(dir, { onProgress: (p) => seen.push(p) })
  assert.deepEqual(new Set(set.killmailIds()), ids)
  const last = seen.at(-1)
  assert.equal(last.bytesRead, last.totalBytes)
  assert.equal(last.filesDone, 5)
  const again = await bs.readKillmailsAsync([dir])
  assert.deepEqual(new Set(again.killmailIds()), ids)
})

test('an unreadable file does not stop the others; it fails the read at the end unless skipped', () => {
  const dir = path.join(tempDir(), 'unreadable')
  fs.mkdirSync(dir)
  everyFormatDirectory(dir)
  const files = [path.join(dir, 'a.json'), path.join(dir, 'missing.jsonl'), path.join(dir, 'b.jsonl')]
  assert.throws(() => bs.readKillmails(files), /missing\.jsonl/)
  assert.equal(bs.readKillmails(files, { skipUnreadable: true }).length, 2)
  const empty = path.join(dir, 'empty')
  fs.mkdirSync(empty)
  assert.throws(() => bs.readKillmails(empty), /no killmail file/)
})
