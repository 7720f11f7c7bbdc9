import { Select } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, setLanguage, type Language } from '../i18n/index.ts';

/** The UI language (each named in itself); the pick is remembered in this browser. */
export function LanguagePicker() {
  const { t, i18n } = useTranslation();
  return (
    <Select
      label={t('common.language')}
      size="xs"
      data={Object.entries(LANGUAGES).map(([value, label]) => ({ value, label }))}
      value={i18n.language}
      onChange={(v) => v && void setLanguage(v as Language)}
      allowDeselect={false}
      w={160}
    />
  );
}
