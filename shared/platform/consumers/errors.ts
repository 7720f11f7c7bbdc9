import type * as z from 'zod/mini';

// Kept apart from the schemas (envelope.ts) so that a consumer with no envelope, such as the
// outbox publisher, does not bundle zod.

/** A delivery that does not parse; `issues` name the fields, never their values. */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[]) {
    super(issues.length > 0 ? `${message}: ${issues.join('; ')}` : message);
    this.issues = issues;
  }
}

/** "path: message" for each issue of a zod error ("(root)" for the value itself). */
export function issuesOf(error: z.core.$ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
}
