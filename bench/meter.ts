import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

// Counts the DynamoDB requests of a process by SDK middleware on the process's one client
// (shared/platform/dynamodb/client.ts), so the handlers run unchanged. Each request is put in
// a phase: the principal lookup (marked by the caller through `inPhase`), the idempotency
// record (Powertools keeps it under a static partition key), or the route's own work.

export type Phase = 'principal' | 'idempotency' | 'route';

export interface MeteredRequest {
  /** The DynamoDB operation: GetItem, Query, TransactWriteItems... */
  readonly operation: string;
  readonly phase: Phase;
  /** Capacity units DynamoDB reported (all tables of a transaction summed). */
  readonly capacity: number | undefined;
  /** Items a Query evaluated (its ScannedCount, kept or filtered out); undefined for other operations. */
  readonly scanned?: number | undefined;
  readonly failed: boolean;
}

const MIDDLEWARE_NAME = 'crmBenchRequestMeter';

export class RequestMeter {
  readonly #phase = new AsyncLocalStorage<Phase>();
  readonly #idempotencyPk: string;
  #records: MeteredRequest[] = [];

  constructor(options: { idempotencyPk: string }) {
    this.#idempotencyPk = options.idempotencyPk;
  }

  /** Adds the counting middleware; answers the function that removes it. */
  attach(client: DynamoDBDocumentClient): () => void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, unknown>;
        // Every request reports its capacity, also those that do not ask (Powertools').
        input.ReturnConsumedCapacity ??= 'TOTAL';
        const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
        const phase: Phase = partitionKeyOf(input) === this.#idempotencyPk ? 'idempotency' : (this.#phase.getStore() ?? 'route');
        try {
          const result = await next(args);
          const output = result.output as { ConsumedCapacity?: unknown; ScannedCount?: number };
          this.#records.push({
            operation,
            phase,
            capacity: capacityOf(output.ConsumedCapacity),
            scanned: output.ScannedCount,
            failed: false,
          });
          return result;
        } catch (error) {
          this.#records.push({ operation, phase, capacity: undefined, failed: true });
          throw error;
        }
      },
      { step: 'initialize', name: MIDDLEWARE_NAME, override: true },
    );
    return () => {
      client.middlewareStack.remove(MIDDLEWARE_NAME);
    };
  }

  /** Requests sent while `run` runs (in its async context) count in `phase`. */
  inPhase<T>(phase: Phase, run: () => Promise<T>): Promise<T> {
    return this.#phase.run(phase, run);
  }

  /** The requests counted since the last call, oldest first. */
  take(): MeteredRequest[] {
    const records = this.#records;
    this.#records = [];
    return records;
  }
}

/** The partition key of the request's Key or Item, document (string) or low-level ({ S }) form. */
function partitionKeyOf(input: Record<string, unknown>): string | undefined {
  const record = (input.Key ?? input.Item) as Record<string, unknown> | undefined;
  const pk = record?.pk;
  if (typeof pk === 'string') return pk;
  if (pk && typeof pk === 'object' && typeof (pk as { S?: unknown }).S === 'string') return (pk as { S: string }).S;
  return undefined;
}

function capacityOf(consumed: unknown): number | undefined {
  if (consumed === undefined || consumed === null) return undefined;
  const list = (Array.isArray(consumed) ? consumed : [consumed]) as { CapacityUnits?: number }[];
  if (list.every((c) => c.CapacityUnits === undefined)) return undefined;
  return list.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
}
