import type { CaptureForm } from './domain.ts';
import { HONEYPOT_FIELD } from './domain.ts';

// The embeddable snippet: a small script that renders a plain HTML form where its <script>
// tag stands and submits it as JSON to the form's public route. It is served fresh on every
// page view (no-store), so the form token baked into it starts the minimum fill time when the
// visitor's page loads. The honeypot input is off-screen and skipped by keyboards and screen
// readers, so only a bot fills it.

/** JSON safe to place in a script: no "<" that could close a surrounding tag. */
const literal = (value: unknown): string => JSON.stringify(value).replaceAll('<', '\\u003c');

/**
 * The script for one form.
 * @param submitUrl absolute URL of POST /forms/{id}/submissions
 */
export function embedScript(form: Pick<CaptureForm, 'id' | 'name' | 'fields'>, token: string, submitUrl: string): string {
  const config = {
    id: form.id,
    name: form.name,
    fields: form.fields.map((f) => ({ name: f.name, label: f.label, type: f.type, required: f.required })),
    token,
    honeypot: HONEYPOT_FIELD,
    submitUrl,
  };
  return `(function () {
  var c = ${literal(config)};
  var here = document.currentScript;
  var form = document.createElement('form');
  form.className = 'crm-capture-form';
  form.setAttribute('aria-label', c.name);
  c.fields.forEach(function (f) {
    var label = document.createElement('label');
    label.textContent = f.label;
    var input = document.createElement(f.type === 'textarea' ? 'textarea' : 'input');
    if (f.type !== 'textarea') input.type = f.type;
    input.name = f.name;
    input.required = f.required;
    label.appendChild(input);
    form.appendChild(label);
  });
  var trap = document.createElement('input');
  trap.name = c.honeypot;
  trap.tabIndex = -1;
  trap.autocomplete = 'off';
  trap.setAttribute('aria-hidden', 'true');
  trap.style.cssText = 'position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden';
  form.appendChild(trap);
  var button = document.createElement('button');
  button.type = 'submit';
  button.textContent = 'Send';
  form.appendChild(button);
  var status = document.createElement('p');
  status.setAttribute('role', 'status');
  form.appendChild(status);
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var values = {};
    c.fields.forEach(function (f) { values[f.name] = form.elements[f.name].value; });
    var body = { form_token: c.token, values: values };
    body[c.honeypot] = trap.value;
    button.disabled = true;
    fetch(c.submitUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (res) { return res.json().then(function (answer) { return { ok: res.ok, answer: answer }; }); })
      .then(function (r) {
        if (r.ok && r.answer.redirect_url) { window.location.href = r.answer.redirect_url; return; }
        status.textContent = r.ok ? r.answer.message : (r.answer.detail || 'Sending failed: please try again.');
        if (r.ok) form.reset(); else button.disabled = false;
      })
      .catch(function () { status.textContent = 'Sending failed: please try again.'; button.disabled = false; });
  });
  here.parentNode.insertBefore(form, here);
})();
`;
}
