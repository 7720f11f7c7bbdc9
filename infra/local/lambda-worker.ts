import { enableCompileCache } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import type { HostMessage, WorkerData, WorkerMessage } from './lambda-protocol.ts';

// One local Lambda sandbox: a worker thread whose process.env is only its function's
// environment. It loads the handler module once (the init phase; a throw there is reported
// and the sandbox ends, as Lambda's init error), then runs each event it is sent with a
// Lambda-shaped context and posts back the result or the error.

// Every sandbox compiles the same modules (the SDK above all): V8's on-disk cache makes the
// second and later cold starts cheaper.
enableCompileCache();

const data = workerData as WorkerData;
const port = parentPort!;
const post = (message: WorkerMessage) => port.postMessage(message);

function serialize(error: unknown): { name: string; message: string; stack?: string } {
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { name: 'Error', message: String(error) };
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

async function init(): Promise<Handler> {
  for (const url of data.preload) await import(url);
  const module = (await import(data.entryUrl)) as { handler?: unknown };
  if (typeof module.handler !== 'function') throw new Error(`${data.entry} exports no function named "handler"`);
  return module.handler as Handler;
}

function contextOf(requestId: string, deadline: number): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: data.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${data.region}:${data.accountId}:function:${data.functionName}`,
    memoryLimitInMB: String(data.memorySize),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${data.functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

try {
  const handler = await init();
  port.on('message', (message: HostMessage) => {
    if (message.type !== 'invoke') return;
    const { id, event, requestId, deadline } = message;
    // The handler's own promise, so a synchronous throw is an invocation error too.
    Promise.resolve()
      .then(() => handler(event, contextOf(requestId, deadline)))
      .then(
        (value) => post({ type: 'result', id, value }),
        (error: unknown) => post({ type: 'error', id, error: serialize(error) }),
      );
  });
  post({ type: 'ready' });
} catch (error) {
  // The host ends this worker; the next invocation starts a fresh one, as Lambda re-inits.
  post({ type: 'init-error', error: serialize(error) });
}
