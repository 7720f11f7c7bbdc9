// The layer rules of the feature-slice layout (README "Layout"), as an ESLint plugin. A file's
// layer comes from where it sits and what it is called, so the rules hold across every family:
//
//   shared/kernel/**            kernel      pure shared vocabulary: no AWS, no family, no platform
//   shared/platform/**          platform    AWS and HTTP plumbing shared by families: no family
//   shared/<family>/<file>.ts   a slice     its layer from the file name (SLICE_FILES below)
//   shared/app.ts, families.ts  composition registries and roots that list every family
//
// Inside a slice: domain files import only the kernel and domain files; ports add ports;
// use cases add use cases; none of them imports AWS, platform, adapters, routes or runtime.
// A slice reaches another slice only through its domain, ports or use-case files, except
// that adapters may compose other adapters inside one transaction (lead conversion).
import { posix, relative, sep } from 'node:path';

/** The file names every slice may hold, and their layer. */
export const STANDARD_SLICE_FILES = {
  'domain.ts': 'domain',
  'ports.ts': 'ports',
  'use-cases.ts': 'use-cases',
  'dynamodb.ts': 'adapter',
  'routes.ts': 'routes',
  'runtime.ts': 'runtime',
  'errors.ts': 'domain',
};

/** Further files a family needs, by family: the only other names a slice may hold. */
export const EXTRA_SLICE_FILES = {
  calls: {
    'webhook.ts': 'use-cases',
    'connect.ts': 'use-cases',
    'connect-client.ts': 'adapter',
    'backfill.ts': 'adapter',
  },
  identity: {
    'account.ts': 'domain',
    'account-use-cases.ts': 'use-cases',
    'teams.ts': 'use-cases',
    'principals.ts': 'use-cases',
    'directory-sync.ts': 'use-cases',
    'cognito.ts': 'adapter',
  },
  pipelines: {
    'defaults.ts': 'domain',
    'reasons.ts': 'domain',
    'reason-use-cases.ts': 'use-cases',
    'sales-defaults.ts': 'use-cases',
  },
  contacts: { 'details.ts': 'domain', 'status.ts': 'use-cases' },
  deals: { 'board.ts': 'use-cases', 'mover.ts': 'runtime' },
  tasks: { 'reminders.ts': 'domain' },
  search: { 'index-terms.ts': 'adapter' },
  emails: { 'mail-job.ts': 'adapter', 'ses.ts': 'adapter', 'inbound.ts': 'adapter' },
  notifications: {
    'rules.ts': 'domain',
    'rule-use-cases.ts': 'use-cases',
    'rule-store.ts': 'adapter',
    'rule-routes.ts': 'routes',
    'email.ts': 'domain',
    'email-jobs.ts': 'adapter',
  },
  live: { 'apigateway.ts': 'adapter' },
  mail: { 'ses.ts': 'adapter' },
  calendar: { 'ics.ts': 'domain', 'external-ics.ts': 'domain', 'refresh.ts': 'use-cases', 'safe-fetch.ts': 'adapter' },
  mailboxes: {
    'sealer.ts': 'adapter',
    'imap.ts': 'adapter',
    'oauth.ts': 'domain',
    'oauth-client.ts': 'adapter',
    'oauth-store.ts': 'adapter',
  },
  'capture-forms': { 'embed.ts': 'domain' },
  invitations: {
    'itip.ts': 'domain',
    'itip-reply.ts': 'domain',
    'mime.ts': 'domain',
    'mail-job.ts': 'adapter',
    'inbound.ts': 'adapter',
  },
  imports: { 'csv.ts': 'domain' },
  'sell-import': { 'sell-client.ts': 'adapter', 'jobs.ts': 'use-cases' },
};

const COMPOSITION_FILES = new Set(['shared/app.ts', 'shared/families.ts']);
const AWS_PACKAGES = /^(@aws-sdk\/|@aws-lambda-powertools\/|@middy\/|aws-cdk-lib|aws-lambda$|constructs$)/;
const PURE_LAYERS = new Set(['kernel', 'domain', 'ports', 'use-cases']);
const ALIASES = { '#shared/': 'shared/', '#functions/': 'functions/', '#infra/': 'infra/', '#test/': 'test/' };

/**
 * Where a repository path sits: `{ layer, family }`, `{ unknown: reason }` for a slice file
 * of no known name, or undefined outside shared/.
 */
export function placeOf(path) {
  if (!path.startsWith('shared/')) return undefined;
  if (COMPOSITION_FILES.has(path)) return { layer: 'composition' };
  const parts = path.split('/');
  if (parts[1] === 'kernel') return { layer: 'kernel' };
  if (parts[1] === 'platform') return { layer: 'platform' };
  if (parts.length === 2) return { unknown: `shared/ holds only slices, kernel/, platform/, app.ts and families.ts` };
  const family = parts[1];
  if (parts.length > 3) return { family, unknown: `a slice is flat: no folders inside shared/${family}/` };
  const name = parts[2];
  const layer = STANDARD_SLICE_FILES[name] ?? EXTRA_SLICE_FILES[family]?.[name];
  if (!layer) {
    return {
      family,
      unknown: `"${name}" is not a known slice file name (domain, ports, use-cases, dynamodb, routes, runtime, or an extra listed in infra/lint/layers.js)`,
    };
  }
  return { layer, family };
}

/** Why `from` may not import `to` (both repository paths), or undefined when it may. */
export function refusal(from, to) {
  const a = placeOf(from);
  if (!a || a.unknown) return undefined;
  if (!to.startsWith('shared/')) {
    if (/^(functions|infra|test|bench)\//.test(to)) return `shared/ never imports ${to.split('/')[0]}/`;
    return undefined;
  }
  const b = placeOf(to);
  if (!b || b.unknown) return undefined; // the file itself is reported by slice-files
  if (b.layer === 'composition' && a.layer !== 'composition')
    return `${to} lists every family; only functions/, infra/ and tests import it`;
  switch (a.layer) {
    case 'composition':
      return undefined;
    case 'kernel':
      return b.layer === 'kernel' ? undefined : `the kernel imports only the kernel, not ${to}`;
    case 'platform':
      return b.layer === 'kernel' || b.layer === 'platform' ? undefined : `platform/ imports no family (${to})`;
  }
  const allowed = {
    domain: ['kernel', 'domain'],
    ports: ['kernel', 'domain', 'ports'],
    'use-cases': ['kernel', 'domain', 'ports', 'use-cases'],
    routes: ['kernel', 'platform', 'domain', 'ports', 'use-cases'],
    adapter: ['kernel', 'platform', 'domain', 'ports', 'use-cases', 'adapter'],
    runtime: ['kernel', 'platform', 'domain', 'ports', 'use-cases', 'adapter', 'runtime'],
  }[a.layer];
  if (!allowed.includes(b.layer))
    return `${article(a.layer)} ${a.layer} file may not import ${article(b.layer)} ${b.layer} file (${to})`;
  // Across slices: only domain, ports and use cases, plus adapter-to-adapter composition and wiring.
  if (b.family && b.family !== a.family) {
    const crossOk =
      ['domain', 'ports', 'use-cases'].includes(b.layer) ||
      (b.layer === 'adapter' && a.layer === 'adapter') ||
      a.layer === 'runtime';
    if (!crossOk) return `${a.family} reaches ${b.family} only through its domain, ports or use cases (${to})`;
  }
  return undefined;
}

const article = (word) => (/^[aeio]/.test(word) ? 'an' : 'a');

function repoPath(filename, cwd) {
  return relative(cwd, filename).split(sep).join('/');
}

function resolveSpecifier(spec, fromPath) {
  for (const [alias, dir] of Object.entries(ALIASES)) if (spec.startsWith(alias)) return dir + spec.slice(alias.length);
  if (spec.startsWith('./') || spec.startsWith('../')) return posix.normalize(posix.join(posix.dirname(fromPath), spec));
  return undefined;
}

const layersRule = {
  meta: { type: 'problem', docs: { description: 'layer rules of the feature-slice layout' }, schema: [] },
  create(context) {
    const from = repoPath(context.filename, context.cwd);
    const place = placeOf(from);
    if (!place) return {};
    const check = (node) => {
      const spec = node.source?.value;
      if (typeof spec !== 'string') return;
      const pure = PURE_LAYERS.has(place.layer);
      if (pure && AWS_PACKAGES.test(spec)) {
        context.report({ node: node.source, message: `${from} is ${place.layer} code and stays free of AWS (${spec})` });
        return;
      }
      const to = resolveSpecifier(spec, from);
      if (!to) return;
      const why = refusal(from, to);
      if (why) context.report({ node: node.source, message: why });
    };
    return {
      ImportDeclaration: check,
      ExportAllDeclaration: check,
      ExportNamedDeclaration: (node) => node.source && check(node),
      ImportExpression: check,
    };
  },
};

const sliceFilesRule = {
  meta: { type: 'problem', docs: { description: 'a slice holds only known file names' }, schema: [] },
  create(context) {
    const place = placeOf(repoPath(context.filename, context.cwd));
    return {
      Program(node) {
        if (place?.unknown) context.report({ node, message: place.unknown });
      },
    };
  },
};

export const layersPlugin = { rules: { layers: layersRule, 'slice-files': sliceFilesRule } };
