import type * as z from 'zod/mini';
import type { Role } from '#shared/kernel/roles.ts';

// One contract per route: it feeds the API Gateway routes (infra), the local server, the
// handler's validation and the OpenAPI document. Nothing else lists routes.

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Which Lambda serves the route: one per resource family. */
export type FunctionFamily = string;

export interface RouteContract<
  TParams extends z.ZodMiniType = z.ZodMiniType,
  TQuery extends z.ZodMiniType = z.ZodMiniType,
  TBody extends z.ZodMiniType = z.ZodMiniType,
  TResponse extends z.ZodMiniType = z.ZodMiniType,
> {
  /** OpenAPI operationId; unique. */
  readonly id: string;
  readonly method: HttpMethod;
  /** API Gateway path template, e.g. "/deals/{id}". */
  readonly path: string;
  readonly family: FunctionFamily;
  readonly summary: string;
  /** "public" routes skip the JWT authorizer; otherwise the roles that may call the route. */
  readonly access: 'public' | readonly Role[];
  readonly params?: TParams;
  readonly query?: TQuery;
  readonly body?: TBody;
  /** Absent for 204 replies. */
  readonly response?: TResponse;
  /**
   * The success answer's media type when it is not JSON (e.g. "text/calendar"): the
   * implementation returns the text itself (the response schema is then a string).
   */
  readonly mediaType?: string;
  readonly status: 200 | 201 | 202 | 204;
  /** POST routes that honour Idempotency-Key. */
  readonly idempotent?: boolean;
  /** Routes that honour If-Match against the record's version. */
  readonly conditional?: boolean;
  /** Problem answers beyond those every route may give (OpenAPI responses), by status: what they mean. */
  readonly problems?: Readonly<Partial<Record<410, string>>>;
  readonly tags?: readonly string[];
}

export type AnyRoute = RouteContract<z.ZodMiniType, z.ZodMiniType, z.ZodMiniType, z.ZodMiniType>;

export function route<
  TParams extends z.ZodMiniType = z.ZodMiniType,
  TQuery extends z.ZodMiniType = z.ZodMiniType,
  TBody extends z.ZodMiniType = z.ZodMiniType,
  TResponse extends z.ZodMiniType = z.ZodMiniType,
>(contract: RouteContract<TParams, TQuery, TBody, TResponse>): RouteContract<TParams, TQuery, TBody, TResponse> {
  return contract;
}

/** API Gateway's route key, e.g. "GET /deals/{id}". */
export function routeKey(contract: Pick<AnyRoute, 'method' | 'path'>): string {
  return `${contract.method} ${contract.path}`;
}

export const ALL_ROLES: readonly Role[] = ['admin', 'manager', 'user'];
export const ADMIN_ONLY: readonly Role[] = ['admin'];
