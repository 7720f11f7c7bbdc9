import { useState } from 'react';
import { Button, Card, Group, Loader, Modal, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useParams } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client.ts';
import { dateTime, number } from '../format.ts';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';
import { sellImportActive, SellImportStatusBadge } from '../ui/SellImportStatus.tsx';
import { Details } from '../ui/Timeline.tsx';

// An admin-started import from Zendesk Sell (GET /sell_imports/{id}): its status, pages and
// requests so far, and its report per resource; refreshed while it runs, cancellable until it
// ends. Admins only: anyone else sees the API's refusal.

/** Milliseconds between refreshes while the job is queued or running. */
const REFRESH_MS = 5_000;

/** The page of one Sell import: /sell_imports/$id. */
export function SellImport() {
  const { id } = useParams({ from: '/app/sell_imports/$id' });
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const key = ['sell_imports', id];
  const job = useQuery({
    queryKey: key,
    queryFn: async () => unwrap(await api().GET('/sell_imports/{id}', { params: { path: { id } } })),
    // Every 5 s while it runs; no more once it has ended (or was refused).
    refetchInterval: (query) => (sellImportActive(query.state.data?.status) ? REFRESH_MS : false),
    retry: false,
  });
  const cancel = useMutation({
    mutationFn: async () => unwrap(await api().DELETE('/sell_imports/{id}', { params: { path: { id } } })),
    onSuccess: (answer) => {
      queryClient.setQueryData(key, answer);
      setConfirming(false);
    },
    // A 409 means it ended meanwhile: show its end.
    onError: () => queryClient.invalidateQueries({ queryKey: key }),
  });
  if (job.error) return <ProblemAlert error={job.error} />;
  const j = job.data;
  if (!j) return <Loader aria-label={t('common.loading')} />;
  const active = sellImportActive(j.status);
  const resources = Object.entries(j.report);
  return (
    <Stack>
      <Group justify="space-between">
        <Group>
          <Title order={1} size="h2">
            {t('sellImport.pageHeading')}
          </Title>
          <SellImportStatusBadge status={j.status} testId="sell-import-status" />
        </Group>
        {active ? (
          <Button color="red" variant="light" onClick={() => setConfirming(true)}>
            {t('sellImport.cancel')}
          </Button>
        ) : null}
      </Group>
      {active ? (
        <Text size="sm" c="dimmed">
          {t('sellImport.refreshing')}
        </Text>
      ) : null}
      <ProblemAlert error={cancel.error} />
      <Card withBorder>
        <Details
          rows={[
            [t('sellImport.pages'), number(j.pages)],
            [t('sellImport.requests'), number(j.requests)],
            [t('sellImport.started'), dateTime(j.created_at)],
            [t('sellImport.finished'), j.finished_at ? dateTime(j.finished_at) : t('sellImport.notYet')],
            [t('sellImport.source'), j.base_url],
            ...(j.failure_reason ? ([[t('sellImport.failure'), j.failure_reason]] as [string, string][]) : []),
          ]}
        />
      </Card>
      <Title order={2} size="h4">
        {t('sellImport.report')}
      </Title>
      {resources.length === 0 ? (
        <Text c="dimmed">{t('sellImport.noReport')}</Text>
      ) : (
        <Table aria-label={t('sellImport.report')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('sellImport.resource')}</Table.Th>
              <Table.Th ta="right">{t('sellImport.imported')}</Table.Th>
              <Table.Th ta="right">{t('sellImport.unchanged')}</Table.Th>
              <Table.Th ta="right">{t('sellImport.skipped')}</Table.Th>
              <Table.Th>{t('sellImport.reasons')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {resources.map(([resource, r]) => (
              <Table.Tr key={resource} data-resource={resource}>
                <Table.Td>{resource}</Table.Td>
                <Table.Td ta="right" data-column="imported">
                  {number(r.imported)}
                </Table.Td>
                <Table.Td ta="right">{number(r.unchanged)}</Table.Td>
                <Table.Td ta="right">{number(r.skipped)}</Table.Td>
                <Table.Td>
                  {Object.entries(r.reasons).map(([reason, count]) => (
                    <Text size="sm" key={reason}>
                      {t('sellImport.reason', { reason, count: number(count) })}
                    </Text>
                  ))}
                  {r.note ? (
                    <Text size="sm" c="dimmed">
                      {r.note}
                    </Text>
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Modal opened={confirming} onClose={() => setConfirming(false)} title={t('sellImport.cancelTitle')}>
        <Stack>
          <Text size="sm">{t('sellImport.cancelBody')}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              {t('sellImport.keep')}
            </Button>
            <Button color="red" loading={cancel.isPending} onClick={() => cancel.mutate()}>
              {t('sellImport.cancelConfirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
