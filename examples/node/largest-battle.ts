// Clusters the sample killmails (examples/data, or the files and
// directories given as arguments) and prints the largest battle.
//
//   npm install && npm start [-- FILE_OR_DIR...]
import * as fs from 'node:fs'
import * as path from 'node:path'

import { clusterAsync, readKillmailsAsync, type Battle, type BattleScopeError, type Side } from '@battlescope/core'

/** The killmail files of the arguments (directories are listed, like the CLI does). */
function inputs(args: string[]): string[] {
  const sample = path.resolve(__dirname, '..', '..', 'data')
  return (args.length ? args : [sample]).flatMap((arg) =>
    fs.statSync(arg).isDirectory()
      ? fs
          .readdirSync(arg)
          .filter((name) => /\.(json|jsonl|ndjson|tar\.bz2)$/.test(name))
          .sort()
          .map((name) => path.join(arg, name))
      : [arg],
  )
}

const isk = (value: number): string =>
  value >= 1e9 ? `${(value / 1e9).toFixed(2)}b` : value >= 1e6 ? `${(value / 1e6).toFixed(1)}m` : value.toFixed(0)

function describeSide(side: Side): string {
  const who = side.alliances.length
    ? `${side.alliances.length} alliance(s)`
    : `${side.corporations.length} corporation(s)`
  const efficiency = side.efficiency === null ? 'n/a' : `${(side.efficiency * 100).toFixed(0)}%`
  return `side ${side.index}: ${who}, ${side.pilots.length} pilots, ${side.kills} kills, ${side.losses} losses, ${isk(side.iskLost)} ISK lost, efficiency ${efficiency}`
}

async function main(): Promise<void> {
  const files = inputs(process.argv.slice(2))
  const killmails = await readKillmailsAsync(files)
  for (const error of killmails.errors.slice(0, 5)) console.error(`skipped: ${error.message}`)
  const battles: Battle[] = await clusterAsync(killmails, { maxGap: '15m', minKills: 2 })
  console.log(`${files.length} files, ${killmails.length} killmails, ${battles.length} battles`)

  const largest = battles.reduce<Battle | undefined>(
    (best, b) =>
      !best || b.stats.killCount > best.stats.killCount ||
      (b.stats.killCount === best.stats.killCount && b.stats.iskDestroyed > best.stats.iskDestroyed)
        ? b
        : best,
    undefined,
  )
  if (!largest) {
    console.log('no battle')
    return
  }
  const place = [largest.systemName ?? `system ${largest.systemId}`, largest.regionName, largest.securityClass]
    .filter((part) => part !== null)
    .join(', ')
  console.log(`largest battle ${largest.id}`)
  console.log(`  ${place}`)
  console.log(`  ${largest.startTime} to ${largest.endTime} (${Math.round(largest.durationSeconds / 60)} min)`)
  console.log(
    `  ${largest.stats.killCount} kills, ${isk(largest.stats.iskDestroyed)} ISK destroyed, ${largest.stats.uniquePilots} pilots`,
  )
  for (const side of largest.sides) console.log(`  ${describeSide(side)}`)
  console.log(`  ${largest.zkillboardUrl}`)
}

main().catch((e: BattleScopeError) => {
  console.error(`${e.code ?? 'Error'}: ${e.message}`)
  process.exit(1)
})
