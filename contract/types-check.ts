// Compiled (never run) by `tsc -p contract` in scripts/check-contract, against the types
// openapi-typescript generates from openapi.yaml into generated/items-api.ts. It fails when
// an operation's response stops having a typed JSON body or an error response stops naming
// its own codes — what a TypeScript caller relies on to handle each status.
import type { operations } from "./generated/items-api";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Responses<Op extends keyof operations> = operations[Op]["responses"];
type Body<Op extends keyof operations, Status extends keyof Responses<Op>> =
  Responses<Op>[Status] extends { content: { "application/json": infer B } } ? B : never;
type Code<Op extends keyof operations, Status extends keyof Responses<Op>> =
  Body<Op, Status> extends { code: infer C } ? C : never;
/** The statuses of an operation whose body has no type (the bodiless 204 and 304 aside). */
type Untyped<Op extends keyof operations> = {
  [S in keyof Responses<Op>]: S extends 204 | 304 ? never : [Body<Op, S>] extends [never] ? S : never;
}[keyof Responses<Op>];

const BAD_REQUEST = [
  "VALIDATION_FAILED",
  "INVALID_JSON",
  "INVALID_QUERY_PARAMETER",
  "INVALID_CURSOR",
  "INVALID_HEADER",
  "INVALID_ID",
] as const;

export const holds: true[] = [
  true satisfies Equal<Untyped<"listItems" | "createItem" | "getItem" | "updateItem" | "deleteItem" | "batchItems">, never>,
  true satisfies Equal<Untyped<"listVersions" | "getVersion" | "restoreItem">, never>,
  true satisfies Equal<Code<"getVersion", 404>, "ITEM_NOT_FOUND" | "VERSION_NOT_FOUND" | "ROUTE_NOT_FOUND">,
  true satisfies Equal<Code<"restoreItem", 409>, "HISTORY_PENDING">,
  true satisfies Equal<Body<"getVersion", 200>["event"], "created" | "updated" | "deleted" | "restored">,
  true satisfies Equal<Code<"listItems", 400>, (typeof BAD_REQUEST)[number]>,
  true satisfies Equal<Code<"getItem", 404>, "ITEM_NOT_FOUND" | "ROUTE_NOT_FOUND">,
  true satisfies Equal<Code<"updateItem", 412>, "PRECONDITION_FAILED">,
  true satisfies Equal<Code<"updateItem", 413>, "PAYLOAD_TOO_LARGE">,
  true satisfies Equal<Code<"createItem", 422>, "IDEMPOTENCY_KEY_REUSED">,
  true satisfies Equal<Code<"batchItems", 409>, "TRANSACTION_CANCELED">,
  true satisfies Equal<Code<"batchItems", 422>, "IDEMPOTENCY_KEY_REUSED">,
  true satisfies Equal<Code<"getItem", 422>, "UNREPRESENTABLE_ITEM">,
  true satisfies Equal<Code<"deleteItem", 500>, "INTERNAL_ERROR">,
  true satisfies Equal<Code<"deleteItem", 502>, "DEPENDENCY_FAILURE">,
  true satisfies Equal<Code<"deleteItem", 503>, "THROTTLED">,
  true satisfies Equal<Body<"getItem", 403>, { message: string }>,
];

/** What a caller writes for a 412: the stored version, typed. */
export function currentVersion(conflict: Body<"updateItem", 412>): number | undefined {
  return conflict.current_version;
}

export const wrongCode: Body<"deleteItem", 412> = {
  error: "Precondition failed",
  // @ts-expect-error a 412 body carries PRECONDITION_FAILED, no other code
  code: "ITEM_NOT_FOUND",
  request_id: "r",
};
