import { ensureWebBuild } from '#infra/local/web-build.ts';

// The e2e files run two or more at a time: the browser tests and `npm start` each build the
// web app when web/dist is stale, and two Vite builds emptying one dist folder at once would
// serve each other half a build. Built once here, before any file starts, they find it fresh.

export default function setup(): void {
  ensureWebBuild((line) => process.stderr.write(`${line}\n`));
}
