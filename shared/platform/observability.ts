import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

// Module singletons: created once per Lambda container, reused by every invocation.
// Service name and log level come from the POWERTOOLS_* variables CrmFunction sets.
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'crm';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ namespace: 'crm', serviceName });

/**
 * The consumers' metrics (platform/consumers/): they add and flush in one synchronous step, so
 * where handlers share a process (the local cloud) they never flush what an HTTP handler has
 * stored but not yet published, nor the reverse.
 */
export const consumerMetrics = new Metrics({ namespace: 'crm', serviceName });
