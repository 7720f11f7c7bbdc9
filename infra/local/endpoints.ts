import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Where a running local cloud listens: written to the data folder at start, so that tools in
// another process (`npm run redrive -- --local`, the crash test) find DynamoDB Local, the bus
// and the SQS stand-in, whose ports are picked free at each start.

/** The local cloud's services, as SDK endpoints, and the resource names it uses. */
export interface LocalEndpoints {
  http: string;
  /** The live notifications WebSocket API (ws://...); absent in files of older versions. */
  websocket?: string;
  dynamodb: string;
  eventbridge: string;
  sqs: string;
  region: string;
  table: string;
  bus: string;
  /** The process serving them (`npm start`). */
  pid: number;
}

const FILE = 'endpoints.json';

export function writeLocalEndpoints(dataDir: string, endpoints: LocalEndpoints): void {
  const file = join(dataDir, FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(endpoints, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/**
 * The endpoints of the local cloud that last started on `dataDir`.
 * @throws Error when none ever started there.
 */
export function readLocalEndpoints(dataDir: string): LocalEndpoints {
  const file = join(dataDir, FILE);
  if (!existsSync(file)) throw new Error(`no local cloud has run on ${dataDir} (${file} is missing): start it with npm start`);
  return JSON.parse(readFileSync(file, 'utf8')) as LocalEndpoints;
}
