import { Badge, Button, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { dateTime } from '../format.ts';
import { UNREAD_KEY, type Notification } from '../notifications/live.ts';
import { useUserName } from '../queries.ts';
import { AnchorLink } from '../ui/AnchorLink.tsx';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';
import { useTranslation } from 'react-i18next';

/** The record's page in the app (the same pages the alert e-mails link to); plain text when it has none. */
function RecordLink({ record }: { record: Notification['records'][number] }) {
  const name = record.name ?? record.id;
  switch (record.type) {
    case 'lead':
      return (
        <AnchorLink to="/leads/$id" params={{ id: record.id }}>
          {name}
        </AnchorLink>
      );
    case 'deal':
      return (
        <AnchorLink to="/deals/$id" params={{ id: record.id }}>
          {name}
        </AnchorLink>
      );
    case 'contact':
      return (
        <AnchorLink to="/contacts/$id" params={{ id: record.id }}>
          {name}
        </AnchorLink>
      );
    case 'task':
      return (
        <AnchorLink to="/tasks" search={{ done: undefined }}>
          {name}
        </AnchorLink>
      );
    case 'appointment':
      return <AnchorLink to="/calendar">{name}</AnchorLink>;
    case 'mailbox':
      return (
        <AnchorLink to="/settings" search={{ tab: 'mailboxes' }}>
          {name}
        </AnchorLink>
      );
    case 'sell_import':
      return (
        <AnchorLink to="/sell_imports/$id" params={{ id: record.id }}>
          {name}
        </AnchorLink>
      );
    default:
      // Imports, exports and bulk operations have no page: their outcome is the notification.
      return <>{name}</>;
  }
}

/** F2.3: the caller's inbox, newest first: read one, read all, archive (the live socket refreshes it). */
export function Notifications() {
  const queryClient = useQueryClient();
  const userName = useUserName();
  const { t } = useTranslation();
  const inbox = useQuery({
    queryKey: ['notifications', 'inbox'],
    queryFn: async () => unwrap(await api().GET('/notifications', { params: { query: { limit: 100 } } })),
  });
  const settle = (unread: number) => {
    queryClient.setQueryData(UNREAD_KEY, unread);
    return queryClient.invalidateQueries({ queryKey: ['notifications', 'inbox'] });
  };
  const change = useMutation({
    mutationFn: async ({ id, verb }: { id: string; verb: 'read' | 'archive' }) =>
      unwrap(
        await api().POST(verb === 'read' ? '/notifications/{id}/read' : '/notifications/{id}/archive', {
          params: { path: { id } },
        }),
      ),
    onSuccess: (answer) => settle(answer.unread_count),
  });
  const readAll = useMutation({
    mutationFn: async () => {
      // At most 99 per call: call again while more remain.
      for (;;) {
        const answer = unwrap(await api().POST('/notifications/read_all'));
        if (!answer.more) return answer;
      }
    },
    onSuccess: (answer) => settle(answer.unread_count),
  });
  const items = inbox.data?.items ?? [];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t('notifications.heading')}
        </Title>
        <Button
          variant="light"
          onClick={() => readAll.mutate()}
          loading={readAll.isPending}
          disabled={!inbox.data || inbox.data.unread_count === 0}
        >
          {t('notifications.readAll')}
        </Button>
      </Group>
      <ProblemAlert error={inbox.error ?? change.error ?? readAll.error} />
      {inbox.isPending ? <Loader aria-label={t('common.loading')} /> : null}
      {inbox.data && items.length === 0 ? <Text c="dimmed">{t('notifications.none')}</Text> : null}
      {items.length ? (
        <Table aria-label={t('notifications.heading')}>
          <Table.Tbody>
            {items.map((n) => (
              <Table.Tr key={n.id} data-unread={n.read_at === null || undefined}>
                <Table.Td w={80}>
                  {n.read_at === null ? (
                    <Badge size="sm" color="blue">
                      {t('notifications.new')}
                    </Badge>
                  ) : null}
                </Table.Td>
                <Table.Td>
                  <Text size="sm" fw={n.read_at === null ? 700 : undefined}>
                    {t(`notifications.kinds.${n.kind}`, { who: userName(n.actor_id) })}{' '}
                    {n.records.map((r, i) => (
                      <span key={r.type + r.id + i}>
                        {i ? ', ' : ''}
                        <RecordLink record={r} />
                      </span>
                    ))}
                    {n.count > n.records.length ? t('notifications.more', { count: n.count - n.records.length }) : ''}
                    {n.rule ? ` (${n.rule.name})` : ''}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{dateTime(n.last_at)}</Text>
                </Table.Td>
                <Table.Td w={200}>
                  <Group gap="xs" justify="flex-end">
                    {n.read_at === null ? (
                      <Button size="xs" variant="subtle" onClick={() => change.mutate({ id: n.id, verb: 'read' })}>
                        {t('notifications.read')}
                      </Button>
                    ) : null}
                    <Button size="xs" variant="subtle" color="gray" onClick={() => change.mutate({ id: n.id, verb: 'archive' })}>
                      {t('notifications.archive')}
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
    </Stack>
  );
}
