// End-to-end check of the TypeScript SDK against a live server, run by cmd/naptracker's
// TestTypeScriptSDK from the packed SDK installed in a fresh project (so the import is the
// package's name, as a partner writes it). The test seeds the database, issues the tokens
// and passes them here:
//   NAPTRACKER_URL, NAPTRACKER_TOKEN_{PARTNER,FOCAL_POINT,APPROVER,COORDINATOR}
//   E2E_ORGANIZATION, E2E_PAGE_SIZE, E2E_EXPECTED_CODES (comma-separated, in order)
//   E2E_MEASURE_CODE, E2E_MEASURE_TITLE_RU
// It exits non-zero with a message on the first failed expectation and prints one JSON line
// starting with "e2e ok " when every one holds.
import { createClient, paginate, streamChanges, type ChangeEvent, type ImplementationStatus, type NaptrackerClient } from "@naptracker/sdk";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function expect(ok: boolean, what: string, got?: unknown): asserts ok {
  if (!ok) throw new Error(`${what}${got === undefined ? "" : `: got ${JSON.stringify(got)}`}`);
}

/** The data of a successful response, or an error naming the failed step. */
function must<T>(step: string, res: { data?: T; error?: unknown; response: Response }): T {
  if (res.data === undefined) {
    throw new Error(`${step}: ${res.response.status} ${JSON.stringify(res.error)}`);
  }
  return res.data;
}

const baseUrl = env("NAPTRACKER_URL");
const as = (who: string): NaptrackerClient => createClient({ baseUrl, token: env(`NAPTRACKER_TOKEN_${who}`) });
const partner = as("PARTNER");
const focal = as("FOCAL_POINT");
const coordinator = as("COORDINATOR");

/** Reads the change feed after a cursor until nothing more can be read now. */
async function readFeed(api: NaptrackerClient, after: number): Promise<{ entities: Set<string>; cursor: number }> {
  const entities = new Set<string>();
  for (;;) {
    const page = must("changes", await api.GET("/v1/changes", { params: { query: { after, limit: 50 } } }));
    for (const change of page.items) entities.add(change.entity_id);
    after = page.next_cursor;
    if (!page.more) return { entities, cursor: after };
  }
}

/** Waits until api's feed after start shows entity. */
async function awaitInFeed(api: NaptrackerClient, start: number, entity: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await readFeed(api, start)).entities.has(entity)) {
    expect(Date.now() < deadline, `${entity} not in the feed within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main(): Promise<void> {
  const organization = env("E2E_ORGANIZATION");
  const limit = Number(env("E2E_PAGE_SIZE"));
  const expected = env("E2E_EXPECTED_CODES").split(",");

  const plans = must("plans", await partner.GET("/v1/plans", {}));
  expect(plans.items.length === 1, "one seeded plan", plans.items.length);
  const planId = plans.items[0]!.id;

  // Every measure of the filter, once, following the cursor.
  let pages = 0;
  const counted: typeof fetch = (input, init) => {
    if (String(input instanceof Request ? input.url : input).includes("/measures")) pages++;
    return fetch(input, init);
  };
  const pager = createClient({ baseUrl, token: env("NAPTRACKER_TOKEN_PARTNER"), fetch: counted });
  const codes: string[] = [];
  for await (const m of paginate(pager, "/v1/plans/{id}/measures", { params: { path: { id: planId }, query: { organization, limit } } })) {
    codes.push(m.code);
  }
  expect(codes.join(",") === expected.join(","), `organization=${organization}, want ${expected.join(",")}`, codes);
  expect(new Set(codes).size === codes.length, "no measure twice", codes);
  expect(pages > 1, "more than one page", pages);

  // A list parameter: every status is the whole filter again.
  const everyStatus: ImplementationStatus[] = ["no_information", "not_started", "in_progress", "ongoing",
    "partially_implemented", "implemented", "not_implemented", "cancelled"];
  const byStatus: string[] = [];
  for await (const m of paginate(partner, "/v1/plans/{id}/measures", {
    params: { path: { id: planId }, query: { organization, status: everyStatus, limit } },
  })) byStatus.push(m.code);
  expect(byStatus.join(",") === expected.join(","), "status=<every status> changes nothing", byStatus);

  // A failed page is an error, not an empty list.
  let refused: unknown;
  try {
    for await (const m of paginate(partner, "/v1/plans/{id}/measures", { params: { path: { id: planId }, query: { cursor: "not-a-cursor" } } })) void m;
  } catch (err) {
    refused = err;
  }
  expect(refused instanceof Error && refused.name === "ApiError" && (refused as { status?: number }).status === 422, "a bad cursor throws ApiError 422", String(refused));

  // One measure, found by its code, in full.
  const code = env("E2E_MEASURE_CODE");
  const found = must("measure by code", await partner.GET("/v1/plans/{id}/measures", { params: { path: { id: planId }, query: { code } } }));
  expect(found.items.length === 1, `one measure ${code}`, found.items.length);
  const measureId = found.items[0]!.id;
  const got = await partner.GET("/v1/measures/{id}", { params: { path: { id: measureId } } });
  const measure = must("measure", got);
  expect(measure.code === code, "measure code", measure.code);
  expect(measure.title.ru === env("E2E_MEASURE_TITLE_RU"), "title in Russian", measure.title.ru);
  expect(everyStatus.includes(measure.current_status), "a known status", measure.current_status);
  const etag = got.response.headers.get("ETag");
  expect(Boolean(etag), "an ETag");

  // The same again with its ETag: not modified, which is neither data nor an error.
  const again = await partner.GET("/v1/measures/{id}", { params: { path: { id: measureId } }, headers: { "If-None-Match": etag ?? "" } });
  expect(again.notModified === true && again.data === undefined && again.error === undefined, "If-None-Match answers not modified",
    { status: again.response.status, notModified: again.notModified });

  // The plan's summary counts every measure once, and its statuses add up.
  const summary = must("summary", await partner.GET("/v1/plans/{id}/summary", { params: { path: { id: planId } } }));
  const measures = Number(env("E2E_PLAN_MEASURES"));
  const statusTotal = Object.values(summary.total.by_status).reduce((a, b) => a + b, 0);
  const byLead = (summary.by_lead ?? []).reduce((a, l) => a + l.measures, 0);
  expect(summary.total.measures === measures && statusTotal === measures && byLead === measures,
    `summary counts ${measures} measures`, { total: summary.total.measures, statusTotal, byLead });

  // The implementation matrix, as CSV in Russian: a heading in Russian and a row per measure.
  const matrix = await partner.GET("/v1/plans/{id}/export", {
    params: { path: { id: planId }, query: { format: "csv", lang: "ru" } },
    parseAs: "text",
  });
  expect(matrix.response.status === 200, "export answered", matrix.response.status);
  const text = String(matrix.data ?? "");
  expect(text.startsWith("Код,Мера,"), "the matrix's heading", text.slice(0, 40));
  expect(text.includes(env("E2E_MEASURE_TITLE_RU")), "a Russian title in the matrix");

  // The focal point drafts an update for the latest period, which is open, and submits it.
  const periods = must("periods", await focal.GET("/v1/plans/{id}/periods", { params: { path: { id: planId }, query: { limit: 500 } } }));
  const period = periods.items[periods.items.length - 1]!;
  expect(period.state === "open", `period ${period.label} open`, period.state);
  const start = (await readFeed(coordinator, 0)).cursor;
  // The partner follows the change stream from here; it is to show the update once approved.
  let draftId = "";
  const stop = new AbortController();
  const streamed = (async () => {
    const seen: ChangeEvent[] = [];
    for await (const e of streamChanges({ baseUrl, token: env("NAPTRACKER_TOKEN_PARTNER"), after: start, signal: stop.signal })) {
      seen.push(e);
      if (e.event === "change" && e.data.entity_type === "progress_update" && e.data.entity_id === draftId) return seen;
    }
    return seen;
  })();
  const draft = must("create update", await focal.POST("/v1/measures/{id}/updates", {
    params: { path: { id: measureId } },
    body: {
      period_id: period.id, proposed_status: "in_progress", progress_percent: 40, visibility: "partners",
      narrative: { en: "The draft law went to the ministries.", ru: "Проект закона направлен в министерства." },
    },
  }));
  draftId = draft.id;
  expect(draft.state === "draft", "a draft", draft.state);
  expect(draft.period === period.label, "the draft's period", draft.period);
  const submitted = must("submit", await focal.POST("/v1/updates/{id}/submit", { params: { path: { id: draft.id } }, body: {} }));
  expect(submitted.state === "submitted", "submitted", submitted.state);
  expect(submitted.version > draft.version, `version above ${draft.version}`, submitted.version);

  // Submitted: in the coordinator's feed, not in the partner's.
  await awaitInFeed(coordinator, start, draft.id);
  expect(!(await readFeed(partner, start)).entities.has(draft.id), "the partner's feed hides a submitted update");
  // Signed off and approved for partners: in theirs, and the measure follows it.
  must("sign off", await as("APPROVER").POST("/v1/updates/{id}/sign-off", { params: { path: { id: draft.id } }, body: {} }));
  const approved = must("approve", await coordinator.POST("/v1/updates/{id}/approve", { params: { path: { id: draft.id } }, body: {} }));
  expect(approved.state === "approved", "approved", approved.state);
  await awaitInFeed(partner, start, draft.id);
  const timeout = setTimeout(() => stop.abort(), 30_000);
  const events = await streamed;
  clearTimeout(timeout);
  stop.abort();
  const last = events[events.length - 1];
  expect(last?.event === "change" && last.data.entity_id === draft.id, "the stream shows the approved update", events.length);
  expect(events[0]?.event === "heartbeat", "the stream opens with a heartbeat", events[0]?.event);
  const after = must("measure after approval", await partner.GET("/v1/measures/{id}", { params: { path: { id: measureId } } }));
  expect(after.current_status === "in_progress" && after.progress_percent === 40, "the measure follows the update",
    [after.current_status, after.progress_percent]);

  console.log("e2e ok " + JSON.stringify({ measures: codes.length, pages, update: draft.id, state: approved.state, version: approved.version }));
}

main().catch((err: unknown) => {
  console.error("e2e failed:", err instanceof Error ? err.message : err);
  process.exit(1);
});
