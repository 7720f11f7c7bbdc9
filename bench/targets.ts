import type { Verdict } from './stats.ts';

// The "DynamoDB requests per API call" targets of ENGINEERING.md as data: what a route of a
// kind may send, judged on the route's own requests (the principal lookup and the
// idempotency record are counted apart). Pure, unit-tested with the stats helpers.

export type RequestTarget =
  /** Reads one record: exactly one GetItem. */
  | { kind: 'get' }
  /** One page of a list: one Query per owner in the caller's scope (default 1), nothing else. */
  | { kind: 'list'; owners?: number }
  /** A change: exactly one TransactWriteItems and no write outside it (reads before it are shown). */
  | { kind: 'write' }
  /** A dashboard: at most `max` requests in all. */
  | { kind: 'dashboard'; max: number };

const NON_TRANSACTIONAL_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

export function describeTarget(target: RequestTarget): string {
  switch (target.kind) {
    case 'get':
      return '1 GetItem';
    case 'list':
      return `≤ ${target.owners ?? 1} Query`;
    case 'write':
      return '1 TransactWriteItems';
    case 'dashboard':
      return `≤ ${target.max} requests`;
  }
}

/** Judges the operations (GetItem, Query...) a route sent itself against its target. A Scan always fails. */
export function judgeRequests(target: RequestTarget, operations: readonly string[]): Verdict {
  if (operations.includes('Scan')) return 'FAIL';
  const count = (operation: string) => operations.filter((o) => o === operation).length;
  switch (target.kind) {
    case 'get':
      return operations.length === 1 && count('GetItem') === 1 ? 'PASS' : 'FAIL';
    case 'list':
      return operations.length === count('Query') && count('Query') <= (target.owners ?? 1) ? 'PASS' : 'FAIL';
    case 'write':
      return count('TransactWriteItems') === 1 && !operations.some((o) => NON_TRANSACTIONAL_WRITES.has(o)) ? 'PASS' : 'FAIL';
    case 'dashboard':
      return operations.length <= target.max ? 'PASS' : 'FAIL';
  }
}

/** "2 GetItem + 1 Query" in first-seen order; "–" for none. */
export function summarizeOperations(operations: readonly string[]): string {
  if (operations.length === 0) return '–';
  const counts = new Map<string, number>();
  for (const operation of operations) counts.set(operation, (counts.get(operation) ?? 0) + 1);
  return [...counts].map(([operation, n]) => `${n} ${operation}`).join(' + ');
}

/** Capacity units with up to two decimals ("1", "0.5", "2.25"); "–" when none were reported. */
export function formatCapacity(units: number | undefined): string {
  if (units === undefined) return '–';
  return String(Math.round(units * 100) / 100);
}
