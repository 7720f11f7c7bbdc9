import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { ca } from './ca.ts';
import { en } from './en.ts';

// Every UI string goes through i18next (react-i18next's useTranslation): English and Catalan to
// start. en.ts is the source; ca.ts is typed by it (a missing key fails the typecheck) and
// test/web/i18n.test.ts checks the key sets match. ESLint's i18next/no-literal-string refuses
// literal text in the components. The language is the user's pick (kept in localStorage), else
// the browser's.

/** The languages the app speaks, with their own names (the picker shows these). */
export const LANGUAGES = { en: 'English', ca: 'Català' } as const;
export type Language = keyof typeof LANGUAGES;

const KEY = 'crm.language';

/** The stored pick, else the browser's first language we speak, else English. */
export function initialLanguage(): Language {
  try {
    const stored = localStorage.getItem(KEY);
    if (stored && stored in LANGUAGES) return stored as Language;
  } catch {
    // Storage blocked: fall through to the browser's languages.
  }
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0]!;
    if (base in LANGUAGES) return base as Language;
  }
  return 'en';
}

/** Switches the UI language, remembers it, and sets <html lang>. */
export async function setLanguage(language: Language): Promise<void> {
  try {
    localStorage.setItem(KEY, language);
  } catch {
    // Not remembered; still switched.
  }
  document.documentElement.lang = language;
  await i18next.changeLanguage(language);
}

/** Initializes i18next (main.tsx awaits it before rendering). */
export async function initI18n(): Promise<void> {
  const lng = initialLanguage();
  document.documentElement.lang = lng;
  await i18next.use(initReactI18next).init({
    lng,
    fallbackLng: 'en',
    resources: { en: { translation: en }, ca: { translation: ca } },
    interpolation: { escapeValue: false }, // React escapes
    returnNull: false,
  });
}

export { i18next };
