import { useState } from 'react';
import { Select } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client.ts';

/** A picked record: the `resource_type` and `resource_id` notes and tasks link to. */
export interface PickedRecord {
  type: 'lead' | 'contact' | 'deal';
  id: string;
}

/** Typeahead over GET /search (leads, contacts, deals by name or email) to link a record (F1.6). */
export function RecordPicker(props: { label: string; required?: boolean; onChange: (record: PickedRecord | null) => void }) {
  const [text, setText] = useState('');
  const { t } = useTranslation();
  const [value, setValue] = useState<string | null>(null);
  const [q] = useDebouncedValue(text.trim(), 200);
  const results = useQuery({
    queryKey: ['search', q],
    enabled: q.length >= 2,
    queryFn: async () => unwrap(await api().GET('/search', { params: { query: { q, limit: 10 } } })),
  });
  const items = results.data?.items ?? [];
  return (
    <Select
      label={props.label}
      required={props.required}
      searchable
      clearable
      placeholder={t('picker.placeholder')}
      searchValue={text}
      onSearchChange={setText}
      filter={({ options }) => options}
      nothingFoundMessage={q.length >= 2 && !results.isFetching ? t('picker.nothing') : undefined}
      data={items.map((r) => ({
        value: `${r.kind}:${r.id}`,
        label: t('picker.option', { name: r.name, kind: t(`activity.types.${r.kind}`, { defaultValue: r.kind }) }),
      }))}
      value={value}
      onChange={(v) => {
        setValue(v);
        const [type, id] = (v ?? '').split(':');
        props.onChange(v && id ? { type: type as PickedRecord['type'], id } : null);
      }}
    />
  );
}
