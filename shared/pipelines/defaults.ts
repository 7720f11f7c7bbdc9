// The stage categories of a pipeline (F4.2, F5.1): active stages come first, in order; every
// pipeline ends in exactly one won, one lost and one unqualified stage.
export const STAGE_CATEGORIES = ['active', 'won', 'lost', 'unqualified'] as const;
export type StageCategory = (typeof STAGE_CATEGORIES)[number];
export const CLOSED_CATEGORIES = ['won', 'lost', 'unqualified'] as const satisfies readonly StageCategory[];
