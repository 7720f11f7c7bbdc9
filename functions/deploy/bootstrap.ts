import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { runRegisteredMigrations } from '#shared/bootstrap/runtime.ts';
import { runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';
import { identityAdapters } from '#shared/identity/runtime.ts';
import { RUNTIME_ENV, requireEnv } from '#shared/platform/runtime-env.ts';
import { bootstrapCompany, repairFirstAdminSignIn } from '#shared/bootstrap/use-cases.ts';
import { CognitoUserDirectory } from '#shared/identity/cognito.ts';
import { seedSalesDefaults, type SalesDefaultsConfig } from '#shared/pipelines/sales-defaults.ts';
import { pipelineAdapters } from '#shared/pipelines/runtime.ts';
import { backfillKeys } from '#shared/pipelines/use-cases.ts';
import { callContext } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';

// Runs on each `cdk deploy` as a CloudFormation custom resource served by this function
// itself (no provider framework, so no extra Lambda with a managed policy): invites the first
// admin from the config when the company has none (the invitation goes out through
// user.created → Cognito), and creates the default pipeline, reasons and sources when there
// are none. Then it checks the first admin's Cognito user itself and repairs it (invites it
// if missing, enables it, restores its admin group; never touches its password), so a lost
// invitation or a new user pool cannot lock the company out. Then it runs the migrations (shared/bootstrap/runtime.ts) until done or until
// MIGRATION_MARGIN_MS before its own timeout: a backfill longer than that pauses at a
// checkpoint and asks the `migrate` function, through the bus, to go on, so the deploy is
// never held past the custom resource's timeout. Every step is idempotent.

/** Time kept back from a run's Lambda timeout: the chunk in flight and the answer to CloudFormation. */
export const MIGRATION_MARGIN_MS = 20_000;

const SYSTEM: Principal = { user_id: 'system', email: '', role: 'admin', direct_reports: [] };

export async function bootstrap(context?: Context): Promise<Record<string, string>> {
  const firstAdmin = JSON.parse(requireEnv(RUNTIME_ENV.firstAdmin)) as { name: string; email: string };
  const defaultPipeline = JSON.parse(requireEnv(RUNTIME_ENV.defaultPipeline)) as SalesDefaultsConfig['default_pipeline'];
  const call = callContext(SYSTEM, 'bootstrap', runtimeClock, runtimeIds);
  const directory = new CognitoUserDirectory({
    client: new CognitoIdentityProviderClient({}),
    userPoolId: requireEnv(RUNTIME_ENV.userPoolId),
  });
  const admin = await bootstrapCompany(identityAdapters(), call, { first_admin: firstAdmin });
  const signIn = await repairFirstAdminSignIn({ users: identityAdapters().users, directory }, { first_admin: firstAdmin });
  const sales = await seedSalesDefaults(pipelineAdapters(), call, { default_pipeline: defaultPipeline });
  // Pipelines made before keys existed get theirs, so that automations can name them.
  const keyed = await backfillKeys(pipelineAdapters(), { ...defaultPipeline });
  const remaining = context?.getRemainingTimeInMillis();
  const reports = await runRegisteredMigrations({
    holder: context?.awsRequestId ?? `bootstrap-${runtimeIds()}`,
    leaseMs: remaining ?? 60_000,
    deadline: remaining !== undefined ? Date.now() + remaining - MIGRATION_MARGIN_MS : undefined,
  });
  const migrations = reports.map((r) => `${r.id}:${r.outcome}`).join(',');
  return { ...admin, ...signIn, ...sales, pipelines_keyed: String(keyed), migrations };
}

export const handler = async (event: CloudFormationCustomResourceEvent, context?: Context): Promise<void> => {
  let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
  let reason = 'ok';
  let data: Record<string, string> = {};
  try {
    if (event.RequestType !== 'Delete') data = { ...(await bootstrap(context)) };
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
