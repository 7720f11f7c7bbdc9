import { useState } from 'react';
import { Badge, Button, Card, Group, Stack, Text, Textarea, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { dateTime } from '../format.ts';
import { useTranslation } from 'react-i18next';
import { useUserName } from '../queries.ts';
import { ActivityList } from './Activity.tsx';
import { ProblemAlert } from './ProblemAlert.tsx';

type RecordType = 'lead' | 'contact' | 'deal';
const PLURAL = { lead: 'leads', contact: 'contacts', deal: 'deals' } as const;

/** A record's timeline: notes (with a box to add one), tasks, calls, and its activity. */
export function Timeline({ type, id }: { type: RecordType; id: string }) {
  const base = `/${PLURAL[type]}/{id}` as const;
  const userName = useUserName();
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [text, setText] = useState('');
  const params = { params: { path: { id } } };
  const notes = useQuery({
    queryKey: [type, id, 'notes'],
    queryFn: async () => unwrap(await api().GET(`${base}/notes` as '/leads/{id}/notes', params)),
  });
  const tasks = useQuery({
    queryKey: [type, id, 'tasks'],
    queryFn: async () => unwrap(await api().GET(`${base}/tasks` as '/leads/{id}/tasks', params)),
  });
  const calls = useQuery({
    queryKey: [type, id, 'calls'],
    queryFn: async () => {
      const query = type === 'lead' ? { lead_id: id } : type === 'contact' ? { contact_id: id } : { deal_id: id };
      return unwrap(await api().GET('/calls', { params: { query } }));
    },
  });
  const activity = useQuery({
    queryKey: [type, id, 'activities'],
    queryFn: async () => unwrap(await api().GET(`${base}/activities` as '/leads/{id}/activities', params)),
  });
  const addNote = useMutation({
    mutationFn: async () => unwrap(await api().POST('/notes', { body: { content: text, resource_type: type, resource_id: id } })),
    onSuccess: async () => {
      setText('');
      await queryClient.invalidateQueries({ queryKey: [type, id] });
    },
  });

  return (
    <Stack>
      <Card withBorder>
        <Title order={2} size="h4" mb="sm">
          {t('timeline.notes')}
        </Title>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            addNote.mutate();
          }}
        >
          <Group align="flex-end">
            <Textarea
              label={t('timeline.newNote')}
              value={text}
              onChange={(e) => setText(e.currentTarget.value)}
              style={{ flex: 1 }}
              autosize
              minRows={1}
            />
            <Button type="submit" disabled={!text.trim()} loading={addNote.isPending}>
              {t('timeline.addNote')}
            </Button>
          </Group>
        </form>
        <ProblemAlert error={addNote.error ?? notes.error} />
        <Stack gap="xs" mt="sm">
          {notes.data?.items.map((n) => (
            <div key={n.id}>
              <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                {n.content}
              </Text>
              <Text size="xs" c="dimmed">
                {userName(n.creator_id)}, {dateTime(n.created_at)}
              </Text>
            </div>
          ))}
        </Stack>
      </Card>
      <Card withBorder>
        <Title order={2} size="h4" mb="sm">
          {t('nav.tasks')}
        </Title>
        <ProblemAlert error={tasks.error} />
        {tasks.data?.items.length === 0 ? <Text c="dimmed">{t('tasks.none')}</Text> : null}
        {tasks.data?.items.map((task) => (
          <Group key={task.id} gap="xs">
            <Text size="sm" td={task.completed ? 'line-through' : undefined}>
              {task.content}
            </Text>
            {task.completed ? <Badge size="xs">{t('tasks.done')}</Badge> : null}
            <Text size="xs" c="dimmed">
              {dateTime(task.due_date)}
            </Text>
          </Group>
        ))}
      </Card>
      <Card withBorder>
        <Title order={2} size="h4" mb="sm">
          {t('timeline.calls')}
        </Title>
        <ProblemAlert error={calls.error} />
        {calls.data?.items.length === 0 ? <Text c="dimmed">{t('timeline.noCalls')}</Text> : null}
        <Stack gap="xs">
          {calls.data?.items.map((call) => (
            <div key={call.id}>
              <Group gap="xs">
                <Text size="sm">
                  {t('timeline.callLine', {
                    direction: t(call.incoming ? 'timeline.incoming' : 'timeline.outgoing'),
                    number: call.phone_number ?? '—',
                    minutes: Math.round(call.duration / 6) / 10,
                  })}
                </Text>
                {call.missed ? (
                  <Badge size="xs" color="red">
                    {t('timeline.missed')}
                  </Badge>
                ) : null}
              </Group>
              {call.summary ? (
                <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                  {call.summary}
                </Text>
              ) : null}
              <Text size="xs" c="dimmed">
                {call.user_id ? userName(call.user_id) : '—'}, {dateTime(call.made_at)}
              </Text>
            </div>
          ))}
        </Stack>
      </Card>
      <Card withBorder>
        <Title order={2} size="h4" mb="sm">
          {t('activity.heading')}
        </Title>
        <ProblemAlert error={activity.error} />
        {activity.data ? <ActivityList items={activity.data.items} /> : null}
      </Card>
    </Stack>
  );
}

/** Label/value rows for a record's details and custom fields. */
export function Details({ rows }: { rows: readonly [string, React.ReactNode][] }) {
  return (
    <Stack gap={4}>
      {rows.map(([label, value]) => (
        <Group key={label} gap="xs" wrap="nowrap" align="flex-start">
          <Text size="sm" c="dimmed" w={140}>
            {label}
          </Text>
          <Text size="sm">{value === null || value === undefined || value === '' ? '—' : value}</Text>
        </Group>
      ))}
    </Stack>
  );
}

/** A record's custom field values as rows ("budget: 1200"). */
export function customRows(values: Record<string, unknown> | undefined): [string, React.ReactNode][] {
  return Object.entries(values ?? {}).map(([k, v]) => [
    k,
    Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v),
  ]);
}
