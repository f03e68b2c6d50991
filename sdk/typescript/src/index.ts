// The naptracker API for dashboards and scripts: a typed client, a pager over any list, and
// the change feed as a stream. Every path, parameter and body is checked against schema.ts,
// which openapi/generate-sdks.sh generates from openapi/openapi.yaml; do not edit that file.
import createFetchClient, {
  type Client,
  type ClientOptions,
  type ClientPathsWithMethod,
  type FetchResponse,
  type MaybeOptionalInit,
  type Middleware,
} from "openapi-fetch";
import { ApiError, resolveToken, type TokenSource } from "./common.js";
import type { paths } from "./schema.js";

export type * from "./schema.js";
export { ApiError, resolveToken, type TokenSource } from "./common.js";
export { streamChanges, type ChangeEvent, type ChangeStreamOptions } from "./changes.js";

export interface NaptrackerOptions extends ClientOptions {
  /** The API's origin, e.g. "https://nap.example.org"; paths start with /v1. */
  baseUrl: string;
  /** A naptracker API token (napt_…); omit to read only what the public may. */
  token?: TokenSource | undefined;
}

/** The answer to a conditional GET (If-None-Match) whose resource has not changed. */
export interface NotModified {
  notModified: true;
  data?: never;
  error?: never;
  response: Response;
}

type RequiredKeysOf<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type InitParam<Init> =
  RequiredKeysOf<Init> extends never ? [(Init & { [key: string]: unknown })?] : [Init & { [key: string]: unknown }];

/** A path that answers GET. */
export type GetPath = ClientPathsWithMethod<Client<paths>, "get">;

/** The client's GET: openapi-fetch's, with 304 Not Modified as its own outcome. */
export type GetMethod = <Path extends GetPath, Init extends MaybeOptionalInit<paths[Path], "get">>(
  url: Path,
  ...init: InitParam<Init>
) => Promise<(FetchResponse<paths[Path]["get"], Init, `${string}/${string}`> & { notModified?: never }) | NotModified>;

/**
 * A typed client. A GET answers { data } on success, { error } with the problem details on
 * failure, and { notModified: true } when If-None-Match matched.
 */
export type NaptrackerClient = Omit<Client<paths>, "GET"> & { GET: GetMethod };

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
  // openapi-fetch reads a 304 as an error with an empty body; say what it is instead.
  const get = client.GET as (...args: unknown[]) => Promise<{ response: Response }>;
  const checkedGet = async (...args: unknown[]) => {
    const res = await get(...args);
    return res.response.status === 304 ? { notModified: true, response: res.response } : res;
  };
  return Object.assign(client, { GET: checkedGet as GetMethod });
}

/** Middleware that sends the token as "Authorization: Bearer …" when there is one. */
export function bearerToken(token: TokenSource): Middleware {
  return {
    async onRequest({ request }) {
      const value = await resolveToken(token);
      if (value) {
        request.headers.set("Authorization", `Bearer ${value}`);
      }
      return request;
    },
  };
}

type ListBody<T> = { items: T[]; next_cursor?: string | null | undefined };

/** The paths whose GET answers one page of a list: items and, unless last, next_cursor. */
export type ListPath = {
  [P in GetPath]: paths[P]["get"] extends {
    parameters: { query?: { cursor?: string } };
    responses: { 200: { content: { "application/json": ListBody<unknown> } } };
  }
    ? P
    : never;
}[GetPath];

/** The type of the items a list path answers. */
export type ListItem<P extends ListPath> = paths[P]["get"] extends {
  responses: { 200: { content: { "application/json": ListBody<infer T> } } };
}
  ? T
  : never;

/** The request of a list path, as client.GET takes it; the pager sets the cursor. */
export type ListInit<P extends ListPath> = MaybeOptionalInit<paths[P], "get">;

/**
 * Yields every item of a list once, following next_cursor from the first page to the last:
 *
 *   for await (const m of paginate(api, "/v1/plans/{id}/measures", { params: { path: { id } } })) …
 *
 * A failed page throws an ApiError.
 */
export async function* paginate<P extends ListPath>(
  client: NaptrackerClient,
  path: P,
  ...init: InitParam<ListInit<P>>
): AsyncGenerator<ListItem<P>, void, undefined> {
  type Untyped = (path: string, init: { params?: { query?: object } }) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
  const request = (init[0] ?? {}) as { params?: { query?: object } };
  let cursor: string | undefined;
  do {
    const query = { ...request.params?.query, ...(cursor === undefined ? {} : { cursor }) };
    const res = await (client.GET as Untyped)(path, { ...request, params: { ...request.params, query } });
    if (res.data === undefined) {
      throw new ApiError(res.response, res.error);
    }
    const page = res.data as ListBody<ListItem<P>>;
    yield* page.items;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
}
