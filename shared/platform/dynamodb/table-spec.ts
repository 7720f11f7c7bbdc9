// The single table, described once. CDK (infra/stateful-stack.ts) and the local cloud
// (infra/local/dynamodb-local.ts) both build the table from this object, so the keys and
// indexes cannot drift between AWS and a laptop.
//
// Overloaded, sparse GSIs: each record kind decides what it projects into which index, in
// its family's dynamodb.ts (an index object naming its partitions; see partitions.ts). Their
// roles, fixed for every kind (INDEX names them):
//   gsi1  scope "own":    pk "<collection>#<owner_id>"            sk list order (ULID, due time...)
//   gsi2  scope "all":    pk "<collection>"                        sk list order
//   gsi3  relation:       pk "<relation>#<parent_id>"              sk list order
//   gsi4  relation+owner: pk "<relation>#<parent_id>#<owner_id>"   sk list order
//   gsi5  second relation of a kind (e.g. deals by primary contact, users by team)
//   gsi6  third relation of a kind (e.g. deals by organisation)
// Lists for a manager fan out one gsi1/gsi4 query per owner in scope (README: "Visibility").

export interface IndexSpec {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export const tableSpec = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; outbox events and idempotency records expire through TTL. */
  timeToLiveAttribute: 'expires_at',
  /** Item kind; the stream filter selects outbox events by it. */
  kindAttribute: 'kind',
  streamViewType: 'NEW_AND_OLD_IMAGES',
  globalSecondaryIndexes: [
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    { indexName: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
    { indexName: 'gsi4', partitionKey: 'gsi4pk', sortKey: 'gsi4sk' },
    { indexName: 'gsi5', partitionKey: 'gsi5pk', sortKey: 'gsi5sk' },
    { indexName: 'gsi6', partitionKey: 'gsi6pk', sortKey: 'gsi6sk' },
  ] as const satisfies readonly IndexSpec[],
} as const;

export type IndexName = (typeof tableSpec.globalSecondaryIndexes)[number]['indexName'];

/** The GSIs by role (see the header): family code names an index by what it is for. */
export const INDEX = {
  /** Scope "own": a collection per owner. */
  owner: 'gsi1',
  /** Scope "all": the whole collection (admins). */
  all: 'gsi2',
  /** A relation: the children of a parent. */
  relation: 'gsi3',
  /** A relation per owner: the children of a parent that one owner holds. */
  relationOwner: 'gsi4',
  /** A kind's second relation. */
  secondRelation: 'gsi5',
  /** A kind's third relation. */
  thirdRelation: 'gsi6',
} as const satisfies Record<string, IndexName>;

/** The key attributes of one index (e.g. gsi3: gsi3pk, gsi3sk). */
export function indexAttributes(index: IndexName): { partitionKey: string; sortKey: string } {
  const spec = tableSpec.globalSecondaryIndexes.find((i) => i.indexName === index);
  if (!spec) throw new Error(`no index ${index}`);
  return { partitionKey: spec.partitionKey, sortKey: spec.sortKey };
}

/** Every key attribute (table and indexes): stripped from items before they leave the adapter. */
export const KEY_ATTRIBUTES: readonly string[] = [
  tableSpec.partitionKey,
  tableSpec.sortKey,
  ...tableSpec.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
];

/** Outbox event items: the only stream records the publisher sees. */
export const OUTBOX_KIND = 'event';
/**
 * How long an outbox item stays in the table (seconds from its write): the stream keeps a
 * record 24 h, but `npm run redrive` republishes from the table, so a week of events stays
 * replayable after a consumer bug or an on-failure queue is found late.
 */
export const OUTBOX_TTL_SECONDS = 7 * 24 * 60 * 60;

/**
 * Lambda event-source filter for the table stream: new outbox items only. The local stream
 * poller applies the same pattern with the local EventBridge matcher.
 */
export const outboxStreamFilter = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { [tableSpec.kindAttribute]: { S: [OUTBOX_KIND] } } },
} as const;
