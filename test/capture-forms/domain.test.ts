import { describe, expect, it } from 'vitest';
import {
  checkFormToken,
  createFormInput,
  FORM_TOKEN_TTL_MS,
  formTokenKey,
  issueFormToken,
  mapValues,
  roundRobinPick,
  type CaptureForm,
} from '#shared/capture-forms/domain.ts';
import { embedScript } from '#shared/capture-forms/embed.ts';

// Form tokens (signed, expiring, with a minimum fill time), value mapping, round-robin turns.

const FORM_ID = '01JCAPTREFRM00000000000001';
const key = formTokenKey('a-cursor-secret-of-some-length');
const form = { id: FORM_ID, min_fill_seconds: 3 };
const issued = new Date('2026-12-01T10:00:00Z');
const at = (ms: number) => new Date(issued.getTime() + ms);

describe('form tokens', () => {
  const token = issueFormToken(key, FORM_ID, issued);

  it('passes once the minimum fill time has passed, within its lifetime', () => {
    expect(checkFormToken(token, [key], form, at(3000))).toBeUndefined();
    expect(checkFormToken(token, [key], form, at(FORM_TOKEN_TTL_MS))).toBeUndefined();
  });

  it('refuses an instant submission, an expired token and a missing one', () => {
    expect(checkFormToken(token, [key], form, at(500))).toBe('too_fast');
    expect(checkFormToken(token, [key], form, at(FORM_TOKEN_TTL_MS + 1))).toBe('token_expired');
    expect(checkFormToken(undefined, [key], form, at(5000))).toBe('token_missing');
  });

  it('refuses a token of another form, another key, or with a changed issue time', () => {
    expect(checkFormToken(token, [key], { ...form, id: '01JCAPTREFRM00000000000002' }, at(5000))).toBe('token_invalid');
    expect(checkFormToken(token, [formTokenKey('another-secret-entirely')], form, at(5000))).toBe('token_invalid');
    const [id, time, nonce, sig] = token.split('.');
    const backdated = [id, String(Number(time) - 60_000), nonce, sig].join('.');
    expect(checkFormToken(backdated, [key], form, at(500))).toBe('token_invalid');
    expect(checkFormToken('garbage', [key], form, at(5000))).toBe('token_invalid');
  });

  it('verifies with the previous key after a rotation', () => {
    const next = formTokenKey('the-rotated-cursor-secret');
    expect(checkFormToken(token, [next, key], form, at(5000))).toBeUndefined();
  });

  it('is a key of its own, not the cursor secret itself', () => {
    expect(key.equals(Buffer.from('a-cursor-secret-of-some-length'))).toBe(false);
  });
});

describe('form definitions', () => {
  const base = {
    name: 'Contact us',
    fields: [{ name: 'email', label: 'E-mail', type: 'email', required: true, maps_to: { lead_field: 'email' } }],
    owner: { type: 'user', user_id: FORM_ID },
  };

  it('accept an https redirect only', () => {
    expect(
      createFormInput.safeParse({ ...base, thank_you: { type: 'redirect', url: 'https://example.com/thanks' } }).success,
    ).toBe(true);
    expect(
      createFormInput.safeParse({ ...base, thank_you: { type: 'redirect', url: 'http://example.com/thanks' } }).success,
    ).toBe(false);
    expect(createFormInput.safeParse({ ...base, thank_you: { type: 'redirect', url: 'javascript:alert(1)' } }).success).toBe(
      false,
    );
  });

  it('refuse a field named as the honeypot, and duplicate names', () => {
    const thank_you = { type: 'message', message: 'Thanks' };
    const trap = { ...base.fields[0], name: 'fax_number_confirm' };
    expect(createFormInput.safeParse({ ...base, thank_you, fields: [trap] }).success).toBe(false);
    expect(createFormInput.safeParse({ ...base, thank_you, fields: [base.fields[0], base.fields[0]] }).success).toBe(false);
  });
});

describe('mapValues', () => {
  const fields: CaptureForm['fields'] = [
    { name: 'name', label: 'Name', type: 'text', required: true, maps_to: { lead_field: 'last_name' } },
    { name: 'budget', label: 'Budget', type: 'text', required: false, maps_to: { custom_field: 'Budget' } },
    { name: 'note', label: 'Note', type: 'textarea', required: false, maps_to: { lead_field: 'description' } },
  ];

  it('maps lead fields and custom fields, leaving empty ones out', () => {
    expect(mapValues({ fields }, { name: ' Ada ', budget: '5000', note: '  ' })).toEqual({
      fields: { last_name: 'Ada' },
      custom_fields: { Budget: '5000' },
      missing: [],
    });
  });

  it('names the required fields left empty', () => {
    expect(mapValues({ fields }, { budget: '1' }).missing).toEqual(['name']);
  });
});

describe('roundRobinPick', () => {
  it('walks the members in id order, one turn each', () => {
    const members = ['C', 'A', 'B'];
    expect([1, 2, 3, 4].map((turn) => roundRobinPick(members, turn))).toEqual(['A', 'B', 'C', 'A']);
    expect(roundRobinPick([], 1)).toBeUndefined();
  });
});

describe('embedScript', () => {
  it('carries the token and fields as data that cannot close a tag', () => {
    const script = embedScript(
      { id: FORM_ID, name: '</script><script>alert(1)</script>', fields: [] },
      'tok.en',
      'https://api.example.com/forms/x/submissions',
    );
    expect(script).not.toContain('</script>');
    expect(script).toContain('"token":"tok.en"');
    expect(script).toContain('fax_number_confirm');
  });
});
