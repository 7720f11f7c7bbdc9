import { captureFormAdapters } from '#shared/capture-forms/runtime.ts';
import { embedScript } from '#shared/capture-forms/embed.ts';
import { HONEYPOT_FIELD } from '#shared/capture-forms/domain.ts';
import {
  createForm,
  deleteForm,
  embedForm,
  getForm,
  listForms,
  submitForm,
  updateForm,
} from '#shared/capture-forms/use-cases.ts';
import { httpHandler, implement, reply } from '#shared/app.ts';
import * as routes from '#shared/capture-forms/routes.ts';
import { header, type HttpEvent } from '#shared/platform/http/request.ts';

// Capture forms: the admins' CRUD, and the public embed and submission (no caller: the
// submission runs as the form; the address throttled is API Gateway's source IP).

const deps = captureFormAdapters();

const submitPath = (id: string) => `/forms/${id}/submissions`;

/** The API's own origin as the caller reached it (the script posts back to it from another site). */
function apiOrigin(event: HttpEvent): string {
  const host = header(event.headers, 'host') ?? event.requestContext.domainName;
  return `${header(event.headers, 'x-forwarded-proto') ?? 'https'}://${host}`;
}

export const handler = httpHandler([
  implement(routes.listFormsRoute, (req) => listForms(deps, req.query)),
  implement(routes.createFormRoute, (req) => createForm(deps, req.call, req.body)),
  implement(routes.getFormRoute, (req) => getForm(deps, req.params.id)),
  implement(routes.updateFormRoute, (req) => updateForm(deps, req.call, req.params.id, req.body, req.ifMatch)),
  implement(routes.deleteFormRoute, async (req) => {
    await deleteForm(deps, req.call, req.params.id);
  }),
  implement(routes.embedFormRoute, async (req) => {
    const { form, token } = await embedForm(deps, req.params.id);
    return { form, form_token: token, honeypot_field: HONEYPOT_FIELD, submit_path: submitPath(form.id) };
  }),
  implement(routes.embedScriptRoute, async (req) => {
    const { form, token } = await embedForm(deps, req.params.id);
    const script = embedScript(form, token, `${apiOrigin(req.event)}${submitPath(form.id)}`);
    // Any site may load the script (it is the embed); nosniff stays, so the type must be exact.
    return reply(script, {
      headers: { 'content-type': 'text/javascript; charset=utf-8', 'cross-origin-resource-policy': 'cross-origin' },
    });
  }),
  implement(routes.submitFormRoute, (req) =>
    submitForm(deps, req.params.id, req.body, req.event.requestContext.http.sourceIp, req.correlationId),
  ),
]);
