import { List, Text } from '@mantine/core';
import { AnchorLink } from './AnchorLink.tsx';
import type { paths } from '../api/schema.gen.ts';
import { dateTime } from '../format.ts';
import { useTranslation } from 'react-i18next';
import { useAllStages, useUserName } from '../queries.ts';

/** One activity item as the API returns it (GET /activities and its per-record forms). */
export type ActivityItem = paths['/activities']['get']['responses'][200]['content']['application/json']['items'][number];

/** Entries whose record has no page of its own: they link to the lead, contact or deal they are on. */
const ON_PARENT = new Set(['note', 'task', 'call', 'text_message']);
const LINKS = { lead: '/leads/$id', contact: '/contacts/$id', deal: '/deals/$id' } as const;

function RecordLink({ type, id, name }: { type: string; id: string; name: string | null }) {
  const to = LINKS[type as keyof typeof LINKS];
  const label = name ?? `${type} ${id.slice(-6)}`;
  return to ? (
    <AnchorLink to={to} params={{ id }}>
      {label}
    </AnchorLink>
  ) : (
    <span>{label}</span>
  );
}

/** A feed of activity: who did what to which record, newest first (every verb and record type has its text: test/web/i18n.test.ts). */
export function ActivityList({ items }: { items: readonly ActivityItem[] }) {
  const userName = useUserName();
  const stages = useAllStages().data?.items ?? [];
  const { t } = useTranslation();
  // Changes carry ids; show names where the app knows them.
  const shown = (field: string, value: string | null) => {
    if (value === null) return '—';
    if (field === 'stage_id') return stages.find((s) => s.id === value)?.name ?? value;
    if (field === 'owner_id') return userName(value);
    return value;
  };
  const label = (field: string) => t(`activity.fields.${field}`, { defaultValue: field.replace(/_/g, ' ') });
  if (items.length === 0) return <Text c="dimmed">{t('activity.none')}</Text>;
  return (
    <List spacing="xs" listStyleType="none" aria-label={t('activity.heading')}>
      {items.map((a) => (
        <List.Item key={a.id}>
          <Text size="sm">
            {t('activity.line', {
              who: userName(a.actor_id),
              verb: t(`activity.verbs.${a.verb}`),
              type: t(`activity.types.${a.record.type}`),
            })}{' '}
            <RecordLink
              type={ON_PARENT.has(a.record.type) ? a.parent.type : a.record.type}
              id={ON_PARENT.has(a.record.type) ? a.parent.id : a.record.id}
              name={a.record.name}
            />
            {a.changes.length
              ? ` (${a.changes.map((c) => `${label(c.field)}: ${shown(c.field, c.from)} → ${shown(c.field, c.to)}`).join(', ')})`
              : ''}
          </Text>
          <Text size="xs" c="dimmed">
            {dateTime(a.occurred_at)}
          </Text>
        </List.Item>
      ))}
    </List>
  );
}
