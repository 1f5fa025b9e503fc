// Shared by the tests: paths of the repository's sample data, the Rust CLI
// (for parity), temporary files.
'use strict'

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const root = path.resolve(__dirname, '..', '..', '..')
const dataDir = path.join(root, 'examples', 'data')
const rulesetDir = path.join(root, 'examples', 'rulesets')

/** The sample killmail files, sorted by name. */
function sampleFiles() {
  return fs
    .readdirSync(dataDir)
    .sort()
    .map((f) => path.join(dataDir, f))
}

/**
 * Run the Rust CLI (`battlescope …`) and return its standard output. Uses
 * the binary named by BATTLESCOPE_CLI when set, else `cargo run --release`.
 */
function cli(args) {
  const options = { cwd: root, maxBuffer: 512 << 20, stdio: ['ignore', 'pipe', 'inherit'] }
  const bin = process.env.BATTLESCOPE_CLI
  if (bin) return execFileSync(bin, args, options).toString()
  return execFileSync('cargo', ['run', '--release', '-q', '-p', 'battlescope', '--', ...args], options).toString()
}

/** JSON Lines text → objects. */
function jsonLines(text) {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
}

/** A fresh temporary directory, removed when the process exits. */
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'battlescope-node-'))
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Sort killmail objects by time, then id (the engine's order). */
function byTime(killmails) {
  return [...killmails].sort((a, b) =>
    a.killmail_time === b.killmail_time ? a.killmail_id - b.killmail_id : a.killmail_time < b.killmail_time ? -1 : 1,
  )
}

/** A deterministic shuffle (xorshift), so a failure can be replayed. */
function shuffled(items, seed) {
  const out = [...items]
  let s = seed >>> 0 || 1
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    const j = s % (i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

/** Battles as comparable memberships: sorted lists of sorted killmail ids. */
function memberships(battles) {
  return battles.map((b) => [...b.killmailIds].sort((x, y) => x - y)).sort((a, b) => a[0] - b[0])
}

module.exports = { root, dataDir, rulesetDir, sampleFiles, cli, jsonLines, tempDir, byTime, shuffled, memberships }
