import { i18next } from './i18n/index.ts';

// Dates, numbers and money through Intl, in the user's language (the UI's), the user's time
// zone (GET /users/self time_zone, else the browser's) and the account's currency (GET /account)
// for amounts that name none. The shell sets these once they load (useFormatting).

interface Formatting {
  /** An IANA time zone, or undefined for the browser's. */
  timeZone: string | undefined;
  /** ISO 4217: the account's currency. */
  currency: string;
}
const formatting: Formatting = { timeZone: undefined, currency: 'USD' };

/** Sets the user's time zone and the account's currency for every later format call. */
export function setFormatting(next: Partial<Formatting>): void {
  Object.assign(formatting, next);
}

/** The formatting in force: language, time zone, currency (a render key: pages redraw when it changes). */
export function formattingKey(): string {
  return `${i18next.language}|${formatting.timeZone ?? ''}|${formatting.currency}`;
}

const locale = () => i18next.language || 'en';

/** Money in the user's language: `value` is the API's decimal string; `currency` defaults to the account's. */
export function money(value: string | number | null | undefined, currency?: string | null): string {
  if (value === null || value === undefined || value === '') return '—';
  const code = currency ?? formatting.currency;
  try {
    return new Intl.NumberFormat(locale(), { style: 'currency', currency: code }).format(Number(value));
  } catch {
    return `${value} ${code}`.trim();
  }
}

/** A count or plain number in the user's language. */
export function number(value: number): string {
  return new Intl.NumberFormat(locale()).format(value);
}

/** Sums of several currencies ("1.200,00 € + 300,00 US$"). */
export function moneyList(values: readonly { currency: string; value: string }[]): string {
  return values.length ? values.map((v) => money(v.value, v.currency)).join(' + ') : '—';
}

/** A date-time in the user's language and time zone. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' };
  try {
    return new Intl.DateTimeFormat(locale(), { ...options, timeZone: formatting.timeZone }).format(new Date(iso));
  } catch {
    // An unknown zone name: the browser's.
    return new Intl.DateTimeFormat(locale(), options).format(new Date(iso));
  }
}

/** A calendar day ("2026-12-24", an all-day appointment's) in the user's language: no time zone shift. */
export function day(isoDate: string | null | undefined): string {
  if (!isoDate) return '—';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${isoDate}T00:00:00Z`));
}

/** A person's or organization's display name from nullable parts. */
export function personName(r: {
  first_name?: string | null;
  last_name?: string | null;
  organization_name?: string | null;
  name?: string | null;
}): string {
  const person = [r.first_name, r.last_name].filter(Boolean).join(' ');
  return person || r.name || r.organization_name || i18next.t('common.noName');
}

/** A percentage given as 0–100, in the user's language. */
export function percent(value: number): string {
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(value / 100);
}
