// Programs the declarations must refuse (issue 15, point 8). Every line
// after `@ts-expect-error` must FAIL to compile: `tsc --strict` reports an
// unused directive, and the test fails, the day one of them compiles.
import * as bs from '@battlescope/core'
import type { BattleScopeError, KillmailInput, ReadFormat } from '@battlescope/core'

// `format` is a union of the values the engine reads.
const ok: ReadFormat[] = ['auto', 'jsonl', 'archive', 'esi', 'jsonl+r2z2', 'zkb-api']
// @ts-expect-error: not a format
bs.readKillmails('a.jsonl', { format: 'xml' })
// @ts-expect-error: a shape then a container is not a format
const backwards: ReadFormat = 'r2z2+jsonl'

// Reading and parsing take different options.
// @ts-expect-error: `source` is parseKillmails'
bs.readKillmails('a.jsonl', { source: 'a' })
// @ts-expect-error: `onProgress` is readKillmails'
bs.parseKillmails('{}', { onProgress: () => undefined })
// @ts-expect-error: `skipUnreadable` is readKillmails'
bs.parseKillmails('{}', { skipUnreadable: true })

// A typo'd killmail object does not compile.
// @ts-expect-error: `killmailId` is not a key of any record shape
const typo: KillmailInput = { killmailId: 1, killmail_time: 'x', solar_system_id: 1, victim: { ship_type_id: 1, damage_taken: 1 }, attackers: [] }
// @ts-expect-error: an arbitrary object is no killmail
bs.parseKillmail({ hello: 'world' })

// The guard narrows `unknown` to the package's error.
function codeOf(e: unknown): string | undefined {
  if (bs.isBattleScopeError(e)) {
    const narrowed: BattleScopeError = e
    return narrowed.code
  }
  // @ts-expect-error: not narrowed outside the guard
  return e.code
}

// A KillmailSet is iterable, and yields killmails.
for (const km of bs.readKillmails('a.jsonl')) {
  const id: number = km.killmail_id
  // @ts-expect-error: killmails have no `killmailId`
  console.log(id, km.killmailId)
}

export { ok, backwards, typo, codeOf }
