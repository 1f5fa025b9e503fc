// A typed fetch client of BattleScope's REST API over the generated types
// of ./index (hand-written, not generated). No runtime dependency: the
// global fetch of Node >= 20 and browsers. Its Rust twin is
// crates/battlescope-client/src/http/; both behave alike:
//
// - one method per endpoint, named as the OpenAPI document's operationId
//   (listBattles, getBattle, battleTimeline, …);
// - a battle merged into another answers 308 with the survivor's id: the
//   battle methods follow it through the client's base URL (a proxy's
//   prefix is kept) and say so in `Resolved.mergedInto`;
// - every error is a BattleScopeError: status and the server's ErrorBody
//   (code, the parameter that was wrong, message), Retry-After, request id;
// - a 429 is retried after its Retry-After (3 times, waits up to 30 s);
// - lists are paginated by cursor: `battlePages` yields pages, `allBattles`
//   battles (async generators).
//
//   const api = new BattleScopeClient("http://127.0.0.1:8080");
//   for await (const battle of api.allBattles({ security: "null_sec", minKills: 10 })) {
//     const { value: timeline } = await api.battleTimeline(battle.id);
//   }

import type {
  Battle,
  BattlePage,
  BattleRedirect,
  BattleSearch,
  EntityPage,
  ErrorBody,
  KillmailPage,
  KillmailView,
  Participants,
  SearchHitKind,
  SearchResults,
  Timeline,
} from "./index";

/** The filters of `GET /api/battles`: the battle search's fields but its text `q`. */
export type BattleFilter = Omit<BattleSearch, "q">;

/** What `GET /api/search` looks for. */
export interface SearchQuery {
  /** The text, at most 200 characters. */
  q: string;
  /** Only hits of these kinds (all when absent). */
  kinds?: SearchHitKind[];
  /** At most this many hits (1 to 100, 10 by default). */
  limit?: number;
}

/** The answer of `/health/live` and `/health/ready`. */
export interface Health {
  status: "live" | "ready" | "starting" | "not_ready";
  /** Why not ready. */
  reason?: string;
  /** Why each unreachable backend (store, bus, search) failed. */
  backends?: Record<string, string>;
  /** Operations retrying a failing backend. */
  retrying?: number;
}

/** A battle's answer, and which battle gave it. */
export interface Resolved<T> {
  value: T;
  /** The battle asked for. */
  requested: string;
  /** The battle that answered when the one asked for was merged into it; null otherwise. */
  mergedInto: string | null;
}

export interface ClientOptions {
  /** The API's base URL: `http://127.0.0.1:8080`, or with a path prefix when proxied. */
  baseUrl: string;
  /** Longest wait for a whole answer, in milliseconds (30 000 by default). */
  timeoutMs?: number;
  /** Headers sent with every request (an API gateway's key, say). */
  headers?: Record<string, string>;
  /** Retries of a 429 (3 by default; 0 returns the first). */
  maxRetries?: number;
  /** A 429 asking to wait longer than this (ms, 30 000 by default) is thrown, not waited out. */
  maxRetryWaitMs?: number;
  /** The fetch to use (the global one by default). */
  fetch?: typeof fetch;
}

/** What went wrong. */
export type ErrorKind =
  /** The server answered an error with its JSON body. */
  | "api"
  /** An answer this client does not read as the endpoint's (a proxy's page, a body that is not JSON). */
  | "unexpected"
  /** No answer: the connection or the timeout. */
  | "transport"
  /** A merged battle redirects more often than the client follows. */
  | "merges"
  /** A page's nextCursor was the cursor it was asked with: the pages would never end. */
  | "cursor";

/** Every error of the client. */
export class BattleScopeError extends Error {
  readonly kind: ErrorKind;
  /** The HTTP status; 0 without an answer. */
  readonly status: number;
  /** The server's error, when it sent one. */
  readonly body: ErrorBody | null;
  /** A 429's Retry-After, in milliseconds. */
  readonly retryAfterMs: number | null;
  /** The request's x-request-id, to find it in the server's logs. */
  readonly requestId: string | null;
  readonly url: string;
  /** What fetch threw (kind "transport"). */
  readonly underlying: unknown;

  constructor(
    kind: ErrorKind,
    message: string,
    details: {
      url: string;
      status?: number;
      body?: ErrorBody | null;
      retryAfterMs?: number | null;
      requestId?: string | null;
      underlying?: unknown;
    },
  ) {
    super(message);
    this.name = "BattleScopeError";
    this.kind = kind;
    this.url = details.url;
    this.status = details.status ?? 0;
    this.body = details.body ?? null;
    this.retryAfterMs = details.retryAfterMs ?? null;
    this.requestId = details.requestId ?? null;
    this.underlying = details.underlying;
  }

  /** The machine-readable code: bad_parameter, not_found, rate_limited, … */
  get code(): string | null {
    return this.body?.error.code ?? null;
  }

  /** The query parameter, path segment or body field the server named. */
  get parameter(): string | null {
    return this.body?.error.parameter ?? null;
  }
}

/** Merge redirects followed at most (the server resolves chains itself: one is the rule). */
export const MAX_MERGE_HOPS = 4;

type Query = Record<string, string | number | boolean | null | undefined>;

export class BattleScopeClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly maxRetries: number;
  private readonly maxRetryWaitMs: number;
  private readonly fetcher: typeof fetch;

  constructor(options: ClientOptions | string) {
    const o: ClientOptions = typeof options === "string" ? { baseUrl: options } : options;
    const base = new URL(o.baseUrl);
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new TypeError(`${o.baseUrl}: not an http(s) URL`);
    }
    if (base.search || base.hash) {
      throw new TypeError(`${o.baseUrl}: a base URL has no query or fragment`);
    }
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    this.baseUrl = base.toString();
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.headers = o.headers ?? {};
    this.maxRetries = o.maxRetries ?? 3;
    this.maxRetryWaitMs = o.maxRetryWaitMs ?? 30_000;
    this.fetcher = o.fetch ?? ((input, init) => fetch(input, init));
  }

  // ---- battles ----------------------------------------------------------

  /** `GET /api/battles`: one page of battles, newest first. */
  listBattles(filter: BattleFilter = {}): Promise<BattlePage> {
    return this.getJson<BattlePage>(["api", "battles"], filter);
  }

  /** Every page of `GET /api/battles`, from `filter.cursor` (the first page without one). */
  battlePages(filter: BattleFilter = {}): AsyncGenerator<BattlePage, void, undefined> {
    return pages(filter.cursor ?? null, (cursor) => this.listBattles({ ...filter, cursor }));
  }

  /** Every battle of every page of `GET /api/battles`. */
  async *allBattles(filter: BattleFilter = {}): AsyncGenerator<Battle, void, undefined> {
    for await (const page of this.battlePages(filter)) yield* page.battles;
  }

  /** `GET /api/battles/{id}`, following a merge. */
  getBattle(id: string): Promise<Resolved<Battle>> {
    return this.battleResource<Battle>(id, []);
  }

  /** `GET /api/battles/{id}/timeline`: kills and ISK per minute, following a merge. */
  battleTimeline(id: string): Promise<Resolved<Timeline>> {
    return this.battleResource<Timeline>(id, ["timeline"]);
  }

  /** `GET /api/battles/{id}/participants`: pilots, ships, sides, losses, following a merge. */
  battleParticipants(id: string): Promise<Resolved<Participants>> {
    return this.battleResource<Participants>(id, ["participants"]);
  }

  // ---- killmails --------------------------------------------------------

  /** `GET /api/killmails/recent`: one page of killmails, newest first. */
  recentKillmails(page: { limit?: number; cursor?: string | null } = {}): Promise<KillmailPage> {
    return this.getJson<KillmailPage>(["api", "killmails", "recent"], page);
  }

  /** Every killmail of every page of `GET /api/killmails/recent`, `limit` a page. */
  async *allRecentKillmails(
    page: { limit?: number } = {},
  ): AsyncGenerator<KillmailView, void, undefined> {
    const walk = pages(null, (cursor) => this.recentKillmails({ ...page, cursor }));
    for await (const p of walk) yield* p.killmails;
  }

  /** `GET /api/killmails/{id}`: the killmail, its summary, names and battle. */
  getKillmail(id: number): Promise<KillmailView> {
    return this.getJson<KillmailView>(["api", "killmails", String(id)]);
  }

  // ---- search -----------------------------------------------------------

  /** `GET /api/search`: battles, alliances, corporations, characters, systems, killmails by name. */
  search(query: SearchQuery | string): Promise<SearchResults> {
    const q: SearchQuery = typeof query === "string" ? { q: query } : query;
    return this.getJson<SearchResults>(["api", "search"], {
      q: q.q,
      kinds: q.kinds && q.kinds.length > 0 ? q.kinds.join(",") : undefined,
      limit: q.limit,
    });
  }

  /** `POST /api/search/battles`: one page of the battles matching the filters and text. */
  searchBattles(search: BattleSearch = {}): Promise<BattlePage> {
    return this.json<BattlePage>(
      this.send("POST", this.url(["api", "search", "battles"]), JSON.stringify(search)),
    );
  }

  /** Every page of `POST /api/search/battles`, from `search.cursor`. */
  searchBattlePages(search: BattleSearch = {}): AsyncGenerator<BattlePage, void, undefined> {
    return pages(search.cursor ?? null, (cursor) => this.searchBattles({ ...search, cursor }));
  }

  /** Every battle of every page of `POST /api/search/battles`. */
  async *allSearchedBattles(search: BattleSearch = {}): AsyncGenerator<Battle, void, undefined> {
    for await (const page of this.searchBattlePages(search)) yield* page.battles;
  }

  // ---- entities ---------------------------------------------------------

  /** `GET /api/alliances/{id}`: name, recent battles and intel. */
  getAlliance(id: number): Promise<EntityPage> {
    return this.getJson<EntityPage>(["api", "alliances", String(id)]);
  }

  /** `GET /api/corporations/{id}`. */
  getCorporation(id: number): Promise<EntityPage> {
    return this.getJson<EntityPage>(["api", "corporations", String(id)]);
  }

  /** `GET /api/characters/{id}`. */
  getCharacter(id: number): Promise<EntityPage> {
    return this.getJson<EntityPage>(["api", "characters", String(id)]);
  }

  // ---- operations -------------------------------------------------------

  /** `GET /health/live`. */
  live(): Promise<Health> {
    return this.getJson<Health>(["health", "live"]);
  }

  /** `GET /health/ready`: a 503 naming what is wrong is an answer (see `status`), not an error. */
  async ready(): Promise<Health> {
    const response = await this.send("GET", this.url(["health", "ready"]));
    if (response.status === 503) {
      const text = await response.text();
      const health = parseJson(text) as Partial<Health> | undefined;
      if (health && typeof health.status === "string") return health as Health;
      throw apiError(response, text);
    }
    return this.json<Health>(Promise.resolve(response));
  }

  /** `GET /metrics`: the Prometheus text. */
  async metrics(): Promise<string> {
    const response = await this.send("GET", this.url(["metrics"]));
    const text = await response.text();
    if (!response.ok) throw apiError(response, text);
    return text;
  }

  /** `GET /api/openapi.json`: the OpenAPI 3.1 document. */
  openapi(): Promise<Record<string, unknown>> {
    return this.getJson<Record<string, unknown>>(["api", "openapi.json"]);
  }

  // ---- transport --------------------------------------------------------

  private url(path: string[], query: Query = {}): string {
    const url = new URL(path.map(encodeURIComponent).join("/"), this.baseUrl);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  private getJson<T>(path: string[], query: Query = {}): Promise<T> {
    return this.json<T>(this.send("GET", this.url(path, query)));
  }

  /** A success's body as T, else the error. */
  private async json<T>(answer: Promise<Response>): Promise<T> {
    const response = await answer;
    const text = await response.text();
    if (!response.ok) throw apiError(response, text);
    const value = parseJson(text);
    if (value === undefined) {
      throw new BattleScopeError(
        "unexpected",
        `${response.status} from ${response.url}: not JSON: ${snippet(text)}`,
        {
          url: response.url,
          status: response.status,
        },
      );
    }
    return value as T;
  }

  private async battleResource<T>(requested: string, tail: string[]): Promise<Resolved<T>> {
    let current = requested;
    for (let hop = 0; hop <= MAX_MERGE_HOPS; hop++) {
      const url = this.url(["api", "battles", current, ...tail]);
      const response = await this.send("GET", url, undefined, "manual");
      if (response.status === 308) {
        const redirect = parseJson(await response.text()) as BattleRedirect | undefined;
        if (!redirect || typeof redirect.mergedInto !== "string") {
          throw new BattleScopeError(
            "unexpected",
            `308 from ${url} without the battle it was merged into`,
            {
              url,
              status: 308,
            },
          );
        }
        current = redirect.mergedInto;
        continue;
      }
      if (response.type === "opaqueredirect") {
        // Browsers hide a redirect's answer from `redirect: "manual"`: let
        // them follow it (to the server's Location), and read the survivor
        // from where it led.
        const followed = await this.send("GET", url, undefined, "follow");
        const survivor = battleIdIn(followed.url) ?? current;
        return {
          value: await this.json<T>(Promise.resolve(followed)),
          requested,
          mergedInto: survivor === requested ? null : survivor,
        };
      }
      return {
        value: await this.json<T>(Promise.resolve(response)),
        requested,
        mergedInto: current === requested ? null : current,
      };
    }
    throw new BattleScopeError(
      "merges",
      `battle ${requested} redirects more than ${MAX_MERGE_HOPS} times`,
      {
        url: this.url(["api", "battles", requested]),
      },
    );
  }

  /** One request, retried while rate limited; its answer, whatever its status (but 429). */
  private async send(
    method: "GET" | "POST",
    url: string,
    body?: string,
    redirect: RequestRedirect = "manual",
  ): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: "application/json", ...this.headers };
      if (body !== undefined) headers["content-type"] = "application/json";
      let response: Response;
      try {
        response = await this.fetcher(url, {
          method,
          headers,
          body,
          redirect,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (e) {
        throw new BattleScopeError("transport", `${method} ${url} failed: ${String(e)}`, {
          url,
          underlying: e,
        });
      }
      if (response.status !== 429) return response;
      const error = apiError(response, await response.text());
      const wait =
        error.retryAfterMs ??
        Math.min(1000 * 2 ** attempt, this.maxRetryWaitMs) * (0.5 + Math.random() / 2);
      if (attempt >= this.maxRetries || wait > this.maxRetryWaitMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** Pages from `start`, each asked with the previous one's nextCursor, until one has none. */
async function* pages<P extends { nextCursor: string | null }>(
  start: string | null,
  fetchPage: (cursor: string | null) => Promise<P>,
): AsyncGenerator<P, void, undefined> {
  let cursor = start;
  for (;;) {
    const page = await fetchPage(cursor);
    if (page.nextCursor !== null && page.nextCursor === cursor) {
      throw new BattleScopeError(
        "cursor",
        `the server gave cursor ${cursor} again: the pages would never end`,
        {
          url: "",
        },
      );
    }
    yield page;
    if (page.nextCursor === null) return;
    cursor = page.nextCursor;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function snippet(text: string): string {
  const t = text.trim();
  if (!t) return "(empty body)";
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

/** The wait a Retry-After asks for: delay-seconds or an HTTP date. */
function retryAfterMs(value: string | null): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** The error of a non-success answer: the API's JSON error, else an unexpected answer. */
function apiError(response: Response, text: string): BattleScopeError {
  const body = parseJson(text) as ErrorBody | undefined;
  const details = {
    url: response.url,
    status: response.status,
    retryAfterMs: retryAfterMs(response.headers.get("retry-after")),
    requestId: response.headers.get("x-request-id"),
  };
  if (body && typeof body === "object" && body.error && typeof body.error.code === "string") {
    const { code, parameter, message } = body.error;
    const named = parameter === null ? "" : ` \`${parameter}\``;
    return new BattleScopeError("api", `${response.status}: ${code}${named}: ${message}`, {
      ...details,
      body,
    });
  }
  return new BattleScopeError(
    "unexpected",
    `${response.status} from ${response.url}: not an API error: ${snippet(text)}`,
    details,
  );
}

/** The battle id in a battle URL's path (`…/api/battles/{id}[/timeline]`). */
function battleIdIn(url: string): string | null {
  const match = /\/api\/battles\/([0-9a-fA-F-]{36})(?:\/|$)/.exec(new URL(url).pathname);
  return match ? match[1] : null;
}
