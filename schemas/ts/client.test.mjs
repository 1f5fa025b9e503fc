// The TypeScript client (client.ts, compiled by ./test-client) against
// `battlescope serve` on loopback ports, run by `node --test`.
//
// The store is filled by replaying the sample killmails with the big file's
// lines reversed (`serve --replay … --exit-after-replay`): every battle is
// then renamed as earlier kills join, so old battle ids redirect to their
// survivor. The expected values come from the CLI over the same files:
// `battlescope cluster` (batch clustering, which the incremental clusterer
// equals for every arrival order) and `battlescope filter` (the killmails).
//
// Needs BATTLESCOPE_CLI (the battlescope binary) and BATTLESCOPE_TS_CLIENT
// (the compiled client.js).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const examples = path.resolve(here, "..", "..", "examples", "data");
for (const name of ["BATTLESCOPE_CLI", "BATTLESCOPE_TS_CLIENT"]) {
  if (!process.env[name]) throw new Error(`${name} is not set (run schemas/ts/test-client)`);
}
const cli = process.env.BATTLESCOPE_CLI;
const { BattleScopeClient, BattleScopeError } = await import(
  pathToFileURL(process.env.BATTLESCOPE_TS_CLIENT).href
);

const work = fs.mkdtempSync(path.join(os.tmpdir(), "battlescope-ts-client-"));
const run = (args) =>
  execFileSync(cli, args, { maxBuffer: 256 << 20, stdio: ["ignore", "pipe", "pipe"] }).toString();
/** Batch clustering of `dir`: the battle documents (without the kill summaries the CLI adds). */
const cluster = (dir) =>
  JSON.parse(run(["cluster", dir, "--format", "json", "-q"])).map(({ kills, ...battle }) => battle);

/** Newest first, as the API lists battles: start time, then id, descending. */
const newestFirst = (a, b) =>
  a.startTime === b.startTime ? (a.id < b.id ? 1 : -1) : a.startTime < b.startTime ? 1 : -1;

/** The sample files with the lines of the JSON Lines ones reversed (at most `lines` of them). */
function replayDir(name, lines = Infinity) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  for (const file of fs.readdirSync(examples)) {
    const text = fs.readFileSync(path.join(examples, file), "utf8");
    if (file.endsWith(".jsonl")) {
      const reversed = text.split("\n").filter((l) => l.trim()).reverse().slice(0, lines);
      fs.writeFileSync(path.join(dir, file), reversed.join("\n") + "\n");
    } else {
      fs.writeFileSync(path.join(dir, file), text);
    }
  }
  return dir;
}

const servers = [];

/** `battlescope serve` on `data` and a free loopback port; its base URL. */
async function serve(data, ...args) {
  const child = spawn(cli, ["serve", "--data", data, "--listen", "127.0.0.1:0", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  servers.push(child);
  let log = "";
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${log}`)), 60_000);
    child.stderr.on("data", (chunk) => {
      log += chunk;
      const m = /BattleScope is serving (http:\/\/[^/\s]+)\//.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`serve exited (${code}):\n${log}`)));
  });
}

/** A proxy serving `target` below `/bs/` (and nothing elsewhere), as a reverse proxy would. */
async function prefixProxy(target) {
  const proxy = http.createServer((req, res) => {
    if (!req.url.startsWith("/bs/")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not below /bs/");
      return;
    }
    const upstream = http.request(
      new URL(req.url.slice(3), target),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  servers.push({ kill: () => proxy.close() });
  return `http://127.0.0.1:${proxy.address().port}/bs`;
}

let battles; // the batch battles, newest first
let killmails; // id → killmail, from `battlescope filter`
let merged; // [{ id, survivor }]: battle ids of the replay's past, and the battle holding their kills
let api, bare, limitedUrl, proxied;

before(async () => {
  battles = cluster(examples).sort(newestFirst);
  const ruleset = path.join(work, "everything.json");
  fs.writeFileSync(ruleset, "{}");
  killmails = new Map(
    run(["filter", "--ruleset", ruleset, "-q", examples])
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l))
      .map((k) => [k.killmail_id, k]),
  );
  // The battles after each prefix of the reversed replay that are not
  // final were renamed or merged since: their ids redirect now.
  const finalIds = new Set(battles.map((b) => b.id));
  const past = new Map();
  for (const lines of [20, 40, 60, 80, 100]) {
    for (const b of cluster(replayDir(`prefix-${lines}`, lines))) {
      if (finalIds.has(b.id)) continue;
      const survivor = battles.find((f) => f.killmailIds.includes(b.killmailIds[0]));
      past.set(b.id, survivor);
    }
  }
  merged = [...past].map(([id, survivor]) => ({ id, survivor }));

  const data = path.join(work, "data");
  run(["serve", "--replay", replayDir("replay"), "--allowed-lateness", "3y", "--exit-after-replay",
    "--data", data, "--listen", "127.0.0.1:0"]);
  const copy = (name) => {
    fs.cpSync(data, path.join(work, name), { recursive: true });
    return path.join(work, name);
  };
  const [full, noSearch, limited] = await Promise.all([
    serve(data, "--rate-limit", "0"),
    serve(copy("bare"), "--search", "none", "--rate-limit", "0"),
    serve(copy("limited"), "--search", "none", "--rate-limit", "1", "--rate-burst", "1"),
  ]);
  api = new BattleScopeClient(full);
  bare = new BattleScopeClient(noSearch);
  limitedUrl = limited;
  proxied = new BattleScopeClient(await prefixProxy(full));
});

after(() => {
  for (const s of servers) s.kill();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Collect an async generator. */
async function all(items) {
  const out = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Rejects with a BattleScopeError of `status` naming `parameter`. */
async function rejectsNaming(promise, status, parameter) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof BattleScopeError, String(e));
    assert.equal(e.kind, "api", e.message);
    assert.equal(e.status, status, e.message);
    assert.equal(e.parameter, parameter, e.message);
    assert.equal(e.code, status === 400 ? "bad_parameter" : "not_found", e.message);
    assert.match(e.requestId ?? "", /\S/, "the request id");
    return true;
  });
}

const kills = (b) => b.killmailIds.map((id) => killmails.get(id));
const on = (k, field, id) =>
  k.victim[field] === id || k.attackers.some((a) => a[field] === id);

describe("battles", () => {
  test("the list pages through every battle once, newest first, as batch clustering has them", async () => {
    assert.ok(battles.length >= 8);
    assert.deepEqual(await all(api.allBattles({ limit: 3 })), battles);
    const pages = await all(api.battlePages({ limit: 3 }));
    assert.deepEqual(
      pages.map((p) => p.battles.length),
      battles.map((_, i) => i).filter((i) => i % 3 === 0).map((i) => Math.min(3, battles.length - i)),
    );
    assert.ok(pages.slice(0, -1).every((p) => typeof p.nextCursor === "string"));
    assert.equal(pages.at(-1).nextCursor, null);
    // Resumed from a cursor.
    const first = await api.listBattles({ limit: 2 });
    const rest = await all(api.allBattles({ limit: 4, cursor: first.nextCursor }));
    assert.deepEqual([...first.battles, ...rest], battles);
    // The battle search pages alike.
    assert.deepEqual(await all(api.allSearchedBattles({ limit: 5 })), battles);
  });

  test("each battle, its timeline and its participants", async () => {
    for (const b of battles) {
      assert.deepEqual(await api.getBattle(b.id), { value: b, requested: b.id, mergedInto: null });
      const { value: timeline, mergedInto } = await api.battleTimeline(b.id);
      assert.equal(mergedInto, null);
      assert.equal(timeline.battleId, b.id);
      assert.equal(timeline.minutes.reduce((n, m) => n + m.kills, 0), b.stats.killCount);
      const { value: participants } = await api.battleParticipants(b.id);
      const pilots = new Set(b.sides.flatMap((s) => s.pilots));
      assert.deepEqual(new Set(participants.participants.map((p) => p.characterId)), pilots);
      const losses = participants.participants.flatMap((p) => p.lossKillmailIds).sort();
      const expected = kills(b).filter((k) => k.victim.character_id).map((k) => k.killmail_id);
      assert.deepEqual(losses, expected.sort());
    }
  });

  test("a battle of the past answers as the battle holding its kills", async (t) => {
    assert.ok(merged.length > 0, "the reversed replay renamed battles");
    t.diagnostic(`${merged.length} battles of the past`);
    // A browser does not show `redirect: "manual"` answers: it gets an
    // opaque one, then the client lets fetch follow the Location.
    let opaque = 0;
    const browserLike = new BattleScopeClient({
      baseUrl: api.baseUrl,
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        if (init.redirect !== "manual" || response.status !== 308) return response;
        opaque++;
        return { type: "opaqueredirect", status: 0, ok: false, url: "", headers: new Headers() };
      },
    });
    for (const client of [api, proxied, browserLike]) {
      for (const { id, survivor } of merged) {
        const battle = await client.getBattle(id);
        assert.deepEqual(battle, { value: survivor, requested: id, mergedInto: survivor.id });
        const timeline = await client.battleTimeline(id);
        assert.equal(timeline.mergedInto, survivor.id);
        assert.equal(timeline.value.battleId, survivor.id);
        const participants = await client.battleParticipants(id);
        assert.equal(participants.mergedInto, survivor.id);
        assert.equal(participants.value.battleId, survivor.id);
      }
    }
    assert.equal(opaque, 3 * merged.length, "the browser's way was taken");
  });

  test("filters select the battles batch clustering says", async () => {
    const b = battles.find((o) => o.sides.some((s) => s.alliances.length > 0));
    const alliance = b.sides.flatMap((s) => s.alliances)[0];
    const corporation = b.sides[0].corporations[0];
    const character = b.sides[0].pilots[0];
    const isk = [...battles].map((o) => o.stats.iskDestroyed).sort((x, y) => x - y)[battles.length >> 1];
    const until = new Date(Date.parse(b.endTime) + 3_600_000).toISOString();
    const cases = [
      [{ system: b.systemId }, (o) => o.systemId === b.systemId],
      [{ region: b.regionId }, (o) => o.regionId === b.regionId],
      [{ security: b.securityClass }, (o) => o.securityClass === b.securityClass],
      [{ alliance }, (o) => kills(o).some((k) => on(k, "alliance_id", alliance))],
      [{ corporation }, (o) => kills(o).some((k) => on(k, "corporation_id", corporation))],
      [{ character }, (o) => kills(o).some((k) => on(k, "character_id", character))],
      [{ minKills: b.stats.killCount }, (o) => o.stats.killCount >= b.stats.killCount],
      [{ minIsk: isk }, (o) => o.stats.iskDestroyed >= isk],
      [{ since: b.startTime, until }, (o) => o.endTime >= b.startTime && o.startTime <= until],
    ];
    let narrowing = 0;
    for (const [filter, keep] of cases) {
      const expected = battles.filter(keep);
      assert.ok(expected.length > 0, JSON.stringify(filter));
      if (expected.length < battles.length) narrowing++;
      assert.deepEqual(await all(api.allBattles({ ...filter, limit: 2 })), expected, JSON.stringify(filter));
      const page = await api.searchBattles({ ...filter, limit: 500 });
      assert.deepEqual(page.battles, expected, `search ${JSON.stringify(filter)}`);
    }
    assert.ok(narrowing >= 6, "most cases leave battles out");
  });
});

describe("killmails", () => {
  test("recent killmails page through every killmail once, newest first, with its battle", async () => {
    const battleOf = new Map(battles.flatMap((b) => b.killmailIds.map((k) => [k, b.id])));
    const expected = [...killmails.values()]
      .sort((a, b) =>
        a.killmail_time === b.killmail_time
          ? b.killmail_id - a.killmail_id
          : a.killmail_time < b.killmail_time ? 1 : -1,
      )
      .map((k) => k.killmail_id);
    const views = await all(api.allRecentKillmails({ limit: 17 }));
    assert.deepEqual(views.map((v) => v.killmail.killmail_id), expected);
    for (const v of views) {
      const k = killmails.get(v.killmail.killmail_id);
      assert.equal(v.battleId, battleOf.get(k.killmail_id) ?? null);
      assert.equal(v.killmail.killmail_time, k.killmail_time);
      assert.deepEqual(v.killmail.victim, k.victim);
      assert.equal(v.summary.killmailId, k.killmail_id);
    }
    const page = await api.recentKillmails({ limit: 5 });
    const next = await api.recentKillmails({ limit: 5, cursor: page.nextCursor });
    assert.deepEqual([...page.killmails, ...next.killmails], views.slice(0, 10));
    for (const v of views.filter((_, i) => i % 20 === 0)) {
      assert.deepEqual(await api.getKillmail(v.killmail.killmail_id), v);
    }
  });
});

describe("search and entities", () => {
  test("search finds battles and systems by name", async () => {
    const b = battles[0];
    const inSystem = battles.filter((o) => o.systemName === b.systemName).map((o) => o.id).sort();
    const results = await api.search({ q: b.systemName, kinds: ["battle"], limit: 100 });
    assert.equal(results.query, b.systemName);
    assert.ok(results.hits.every((h) => h.kind === "battle" && h.title === b.systemName));
    assert.deepEqual(results.hits.map((h) => h.id).sort(), inSystem);
    const everything = await api.search(b.systemName);
    assert.ok(everything.hits.some((h) => h.kind === "system" && h.id === String(b.systemId)));
    const searched = await all(api.allSearchedBattles({ q: b.systemName, limit: 1 }));
    assert.deepEqual(searched.map((o) => o.id).sort(), inSystem);
    for (const call of [() => bare.search("jita"), () => bare.searchBattles({ q: "jita" })]) {
      await assert.rejects(call(), (e) => {
        assert.equal(e.status, 503, e.message);
        assert.equal(e.code, "search_unavailable");
        return true;
      });
    }
  });

  test("entity pages list the entity's recent battles", async () => {
    const b = battles.find((o) => o.sides.some((s) => s.alliances.length > 0));
    const alliance = b.sides.flatMap((s) => s.alliances)[0];
    for (const [page, field, id, kind] of [
      [api.getAlliance(alliance), "alliance_id", alliance, "alliance"],
      [api.getCorporation(b.sides[0].corporations[0]), "corporation_id", b.sides[0].corporations[0], "corporation"],
      [api.getCharacter(b.sides[0].pilots[0]), "character_id", b.sides[0].pilots[0], "character"],
    ]) {
      const p = await page;
      const recent = battles.filter((o) => kills(o).some((k) => on(k, field, id))).slice(0, 20);
      assert.deepEqual(p.entity, { kind, id });
      assert.deepEqual(p.recentBattles, recent);
      assert.equal(p.summary.battles, recent.length);
    }
  });
});

describe("errors and operations", () => {
  test("a refused parameter is named, an unknown id is a 404", async () => {
    await rejectsNaming(api.listBattles({ limit: 501 }), 400, "limit");
    await rejectsNaming(api.listBattles({ minIsk: -1 }), 400, "minIsk");
    await rejectsNaming(api.listBattles({ cursor: "yesterday" }), 400, "cursor");
    await rejectsNaming(
      api.listBattles({ since: "2024-02-01T00:00:00Z", until: "2024-01-01T00:00:00Z" }),
      400,
      "since",
    );
    await rejectsNaming(api.listBattles({ security: "lowsec" }), 400, "security");
    await rejectsNaming(api.recentKillmails({ limit: 0 }), 400, "limit");
    await rejectsNaming(api.getBattle("not-a-uuid"), 400, "id");
    await rejectsNaming(api.getKillmail(0), 400, "id");
    await rejectsNaming(api.getAlliance(0), 400, "id");
    await rejectsNaming(api.search("   "), 400, "q");
    await rejectsNaming(api.search({ q: "jita", kinds: ["planet"] }), 400, "kinds");
    await rejectsNaming(api.searchBattles({ limit: 501 }), 400, "limit");
    await rejectsNaming(api.searchBattles({ colour: "red" }), 400, "colour");
    const nobody = "00000000-0000-0000-0000-000000000404";
    await rejectsNaming(api.getBattle(nobody), 404, null);
    await rejectsNaming(api.battleTimeline(nobody), 404, null);
    await rejectsNaming(api.battleParticipants(nobody), 404, null);
    await rejectsNaming(api.getKillmail(9_999_999_999), 404, null);
    await rejectsNaming(api.getAlliance(424_242), 404, null);
    await rejectsNaming(api.getCorporation(424_242), 404, null);
    await rejectsNaming(api.getCharacter(424_242), 404, null);
    await assert.rejects(api.listBattles({ limit: 501 }), { message: "400: bad_parameter `limit`: must be between 1 and 500" });
    assert.throws(() => new BattleScopeClient("ftp://example.com/"), TypeError);
    assert.throws(() => new BattleScopeClient("http://example.com/?key=1"), TypeError);
  });

  test("a rate limit is thrown with its Retry-After, or waited out", async () => {
    const impatient = new BattleScopeClient({ baseUrl: limitedUrl, maxRetries: 0 });
    await impatient.listBattles();
    await assert.rejects(impatient.listBattles(), (e) => {
      assert.equal(e.status, 429, e.message);
      assert.equal(e.code, "rate_limited");
      assert.equal(e.retryAfterMs, 1000);
      return true;
    });
    assert.equal((await impatient.live()).status, "live", "probes are never limited");
    const started = Date.now();
    const page = await new BattleScopeClient(limitedUrl).listBattles({ limit: 1 });
    assert.equal(page.battles.length, 1);
    assert.ok(Date.now() - started >= 500, "it waited");
  });

  test("probes, metrics and the API document", async () => {
    assert.equal((await api.live()).status, "live");
    assert.equal((await api.ready()).status, "ready");
    await api.listBattles();
    const metrics = await api.metrics();
    assert.match(metrics, /^battlescope_http_requests_total\{.*route="\/api\/battles".*status="200".*\} \d+/m);
    const document = await api.openapi();
    for (const p of ["/api/battles", "/api/battles/{id}", "/api/battles/{id}/timeline",
      "/api/battles/{id}/participants", "/api/killmails/recent", "/api/killmails/{id}", "/api/search",
      "/api/search/battles", "/api/alliances/{id}", "/api/corporations/{id}", "/api/characters/{id}",
      "/health/live", "/health/ready", "/metrics", "/api/openapi.json"]) {
      assert.ok(p in document.paths, `the client calls ${p}`);
    }
  });
});
