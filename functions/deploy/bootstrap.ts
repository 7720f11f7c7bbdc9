import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';
import { identityAdapters } from '#shared/identity/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { bootstrapCompany } from '#shared/bootstrap/use-cases.ts';
import { seedSalesDefaults, type SalesDefaultsConfig } from '#shared/pipelines/sales-defaults.ts';
import { pipelineAdapters } from '#shared/pipelines/runtime.ts';
import { backfillKeys } from '#shared/pipelines/use-cases.ts';
import { callContext } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';

// Runs on each `cdk deploy` as a CloudFormation custom resource served by this function
// itself (no provider framework, so no extra Lambda with a managed policy): invites the first
// admin from the config when the company has none (the invitation goes out through
// user.created → Cognito), and creates the default pipeline, reasons and sources when there
// are none. Every step is idempotent.

const SYSTEM: Principal = { user_id: 'system', email: '', role: 'admin', direct_reports: [] };

export async function bootstrap(): Promise<Record<string, string>> {
  const firstAdmin = JSON.parse(requireEnv(RUNTIME_ENV.firstAdmin)) as { name: string; email: string };
  const defaultPipeline = JSON.parse(requireEnv(RUNTIME_ENV.defaultPipeline)) as SalesDefaultsConfig['default_pipeline'];
  const call = callContext(SYSTEM, 'bootstrap', runtimeClock, runtimeIds);
  const admin = await bootstrapCompany(identityAdapters(), call, { first_admin: firstAdmin });
  const sales = await seedSalesDefaults(pipelineAdapters(), call, { default_pipeline: defaultPipeline });
  // Pipelines made before keys existed get theirs, so that automations can name them.
  const keyed = await backfillKeys(pipelineAdapters(), { ...defaultPipeline });
  return { ...admin, ...sales, pipelines_keyed: String(keyed) };
}

export const handler = async (event: CloudFormationCustomResourceEvent): Promise<void> => {
  let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
  let reason = 'ok';
  let data: Record<string, string> = {};
  try {
    if (event.RequestType !== 'Delete') data = { ...(await bootstrap()) };
  } catch (error) {
    status = 'FAILED';
    reason = (error as Error).message.slice(0, 500);
  }
  // CloudFormation waits for this answer at the pre-signed URL it gave.
  const response = await fetch(event.ResponseURL, {
    method: 'PUT',
    headers: { 'content-type': '' },
    body: JSON.stringify({
      Status: status,
      Reason: reason,
      PhysicalResourceId: 'crm-bootstrap',
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      Data: data,
    }),
  });
  if (!response.ok) throw new Error(`CloudFormation did not take the answer: ${response.status}`);
};
