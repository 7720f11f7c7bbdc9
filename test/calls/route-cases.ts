import type { DevUser } from '#infra/local/seed.ts';
import { LOCAL_VOICE_AUTH_TOKEN } from '#infra/local/environment.ts';
import { twilioSignature } from '#shared/calls/domain.ts';
import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';
import { recordOf } from '#test/notes/route-cases.ts';

// Calls and texts follow their lead or contact: the matrix calls these routes on calls the
// record's owner logged on their own contact, and expects 404 wherever that owner is out of
// reach. The webhook is public: a correctly signed status callback answers 200.

/** A call the record's owner logged on their own contact. */
async function callOf(f: Fixtures, owner: DevUser): Promise<{ id: string }> {
  const contact = await recordOf(f, 'contacts', owner);
  const res = await f.api('POST', '/calls', { token: owner.token, body: { ...callBody(), ...link(contact) } });
  if (res.status !== 201) throw new Error(`setup POST /calls failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function textOf(f: Fixtures, owner: DevUser): Promise<{ id: string }> {
  const contact = await recordOf(f, 'contacts', owner);
  const res = await f.api('POST', '/text_messages', { token: owner.token, body: { ...textBody(), ...link(contact) } });
  if (res.status !== 201) throw new Error(`setup POST /text_messages failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const link = (r: { resource_type: string; resource_id: string }) => ({
  resource_type: r.resource_type,
  resource_id: r.resource_id,
});
const callBody = () => ({ phone_number: '+14155550100', incoming: true, duration: 30 });
const textBody = () => ({ content: 'Hello', incoming: false, resource_phone_number: '+14155550100' });

/** A signed Twilio status callback of a finished call from an unknown number (a fresh CallSid). */
export function signedStatusCallback(f: Fixtures, from = '+15005550006') {
  const params: Record<string, string> = {
    CallSid: `CA${f.unique()}`,
    CallStatus: 'completed',
    Direction: 'inbound',
    From: from,
    To: '+18005551212',
    CallDuration: '12',
  };
  const path = '/webhooks/twilio';
  return {
    path,
    rawBody: new URLSearchParams(params).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(LOCAL_VOICE_AUTH_TOKEN, `${f.apiUrl}${path}`, params),
    },
  };
}

export const callCases: Record<string, RouteCase> = {
  listCalls: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/calls?contact_id=${(await recordOf(f, 'contacts', owner)).id}&limit=5` }),
  },
  getCall: { kind: 'owned', call: async (f, owner) => ({ path: `/calls/${(await callOf(f, owner)).id}` }) },
  createCall: {
    kind: 'owned',
    call: async (f, owner) => ({ path: '/calls', body: { ...callBody(), ...link(await recordOf(f, 'contacts', owner)) } }),
  },
  updateCall: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/calls/${(await callOf(f, owner)).id}`, body: { summary: 'Talked prices' } }),
  },
  deleteCall: { kind: 'owned', call: async (f, owner) => ({ path: `/calls/${(await callOf(f, owner)).id}` }) },
  listTextMessages: {
    kind: 'owned',
    call: async (f, owner) => ({
      path: `/text_messages?resource_type=contact&resource_id=${(await recordOf(f, 'contacts', owner)).id}`,
    }),
  },
  getTextMessage: { kind: 'owned', call: async (f, owner) => ({ path: `/text_messages/${(await textOf(f, owner)).id}` }) },
  createTextMessage: {
    kind: 'owned',
    call: async (f, owner) => ({
      path: '/text_messages',
      body: { ...textBody(), ...link(await recordOf(f, 'contacts', owner)) },
    }),
  },
  receiveTwilioWebhook: { kind: 'public', call: async (f) => signedStatusCallback(f) },
};
