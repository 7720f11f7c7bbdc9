/** Money in the browser's locale: `value` is the API's decimal string. */
export function money(value: string | number | null | undefined, currency: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency ?? 'USD' }).format(Number(value));
  } catch {
    return `${value} ${currency ?? ''}`.trim();
  }
}

/** Sums of several currencies ("€1,200 + $300"). */
export function moneyList(values: readonly { currency: string; value: string }[]): string {
  return values.length ? values.map((v) => money(v.value, v.currency)).join(' + ') : '—';
}

/** A date-time in the browser's locale and time zone. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** A person's or organization's display name from nullable parts. */
export function personName(r: {
  first_name?: string | null;
  last_name?: string | null;
  organization_name?: string | null;
  name?: string | null;
}): string {
  const person = [r.first_name, r.last_name].filter(Boolean).join(' ');
  return person || r.name || r.organization_name || '(no name)';
}
