import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// Runtime schemas use zod/mini: the same checks as classic zod in a tenth of the bundle
// (every Lambda validates its input, and bundle size is cold start). English messages are
// loaded once here, so errors read "Invalid email address", not "Invalid input".
// Import zod as `import * as z from 'zod/mini'` in each module: a namespace passed on as a
// value makes the bundler keep all of zod.
z.config(en());

/** Trimmed, non-empty text of at most `max` characters. */
export const text = (max: number) => z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(max));

export const idSchema = z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be an id (26-character ULID)'));

/** At least one field, for PATCH bodies. */
export const notEmpty = z.refine(
  (v: unknown) => typeof v === 'object' && v !== null && Object.keys(v).length > 0,
  'name at least one field to change',
);
