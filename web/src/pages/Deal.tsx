import { Badge, Card, Grid, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useParams } from '@tanstack/react-router';
import { api, unwrap } from '../api/client.ts';
import { dateTime, money, percent } from '../format.ts';
import { useTranslation } from 'react-i18next';
import { useStages, useUserName } from '../queries.ts';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';
import { customRows, Details, Timeline } from '../ui/Timeline.tsx';

/** F4: a deal with value, likelihood, stage history, custom fields and its timeline. */
export function Deal() {
  const { id } = useParams({ from: '/app/deals/$id' });
  const userName = useUserName();
  const { t } = useTranslation();
  const path = { params: { path: { id } } };
  const deal = useQuery({ queryKey: ['deals', id], queryFn: async () => unwrap(await api().GET('/deals/{id}', path)) });
  const history = useQuery({
    queryKey: ['deals', id, 'stages'],
    queryFn: async () => unwrap(await api().GET('/deals/{id}/stage_changes', path)),
  });
  const stages = useStages(deal.data?.pipeline_id).data?.items ?? [];
  const stageName = (sid: string | null | undefined) => stages.find((s) => s.id === sid)?.name ?? sid ?? '—';
  const d = deal.data;
  if (deal.error) return <ProblemAlert error={deal.error} />;
  if (!d) return <Loader aria-label={t('common.loading')} />;
  return (
    <Stack>
      <Group>
        <Title order={1} size="h2">
          {d.name}
        </Title>
        <Badge variant="light">{stageName(d.stage_id)}</Badge>
        {d.hot ? <Badge color="red">{t('deals.hot')}</Badge> : null}
      </Group>
      <Grid>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Stack>
            <Card withBorder>
              <Title order={2} size="h4" mb="sm">
                {t('record.details')}
              </Title>
              <Details
                rows={[
                  [t('fields.value'), money(d.value, d.currency)],
                  [t('deals.likelihood'), d.customized_win_likelihood !== null ? percent(d.customized_win_likelihood) : null],
                  [t('fields.owner'), userName(d.owner_id)],
                  [t('deals.estimatedClose'), d.estimated_close_date],
                  [t('fields.tags'), d.tags.join(', ')],
                  ...customRows(d.custom_fields),
                ]}
              />
            </Card>
            <Card withBorder>
              <Title order={2} size="h4" mb="sm">
                {t('deals.stageHistory')}
              </Title>
              <ProblemAlert error={history.error} />
              <Table aria-label={t('deals.stageHistory')}>
                <Table.Tbody>
                  {history.data?.items.map((h) => (
                    <Table.Tr key={h.id}>
                      <Table.Td>{stageName(h.stage_id)}</Table.Td>
                      <Table.Td>
                        <Text size="xs">
                          {t('deals.enteredBy', { when: dateTime(h.entered_at), who: userName(h.entered_by_id) })}
                          {h.left_at ? t('deals.left', { when: dateTime(h.left_at) }) : ''}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Card>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Timeline type="deal" id={id} />
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
