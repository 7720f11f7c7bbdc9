import { Badge, Group, Loader, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { AnchorLink } from '../ui/AnchorLink.tsx';
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { api, unwrap } from '../api/client.ts';
import { dateTime, personName } from '../format.ts';
import { useUserName, useUsers } from '../queries.ts';
import type { LeadSearch } from '../router.tsx';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';
import { BulkToolbar, useBulkSelection } from '../ui/BulkActions.tsx';
import { useTranslation } from 'react-i18next';

const SORTS = ['created_at', 'updated_at', 'last_name', 'organization_name', 'status'] as const;
const STATUSES = ['new', 'working', 'unqualified', 'converted'] as const;

/** F3: leads with filters and sort kept in the URL (shareable, survives reloads). */
export function Leads() {
  const search = useSearch({ from: '/app/leads' });
  const navigate = useNavigate({ from: '/leads' });
  const userName = useUserName();
  const { t } = useTranslation();
  const users = useUsers().data?.items ?? [];
  const set = (patch: Partial<LeadSearch>) => void navigate({ search: (s) => ({ ...s, ...patch }) });
  const leads = useQuery({
    queryKey: ['leads', search],
    queryFn: async () =>
      unwrap(
        await api().GET('/leads', {
          params: {
            query: {
              limit: 100,
              ...(search.status ? { status: search.status } : {}),
              ...(search.owner ? { owner_id: search.owner } : {}),
              ...(search.tag ? { tags: search.tag } : {}),
              ...(search.city ? { city: search.city } : {}),
              ...(search.sort ? { sort_by: search.sort } : {}),
              ...(search.order ? { sort_order: search.order } : {}),
            },
          },
        }),
      ),
  });
  const items = leads.data?.items ?? [];
  const bulk = useBulkSelection(items.map((l) => l.id));

  return (
    <Stack>
      <Title order={1} size="h2">
        {t('nav.leads')}
      </Title>
      <Group align="flex-end" role="search" aria-label={t('leads.filter')}>
        <Select
          label={t('fields.status')}
          clearable
          data={STATUSES.map((s) => ({ value: s, label: t(`leads.statuses.${s}`) }))}
          value={search.status ?? null}
          onChange={(v) => set({ status: (v ?? undefined) as LeadSearch['status'] })}
        />
        <Select
          label={t('fields.owner')}
          clearable
          data={users.map((u) => ({ value: u.id, label: u.name }))}
          value={search.owner ?? null}
          onChange={(v) => set({ owner: v ?? undefined })}
        />
        <TextInput
          label={t('leads.tag')}
          defaultValue={search.tag ?? ''}
          onBlur={(e) => set({ tag: e.currentTarget.value || undefined })}
        />
        <TextInput
          label={t('fields.city')}
          defaultValue={search.city ?? ''}
          onBlur={(e) => set({ city: e.currentTarget.value || undefined })}
        />
        <Select
          label={t('leads.sortBy')}
          data={SORTS.map((s) => ({ value: s, label: t(`leads.sorts.${s}`) }))}
          value={search.sort ?? 'created_at'}
          onChange={(v) => set({ sort: (v ?? undefined) as LeadSearch['sort'] })}
          allowDeselect={false}
        />
        <Select
          label={t('leads.order')}
          data={[
            { value: 'desc', label: t('leads.descending') },
            { value: 'asc', label: t('leads.ascending') },
          ]}
          value={search.order ?? 'desc'}
          onChange={(v) => set({ order: (v ?? undefined) as LeadSearch['order'] })}
          allowDeselect={false}
        />
      </Group>
      <BulkToolbar
        resource="leads"
        selected={bulk.selected}
        nameOf={(id) => personName(items.find((l) => l.id === id) ?? {})}
        onFinished={bulk.clear}
      />
      <ProblemAlert error={leads.error} />
      {leads.isPending ? <Loader aria-label={t('common.loading')} /> : null}
      {leads.data ? (
        <Table striped aria-label={t('nav.leads')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={40}>{bulk.pageBox(t('bulk.selectPage'))}</Table.Th>
              <Table.Th>{t('fields.name')}</Table.Th>
              <Table.Th>{t('fields.organization')}</Table.Th>
              <Table.Th>{t('fields.status')}</Table.Th>
              <Table.Th>{t('fields.owner')}</Table.Th>
              <Table.Th>{t('fields.tags')}</Table.Th>
              <Table.Th>{t('fields.created')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {leads.data.items.map((l) => (
              <Table.Tr key={l.id}>
                <Table.Td>{bulk.rowBox(l.id, t('bulk.selectRow', { name: personName(l) }))}</Table.Td>
                <Table.Td>
                  <AnchorLink to="/leads/$id" params={{ id: l.id }}>
                    {personName(l)}
                  </AnchorLink>
                </Table.Td>
                <Table.Td>{l.organization_name ?? '—'}</Table.Td>
                <Table.Td>
                  <Badge variant="light">{t(`leads.statuses.${l.status}`)}</Badge>
                </Table.Td>
                <Table.Td>{userName(l.owner_id)}</Table.Td>
                <Table.Td>{l.tags.join(', ')}</Table.Td>
                <Table.Td>{dateTime(l.created_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {leads.data?.items.length === 0 ? <Text c="dimmed">{t('leads.none')}</Text> : null}
    </Stack>
  );
}
