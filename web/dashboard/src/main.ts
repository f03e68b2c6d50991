// The partner dashboard: a plan's counts, its measures with the API's filters and cursor
// paging, a measure's approved updates with their evidence, all kept current by the change
// stream. Anonymous by default; a partner's token, once pasted, lives in sessionStorage only.
import {
  ApiError,
  createClient,
  paginate,
  streamChanges,
  type Change,
  type Evidence,
  type ImplementationStatus,
  type Measure,
  type Organization,
  type Plan,
  type PlanSummary,
  type ProgressUpdate,
} from "@naptracker/sdk";
import { languages, pick, statuses, statusName, t, type Lang, type Word } from "./i18n.js";

const tokenKey = "naptracker.token";
const langKey = "naptracker.lang";

const token = (): string | undefined => sessionStorage.getItem(tokenKey) ?? undefined;
const api = createClient({ baseUrl: location.origin, token });

interface Filters {
  status?: ImplementationStatus;
  lead?: string;
  organization?: string;
  article?: number;
  overdue?: boolean;
  q?: string;
  limit: number;
}

const state = {
  lang: initialLang(),
  plans: [] as Plan[],
  planId: "",
  organizations: new Map<string, Organization>(),
  summary: undefined as PlanSummary | undefined,
  filters: { limit: 25 } as Filters,
  // cursors[i] reads page i; the first page needs none.
  cursors: [undefined] as (string | undefined)[],
  pageIndex: 0,
  page: [] as Measure[],
  next: undefined as string | undefined,
  detail: undefined as Measure | undefined,
  updates: [] as { update: ProgressUpdate; evidence: Evidence[] }[],
  live: undefined as AbortController | undefined,
};

function initialLang(): Lang {
  const saved = localStorage.getItem(langKey);
  const wanted = [saved ?? "", ...navigator.languages].map((l) => l.slice(0, 2));
  return (wanted.find((l): l is Lang => (languages as readonly string[]).includes(l)) ?? "en");
}

function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing`);
  return found as T;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, attrs: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  for (const [name, value] of Object.entries(attrs)) e.setAttribute(name, value);
  return e;
}

/** An element holding a multilingual text, marked with the language it is shown in. */
function localized<K extends keyof HTMLElementTagNameMap>(tag: K, text: Parameters<typeof pick>[0]): HTMLElementTagNameMap[K] {
  const picked = pick(text, state.lang);
  const e = element(tag, picked?.text ?? "–");
  if (picked && picked.lang !== state.lang) e.lang = picked.lang;
  return e;
}

function say(word: Word, vars?: Record<string, string | number>): string {
  return t(word, state.lang, vars);
}

function organizationName(code: string): string {
  const org = state.organizations.get(code);
  return org ? `${pick(org.name, state.lang)?.text ?? code} (${code})` : code;
}

function formatDate(iso: string | undefined): string {
  if (!iso) return "–";
  return new Intl.DateTimeFormat(state.lang, { dateStyle: "medium" }).format(new Date(iso));
}

function showError(err: unknown): void {
  const box = byId("error");
  const detail = err instanceof ApiError ? (err.problem?.detail ?? err.message) : String(err);
  box.textContent = say("failed", { detail });
  box.hidden = false;
}

function clearError(): void {
  byId("error").hidden = true;
}

/** The data of a response, or an ApiError. */
function must<T>(res: { data?: T; error?: unknown; response: Response }): T {
  if (res.data === undefined) throw new ApiError(res.response, res.error);
  return res.data;
}

// ---- rendering: from state alone, so that a change of language needs no request ----

function renderWords(): void {
  document.documentElement.lang = state.lang;
  document.title = say("title");
  for (const e of document.querySelectorAll<HTMLElement>("[data-i18n]")) {
    e.textContent = say(e.dataset["i18n"] as Word);
  }
  byId<HTMLSelectElement>("lang").value = state.lang;
  byId("who").textContent = say(token() ? "partnerView" : "publicView");
  byId("forget").hidden = !token();
  byId("measures").setAttribute("aria-label", say("measures"));
}

function renderPlans(): void {
  const select = byId<HTMLSelectElement>("plan");
  select.replaceChildren(...state.plans.map((p) => {
    const option = element("option", `${pick(p.title, state.lang)?.text ?? p.code} (${p.code})`, { value: p.id });
    option.selected = p.id === state.planId;
    return option;
  }));
  const plan = state.plans.find((p) => p.id === state.planId);
  byId("plan-period").textContent = plan
    ? `${say("period")}: ${formatDate(plan.period_start)} – ${formatDate(plan.extended_to ?? plan.period_end)}`
    : say("noPlans");
}

function tallyRow(key: string, label: string, counts: (number | string)[], labelLang?: string): HTMLTableRowElement {
  const row = element("tr", undefined, { "data-key": key });
  const head = element("th", label, { scope: "row" });
  if (labelLang) head.lang = labelLang;
  row.append(head, ...counts.map((c) => element("td", String(c), { class: "num" })));
  return row;
}

function renderSummary(): void {
  const s = state.summary;
  byId("total-measures").textContent = s ? String(s.total.measures) : "–";
  byId("total-overdue").textContent = s ? String(s.total.overdue) : "–";
  const body = (id: string) => byId<HTMLTableElement>(id).tBodies[0]!;
  body("by-status").replaceChildren(...(s ? statuses.map((st) => tallyRow(st, statusName(st, state.lang), [s.total.by_status[st]])) : []));
  body("by-lead").replaceChildren(...(s?.by_lead ?? []).map((l) => tallyRow(l.organization, organizationName(l.organization), [l.measures, l.overdue])));
  body("by-article").replaceChildren(...(s?.by_article ?? []).map((a) => tallyRow(String(a.article), say("articleN", { n: a.article }), [a.measures, a.overdue])));
}

function options(select: HTMLSelectElement, values: { value: string; label: string }[]): void {
  const chosen = select.value;
  select.replaceChildren(element("option", say("any"), { value: "" }), ...values.map((v) => element("option", v.label, { value: v.value })));
  select.value = values.some((v) => v.value === chosen) ? chosen : "";
}

function renderFilters(): void {
  options(byId("f-status"), statuses.map((s) => ({ value: s, label: statusName(s, state.lang) })));
  const leads = (state.summary?.by_lead ?? []).map((l) => l.organization).sort();
  options(byId("f-lead"), leads.map((code) => ({ value: code, label: organizationName(code) })));
  const all = [...state.organizations.keys()].sort();
  options(byId("f-organization"), all.map((code) => ({ value: code, label: organizationName(code) })));
}

function renderMeasures(): void {
  const table = byId<HTMLTableElement>("measures");
  const rows = state.page.map((m) => {
    const row = element("tr", undefined, { "data-code": m.code, "data-id": m.id });
    const open = element("button", m.code, { type: "button", "aria-label": say("showUpdates", { code: m.code }) });
    open.addEventListener("click", () => void openDetail(m));
    const code = element("td");
    code.append(open);
    const status = element("td", statusName(m.current_status, state.lang), { "data-status": m.current_status, class: `status ${m.current_status}` });
    if (m.overdue) status.append(" ", element("span", say("overdue"), { class: "overdue" }));
    row.append(
      code,
      localized("td", m.title),
      element("td", organizationName(m.lead)),
      status,
      element("td", m.progress_percent === undefined ? "–" : `${m.progress_percent} %`, { class: "num" }),
      m.due_end ? element("td", formatDate(m.due_end)) : localized("td", m.deadline_text),
    );
    return row;
  });
  if (rows.length === 0) {
    const empty = element("tr");
    empty.append(element("td", say("noMeasures"), { colspan: "6" }));
    rows.push(empty);
  }
  table.tBodies[0]!.replaceChildren(...rows);
  table.dataset["page"] = String(state.pageIndex + 1);
  byId("measures-caption").textContent = `${say("measures")}: ${say("page", { n: state.pageIndex + 1 })}`;
  byId("page-info").textContent = say("page", { n: state.pageIndex + 1 });
  byId<HTMLButtonElement>("prev").disabled = state.pageIndex === 0;
  byId<HTMLButtonElement>("next").disabled = state.next === undefined;
}

function renderDetail(): void {
  const section = byId("detail");
  const m = state.detail;
  section.hidden = !m;
  if (!m) return;
  const heading = byId("detail-heading");
  heading.replaceChildren(say("showUpdates", { code: m.code }), ": ", localized("span", m.title));
  const list = state.updates.map(({ update, evidence }) => {
    const article = element("article", undefined, { "data-update": update.id });
    const progress = update.progress_percent === undefined ? "" : ` · ${update.progress_percent} %`;
    article.append(element("h3", `${update.period} · ${statusName(update.proposed_status, state.lang)}${progress}`));
    article.append(localized("p", update.narrative));
    const meta = element("p", say("approved", { date: formatDate(update.approved_at) }), { class: "meta" });
    if (update.content_sha256) {
      meta.append(" · ", `${say("contentDigest")}: `, element("code", update.content_sha256, { class: "sha" }));
    }
    article.append(meta, element("h4", say("evidence")));
    if (evidence.length === 0) {
      article.append(element("p", say("noEvidence")));
    } else {
      const items = evidence.map((e) => {
        const li = element("li", undefined, { "data-evidence": e.id });
        const href = e.url ?? e.content_url;
        const title = pick(e.title, state.lang)?.text ?? e.filename ?? e.kind;
        li.append(href ? element("a", title, { href, rel: "noopener noreferrer" }) : element("span", title));
        li.append(" — ", `${say("digest")}: `, e.sha256 ? element("code", e.sha256, { class: "sha" }) : element("span", say("noDigest")));
        return li;
      });
      const ul = element("ul");
      ul.append(...items);
      article.append(ul);
    }
    return article;
  });
  byId("updates").replaceChildren(...(list.length > 0 ? list : [element("p", say("noUpdates"))]));
}

function renderAll(): void {
  renderWords();
  renderPlans();
  renderSummary();
  renderFilters();
  renderMeasures();
  renderDetail();
}

// ---- reading ----

async function loadPlans(): Promise<void> {
  const plans: Plan[] = [];
  for await (const p of paginate(api, "/v1/plans", { params: { query: { limit: 100 } } })) plans.push(p);
  state.plans = plans;
  if (!plans.some((p) => p.id === state.planId)) state.planId = plans[0]?.id ?? "";
  const organizations = new Map<string, Organization>();
  for await (const o of paginate(api, "/v1/organizations", { params: { query: { limit: 500 } } })) organizations.set(o.code, o);
  state.organizations = organizations;
}

async function loadSummary(): Promise<void> {
  state.summary = state.planId
    ? must(await api.GET("/v1/plans/{id}/summary", { params: { path: { id: state.planId } } }))
    : undefined;
}

async function loadPage(): Promise<void> {
  const table = byId("measures");
  table.setAttribute("aria-busy", "true");
  try {
    if (!state.planId) {
      state.page = [];
      state.next = undefined;
      return;
    }
    const f = state.filters;
    const cursor = state.cursors[state.pageIndex];
    const page = must(await api.GET("/v1/plans/{id}/measures", {
      params: {
        path: { id: state.planId },
        query: {
          limit: f.limit,
          ...(cursor ? { cursor } : {}),
          ...(f.status ? { status: [f.status] } : {}),
          ...(f.lead ? { lead: f.lead } : {}),
          ...(f.organization ? { organization: f.organization } : {}),
          ...(f.article ? { article: f.article } : {}),
          ...(f.overdue !== undefined ? { overdue: f.overdue } : {}),
          ...(f.q ? { q: f.q } : {}),
        },
      },
    }));
    state.page = page.items;
    state.next = page.next_cursor ?? undefined;
  } finally {
    table.setAttribute("aria-busy", "false");
  }
}

async function loadDetail(): Promise<void> {
  const m = state.detail;
  if (!m) return;
  const updates: typeof state.updates = [];
  for await (const u of paginate(api, "/v1/measures/{id}/updates", { params: { path: { id: m.id }, query: { limit: 100 } } })) {
    if (u.state !== "approved") continue;
    const evidence = must(await api.GET("/v1/updates/{id}/evidence", { params: { path: { id: u.id } } }));
    updates.push({ update: u, evidence: evidence.items });
  }
  // Newest first.
  state.updates = updates.reverse();
}

/** Reads everything the view shows and draws it; errors are shown, not thrown. */
async function run(work: () => Promise<void>): Promise<void> {
  try {
    await work();
    clearError();
  } catch (err) {
    showError(err);
  }
  renderAll();
}

async function openDetail(m: Measure): Promise<void> {
  state.detail = m;
  await run(loadDetail);
  byId("detail-heading").focus();
}

function readFilters(): Filters {
  const form = byId<HTMLFormElement>("filters");
  const data = new FormData(form);
  const value = (name: string) => String(data.get(name) ?? "").trim();
  const f: Filters = { limit: Number(value("limit")) || 25 };
  const status = value("status");
  if ((statuses as readonly string[]).includes(status)) f.status = status as ImplementationStatus;
  if (value("lead")) f.lead = value("lead");
  if (value("organization")) f.organization = value("organization");
  if (Number(value("article")) > 0) f.article = Number(value("article"));
  if (value("overdue")) f.overdue = value("overdue") === "true";
  if (value("q")) f.q = value("q");
  return f;
}

function firstPage(): void {
  state.cursors = [undefined];
  state.pageIndex = 0;
}

// ---- live: the change stream ----

/** The id of the latest change the caller may see now, so that the stream starts there. */
async function feedHead(): Promise<number> {
  let after = 0;
  for (;;) {
    const page = must(await api.GET("/v1/changes", { params: { query: { after, limit: 500 } } }));
    after = page.next_cursor;
    if (!page.more) return after;
  }
}

let refreshTimer: ReturnType<typeof setTimeout> | undefined;

/** Refreshes the counts, the page and the open measure once the changes of a moment have arrived. */
function scheduleRefresh(): void {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    void run(async () => {
      await Promise.all([loadSummary(), loadPage(), loadDetail()]);
      byId("live").textContent = say("refreshed", { time: new Date().toLocaleTimeString(state.lang) });
    });
  }, 250);
}

/** Whether a change touches what the dashboard shows. */
async function touchesView(c: Change): Promise<boolean> {
  switch (c.entity_type) {
    case "plan":
      return c.entity_id === state.planId;
    case "measure": {
      if (state.page.some((m) => m.id === c.entity_id)) return true;
      // A measure of this plan on another page still changes the counts.
      const res = await api.GET("/v1/measures/{id}", { params: { path: { id: c.entity_id } } });
      return res.data?.plan_id === state.planId;
    }
    case "progress_update":
    case "evidence":
      // An approval also changes its measure, which refreshes the counts; this is for the open measure.
      return state.detail !== undefined;
    default:
      return false;
  }
}

async function follow(signal: AbortSignal): Promise<void> {
  const after = await feedHead();
  let lastEvent = Date.now();
  const watchdog = setInterval(() => {
    if (Date.now() - lastEvent > 15_000) byId("live").textContent = say("reconnecting");
  }, 5_000);
  try {
    for await (const e of streamChanges({ baseUrl: location.origin, token, after, signal })) {
      if (Date.now() - lastEvent > 15_000 || e.event === "heartbeat") byId("live").textContent = say("live");
      lastEvent = Date.now();
      if (e.event === "change" && (await touchesView(e.data))) scheduleRefresh();
    }
  } finally {
    clearInterval(watchdog);
  }
}

function startLive(): void {
  state.live?.abort();
  const live = new AbortController();
  state.live = live;
  follow(live.signal).catch((err: unknown) => {
    if (live.signal.aborted) return;
    if (err instanceof ApiError && err.status === 401 && token()) {
      // The token stopped working: forget it and go on as the public.
      sessionStorage.removeItem(tokenKey);
      void reload().then(() => {
        byId("live").textContent = say("tokenRefused");
      });
      return;
    }
    showError(err);
  });
}

async function reload(): Promise<void> {
  await run(async () => {
    await loadPlans();
    firstPage();
    state.detail = undefined;
    await Promise.all([loadSummary(), loadPage()]);
  });
  startLive();
}

// ---- wiring ----

function wire(): void {
  byId<HTMLSelectElement>("lang").addEventListener("change", (e) => {
    state.lang = (e.target as HTMLSelectElement).value as Lang;
    localStorage.setItem(langKey, state.lang);
    renderAll();
  });
  byId<HTMLFormElement>("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = byId<HTMLInputElement>("token");
    const value = input.value.trim();
    input.value = "";
    if (!value) return;
    sessionStorage.setItem(tokenKey, value);
    void api.GET("/v1/me", {}).then((res) => {
      if (res.response.status === 401) {
        sessionStorage.removeItem(tokenKey);
        byId("live").textContent = say("tokenRefused");
      }
      return reload();
    });
  });
  byId("forget").addEventListener("click", () => {
    sessionStorage.removeItem(tokenKey);
    void reload();
  });
  byId<HTMLSelectElement>("plan").addEventListener("change", (e) => {
    state.planId = (e.target as HTMLSelectElement).value;
    state.detail = undefined;
    firstPage();
    void run(() => Promise.all([loadSummary(), loadPage()]).then(() => undefined));
  });
  const filters = byId<HTMLFormElement>("filters");
  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    state.filters = readFilters();
    firstPage();
    void run(loadPage);
  });
  filters.addEventListener("reset", () => {
    // After the form has put its fields back.
    setTimeout(() => {
      state.filters = readFilters();
      firstPage();
      void run(loadPage);
    });
  });
  byId("next").addEventListener("click", () => {
    if (state.next === undefined) return;
    state.cursors[state.pageIndex + 1] = state.next;
    state.pageIndex++;
    void run(loadPage);
  });
  byId("prev").addEventListener("click", () => {
    if (state.pageIndex === 0) return;
    state.pageIndex--;
    void run(loadPage);
  });
  byId("close-detail").addEventListener("click", () => {
    const code = state.detail?.code;
    state.detail = undefined;
    renderDetail();
    document.querySelector<HTMLButtonElement>(`#measures tr[data-code="${CSS.escape(code ?? "")}"] button`)?.focus();
  });
}

wire();
renderWords();
void reload();
