import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

// Module singletons: created once per Lambda container, reused by every invocation.
// Service name and log level come from the POWERTOOLS_* variables CrmFunction sets.
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'crm' });
export const metrics = new Metrics({ namespace: 'crm', serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'crm' });
