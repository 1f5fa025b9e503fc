// A consumer of the generated types: compiled with `tsc --noEmit --strict`
// by ./check, which also fails when a type exported by index.d.ts is not
// used here. Hand-written on purpose — it is how a frontend would use them.
import type {
  Attacker,
  Battle,
  BattleCreatedData,
  BattleCreatedEvent,
  BattleDeletedData,
  BattleDeletedEvent,
  BattleSealedData,
  BattleSealedEvent,
  BattleStats,
  BattleUpdatedData,
  BattleUpdatedEvent,
  BattlePage,
  BattleRedirect,
  BattleSearch,
  ClassStats,
  ClientMessage,
  ClusterConfig,
  CorrelateBy,
  Entity,
  EntityName,
  EntityPage,
  ErrorBody,
  ErrorDetail,
  Event,
  EventMetadata,
  HullStats,
  Item,
  KillSummary,
  Killmail,
  KillmailEnrichedData,
  KillmailEnrichedEvent,
  KillmailIngestedData,
  KillmailIngestedEvent,
  KillmailPage,
  KillmailView,
  LiveFeed,
  Lists,
  NameCategory,
  Opponent,
  Participant,
  Participants,
  ParticipantListShipClass,
  ParticipantListUint32,
  ParticipantListUint64,
  Position,
  Ruleset,
  RulesetSide,
  SearchHit,
  SearchHitKind,
  SearchResults,
  SecurityClass,
  ServerMessage,
  ShipClass,
  Ships,
  Side,
  SideMinute,
  Subscription,
  Summary,
  Timeline,
  TimelineMinute,
  UnknownValue,
  UpdateReason,
  Victim,
  ZkbMeta,
} from "./index";

const metadata: EventMetadata = {
  correlationId: "90030865-2277-5e3f-a58f-31d43adc811d",
  causationId: "90030865-2277-5e3f-a58f-31d43adc811d",
  source: "battlescope-ingest",
};

const zkb: ZkbMeta = { hash: "37143a879186517ba6cdfdf4c83cfaa78a1d2521", totalValue: 12.5e6, labels: ["pvp"] };

const ingestedData: KillmailIngestedData = {
  killmailId: 128000001,
  hash: "37143a879186517ba6cdfdf4c83cfaa78a1d2521",
  solarSystemId: null,
  killmailTime: null,
  zkb,
};

const ingested: KillmailIngestedEvent = {
  eventId: "90030865-2277-5e3f-a58f-31d43adc811d",
  eventType: "killmail.ingested",
  timestamp: "2025-06-14T12:00:45Z",
  version: "1",
  data: ingestedData,
  metadata,
};

const shipClass: ShipClass = "frigate";
const position: Position = { x: -1.2e11, y: 4.5e9, z: 2.5e11 };
const cargo: Item = { flag: 5, item_type_id: 21898, quantity_dropped: 120, singleton: 0 };
const container: Item = { flag: 5, item_type_id: 3467, singleton: 0, items: [cargo] };
const victim: Victim = { character_id: 2112000011, damage_taken: 2450, ship_type_id: 587, items: [container], position };
const attacker: Attacker = { character_id: 2112000001, damage_done: 900, final_blow: true, ship_type_id: 627 };
const npc: Attacker = { corporation_id: 1000125, damage_done: 10, final_blow: false };
const killmail: Killmail = {
  killmail_id: 128000001,
  killmail_time: "2025-06-14T12:00:00Z",
  solar_system_id: 30002537,
  victim,
  attackers: [attacker, npc],
  zkb,
};
const summary: KillSummary = {
  killmailId: 128000001,
  time: "2025-06-14T12:00:00Z",
  victimCharacterId: 2112000011,
  victimCorporationId: 98000002,
  victimAllianceId: null,
  shipTypeId: 587,
  shipClass,
  attackerCount: 2,
  finalBlowCharacterId: 2112000001,
  totalValue: null,
  npc: false,
};
const category: NameCategory = "character";
const names: EntityName[] = [{ id: 2112000001, name: "Arden Vale", category }];
const enrichedData: KillmailEnrichedData = { killmail, summary, names };
const enriched: KillmailEnrichedEvent = { ...ingested, eventType: "killmail.enriched", data: enrichedData };

const stats: BattleStats = {
  killCount: 2,
  iskDestroyed: 25.6e6,
  killsWithoutValue: 0,
  uniquePilots: 5,
  npcKills: 0,
  shipsLost: { frigate: 2 },
  shipsFielded: { frigate: 3, battlecruiser: 1 },
  killsPerMinute: [1, 0, 0, 1],
};
const side: Side = {
  index: 0,
  alliances: [99000001],
  corporations: [98000001],
  pilots: [2112000001, 2112000002],
  ships: { cruiser: 1, frigate: 1 },
  kills: 1,
  losses: 1,
  iskKilled: 12.5e6,
  iskLost: 13.1e6,
  lossesWithoutValue: 0,
  efficiency: null,
};
const security: SecurityClass = "low_sec";
const battle: Battle = {
  id: "e3ca20c2-93b1-5d1d-826f-f181d4b1f7b6",
  systemId: 30002537,
  systemName: "Amamake",
  regionId: 10000030,
  regionName: "Heimatar",
  securityClass: security,
  startTime: "2025-06-14T12:00:00Z",
  endTime: "2025-06-14T12:03:00Z",
  durationSeconds: 180,
  killmailIds: [128000001, 128000002],
  stats,
  sides: [side],
  zkillboardUrl: "https://zkillboard.com/related/30002537/202506141200/",
};
const createdData: BattleCreatedData = { battle };
const created: BattleCreatedEvent = { ...ingested, eventType: "battle.created", data: createdData };
const reason: UpdateReason = "merge";
const updatedData: BattleUpdatedData = {
  battle,
  addedKillmailIds: [128000006],
  reason,
  absorbed: ["fd19fa39-37f2-58ac-9ad4-f14cf2dc5c83"],
};
const updated: BattleUpdatedEvent = { ...ingested, eventType: "battle.updated", data: updatedData };
const deletedData: BattleDeletedData = {
  battleId: "fd19fa39-37f2-58ac-9ad4-f14cf2dc5c83",
  systemId: 30002537,
  mergedInto: battle.id,
};
const deleted: BattleDeletedEvent = { ...ingested, eventType: "battle.deleted", data: deletedData };
const sealedData: BattleSealedData = { battle };
const sealed: BattleSealedEvent = { ...ingested, eventType: "battle.sealed", data: sealedData };

/** What a battle list shows for an event: narrowing on eventType types `data`. */
export function headline(event: Event): string {
  switch (event.eventType) {
    case "killmail.ingested":
      return `kill ${event.data.killmailId} ingested`;
    case "killmail.enriched":
      return `${event.data.summary.shipClass} lost (${event.data.names.length} names)`;
    case "battle.created":
      return `battle in ${event.data.battle.systemName ?? event.data.battle.systemId}`;
    case "battle.updated":
      return event.data.previousId
        ? `renamed from ${event.data.previousId}: +${event.data.addedKillmailIds.length} kills`
        : `${event.data.reason}: +${event.data.addedKillmailIds.length} kills`;
    case "battle.deleted":
      return event.data.mergedInto ? `merged into ${event.data.mergedInto}` : "no longer a battle";
    case "battle.sealed":
      return `final: ${event.data.battle.stats.killCount} kills`;
  }
}

/** Ships lost per class, with classes a battle did not see as zero. */
export function lost(stats: BattleStats, ship: ShipClass): number {
  return stats.shipsLost[ship] ?? 0;
}

const correlateBy: CorrelateBy = "alliance";
const config: ClusterConfig = { correlation_window: "45m", max_gap: 900, correlate_by: correlateBy };
const rulesetSide: RulesetSide = "victim";
const alliances: ParticipantListUint64 = { side: rulesetSide, values: [99000002] };
const groups: ParticipantListUint32 = [831];
const classes: ParticipantListShipClass = ["capsule", "shuttle"];
const exclude: Lists = { alliances, ship_groups: groups, ship_classes: classes };
const unknownValue: UnknownValue = "accept";
const ruleset: Ruleset = { name: "Low and null", min_pilots: 3, unknown_value: unknownValue, exclude };

// The HTTP API's bodies, as a client reads them.
const page: BattlePage = { battles: [battle], nextCursor: "1749902400_e3ca20c2-93b1-5d1d-826f-f181d4b1f7b6" };
const moved: BattleRedirect = { mergedInto: battle.id };
const search: BattleSearch = { q: "amamake", security, minKills: 2, limit: 50 };
const sideMinute: SideMinute = { side: 0, losses: 1, iskLost: 12.5e6 };
const minute: TimelineMinute = { minute: "2025-06-14T12:00:00Z", kills: 1, iskDestroyed: 12.5e6, killsWithoutValue: 0, sides: [sideMinute] };
const timeline: Timeline = { battleId: battle.id, minutes: [minute] };
const participant: Participant = {
  characterId: 2112000011,
  characterName: "Brin Okafor",
  corporationId: 98000002,
  corporationName: null,
  allianceId: null,
  allianceName: null,
  shipTypeId: 587,
  side: 1,
  lost: true,
  lossKillmailIds: [128000001],
};
const participants: Participants = { battleId: battle.id, participants: [participant] };
const view: KillmailView = { killmail, summary, names, battleId: battle.id };
const killmails: KillmailPage = { killmails: [view], nextCursor: null };
const hitKind: SearchHitKind = "system";
const hit: SearchHit = { id: "30002537", kind: hitKind, title: "Amamake", score: 7.5 };
const results: SearchResults = { query: "amamke", hits: [hit] };
const alliance: Entity = { kind: "alliance", id: 99000001 };
const classStats: ClassStats = { class: shipClass, flown: 3, kills: 1, lost: 1, lostWithoutValue: 0, iskKilled: 12.5e6, iskLost: 13.1e6 };
const hull: HullStats = { ...classStats, typeId: 587, name: "Rifter", pilots: 2 };
const ships: Ships = { classes: [classStats], hulls: [hull] };
const opponent: Opponent = {
  group: { kind: "corporation", id: 98000002 },
  battles: 1,
  kills: 1,
  killsWithoutValue: 0,
  losses: 1,
  lossesWithoutValue: 0,
  iskKilled: 12.5e6,
  iskLost: 13.1e6,
};
const entitySummary: Summary = {
  battles: 1,
  battlesWon: 0,
  efficiency: null,
  firstSeen: battle.startTime,
  lastSeen: battle.endTime,
  kills: 1,
  killsWithoutValue: 0,
  losses: 1,
  lossesWithoutValue: 0,
  iskKilled: 12.5e6,
  iskLost: 13.1e6,
  missingKillmails: 0,
  pilots: 2,
};
const entityPage: EntityPage = { entity: alliance, name: null, recentBattles: [battle], ships, opponents: [opponent], summary: entitySummary };
const detail: ErrorDetail = { code: "bad_parameter", parameter: "since", message: "`yesterday` is not a time" };
const error: ErrorBody = { error: detail };

/** What a client shows for an answer of the API. */
export function describe(body: BattlePage | Timeline | Participants | KillmailPage | SearchResults | EntityPage | ErrorBody): string {
  if ("battles" in body) return `${body.battles.length} battles`;
  if ("minutes" in body) return `${body.minutes.reduce((n, m) => n + m.kills, 0)} kills in ${body.minutes.length} minutes`;
  if ("participants" in body) return `${body.participants.filter((p) => p.lost).length} pilots lost a ship`;
  if ("killmails" in body) return `${body.killmails.length} killmails`;
  if ("hits" in body) return body.hits.map((h) => `${h.kind}: ${h.title}`).join(", ");
  if ("entity" in body) return `${body.entity.kind} ${body.name ?? body.entity.id}: ${body.summary.battles} battles`;
  return `${body.error.code} (${body.error.parameter ?? "-"}): ${body.error.message}`;
}

export const answers: string[] = [page, timeline, participants, killmails, results, entityPage, error].map(describe);
export const requests = { search, moved };

export const all: Event[] = [ingested, enriched, created, updated, deleted, sealed];
export const documents = { config, ruleset, killmail, summary, battle };
export const lines: string[] = all.map(headline).concat(String(lost(stats, "frigate")));

// The WebSocket (`GET /api/ws`): a subscription, and what the server sends.
const feeds: LiveFeed[] = ["battles"];
const subscription: Subscription = { feeds, regions: [10000030], alliances: [99000001], minIsk: 1e8 };
export const subscribe: ClientMessage = { type: "subscribe", subscription, after: 41 };

/** What a live battle list does with a WebSocket message. */
export function onMessage(message: ServerMessage): string {
  switch (message.type) {
    case "subscribed":
      return `subscribed after ${message.seq}`;
    case "event":
      return `#${message.seq} ${headline(message.event)}`;
    case "heartbeat":
      return `alive at ${message.time} (newest ${message.seq})`;
    case "error":
      return `refused ${message.error.parameter ?? "-"}: ${message.error.message}`;
    case "closing":
      return `closed: ${message.reason}; resume after the last seq`;
  }
}

const messages: ServerMessage[] = [
  { type: "subscribed", subscription, seq: 41 },
  { type: "event", seq: 42, event: created },
  { type: "heartbeat", seq: 42, time: "2025-06-14T12:05:00Z" },
  { type: "closing", reason: "too slow: 1024 events behind" },
];
export const live: string[] = messages.map(onMessage);
