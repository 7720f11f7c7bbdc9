import * as z from 'zod/mini';
import { idSchema } from '#shared/kernel/schema.ts';

/** Path parameters of one record: `{id}`. */
export const idParams = z.strictObject({ id: idSchema });

/** `limit` (1-100, default 25) and `cursor` (the `next_cursor` of the page before). */
export const pageQueryFields = {
  limit: z._default(
    z.coerce
      .number()
      .check(
        z.int(),
        z.minimum(1),
        z.maximum(100),
        z.describe(
          'Items per page. A page is filled up to limit within a read budget per call (1,000 items read, 4 Queries per owner in scope); it holds fewer, even none, with a non-null next_cursor only when that budget ran out: follow next_cursor until null.',
        ),
      ),
    25,
  ),
  cursor: z.optional(
    z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(4096),
        z.describe(
          "The previous page's next_cursor: a keyset position (the last item's sort value and id), so records inserted or deleted meanwhile never shift the walk. Bound to the query's filters and order.",
        ),
      ),
  ),
};

/** One page of a list: `{ items, next_cursor }`, next_cursor null on the last page. */
export function pageOf<T extends z.ZodMiniType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.nullable(z.string()) });
}

/** A list in one answer, with no cursor to more: `{ items }`. */
export function itemsOf<T extends z.ZodMiniType>(item: T) {
  return z.object({ items: z.array(item) });
}

/** Query-string booleans: "true" / "false" only. */
export const queryBoolean = z.pipe(
  z.enum(['true', 'false']),
  z.transform((v: 'true' | 'false') => v === 'true'),
);

/**
 * `sort_by` and `sort_order` of a sortable list: `created_at` newest first unless asked
 * otherwise, stated in the OpenAPI document so clients need not guess.
 */
export function sortQueryFields<const F extends readonly [string, ...string[]]>(fields: F) {
  return {
    sort_by: z.optional(
      z
        .enum(fields)
        .check(
          z.describe(
            'The field to order by; created_at (the default) reads an index, the others sort every match in memory by (value, id) and answer 422 too_many_to_sort (query.sort_by) when more than 1,000 match or more than 5,000 items must be read to find them.',
          ),
        ),
    ),
    sort_order: z.optional(z.enum(['asc', 'desc']).check(z.describe('asc or desc; desc (newest or largest first) by default.'))),
  };
}
