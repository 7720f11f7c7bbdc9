import * as z from 'zod/mini';
import { idSchema } from '#shared/kernel/schema.ts';

export const idParams = z.strictObject({ id: idSchema });

export const pageQueryFields = {
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 25),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(4096))),
};

export function pageOf<T extends z.ZodMiniType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.nullable(z.string()) });
}

/** Query-string booleans: "true" / "false" only. */
export const queryBoolean = z.pipe(
  z.enum(['true', 'false']),
  z.transform((v: 'true' | 'false') => v === 'true'),
);
