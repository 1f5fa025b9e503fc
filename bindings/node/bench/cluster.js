#!/usr/bin/env node
// Times the package on a large killmail file (see BENCHMARKS.md):
//
//   node bench/cluster.js FILE [--repeat N] [--objects N]
//
//   readKillmails(FILE)                  the file → KillmailSet (killmails stay in Rust)
//   readKillmailsAsync(FILE)             the same off the JavaScript thread
//   cluster(set)                         best of N: core cluster() + battles as JS objects
//   clusterAsync(set)                    N runs, with the longest event-loop stall of each
//                                        (only the JSON.parse of the battles runs on the
//                                        JavaScript thread)
//   --objects N (100,000)                the first N killmails as JS objects (set.get),
//                                        back into a set (parseKillmails), toArray(),
//                                        and cluster(objects) (the slow path)
//
// Prints one JSON object; peak RSS included.
'use strict'

const path = require('node:path')
const { monitorEventLoopDelay, performance } = require('node:perf_hooks')

const bs = require('..')

function args() {
  const argv = process.argv.slice(2)
  const out = { file: null, repeat: 3, objects: 100_000 }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--repeat') out.repeat = Number(argv[++i])
    else if (argv[i] === '--objects') out.objects = Number(argv[++i])
    else out.file = argv[i]
  }
  if (!out.file) {
    console.error('usage: node bench/cluster.js FILE [--repeat N] [--objects N]')
    process.exit(2)
  }
  return out
}

const seconds = (ms) => Math.round(ms) / 1000

function time(fn) {
  const start = performance.now()
  const value = fn()
  return [value, performance.now() - start]
}

async function timeAsync(fn) {
  const start = performance.now()
  const value = await fn()
  return [value, performance.now() - start]
}

async function main() {
  const { file, repeat, objects } = args()
  const result = { file: path.basename(file), node: process.version, repeat }

  const [set, readMs] = time(() => bs.readKillmails(file))
  result.killmails = set.length
  result.readKillmails_s = seconds(readMs)
  const [count, readAsyncMs] = await timeAsync(async () => (await bs.readKillmailsAsync(file)).length)
  result.readKillmailsAsync_s = seconds(readAsyncMs)
  if (count !== set.length) throw new Error('async read differs')

  let battles = null
  const clusterRuns = []
  for (let i = 0; i < repeat; i++) {
    battles = null
    const [b, ms] = time(() => bs.cluster(set))
    battles = b
    clusterRuns.push(seconds(ms))
  }
  result.battles = battles.length
  result.cluster_s = clusterRuns

  const asyncRuns = []
  const blocked = []
  for (let i = 0; i < repeat; i++) {
    // The longest the event loop stood still while the promise ran.
    const delay = monitorEventLoopDelay({ resolution: 10 })
    delay.enable()
    const [b, ms] = await timeAsync(() => bs.clusterAsync(set))
    // A stall is recorded when the loop turns again: let it.
    await new Promise((resolve) => setTimeout(resolve, 50))
    delay.disable()
    if (b.length !== battles.length) throw new Error('async cluster differs')
    asyncRuns.push(seconds(ms))
    blocked.push(seconds(delay.max / 1e6))
  }
  result.clusterAsync_s = asyncRuns
  result.clusterAsync_longest_event_loop_stall_s = blocked

  if (objects > 0) {
    const n = Math.min(objects, set.length)
    const [array, getMs] = time(() => Array.from({ length: n }, (_, i) => set.get(i)))
    result.objects = n
    result.get_objects_s = seconds(getMs)
    const [small, parseMs] = time(() => bs.parseKillmails(array))
    result.parseKillmails_objects_s = seconds(parseMs)
    const [, toArrayMs] = time(() => small.toArray())
    result.toArray_objects_s = seconds(toArrayMs)
    const [b, ms] = time(() => bs.cluster(array))
    result.cluster_objects_s = seconds(ms)
    result.cluster_objects_battles = b.length
  }

  result.peak_rss_mib = Math.round(process.resourceUsage().maxRSS / 1024)
  console.log(JSON.stringify(result, null, 2))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
