import { Badge, Group, Loader, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { AnchorLink } from '../ui/AnchorLink.tsx';
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { api, unwrap } from '../api/client.ts';
import { dateTime, personName } from '../format.ts';
import { useUserName, useUsers } from '../queries.ts';
import type { LeadSearch } from '../router.tsx';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';

const SORTS = [
  { value: 'created_at', label: 'Created' },
  { value: 'updated_at', label: 'Updated' },
  { value: 'last_name', label: 'Last name' },
  { value: 'organization_name', label: 'Organization' },
  { value: 'status', label: 'Status' },
];

/** F3: leads with filters and sort kept in the URL (shareable, survives reloads). */
export function Leads() {
  const search = useSearch({ from: '/app/leads' });
  const navigate = useNavigate({ from: '/leads' });
  const userName = useUserName();
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

  return (
    <Stack>
      <Title order={1} size="h2">
        Leads
      </Title>
      <Group align="flex-end" role="search" aria-label="Filter leads">
        <Select
          label="Status"
          clearable
          data={['new', 'working', 'unqualified', 'converted']}
          value={search.status ?? null}
          onChange={(v) => set({ status: (v ?? undefined) as LeadSearch['status'] })}
        />
        <Select
          label="Owner"
          clearable
          data={users.map((u) => ({ value: u.id, label: u.name }))}
          value={search.owner ?? null}
          onChange={(v) => set({ owner: v ?? undefined })}
        />
        <TextInput label="Tag" defaultValue={search.tag ?? ''} onBlur={(e) => set({ tag: e.currentTarget.value || undefined })} />
        <TextInput
          label="City"
          defaultValue={search.city ?? ''}
          onBlur={(e) => set({ city: e.currentTarget.value || undefined })}
        />
        <Select
          label="Sort by"
          data={SORTS}
          value={search.sort ?? 'created_at'}
          onChange={(v) => set({ sort: (v ?? undefined) as LeadSearch['sort'] })}
          allowDeselect={false}
        />
        <Select
          label="Order"
          data={[
            { value: 'desc', label: 'Descending' },
            { value: 'asc', label: 'Ascending' },
          ]}
          value={search.order ?? 'desc'}
          onChange={(v) => set({ order: (v ?? undefined) as LeadSearch['order'] })}
          allowDeselect={false}
        />
      </Group>
      <ProblemAlert error={leads.error} />
      {leads.isPending ? <Loader aria-label="Loading" /> : null}
      {leads.data ? (
        <Table striped aria-label="Leads">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Organization</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Owner</Table.Th>
              <Table.Th>Tags</Table.Th>
              <Table.Th>Created</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {leads.data.items.map((l) => (
              <Table.Tr key={l.id}>
                <Table.Td>
                  <AnchorLink to="/leads/$id" params={{ id: l.id }}>
                    {personName({ first_name: l.first_name, last_name: l.last_name }) === '(no name)'
                      ? personName(l)
                      : personName({ first_name: l.first_name, last_name: l.last_name })}
                  </AnchorLink>
                </Table.Td>
                <Table.Td>{l.organization_name ?? '—'}</Table.Td>
                <Table.Td>
                  <Badge variant="light">{l.status}</Badge>
                </Table.Td>
                <Table.Td>{userName(l.owner_id)}</Table.Td>
                <Table.Td>{l.tags.join(', ')}</Table.Td>
                <Table.Td>{dateTime(l.created_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {leads.data?.items.length === 0 ? <Text c="dimmed">No leads match.</Text> : null}
    </Stack>
  );
}
