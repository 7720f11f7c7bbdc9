import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

// A loopback stand-in for Zendesk Sell's Core API v2, as its documentation shows it
// (/work/shared/notes/sell-api-reference.md §1): Bearer tokens, `page`/`per_page` (≤ 100),
// collection envelopes `{items: [{data, meta: {type}}], meta: {type: "collection", count,
// links}}` whose next_page is absent or null on the last page, Sell's error envelope with
// `logref` = X-Request-Id, and 429 Too Many Requests with Retry-After when told to throttle.

/** A Sell account's records, by resource name as in the path. */
export interface SellAccount {
  users: Record<string, unknown>[];
  pipelines: Record<string, unknown>[];
  stages: Record<string, unknown>[];
  loss_reasons: Record<string, unknown>[];
  deal_unqualified_reasons: Record<string, unknown>[];
  lead_unqualified_reasons: Record<string, unknown>[];
  lead_sources: Record<string, unknown>[];
  deal_sources: Record<string, unknown>[];
  tags: Record<string, unknown>[];
  custom_fields: { lead: Record<string, unknown>[]; contact: Record<string, unknown>[]; deal: Record<string, unknown>[] };
  contacts: Record<string, unknown>[];
  leads: Record<string, unknown>[];
  deals: Record<string, unknown>[];
  /** By deal id. */
  associated_contacts: Map<number, Record<string, unknown>[]>;
  notes: Record<string, unknown>[];
  tasks: Record<string, unknown>[];
  call_outcomes: Record<string, unknown>[];
  calls: Record<string, unknown>[];
  text_messages: Record<string, unknown>[];
  lead_conversions: Record<string, unknown>[];
}

const SINGULAR: Record<string, string> = {
  users: 'user',
  pipelines: 'pipeline',
  stages: 'stage',
  loss_reasons: 'loss_reason',
  deal_unqualified_reasons: 'deal_unqualified_reason',
  lead_unqualified_reasons: 'lead_unqualified_reason',
  lead_sources: 'lead_source',
  deal_sources: 'deal_source',
  tags: 'tag',
  contacts: 'contact',
  leads: 'lead',
  deals: 'deal',
  notes: 'note',
  tasks: 'task',
  call_outcomes: 'call_outcome',
  calls: 'call',
  text_messages: 'text_message',
  lead_conversions: 'lead_conversion',
};

export interface SellStandIn {
  readonly baseUrl: string;
  /** Every request's path and query, in order. */
  readonly requests: string[];
  /** Answer the next `n` requests 429 with `Retry-After: seconds`. */
  throttle(n: number, seconds: number): void;
  /** How many 429s it answered. */
  readonly throttled: number;
  close(): Promise<void>;
}

const TS = '2024-05-06T07:08:09Z';

/**
 * A Sell account of `size` leads (and about as many of each other kind): ids are large and
 * per resource, as Sell's are, owners spread over three Sell users of whom two have a user
 * here (`known`), plus records this product lacks or skips (restricted notes, a call without
 * a number, a text on a deal).
 */
export function sellAccount(size: number, emails: { known: [string, string]; unknown: string }): SellAccount {
  const users = [
    { id: 9_100_001, name: 'Ada Admin', email: emails.known[0].toUpperCase(), role: 'admin', status: 'active' },
    { id: 9_100_002, name: 'Rita Rep', email: emails.known[1], role: 'user', status: 'active' },
    { id: 9_100_003, name: 'Gone Person', email: emails.unknown, role: 'user', status: 'inactive' },
  ].map((u) => ({ ...u, created_at: TS, updated_at: TS }));
  const owner = (i: number) => users[i % 3]!.id;
  const pipelines = [
    { id: 2_200_001, name: 'Sell New Business', disabled: false },
    { id: 2_200_002, name: 'Sell Renewals', disabled: false },
  ];
  const stages: Record<string, unknown>[] = [];
  let stageId = 3_300_001;
  for (const p of pipelines) {
    const names = ['Incoming', 'Qualified', 'Quote', 'Closure', 'Won', 'Lost'];
    names.forEach((name, i) =>
      stages.push({
        id: stageId++,
        name,
        category: name === 'Won' ? 'won' : name === 'Lost' ? 'lost' : 'incoming',
        active: i < 4,
        likelihood: [10, 25, 50, 75, 100, 0][i],
        position: i + 1,
        pipeline_id: p.id,
      }),
    );
  }
  const named = (base: number, names: string[], extra: Record<string, unknown> = {}) =>
    names.map((name, i) => ({ id: base + i, name, creator_id: users[0]!.id, ...extra, created_at: TS, updated_at: TS }));
  const openStages = stages.filter((s) => s.active);
  const orgCount = Math.ceil(size / 5);
  const contacts: Record<string, unknown>[] = [];
  for (let i = 0; i < orgCount; i++) {
    contacts.push({
      id: 4_400_001 + i,
      is_organization: true,
      name: `Org ${i}`,
      owner_id: owner(i),
      industry: 'Software',
      address: { line1: `${i} Main St`, city: 'Zürich', postal_code: '8000', state: null, country: 'CH' },
      tags: i % 2 ? ['customer'] : [],
      custom_fields: { Tier: i % 3 ? 'Gold' : 'Silver' },
    });
  }
  for (let i = 0; i < size; i++) {
    contacts.push({
      id: 4_500_001 + i,
      is_organization: false,
      first_name: `Pat${i}`,
      last_name: `Person${i}`,
      contact_id: 4_400_001 + (i % orgCount),
      owner_id: owner(i),
      email: `pat${i}@example.org`,
      phone: `+41 44 000 ${String(i).padStart(4, '0')}`,
      custom_fields: {},
    });
  }
  const leads = Array.from({ length: size }, (_, i) => ({
    id: 5_500_001 + i,
    first_name: `Lee${i}`,
    last_name: `Lead${i}`,
    organization_name: i % 4 ? `Prospect ${i}` : null,
    status: ['New', 'Working', 'Unqualified', 'Converted'][i % 4],
    unqualified_reason_id: i % 4 === 2 ? 6_600_101 : null,
    source_id: i % 5 === 0 ? 6_600_201 : null,
    owner_id: owner(i),
    email: `lee${i}@example.net`,
    tags: i % 3 ? ['webinar'] : [],
    custom_fields: i % 2 ? { Budget: String(1000 + i), Region: { id: 1, name: 'EMEA' } } : {},
  }));
  const dealCount = Math.ceil(size / 2);
  const deals = Array.from({ length: dealCount }, (_, i) => ({
    id: 7_700_001 + i,
    name: `Deal ${i}`,
    value: i % 2 ? 1000 + i : `${1000 + i}.50`,
    currency: 'EUR',
    hot: i % 7 === 0,
    stage_id: openStages[i % openStages.length]!.id,
    contact_id: 4_500_001 + (i % size),
    source_id: i % 3 === 0 ? 6_600_301 : null,
    owner_id: owner(i),
    estimated_close_date: '2025-03-31',
    tags: ['q1'],
    custom_fields: i % 2 ? { Channel: 'Partner' } : {},
  }));
  const associated_contacts = new Map<number, Record<string, unknown>[]>();
  deals.forEach((d, i) => {
    if (i % 2 === 0) {
      const links = [{ contact_id: 4_500_001 + ((i + 1) % size), role: 'Decision maker' }];
      if (i % 4 === 0) links.push({ contact_id: 4_500_001 + ((i + 2) % size), role: 'Champion' });
      associated_contacts.set(
        d.id,
        links.map((l) => ({ ...l, created_at: TS, updated_at: TS })),
      );
    }
  });
  const kinds = ['lead', 'contact', 'deal'] as const;
  const targetOf = (i: number) => {
    const kind = kinds[i % 3]!;
    const id =
      kind === 'lead'
        ? leads[i % leads.length]!.id
        : kind === 'contact'
          ? contacts[i % contacts.length]!.id
          : deals[i % dealCount]!.id;
    return { resource_type: kind, resource_id: id };
  };
  const notes = Array.from({ length: size }, (_, i) => ({
    id: 8_800_001 + i,
    content: `Note ${i}: called, left a message`,
    ...targetOf(i),
    creator_id: owner(i),
    is_important: false,
    type: i % 50 === 49 ? 'restricted' : 'regular',
    tags: [],
    created_at: TS,
    updated_at: TS,
  }));
  const tasks = Array.from({ length: Math.ceil(size / 2) }, (_, i) => ({
    id: 8_900_001 + i,
    content: `Task ${i}`,
    ...(i % 5 === 4 ? { resource_type: null, resource_id: null } : targetOf(i)),
    owner_id: owner(i),
    completed: i % 3 === 0,
    due_date: '2025-02-01T10:00:00Z',
    remind_at: null,
    created_at: TS,
    updated_at: TS,
  }));
  // Calls on leads and contacts (some also on deals, some unmatched), every tenth without an
  // outcome, the last without a number (skipped: a call here has one).
  const callOutcomes = named(6_600_501, ['Interested', 'Call back later']);
  const calls = Array.from({ length: Math.ceil(size / 5) }, (_, i) => {
    const kind = i % 3 === 2 ? null : i % 3 === 0 ? 'lead' : 'contact';
    return {
      id: 9_200_001 + i,
      user_id: owner(i),
      phone_number: i === Math.ceil(size / 5) - 1 ? null : `+41 44 555 ${String(i).padStart(4, '0')}`,
      duration: 30 + i,
      incoming: i % 2 === 0,
      missed: i % 4 === 1,
      outcome_id: i % 10 === 9 ? null : callOutcomes[i % 2]!.id,
      summary: `Call ${i}`,
      recording_url: i % 2 ? `https://recordings.example/${i}.mp3` : null,
      resource_type: kind,
      resource_id: kind === 'lead' ? leads[i % leads.length]!.id : kind === 'contact' ? contacts[i % contacts.length]!.id : null,
      associated_deal_ids: i % 4 === 0 ? [deals[i % dealCount]!.id] : [],
      made_at: `2024-05-06T07:${String(i % 60).padStart(2, '0')}:00Z`,
      external_id: null,
      created_at: TS,
      updated_at: TS,
    };
  });
  // Texts: on leads, contacts or none; the last on a deal (skipped: texts here are on a lead or contact).
  const textCount = Math.ceil(size / 10);
  const texts = Array.from({ length: textCount }, (_, i) => {
    const kind = i === textCount - 1 ? 'deal' : ['lead', 'contact', 'none'][i % 3]!;
    const target =
      kind === 'lead'
        ? leads[i % leads.length]!.id
        : kind === 'contact'
          ? contacts[i % contacts.length]!.id
          : kind === 'deal'
            ? deals[0]!.id
            : null;
    return {
      id: 9_300_001 + i,
      user_id: owner(i),
      content: `Text ${i}`,
      incoming: i % 2 === 1,
      resource_type: kind,
      resource_id: target,
      resource_phone_number: `+41 79 555 ${String(i).padStart(4, '0')}`,
      user_phone_number: '+41 44 999 0000',
      associated_deal_ids: [],
      sent_at: TS,
      created_at: TS,
      updated_at: TS,
    };
  });
  return {
    users,
    pipelines: pipelines.map((p) => ({ ...p, created_at: TS, updated_at: TS })),
    stages: stages.map((s) => ({ ...s, created_at: TS, updated_at: TS })),
    loss_reasons: named(6_600_001, ['Too expensive', 'Went with a competitor']),
    deal_unqualified_reasons: named(6_600_051, ['No budget']),
    lead_unqualified_reasons: named(6_600_101, ['Not a fit', 'Student']),
    lead_sources: named(6_600_201, ['Website', 'Referral'], { resource_type: 'lead' }),
    // "Website" again: one list here, so this id names the lead source's entry as well.
    deal_sources: named(6_600_301, ['Partner', 'Website'], { resource_type: 'deal' }),
    tags: named(6_600_401, ['customer', 'webinar', 'q1'], { resource_type: 'lead' }),
    custom_fields: {
      lead: [
        { id: 1_100_001, name: 'Budget', type: 'number' },
        {
          id: 1_100_002,
          name: 'Region',
          type: 'list',
          choices: [
            { id: 1, name: 'EMEA' },
            { id: 2, name: 'AMER' },
          ],
        },
      ],
      contact: [{ id: 1_100_101, name: 'Tier', type: 'string', for_company: true, for_contact: true }],
      deal: [{ id: 1_100_201, name: 'Channel', type: 'string' }],
    },
    contacts,
    leads,
    deals,
    associated_contacts,
    notes,
    tasks,
    call_outcomes: callOutcomes,
    calls,
    text_messages: texts,
    // Converted leads: one into a person, their organisation and a deal; one into an organisation
    // only; and one naming a lead Sell no longer has (skipped).
    lead_conversions: [
      ...leads
        .filter((l) => l.status === 'Converted')
        .slice(0, 2)
        .map((lead, i) => ({
          id: 9_400_001 + i,
          lead_id: lead.id,
          individual_id: i === 0 ? 4_500_001 + 3 : null,
          organization_id: 4_400_001 + (i % orgCount),
          deal_id: i === 0 ? deals[0]!.id : null,
          creator_id: users[0]!.id,
          created_at: TS,
        })),
      { id: 9_400_099, lead_id: 5_599_999, individual_id: 4_500_001, organization_id: null, deal_id: null, created_at: TS },
    ],
  };
}

function send(res: ServerResponse, status: number, body: unknown, requestId: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId, ...headers });
  res.end(JSON.stringify(body));
}

const PHRASES: Record<number, string> = {
  401: 'Unauthorized',
  404: 'Not Found',
  406: 'Not Acceptable',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
};

function errorBody(status: number, code: string, message: string, requestId: string) {
  return {
    errors: [{ error: { code, message }, meta: { type: 'error', links: { more_info: 'https://developers.getbase.com' } } }],
    meta: { type: 'errors', http_status: `${status} ${PHRASES[status] ?? 'Error'}`, logref: requestId },
  };
}

/** Starts the stand-in on 127.0.0.1 (a free port) serving `account` to `token`. */
export async function startSellStandIn(account: SellAccount, token: string): Promise<SellStandIn> {
  const requests: string[] = [];
  let throttled = 0;
  let served429 = 0;
  let retryAfter = 1;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${url.pathname}${url.search}`);
    if (req.headers.authorization !== `Bearer ${token}`) {
      return send(res, 401, errorBody(401, 'unauthorized', 'Invalid access token', requestId), requestId);
    }
    if (throttled > 0) {
      throttled--;
      served429++;
      return send(res, 429, errorBody(429, 'rate_limit_exceeded', 'Too many requests', requestId), requestId, {
        'retry-after': String(retryAfter),
      });
    }
    if (req.method !== 'GET') return send(res, 404, errorBody(404, 'not_found', 'Not found', requestId), requestId);
    const page = Number(url.searchParams.get('page') ?? '1');
    const perPage = Number(url.searchParams.get('per_page') ?? '25');
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
      return send(res, 422, errorBody(422, 'invalid_argument', 'per_page must be 1 to 100', requestId), requestId);
    }
    const parts = url.pathname
      .replace(/\.json$/, '')
      .split('/')
      .filter(Boolean);
    if (parts[0] !== 'v2') return send(res, 404, errorBody(404, 'not_found', 'Not found', requestId), requestId);
    let type: string;
    let all: Record<string, unknown>[];
    if (parts.length === 3 && parts[2] === 'custom_fields' && parts[1]! in account.custom_fields) {
      type = 'custom_field';
      all = account.custom_fields[parts[1] as 'lead'];
    } else if (parts.length === 4 && parts[1] === 'deals' && parts[3] === 'associated_contacts') {
      type = 'associated_contact';
      all = account.associated_contacts.get(Number(parts[2])) ?? [];
    } else if (parts.length === 2 && parts[1]! in SINGULAR) {
      type = SINGULAR[parts[1]!]!;
      all = (account as unknown as Record<string, Record<string, unknown>[]>)[parts[1]!]!;
      for (const [key, value] of url.searchParams) {
        if (['page', 'per_page', 'sort_by'].includes(key)) continue;
        all = all.filter((r) => String(r[key]) === value);
      }
      all = [...all].sort((a, b) => Number(a.id) - Number(b.id));
    } else {
      return send(res, 404, errorBody(404, 'not_found', `Unknown resource ${url.pathname}`, requestId), requestId);
    }
    const items = all.slice((page - 1) * perPage, page * perPage);
    const link = (p: number) => {
      const q = new URLSearchParams(url.searchParams);
      q.set('page', String(p));
      q.set('per_page', String(perPage));
      return `http://${req.headers.host}${url.pathname}?${q.toString()}`;
    };
    const more = page * perPage < all.length;
    const links: Record<string, string | null> = { self: link(page), first_page: link(1) };
    if (page > 1) links.prev_page = link(page - 1);
    // Sell's samples show both: next_page absent, or null, on the last page.
    if (more) links.next_page = link(page + 1);
    else if (type !== 'contact') links.next_page = null;
    return send(
      res,
      200,
      { items: items.map((data) => ({ data, meta: { type } })), meta: { type: 'collection', count: items.length, links } },
      requestId,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    throttle(n, seconds) {
      throttled = n;
      retryAfter = seconds;
    },
    get throttled() {
      return served429;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
