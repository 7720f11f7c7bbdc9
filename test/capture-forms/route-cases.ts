import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// Capture forms: admins only for the definitions; the embed and the submission are public
// (every caller, and no token, gets the same answer). The forms are the admin's, owned by the
// admin, with no minimum fill time so a submission right after the embed passes.

/** A form the admin made. */
export async function formOf(f: Fixtures): Promise<{ id: string }> {
  return f.asAdmin('POST', '/capture_forms', formBody(f));
}

export const formBody = (f: Fixtures, overrides: Record<string, unknown> = {}) => ({
  name: `Form ${f.unique()}`,
  fields: [
    { name: 'name', label: 'Name', type: 'text', required: true, maps_to: { lead_field: 'last_name' } },
    { name: 'email', label: 'E-mail', type: 'email', required: false, maps_to: { lead_field: 'email' } },
  ],
  owner: { type: 'user', user_id: f.users.admin.user_id },
  thank_you: { type: 'message', message: 'Thank you!' },
  min_fill_seconds: 0,
  ...overrides,
});

export const captureFormCases: Record<string, RouteCase> = {
  listCaptureForms: { kind: 'unowned', call: async () => ({ path: '/capture_forms?limit=5' }) },
  createCaptureForm: { kind: 'unowned', call: async (f) => ({ path: '/capture_forms', body: formBody(f) }) },
  getCaptureForm: { kind: 'unowned', call: async (f) => ({ path: `/capture_forms/${(await formOf(f)).id}` }) },
  updateCaptureForm: {
    kind: 'unowned',
    call: async (f) => ({ path: `/capture_forms/${(await formOf(f)).id}`, body: { name: `Renamed ${f.unique()}` } }),
  },
  deleteCaptureForm: { kind: 'unowned', call: async (f) => ({ path: `/capture_forms/${(await formOf(f)).id}` }) },
  getCaptureFormEmbed: { kind: 'public', call: async (f) => ({ path: `/forms/${(await formOf(f)).id}/embed` }) },
  getCaptureFormScript: { kind: 'public', call: async (f) => ({ path: `/forms/${(await formOf(f)).id}/embed.js` }) },
  submitCaptureForm: {
    kind: 'public',
    call: async (f) => {
      const { id } = await formOf(f);
      const embed = await f.api('GET', `/forms/${id}/embed`);
      return {
        path: `/forms/${id}/submissions`,
        body: { form_token: embed.body.form_token, values: { name: `Lead ${f.unique()}` } },
      };
    },
  },
};
