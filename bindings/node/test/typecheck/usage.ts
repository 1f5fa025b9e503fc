// Uses the package's API as a TypeScript program would; type-checked (not
// run) with `tsc --strict` by test/types.test.js. The lines expected to be
// errors (marked so below) must stay errors.
import * as bs from '@battlescope/core'
import type {
  Battle,
  BattleChange,
  BattleEvent,
  BattleScopeError,
  ClusterConfig,
  ClusterOptions,
  Decision,
  Event,
  IntelReport,
  Killmail,
  KillmailRef,
  Pushed,
  ReadProgress,
  ReadReport,
  RulesetDocument,
} from '@battlescope/core'

export async function usage(files: string[]): Promise<void> {
  const set: bs.KillmailSet = bs.readKillmails(files, {
    format: 'jsonl',
    strict: false,
    onProgress: (p: ReadProgress) => console.log(p.path, p.bytesRead, p.totalBytes ?? 0, p.filesDone, p.files),
  })
  const same: bs.KillmailSet = await bs.readKillmailsAsync(files[0])
  const report: ReadReport = set.report
  const skippedByReason: Record<string, number> = report.skipped
  const errors: BattleScopeError[] = set.errors
  const lines: (number | undefined)[] = errors.map((e) => e.line)
  const refs: KillmailRef[] = set.references
  const first: Killmail | undefined = set.get(0)
  const all: Killmail[] = set.toArray()
  for (const km of set.values()) console.log(km.killmail_id, km.victim.ship_type_id)
  const parsed: Killmail = bs.parseKillmail(all[0])
  bs.parseKillmails('{"killmail_id": 1}', { source: 'memory' })
  bs.parseKillmails([parsed, JSON.stringify(parsed), Buffer.from('{}')])

  const options: ClusterOptions = { maxGap: '15m', correlationWindow: 1800, correlateBy: 'alliance', minKills: 3 }
  const document: ClusterConfig = { max_gap: '15m', min_shared: 0 }
  const battles: Battle[] = bs.cluster(set, options)
  const later: Battle[] = await bs.clusterAsync(all, document)
  const seconds: number = bs.parseDuration('1h 30m')

  const clusterer = new bs.Clusterer({ allowedLateness: '6h' })
  const events: BattleEvent[] = clusterer.pushEvents(all[0], { timestamp: new Date(), source: 'me' })
  for (const e of events) {
    if (e.eventType === 'battle.deleted') console.log(e.data.mergedInto)
    else console.log(e.data.battle.stats.killCount)
  }
  const pushed: Pushed = clusterer.push(all[1])
  if (pushed.outcome === 'late_beyond_horizon') console.log(pushed.lateBattles.length)
  for (const c of pushed.events) {
    if (c.type === 'deleted') console.log(c.merged_into)
    else if (c.type !== 'sealed') console.log(c.start_time)
  }
  const changes: BattleChange[] = clusterer.pushMany(set)
  console.log(changes.filter((c) => c.type === 'created').length)
  clusterer.pushManyEvents(set, { source: 'me' })
  const open: Battle[] = clusterer.battles()
  const one: Battle | null = clusterer.battle(open[0].id)
  const config: ClusterConfig = clusterer.config
  const restored: bs.Clusterer = bs.Clusterer.restore(clusterer.snapshot())
  const anyEvent: Event = bs.parseEvent(events[0])

  const ruleset = bs.Ruleset.fromObject({ min_pilots: 2, include: { security_classes: ['wormhole'] } })
  const rules2 = bs.Ruleset.fromString('min_pilots: 2', 'yaml')
  const decision: Decision = ruleset.evaluate(all[0])
  if (decision.decision === 'reject') console.log(decision.rule, decision.value, decision.reason)
  const kept: bs.KillmailSet = ruleset.filter(set)
  const rejected: Record<string, number> = kept.rejected
  const doc: RulesetDocument = rules2.toObject()

  const intel: IntelReport = bs.analyze({ kind: 'alliance', id: 99005338 }, battles, set, {
    doctrine: { scope: 'entity', similarity: 0.8, minFleet: 5, minBattles: 2 },
  })
  const later2: IntelReport = await bs.analyzeAsync({ kind: 'character', id: 1 }, battles, all)
  console.log(intel.summary.efficiency ?? 0, intel.doctrines[0]?.hulls[0]?.class, later2.activity.heatmap.length)

  try {
    bs.cluster(set, { maxGap: 'soon' })
  } catch (e) {
    const err = e as BattleScopeError
    console.log(err.code, err.field, err.record, err.killmailId)
  }

  // @ts-expect-error: durations are text or seconds
  bs.cluster(set, { maxGap: true })
  // @ts-expect-error: unknown option
  bs.cluster(set, { maxGapp: '1m' })
  // @ts-expect-error: not a correlation
  new bs.Clusterer({ correlateBy: 'fleet' })
  // @ts-expect-error: entities have a kind
  bs.analyze({ id: 1 }, battles, set)

  console.log(same, skippedByReason, lines, refs, first, later, seconds, one, config, restored, anyEvent, rejected, doc)
}
