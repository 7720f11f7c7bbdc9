import { Badge, Card, Grid, Group, List, Loader, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { api, unwrap } from '../api/client.ts';
import { day, dateTime, moneyList, number } from '../format.ts';
import { usePipelines, useSelf, useTeams, useUsers } from '../queries.ts';
import { ActivityList } from '../ui/Activity.tsx';
import { AnchorLink } from '../ui/AnchorLink.tsx';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';
import type { ActivityKind } from '../router.tsx';
import { useTranslation } from 'react-i18next';

/** The last 30 days' outcome cards: the dashboard's key and the count's color. */
const OUTCOMES = [
  ['won', 'green'],
  ['lost', 'red'],
  ['unqualified', 'gray'],
] as const;
const KINDS = ['created', 'completed', 'status_changed', 'stage_changed', 'owner_changed'] as const;

/** F1: pipeline summary (pick the pipeline), activity, my tasks and upcoming appointments, and the last 30 days' outcomes. */
export function Dashboard() {
  const search = useSearch({ from: '/app/' });
  const { pipeline, user, team, kind, actor } = search;
  const navigate = useNavigate({ from: '/' });
  const { t } = useTranslation();
  const pipelines = usePipelines().data?.items ?? [];
  // Managers and admins may narrow the dashboard to a user or a team (the API checks who they see).
  const narrows = ['admin', 'manager'].includes(useSelf().data?.role ?? 'user');
  const users = useUsers().data?.items ?? [];
  const teams = useTeams(narrows).data?.items ?? [];
  const dashboard = useQuery({
    queryKey: ['dashboard', pipeline, user, team],
    queryFn: async () =>
      unwrap(
        await api().GET('/dashboard', {
          params: {
            query: {
              ...(pipeline ? { pipeline_id: pipeline } : {}),
              ...(user ? { user_id: user } : {}),
              ...(team ? { team_id: team } : {}),
            },
          },
        }),
      ),
  });
  // The feed's filters (kind of change, who made it) read GET /activities; unfiltered, the dashboard's own panel.
  const filtered = useQuery({
    queryKey: ['activities', kind, actor],
    enabled: Boolean(kind || actor),
    queryFn: async () =>
      unwrap(
        await api().GET('/activities', {
          params: { query: { limit: 20, ...(kind ? { kind } : {}), ...(actor ? { user_id: actor } : {}) } },
        }),
      ),
  });
  const scope = user ? `user:${user}` : team ? `team:${team}` : 'all';
  const d = dashboard.data;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t('nav.dashboard')}
        </Title>
        {narrows ? (
          <Select
            aria-label={t('dashboard.whose')}
            value={scope}
            allowDeselect={false}
            data={[
              { value: 'all', label: t('dashboard.everyone') },
              { group: t('dashboard.teams'), items: teams.map((t) => ({ value: `team:${t.id}`, label: t.name })) },
              { group: t('dashboard.users'), items: users.map((u) => ({ value: `user:${u.id}`, label: u.name })) },
            ]}
            onChange={(v) => {
              const [kind, id] = (v ?? 'all').split(':');
              void navigate({
                search: (s) => ({ ...s, user: kind === 'user' ? id : undefined, team: kind === 'team' ? id : undefined }),
              });
            }}
          />
        ) : null}
      </Group>
      <ProblemAlert error={dashboard.error} />
      {!d ? (
        <Loader aria-label={t('common.loading')} />
      ) : (
        <>
          <SimpleGrid cols={{ base: 1, sm: 3 }} aria-label={t('dashboard.last30')} data-testid="outcomes">
            {OUTCOMES.map(([label, color]) => [label, d.outcomes[label], color] as const).map(([label, o, color]) => (
              <Card withBorder key={label} data-testid={`outcome-${label}`}>
                <Text size="sm" c="dimmed">
                  {t(`dashboard.outcome.${label}`)}
                </Text>
                <Group gap="xs">
                  <Text fz={28} fw={700} c={color} data-testid="count">
                    {o.count}
                  </Text>
                  <Text size="sm">{moneyList(o.values)}</Text>
                </Group>
              </Card>
            ))}
          </SimpleGrid>
          <Grid>
            <Grid.Col span={{ base: 12, md: 4 }}>
              <Card withBorder>
                <Stack>
                  <Title order={2} size="h4">
                    {t('fields.pipeline')}
                  </Title>
                  <Select
                    label={t('fields.pipeline')}
                    data={pipelines.map((p) => ({ value: p.id, label: p.name }))}
                    value={pipeline ?? d.pipeline?.pipeline_id ?? null}
                    onChange={(v) => void navigate({ search: (s) => ({ ...s, pipeline: v ?? undefined }) })}
                    allowDeselect={false}
                  />
                  {d.pipeline ? (
                    <Table aria-label={t('dashboard.dealsByStage')}>
                      <Table.Thead>
                        <Table.Tr>
                          <Table.Th>{t('fields.stage')}</Table.Th>
                          <Table.Th>{t('nav.deals')}</Table.Th>
                          <Table.Th>{t('fields.value')}</Table.Th>
                        </Table.Tr>
                      </Table.Thead>
                      <Table.Tbody>
                        {d.pipeline.stages.map((s) => (
                          <Table.Tr key={s.stage_id}>
                            <Table.Td>{s.name}</Table.Td>
                            <Table.Td>{number(s.count)}</Table.Td>
                            <Table.Td>{moneyList(s.values)}</Table.Td>
                          </Table.Tr>
                        ))}
                      </Table.Tbody>
                    </Table>
                  ) : (
                    <Text c="dimmed">{t('dashboard.noPipeline')}</Text>
                  )}
                </Stack>
              </Card>
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 5 }}>
              <Card withBorder>
                <Title order={2} size="h4" mb="sm">
                  {t('activity.heading')}
                </Title>
                <Group grow mb="sm">
                  <Select
                    label={t('dashboard.kind')}
                    clearable
                    data={KINDS.map((k) => ({ value: k, label: t(`dashboard.kinds.${k}`) }))}
                    value={kind ?? null}
                    onChange={(v) =>
                      void navigate({ search: (s) => ({ ...s, kind: (v ?? undefined) as ActivityKind | undefined }) })
                    }
                  />
                  <Select
                    label={t('dashboard.by')}
                    clearable
                    data={users.map((u) => ({ value: u.id, label: u.name }))}
                    value={actor ?? null}
                    onChange={(v) => void navigate({ search: (s) => ({ ...s, actor: v ?? undefined }) })}
                  />
                </Group>
                <ProblemAlert error={filtered.error} />
                {kind || actor ? (
                  filtered.data ? (
                    <ActivityList items={filtered.data.items} />
                  ) : (
                    <Loader size="sm" aria-label={t('common.loading')} />
                  )
                ) : (
                  <ActivityList items={d.activities.items} />
                )}
              </Card>
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 3 }}>
              <Card withBorder>
                <Title order={2} size="h4" mb="sm">
                  {t('tasks.mine')}
                </Title>
                {d.tasks.items.length === 0 ? <Text c="dimmed">{t('dashboard.nothingDue')}</Text> : null}
                <List spacing="xs" listStyleType="none" aria-label={t('tasks.mine')}>
                  {d.tasks.items.map((task) => (
                    <List.Item key={task.id}>
                      <Text size="sm" c={task.overdue ? 'red.9' : undefined}>
                        {task.content}
                      </Text>
                      <Group gap={4}>
                        {task.overdue ? (
                          <Badge color="red" size="xs">
                            {t('tasks.overdue')}
                          </Badge>
                        ) : null}
                        <Text size="xs" c="dimmed">
                          {dateTime(task.due_date)}
                        </Text>
                      </Group>
                    </List.Item>
                  ))}
                </List>
              </Card>
              <Card withBorder mt="md">
                <Title order={2} size="h4" mb="sm">
                  {t('dashboard.upcoming')}
                </Title>
                {d.appointments.items.length === 0 ? <Text c="dimmed">{t('dashboard.noAppointments')}</Text> : null}
                <List spacing="xs" listStyleType="none" aria-label={t('dashboard.upcoming')}>
                  {d.appointments.items.map((a) => (
                    <List.Item key={a.id}>
                      <AnchorLink to="/calendar" size="sm">
                        {a.name}
                      </AnchorLink>
                      <Text size="xs" c="dimmed">
                        {a.all_day ? `${day(a.start_date)} · ${t('calendar.allDay')}` : dateTime(a.start_at)}
                        {a.location ? ` · ${a.location}` : ''}
                      </Text>
                    </List.Item>
                  ))}
                </List>
                {d.appointments.more ? (
                  <AnchorLink to="/calendar" size="xs">
                    {t('dashboard.allAppointments')}
                  </AnchorLink>
                ) : null}
              </Card>
            </Grid.Col>
          </Grid>
        </>
      )}
    </Stack>
  );
}
