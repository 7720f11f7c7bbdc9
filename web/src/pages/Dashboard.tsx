import { Badge, Card, Grid, Group, List, Loader, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { api, unwrap } from '../api/client.ts';
import { dateTime, moneyList } from '../format.ts';
import { usePipelines, useSelf, useTeams, useUsers } from '../queries.ts';
import { ActivityList } from '../ui/Activity.tsx';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';
import type { ActivityKind } from '../router.tsx';

const KINDS = [
  { value: 'created', label: 'Created' },
  { value: 'completed', label: 'Completed' },
  { value: 'status_changed', label: 'Status changed' },
  { value: 'stage_changed', label: 'Stage changed' },
  { value: 'owner_changed', label: 'Owner changed' },
];

/** F1: pipeline summary (pick the pipeline), activity, my tasks, and the last 30 days' outcomes. */
export function Dashboard() {
  const search = useSearch({ from: '/app/' });
  const { pipeline, user, team, kind, actor } = search;
  const navigate = useNavigate({ from: '/' });
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
          Dashboard
        </Title>
        {narrows ? (
          <Select
            aria-label="Whose numbers"
            value={scope}
            allowDeselect={false}
            data={[
              { value: 'all', label: 'Everyone I see' },
              { group: 'Teams', items: teams.map((t) => ({ value: `team:${t.id}`, label: t.name })) },
              { group: 'Users', items: users.map((u) => ({ value: `user:${u.id}`, label: u.name })) },
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
        <Loader aria-label="Loading" />
      ) : (
        <>
          <SimpleGrid cols={{ base: 1, sm: 3 }} aria-label="Last 30 days" data-testid="outcomes">
            {(
              [
                ['Won', d.outcomes.won, 'green'],
                ['Lost', d.outcomes.lost, 'red'],
                ['Unqualified', d.outcomes.unqualified, 'gray'],
              ] as const
            ).map(([label, o, color]) => (
              <Card withBorder key={label} data-testid={`outcome-${label.toLowerCase()}`}>
                <Text size="sm" c="dimmed">
                  {label}, last 30 days
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
                    Pipeline
                  </Title>
                  <Select
                    label="Pipeline"
                    data={pipelines.map((p) => ({ value: p.id, label: p.name }))}
                    value={pipeline ?? d.pipeline?.pipeline_id ?? null}
                    onChange={(v) => void navigate({ search: (s) => ({ ...s, pipeline: v ?? undefined }) })}
                    allowDeselect={false}
                  />
                  {d.pipeline ? (
                    <Table aria-label="Deals by stage">
                      <Table.Thead>
                        <Table.Tr>
                          <Table.Th>Stage</Table.Th>
                          <Table.Th>Deals</Table.Th>
                          <Table.Th>Value</Table.Th>
                        </Table.Tr>
                      </Table.Thead>
                      <Table.Tbody>
                        {d.pipeline.stages.map((s) => (
                          <Table.Tr key={s.stage_id}>
                            <Table.Td>{s.name}</Table.Td>
                            <Table.Td>{s.count}</Table.Td>
                            <Table.Td>{moneyList(s.values)}</Table.Td>
                          </Table.Tr>
                        ))}
                      </Table.Tbody>
                    </Table>
                  ) : (
                    <Text c="dimmed">No pipeline yet.</Text>
                  )}
                </Stack>
              </Card>
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 5 }}>
              <Card withBorder>
                <Title order={2} size="h4" mb="sm">
                  Activity
                </Title>
                <Group grow mb="sm">
                  <Select
                    label="Kind"
                    clearable
                    data={KINDS}
                    value={kind ?? null}
                    onChange={(v) =>
                      void navigate({ search: (s) => ({ ...s, kind: (v ?? undefined) as ActivityKind | undefined }) })
                    }
                  />
                  <Select
                    label="By"
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
                    <Loader size="sm" aria-label="Loading" />
                  )
                ) : (
                  <ActivityList items={d.activities.items} />
                )}
              </Card>
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 3 }}>
              <Card withBorder>
                <Title order={2} size="h4" mb="sm">
                  My tasks
                </Title>
                {d.tasks.items.length === 0 ? <Text c="dimmed">Nothing due.</Text> : null}
                <List spacing="xs" listStyleType="none" aria-label="My tasks">
                  {d.tasks.items.map((t) => (
                    <List.Item key={t.id}>
                      <Text size="sm" c={t.overdue ? 'red.9' : undefined}>
                        {t.content}
                      </Text>
                      <Group gap={4}>
                        {t.overdue ? (
                          <Badge color="red" size="xs">
                            overdue
                          </Badge>
                        ) : null}
                        <Text size="xs" c="dimmed">
                          {dateTime(t.due_date)}
                        </Text>
                      </Group>
                    </List.Item>
                  ))}
                </List>
              </Card>
            </Grid.Col>
          </Grid>
        </>
      )}
    </Stack>
  );
}
