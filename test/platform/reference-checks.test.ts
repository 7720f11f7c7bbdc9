import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '#shared/kernel/events.ts';
import {
  DeleteCascade,
  organizationCheck,
  ownerInScope,
  recordExistsCheck,
  type Detachment,
} from '#shared/platform/dynamodb/reference-checks.ts';
import type { Table, WriteOp } from '#shared/platform/dynamodb/table.ts';
import { ConflictError, type ValidationError } from '#shared/kernel/errors.ts';

// The reference checks a write makes against the caller's scope, and the delete cascade's
// batching, without a table: what they build and in which transactions they write.

const scope = (n: number) => ({ kind: 'owners' as const, owner_ids: Array.from({ length: n }, (_, i) => `u${i}`) });

describe('ownerInScope', () => {
  it("is nothing for everyone's scope, one IN for a small one, OR-ed groups of 100 past that", () => {
    expect(ownerInScope({ kind: 'all' })).toBeNull();
    expect(ownerInScope(undefined)).toBeNull();
    expect(ownerInScope(scope(2))).toEqual({
      condition: 'owner_id IN (:scope0, :scope1)',
      values: { ':scope0': 'u0', ':scope1': 'u1' },
    });
    const big = ownerInScope(scope(150))!;
    expect(big.condition).toMatch(/^\(owner_id IN \(:scope0, .*:scope99\) OR owner_id IN \(:scope100, .*:scope149\)\)$/);
    expect(Object.keys(big.values)).toHaveLength(150);
    expect(ownerInScope(scope(0))?.condition).toBe('attribute_not_exists(pk)');
  });
});

describe('reference checks', () => {
  const messageOf = (op: WriteOp, current?: Record<string, unknown>) =>
    op.type === 'check' ? (op.onConflict(current) as ValidationError).problems : undefined;

  it('fail alike for a missing record and one out of scope; a visible person is named as one', () => {
    const mine = scope(1);
    const check = recordExistsCheck('contact', 'C', 'body.contact_id', mine);
    expect(check).toMatchObject({ condition: 'attribute_exists(pk) AND owner_id IN (:scope0)' });
    expect(messageOf(check, undefined)).toEqual(messageOf(check, { owner_id: 'other' }));
    const org = organizationCheck('O', 'body.organization_id', mine);
    expect(messageOf(org, undefined)).toEqual([
      { field: 'body.organization_id', message: 'no organisation contact O', code: 'unknown_reference' },
    ]);
    expect(messageOf(org, { owner_id: 'other', is_organization: false })).toEqual(messageOf(org, undefined));
    expect(messageOf(org, { owner_id: 'u0', is_organization: false })).toEqual([
      { field: 'body.organization_id', message: 'contact O is a person, not an organisation', code: 'invalid' },
    ]);
  });
});

describe('DeleteCascade', () => {
  const detachment = (i: number): Detachment => ({
    key: `r${i}`,
    ops: [{ type: 'remove', key: { pk: `r#${i}`, sk: 'r' } }],
    event: { metadata: { event_id: `e${i}` } } as DomainEvent,
  });

  function fakeTable() {
    const writes: number[] = [];
    const table = { write: async (ops: WriteOp[], events: DomainEvent[] = []) => void writes.push(ops.length + events.length) };
    return { table: table as unknown as Table, writes };
  }

  it('answers what fits for the delete, writing nothing', async () => {
    const { table, writes } = fakeTable();
    const cascade = new DeleteCascade(table, async () => [detachment(1), detachment(2)]);
    const rest = await cascade.fitting(10);
    expect([rest.ops.length, rest.events.length, writes]).toEqual([2, 2, []]);
  });

  it('writes what does not fit first, in transactions of at most 100 writes, and handles each record once', async () => {
    const { table, writes } = fakeTable();
    let reads = 0;
    const all = Array.from({ length: 120 }, (_, i) => detachment(i));
    // The first read sees 120 records, later ones (an index lagging) the same again.
    const cascade = new DeleteCascade(table, async () => (reads++ === 0 ? all : all.slice(0, 30)));
    const rest = await cascade.fitting(20);
    expect(writes).toEqual([100, 100, 40]);
    expect(rest.ops).toEqual([]);
    await cascade.sweep();
    expect(writes).toHaveLength(3);
  });

  it('reads again, after the delete, a record that changed meanwhile, and gives up after three rounds', async () => {
    let attempts = 0;
    const flaky = {
      write: async () => {
        if (attempts++ === 0) throw new ConflictError('changed meanwhile', { code: 'concurrent_change' });
      },
    } as unknown as Table;
    const sweeping = new DeleteCascade(flaky, async () => (attempts < 2 ? [detachment(4)] : []));
    await sweeping.sweep();
    expect(attempts).toBe(2);
    const broken = {
      write: async () => Promise.reject(new ConflictError('always', { code: 'concurrent_change' })),
    } as unknown as Table;
    await expect(new DeleteCascade(broken, async () => [detachment(5)]).sweep()).rejects.toBeInstanceOf(ConflictError);
  });

  it('sweeps what a concurrent write linked before the delete landed', async () => {
    const { table, writes } = fakeTable();
    let reads = 0;
    const cascade = new DeleteCascade(table, async () => (reads++ < 1 ? [] : [detachment(7)]));
    await cascade.fitting(50);
    await cascade.sweep();
    expect(writes).toEqual([2]);
  });
});
