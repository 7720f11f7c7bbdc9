import { monotonicFactory } from 'ulid';

// ULIDs sort by creation time, so "newest first" is a reverse key order with no extra index.
const next = monotonicFactory();

export function newId(now: number = Date.now()): string {
  return next(now);
}
