import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// The public RSVP routes in the authorization matrix: each row gets a real token, the one
// the invitation mail to a fresh outside attendee carries (read from the local mail viewer).

async function mailedToken(f: Fixtures): Promise<string> {
  const address = `rsvp-${f.unique()}@outside.example`;
  const start = new Date(Date.now() + 7 * 86_400_000);
  await f.asAdmin('POST', '/appointments', {
    name: 'Matrix invitation',
    start_at: start.toISOString(),
    end_at: new Date(start.getTime() + 3_600_000).toISOString(),
    attendees: [{ type: 'email', email: address }],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { emails } = (await (await fetch(`${f.sesUrl}/store`)).json()) as {
      emails: { destination: { to: string[] }; body: { html?: string } }[];
    };
    const html = emails.find((e) => e.destination.to.some((to) => to.includes(address)))?.body.html;
    const token = html && /\/rsvp\/([A-Za-z0-9_-]{43})\?/.exec(html)?.[1];
    if (token) return token;
    if (Date.now() > deadline) throw new Error(`no invitation mail to ${address}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const invitationCases: Record<string, RouteCase> = {
  getRsvp: { kind: 'public', call: async (f) => ({ path: `/rsvp/${await mailedToken(f)}` }) },
  answerRsvp: {
    kind: 'public',
    call: async (f) => ({ path: `/rsvp/${await mailedToken(f)}`, body: { response: 'tentative' } }),
  },
};
