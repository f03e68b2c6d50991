// The change feed as server-sent events, read with fetch: unlike EventSource, fetch can send
// the bearer token, and the same code runs in browsers and in Node.js.
import { ApiError, resolveToken, type TokenSource } from "./common.js";
import type { Change, Heartbeat } from "./schema.js";

/** An event of the change stream: a change, or a heartbeat saying where the stream stands. */
export type ChangeEvent = { event: "change"; id: number; data: Change } | { event: "heartbeat"; data: Heartbeat };

export interface ChangeStreamOptions {
  /** The API's origin, as for createClient. */
  baseUrl: string;
  /** A naptracker API token; without one the stream carries public changes. */
  token?: TokenSource | undefined;
  /** The id of the last change already seen; the stream starts after it (default: 0). */
  after?: number | undefined;
  /** Ends the stream. */
  signal?: AbortSignal | undefined;
  /** How long to wait before reconnecting after the connection drops, unless the server says (default 2000 ms). */
  retryMs?: number | undefined;
  fetch?: typeof globalThis.fetch | undefined;
}

/**
 * Yields the changes the caller may see as they commit, and heartbeats. When the connection
 * drops it reconnects after the last change it yielded, so none is lost or repeated. It ends
 * when signal aborts, and throws an ApiError when the server refuses the stream (a revoked
 * token answers 401).
 */
export async function* streamChanges(options: ChangeStreamOptions): AsyncGenerator<ChangeEvent, void, undefined> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const { signal } = options;
  let last = options.after ?? 0;
  let retry = options.retryMs ?? 2000;
  while (!signal?.aborted) {
    const headers = new Headers({ Accept: "text/event-stream" });
    const token = await resolveToken(options.token);
    if (token) headers.set("Authorization", `Bearer ${token}`);
    let response: Response;
    try {
      response = await fetchFn(`${options.baseUrl.replace(/\/+$/, "")}/v1/changes/stream?after=${last}`, {
        headers,
        ...(signal ? { signal } : {}),
      });
    } catch {
      if (signal?.aborted) return;
      await pause(retry, signal);
      continue;
    }
    if (!response.ok || !response.body) {
      const problem: unknown = await response.json().catch(() => undefined);
      // Refusals are final; an overloaded or restarting server is tried again.
      if (response.status < 500 && response.status !== 429) throw new ApiError(response, problem);
      await pause(retry, signal);
      continue;
    }
    try {
      for await (const message of messages(response.body)) {
        if (message.retry !== undefined) retry = message.retry;
        if (message.event === "change") {
          const change = JSON.parse(message.data) as Change;
          last = change.id;
          yield { event: "change", id: change.id, data: change };
        } else if (message.event === "heartbeat") {
          yield { event: "heartbeat", data: JSON.parse(message.data) as Heartbeat };
        }
      }
    } catch (err) {
      if (signal?.aborted) return;
      if (err instanceof SyntaxError) throw err;
    }
    await pause(retry, signal);
  }
}

interface Message {
  event: string;
  data: string;
  retry?: number;
}

/** Parses a text/event-stream body into its messages (the HTML standard's algorithm, without ids). */
async function* messages(body: ReadableStream<Uint8Array>): AsyncGenerator<Message> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let retry: number | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "") {
          if (data.length > 0) yield { event: event || "message", data: data.join("\n"), ...(retry === undefined ? {} : { retry }) };
          event = "";
          data = [];
          retry = undefined;
          continue;
        }
        const colon = line.indexOf(":");
        if (colon === 0) continue; // a comment
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
        else if (field === "retry" && /^\d+$/.test(value)) retry = Number(value);
      }
    }
  } finally {
    // Stopped early or not, the connection is no longer wanted.
    await reader.cancel().catch(() => undefined);
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
