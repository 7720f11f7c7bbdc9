import type { ServiceEndpoints } from '../environment.ts';
import type { AwsScope } from './arns.ts';
import { startIamGate, type ForwardedRequest, type GateDecision, type IamGate } from './gate.ts';
import type { AwsService } from './requests.ts';
import type { FunctionPolicy } from './template-policies.ts';

// Which local endpoints the functions reach through an IAM gate: every one of them. A new
// local service is one line here (TypeScript insists, since the record covers every key of
// ServiceEndpoints).

/** The AWS service (SigV4 signing name) behind each local endpoint the functions call. */
export const GATED_SERVICES: Readonly<Record<keyof ServiceEndpoints, AwsService>> = {
  dynamodb: 'dynamodb',
  eventbridge: 'events',
  ses: 'ses',
  scheduler: 'scheduler',
  cognito: 'cognito-idp',
  sqs: 'sqs',
  secretsmanager: 'secretsmanager',
  apigatewaymanagement: 'execute-api',
  s3: 's3',
  kms: 'kms',
  connect: 'connect',
};

export interface LocalGates {
  /** The same services as the upstreams given, each answered by its gate. */
  readonly endpoints: ServiceEndpoints;
  readonly gates: ReadonlyMap<keyof ServiceEndpoints, IamGate>;
  stop(): Promise<void>;
}

export interface LocalGatesOptions {
  /** The real local services (DynamoDB Local, the bus...). */
  readonly upstreams: ServiceEndpoints;
  readonly scope: AwsScope;
  /** Looked up per request: a test may swap a function's statements in this map. */
  readonly policies: ReadonlyMap<string, FunctionPolicy>;
  readonly onDecision?: (decision: GateDecision) => void;
  readonly onRefusal?: (message: string) => void;
  /** Browser origins the S3 gate answers CORS for (the files bucket's CORS rule). */
  readonly s3CorsOrigins?: readonly string[];
  /** Each request a gate let through, once the service answered (the S3 gate's PUTs raise Object Created locally). */
  readonly onForwarded?: (service: AwsService, request: ForwardedRequest) => void;
}

/** Starts one gate per upstream given; on failure, stops those already started. */
export async function startLocalGates(options: LocalGatesOptions): Promise<LocalGates> {
  const gates = new Map<keyof ServiceEndpoints, IamGate>();
  const stop = async () => {
    await Promise.all([...gates.values()].map((gate) => gate.stop()));
    gates.clear();
  };
  const endpoints: Partial<Record<keyof ServiceEndpoints, string>> = {};
  try {
    for (const [key, upstream] of Object.entries(options.upstreams) as [keyof ServiceEndpoints, string | undefined][]) {
      if (upstream === undefined) continue;
      const service = GATED_SERVICES[key];
      if (!service) throw new Error(`no IAM gate service for the local endpoint "${key}": add it to GATED_SERVICES`);
      const gate = await startIamGate({
        service,
        upstream,
        scope: options.scope,
        policies: options.policies,
        ...(options.onDecision ? { onDecision: options.onDecision } : {}),
        ...(options.onRefusal ? { onRefusal: options.onRefusal } : {}),
        ...(service === 's3' && options.s3CorsOrigins ? { corsOrigins: options.s3CorsOrigins } : {}),
        ...(options.onForwarded ? { onForwarded: (request: ForwardedRequest) => options.onForwarded!(service, request) } : {}),
      });
      gates.set(key, gate);
      endpoints[key] = gate.endpoint;
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoints: endpoints as ServiceEndpoints, gates, stop };
}
