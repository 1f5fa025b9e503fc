#!/usr/bin/env node
// The package's `install` script: builds the native module from the Rust
// sources, so `npm install` (here, or of this folder from elsewhere) leaves
// a working package on any machine with Rust (cargo) and no download.
//
//   1. copies the schema types (../../schemas/ts/index.d.ts) to schema.d.ts,
//      which index.d.ts imports: one source of truth for battles and events;
//   2. runs `cargo build --release -p battlescope-node --target <host>` in
//      the workspace (CARGO_TARGET_DIR is honoured) and copies the library
//      to battlescope.<platform>.node, the name index.js loads.
//
// Outside the repository (a published tarball) there is nothing to build:
// the package then ships schema.d.ts, and the native module comes from the
// platform package index.js looks for. `--schema-only` (used by `npm run
// build`, where napi builds) and BATTLESCOPE_NODE_SKIP_BUILD=1 skip step 2.
'use strict'

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const here = __dirname
const workspace = path.resolve(here, '..', '..')
const crate = 'battlescope-node'
const binaryName = require('./package.json').napi.binaryName

function log(message) {
  console.error(`@battlescope/core: ${message}`)
}

/** The platform part of the module's name, as napi's loader (index.js) expects it. */
function platformArchAbi() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const glibc = process.report?.getReport()?.header?.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

function copySchemaTypes() {
  const source = path.join(workspace, 'schemas', 'ts', 'index.d.ts')
  const target = path.join(here, 'schema.d.ts')
  if (!fs.existsSync(source)) return
  const text = fs.readFileSync(source)
  if (!fs.existsSync(target) || !fs.readFileSync(target).equals(text)) {
    fs.writeFileSync(target, text)
  }
}

/**
 * The host's target triple. The build names it explicitly, as `napi build`
 * does, so both share one set of artifacts under the target directory.
 */
function hostTriple() {
  const result = spawnSync(process.env.RUSTC || 'rustc', ['-vV'], { encoding: 'utf8' })
  const host = result.stdout?.match(/^host: (\S+)$/m)
  if (result.error || !host) {
    log(`cannot run rustc (${result.error?.message ?? result.stderr}); install Rust from https://rustup.rs`)
    process.exit(1)
  }
  return host[1]
}

function buildNative() {
  const cargo = process.env.CARGO || 'cargo'
  const args = ['build', '--release', '-p', crate, '--target', hostTriple(), '--message-format=json-render-diagnostics']
  log(`${cargo} ${args.join(' ')}`)
  const result = spawnSync(cargo, args, {
    cwd: here,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  })
  if (result.error) {
    log(`cannot run cargo (${result.error.message}); install Rust from https://rustup.rs`)
    process.exit(1)
  }
  if (result.status !== 0) process.exit(result.status ?? 1)
  let library = null
  for (const line of result.stdout.split('\n')) {
    if (!line.startsWith('{')) continue
    const message = JSON.parse(line)
    if (message.reason === 'compiler-artifact' && message.target?.kind?.includes('cdylib')) {
      library = message.filenames.find((f) => /\.(so|dylib|dll)$/.test(f)) ?? library
    }
  }
  if (!library) {
    log('cargo built no cdylib')
    process.exit(1)
  }
  const target = path.join(here, `${binaryName}.${platformArchAbi()}.node`)
  fs.copyFileSync(library, target)
  log(`built ${path.relative(process.cwd(), target) || target}`)
}

copySchemaTypes()
const inWorkspace = fs.existsSync(path.join(here, 'Cargo.toml')) && fs.existsSync(path.join(workspace, 'Cargo.toml'))
if (process.argv.includes('--schema-only')) {
  // `npm run build`: napi builds the module itself.
} else if (!inWorkspace) {
  log('not in the BattleScope repository: using the prebuilt module')
} else if (process.env.BATTLESCOPE_NODE_SKIP_BUILD === '1') {
  log('BATTLESCOPE_NODE_SKIP_BUILD=1: not building the native module')
} else {
  buildNative()
}
