import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

// A fresh Node process standing in for a Lambda sandbox: it imports one synthesized bundle
// (argv[2], an asset's index.mjs) under the environment it was spawned with, then runs the
// events it reads from stdin (one JSON line each) and answers each on fd 3, one JSON line:
// {"type":"ready"} or {"type":"init-error"} first, then {"type":"result"} or {"type":"error"}.
// stdout and stderr stay the function's own logs.

const answers = createWriteStream('', { fd: 3 });
const answer = (message: Record<string, unknown>) => answers.write(`${JSON.stringify(message)}\n`);
const serialize = (error: unknown) =>
  error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };

type Handler = (event: unknown, context: Record<string, unknown>) => Promise<unknown>;

let handler: Handler;
try {
  const module = (await import(pathToFileURL(process.argv[2]!).href)) as { handler?: Handler };
  if (typeof module.handler !== 'function') throw new Error('the bundle exports no handler');
  handler = module.handler;
  answer({ type: 'ready' });
} catch (error) {
  answer({ type: 'init-error', error: serialize(error) });
  answers.end(() => process.exit(1));
  await new Promise(() => undefined);
}

const name = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'function';
let requests = 0;
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const deadline = Date.now() + 60_000;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${name}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '1024',
    awsRequestId: `request-${++requests}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    answer({ type: 'result', value: (await handler!(JSON.parse(line), context)) ?? null });
  } catch (error) {
    answer({ type: 'error', error: serialize(error) });
  }
}
answers.end();
