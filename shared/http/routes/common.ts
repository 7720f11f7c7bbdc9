import { z } from 'zod';
import { idSchema } from '#shared/domain/users.ts';

export const idParams = z.strictObject({ id: idSchema });

export const pageQueryFields = {
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().min(1).max(4096).optional(),
};

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

/** Query-string booleans: "true" / "false" only. */
export const queryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');
