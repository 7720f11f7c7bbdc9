import createClient, { type Middleware } from 'openapi-fetch';
import { bearer, signOut } from '../auth.ts';
import { config } from '../config.ts';
import type { components, paths } from './schema.gen.ts';

/** The API's RFC 9457 problem: `code` is stable (docs/error-codes.md); `errors` names the refused fields. */
export type Problem = components['schemas']['Problem'];

/** A failed call: the problem the API answered (or a synthetic one for network failures). */
export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(`${problem.code}: ${problem.detail}`);
    this.problem = problem;
  }
}

const auth: Middleware = {
  async onRequest({ request }) {
    const token = await bearer();
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401) signOut();
    return response;
  },
};

let client: ReturnType<typeof createClient<paths>> | undefined;

/** The typed API client (types generated from the OpenAPI document by web/scripts/api-types.ts). */
export function api() {
  if (!client) {
    client = createClient<paths>({ baseUrl: config().apiUrl });
    client.use(auth);
  }
  return client;
}

/** The data of an openapi-fetch answer, or an ApiError carrying the problem. */
export function unwrap<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.error !== undefined || !answer.response.ok) {
    const error = answer.error as Partial<Problem> | undefined;
    throw new ApiError({
      type: error?.type ?? 'about:blank',
      code: error?.code ?? 'internal_error',
      title: error?.title ?? answer.response.statusText,
      status: error?.status ?? answer.response.status,
      detail: error?.detail ?? '',
      ...(error?.errors ? { errors: error.errors } : {}),
    } as Problem);
  }
  return answer.data as T;
}
