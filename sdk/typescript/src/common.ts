// What the client and the change stream share: tokens and the error of a refused request.
import type { ErrorModel } from "./schema.js";

/** A token, or a function that returns the current one (for tokens that are rotated). */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

/** The token a source gives now. */
export async function resolveToken(token: TokenSource | undefined): Promise<string | undefined> {
  return typeof token === "function" ? await token() : token;
}

/** A response that did not bring what was asked for: its status and the API's problem details. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: ErrorModel | undefined;

  constructor(response: Response, problem?: unknown) {
    const details = isProblem(problem) ? problem : undefined;
    super(`naptracker: ${response.status} ${details?.detail ?? details?.title ?? response.statusText}`);
    this.name = "ApiError";
    this.status = response.status;
    this.problem = details;
  }
}

function isProblem(value: unknown): value is ErrorModel {
  return typeof value === "object" && value !== null && ("detail" in value || "title" in value);
}
