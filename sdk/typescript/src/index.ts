// The naptracker API for dashboards: one import gives a typed client and the API's types.
//
//   import { createClient, type Measure } from "@naptracker/sdk";
//   const api = createClient({ baseUrl: "https://nap.example.org", token: process.env.NAPTRACKER_TOKEN });
//   const { data, error } = await api.GET("/v1/plans/{id}/measures", { params: { path: { id }, query: { lead: "MS" } } });
//
// Every path, parameter and body is checked against schema.d.ts, which openapi/generate-sdks.sh
// generates from openapi/openapi.yaml; do not edit that file by hand.
import createFetchClient, { type Client, type ClientOptions, type Middleware } from "openapi-fetch";
import type { paths } from "./schema.js";

export type * from "./schema.js";

/** A token, or a function that returns the current one (for tokens that are rotated). */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

export interface NaptrackerOptions extends ClientOptions {
  /** The API's origin, e.g. "https://nap.example.org"; paths start with /v1. */
  baseUrl: string;
  /** A naptracker API token (napt_…); omit to read only what the public may. */
  token?: TokenSource | undefined;
}

export type NaptrackerClient = Client<paths>;

/** Creates a typed client; with a token every request carries it as a bearer token. */
export function createClient(options: NaptrackerOptions): NaptrackerClient {
  const { token, ...fetchOptions } = options;
  // The API reads a list parameter as one comma-separated value (status=a,b), as the spec's
  // explode: false says; openapi-fetch would repeat the name instead.
  const client = createFetchClient<paths>({
    querySerializer: { array: { style: "form", explode: false } },
    ...fetchOptions,
  });
  if (token !== undefined) {
    client.use(bearerToken(token));
  }
  return client;
}

/** Middleware that sends the token as "Authorization: Bearer …" when there is one. */
export function bearerToken(token: TokenSource): Middleware {
  return {
    async onRequest({ request }) {
      const value = typeof token === "function" ? await token() : token;
      if (value) {
        request.headers.set("Authorization", `Bearer ${value}`);
      }
      return request;
    },
  };
}

/** One page of a cursor-paginated list: the items and, unless it is the last, the next cursor. */
export interface Page<T> {
  items: T[];
  next_cursor?: string | undefined;
}

/**
 * Follows next_cursor from the first page to the last, yielding every item once:
 *   for await (const m of allPages((cursor) => listMeasures(cursor))) { ... }
 * fetchPage receives undefined for the first page and must throw on an error response.
 */
export async function* allPages<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.items;
    cursor = page.next_cursor;
  } while (cursor);
}
