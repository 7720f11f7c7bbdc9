import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { consumerMetrics as metrics, logger } from '#shared/platform/observability.ts';

// What every consumer invocation does around its work: fresh logger keys naming the consumer
// (and the Lambda context when there is one: the local cloud and tests may call without),
// three metrics with one vocabulary for every kind of consumer, flushed at the end.

/** The metrics of every consumer (namespace "crm", dimension service = the function). */
export const CONSUMER_METRICS = {
  /** Deliveries or records handled to the end (a duplicate is not counted here). */
  processed: 'Processed',
  /** Deliveries skipped because their id was handled before. */
  duplicates: 'Duplicates',
  /** Deliveries or records that failed: malformed, or the consumer threw. */
  failures: 'Failures',
} as const;

export type ConsumerMetric = keyof typeof CONSUMER_METRICS;

/** One invocation's counts, added to the metrics once at its end. */
export class Counts {
  readonly #counts: Record<ConsumerMetric, number> = { processed: 0, duplicates: 0, failures: 0 };
  add(metric: ConsumerMetric, n = 1): void {
    this.#counts[metric] += n;
  }
  get(metric: ConsumerMetric): number {
    return this.#counts[metric];
  }
  /** Adds the non-zero counts to the metrics and flushes them (one EMF line). */
  publish(): void {
    let any = false;
    for (const [metric, n] of Object.entries(this.#counts) as [ConsumerMetric, number][]) {
      if (n === 0) continue;
      metrics.addMetric(CONSUMER_METRICS[metric], MetricUnit.Count, n);
      any = true;
    }
    if (any) metrics.publishStoredMetrics();
  }
}

/** Starts an invocation of `consumer`: resets the logger's keys and names the consumer. */
export function startInvocation(consumer: string, context: Context | undefined): Counts {
  logger.resetKeys();
  if (context) logger.addContext(context);
  logger.appendKeys({ consumer });
  return new Counts();
}

/** Ends an invocation: publishes its counts and drops its log keys. */
export function endInvocation(counts: Counts): void {
  try {
    counts.publish();
  } finally {
    logger.resetKeys();
  }
}
