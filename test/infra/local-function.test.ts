import { afterEach, describe, expect, it } from 'vitest';
import type { FunctionSpec } from '#infra/functions.ts';
import { LocalFunction, LocalInvocationError } from '#infra/local/local-function.ts';

// A local function's sandbox: a worker thread with only the function's environment, running
// the handler module as Lambda does (init once, events in, results or errors out).

const spec: FunctionSpec = {
  name: 'probe',
  kind: 'event',
  entry: 'test/infra/fixtures/probe-handler.ts',
  description: 'local function probe',
  timeoutSeconds: 1,
  needs: {},
};

const started: LocalFunction[] = [];
function probe(env: Record<string, string> = { PROBE_SETTING: 'on' }, preload?: string[]): LocalFunction {
  const fn = new LocalFunction({
    spec,
    functionName: 'crm-test-probe',
    env,
    region: 'eu-west-1',
    ...(preload ? { preload } : {}),
  });
  started.push(fn);
  return fn;
}
type Answer = { env: Record<string, string>; invocations: number; context: Record<string, unknown> };

afterEach(async () => {
  await Promise.all(started.splice(0).map((fn) => fn.stop()));
});

describe('LocalFunction', () => {
  it("gives the handler exactly the function's environment, never this process's", async () => {
    process.env.HOST_ONLY_SETTING = 'leaks';
    try {
      const answer = await probe({ PROBE_SETTING: 'on', TABLE_NAME: 'crm' }).invoke<Answer>({ action: 'env' });
      expect(answer.env).toEqual({ PROBE_SETTING: 'on', TABLE_NAME: 'crm' });
    } finally {
      delete process.env.HOST_ONLY_SETTING;
    }
  });

  it('passes a Lambda context and keeps the sandbox warm between invocations', async () => {
    const fn = probe();
    const first = await fn.invoke<Answer>({ action: 'env' });
    const second = await fn.handler({ action: 'env' });
    expect(first.context).toMatchObject({
      functionName: 'crm-test-probe',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:crm-test-probe',
      memoryLimitInMB: '1024',
      awsRequestId: expect.any(String),
    });
    expect(first.context.remainingMs).toBeGreaterThan(0);
    expect(first.context.remainingMs).toBeLessThanOrEqual(1000);
    expect((second as Answer).invocations).toBe(2);
    expect((second as Answer).context.awsRequestId).not.toBe(first.context.awsRequestId);
  });

  it("rejects with the handler's error, name and message kept, and stays up", async () => {
    const fn = probe();
    const error = await fn.invoke({ action: 'throw' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalInvocationError);
    expect(error).toMatchObject({ name: 'TypeError', message: 'the probe was asked to throw', phase: 'invoke' });
    expect((await fn.invoke<Answer>({ action: 'env' })).invocations).toBe(2);
  });

  it('fails every invocation with the init error, and tries a fresh init on the next one', async () => {
    const fn = probe({ PROBE_INIT_FAILS: 'true' });
    await expect(fn.start()).rejects.toMatchObject({ phase: 'init', message: expect.stringContaining('PROBE_SETTING') });
    await expect(fn.invoke({ action: 'env' })).rejects.toThrow(/PROBE_SETTING is not set/);
  });

  it('times out as Lambda does, after the spec’s timeout', async () => {
    const fn = probe();
    const started = Date.now();
    await expect(fn.invoke({ action: 'hang' })).rejects.toThrow('crm-test-probe: Task timed out after 1.00 seconds');
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('fails what was running when the runtime exits, and starts a fresh sandbox for the next event', async () => {
    const fn = probe();
    await fn.invoke({ action: 'env' });
    await expect(fn.invoke({ action: 'crash' })).rejects.toThrow('crm-test-probe: the runtime exited (code 3)');
    expect((await fn.invoke<Answer>({ action: 'env' })).invocations).toBe(1);
  });

  it('imports the preload modules inside the sandbox before the handler', async () => {
    const hook = new URL('./fixtures/probe-preload.ts', import.meta.url).href;
    const answer = await probe({ PROBE_SETTING: 'on' }, [hook]).invoke<Answer>({ action: 'env' });
    expect(answer.env.PROBE_PRELOADED).toBe('yes');
  });

  it('refuses invocations once stopped', async () => {
    const fn = probe();
    await fn.stop();
    await expect(fn.invoke({ action: 'env' })).rejects.toThrow('crm-test-probe is stopped');
  });
});
