// The declarations (index.d.ts, with the schema types of schema.d.ts):
//   - a TypeScript program using the API, and the example of
//     examples/node, compile with `tsc --strict`;
//   - what the functions really return, written as typed constants,
//     compiles too: the hand-written types of shapes no schema describes
//     (intel report, decisions, push results, …) match what core writes,
//     field for field (excess property checks catch extra fields).
'use strict'

const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const bs = require('..')
const { root, sampleFiles, tempDir, byTime } = require('./helpers')

const pkg = path.resolve(__dirname, '..')
const tsc = require.resolve('typescript/bin/tsc')

/** Type-check `files` strictly, resolving '@battlescope/core' to this package. */
function typecheck(dir, files) {
  const config = {
    compilerOptions: {
      strict: true,
      noEmit: true,
      noUnusedLocals: true,
      target: 'es2022',
      module: 'commonjs',
      moduleResolution: 'node10',
      baseUrl: '.',
      paths: { '@battlescope/core': [pkg] },
      typeRoots: [path.join(pkg, 'node_modules', '@types')],
      types: ['node'],
    },
    files,
  }
  const tsconfig = path.join(dir, 'tsconfig.json')
  fs.writeFileSync(tsconfig, JSON.stringify(config, null, 2))
  try {
    execFileSync(process.execPath, [tsc, '-p', tsconfig], { encoding: 'utf8' })
  } catch (e) {
    assert.fail(`tsc found errors:\n${e.stdout}${e.stderr}`)
  }
}

test('a program using the API and the example type-check strictly', () => {
  const dir = tempDir()
  typecheck(dir, [path.join(__dirname, 'typecheck', 'usage.ts'), path.join(root, 'examples', 'node', 'largest-battle.ts')])
})

test('the declarations refuse what they must (each @ts-expect-error line fails to compile)', () => {
  const dir = tempDir()
  const file = path.join(__dirname, 'typecheck', 'refused.ts')
  typecheck(dir, [file])
  // The directives are what make this test: they must be there and many.
  const text = fs.readFileSync(file, 'utf8')
  assert.ok(text.match(/@ts-expect-error/g).length >= 9)
  // And without them the file does not compile: one error per directive.
  const stripped = path.join(dir, 'refused-stripped.ts')
  fs.writeFileSync(stripped, text.replace(/\/\/ @ts-expect-error.*\n/g, ''))
  assert.throws(() => typecheck(dir, [stripped]), /tsc found errors/)
})

test('what the functions return has the declared types', async () => {
  const set = bs.readKillmails(sampleFiles())
  const killmails = set.toArray()
  const battles = bs.cluster(set)
  const alliance = battles.flatMap((b) => b.sides.flatMap((s) => s.alliances))[0]
  const clusterer = new bs.Clusterer({ allowedLateness: '1h', keepSealed: false })
  const results = byTime(killmails).map((km) => clusterer.push(km))
  results.push(clusterer.push(byTime(killmails).at(-1)))
  const sealed = results.flatMap((r) => r.sealed)[0]
  const late = structuredClone(killmails.find((k) => k.killmail_id === sealed.killmailIds[0]))
  late.killmail_id = 1
  results.push(clusterer.push(late))
  const busEvents = new bs.Clusterer().pushManyEvents(killmails, { timestamp: '2030-01-01T00:00:00Z' })
  assert.deepEqual(new Set(results.map((r) => r.outcome)), new Set(['added', 'duplicate', 'late_beyond_horizon']))
  const ruleset = bs.Ruleset.fromFile(path.join(root, 'examples', 'rulesets', 'wormhole-fights.yaml'))
  const refs = bs.parseKillmails([{ killmail_id: 11, zkb: { hash: 'aa', totalValue: 5 } }])
  const bad = bs.parseKillmails(['{oops', JSON.stringify({ ...killmails[0], killmail_id: 0 })])

  const values = {
    Battle: battles,
    Killmail: killmails,
    BattleChange: results.flatMap((r) => r.events),
    BattleEvent: busEvents,
    Pushed: results,
    IntelReport: [bs.analyze({ kind: 'alliance', id: alliance }, battles, set, { doctrine: { minFleet: 2 } })],
    Decision: killmails.map((km) => ruleset.evaluate(km)),
    RulesetDocument: [ruleset.toObject()],
    ClusterConfig: [clusterer.config],
    ReadReport: [set.report, refs.report],
    KillmailRef: refs.references,
    'Record<string, number>': [ruleset.filter(set).rejected],
  }
  // Errors carry their own properties beside Error's.
  const errors = bad.errors.map((e) => ({ ...e, name: e.name, message: e.message }))
  assert.equal(errors.length, 2)
  const lines = [`import type { ${Object.keys(values).filter((t) => !t.includes('<')).join(', ')}, BattleScopeError } from '@battlescope/core'`]
  for (const [type, list] of Object.entries(values)) {
    assert.ok(list.length > 0, `${type}: nothing to check`)
    lines.push(`export const ${type.replace(/\W/g, '')}s: ${type}[] = ${JSON.stringify(list)}`)
  }
  lines.push(`export const errors: Omit<BattleScopeError, 'stack'>[] = ${JSON.stringify(errors)}`)
  const dir = tempDir()
  const file = path.join(dir, 'outputs.ts')
  fs.writeFileSync(file, lines.join('\n') + '\n')
  typecheck(dir, [file])
})
