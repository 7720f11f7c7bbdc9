import { Loader, SegmentedControl, Stack, Table, Title } from '@mantine/core';
import { AnchorLink } from '../ui/AnchorLink.tsx';
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { api, unwrap } from '../api/client.ts';
import { dateTime, personName } from '../format.ts';
import { useTranslation } from 'react-i18next';
import { useUserName } from '../queries.ts';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';
import { BulkToolbar, useBulkSelection } from '../ui/BulkActions.tsx';

/** F3: people and organizations, the kind filter kept in the URL. */
export function Contacts() {
  const { kind } = useSearch({ from: '/app/contacts' });
  const navigate = useNavigate({ from: '/contacts' });
  const userName = useUserName();
  const { t } = useTranslation();
  const contacts = useQuery({
    queryKey: ['contacts', kind],
    queryFn: async () =>
      unwrap(
        await api().GET('/contacts', {
          params: { query: { limit: 100, ...(kind ? { is_organization: kind === 'organization' ? 'true' : 'false' } : {}) } },
        }),
      ),
  });
  const items = contacts.data?.items ?? [];
  const bulk = useBulkSelection(items.map((c) => c.id));
  return (
    <Stack>
      <Title order={1} size="h2">
        {t('nav.contacts')}
      </Title>
      <SegmentedControl
        aria-label={t('contacts.kind')}
        w={360}
        data={[
          { value: 'all', label: t('contacts.all') },
          { value: 'person', label: t('contacts.people') },
          { value: 'organization', label: t('contacts.organizations') },
        ]}
        value={kind ?? 'all'}
        onChange={(v) => void navigate({ search: { kind: v === 'all' ? undefined : (v as 'person' | 'organization') } })}
      />
      <BulkToolbar
        resource="contacts"
        selected={bulk.selected}
        nameOf={(id) => personName(items.find((c) => c.id === id) ?? {})}
        onFinished={bulk.clear}
      />
      <ProblemAlert error={contacts.error} />
      {contacts.isPending ? <Loader aria-label={t('common.loading')} /> : null}
      <Table striped aria-label={t('nav.contacts')}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={40}>{bulk.pageBox(t('bulk.selectPage'))}</Table.Th>
            <Table.Th>{t('fields.name')}</Table.Th>
            <Table.Th>{t('contacts.kind')}</Table.Th>
            <Table.Th>{t('fields.email')}</Table.Th>
            <Table.Th>{t('fields.owner')}</Table.Th>
            <Table.Th>{t('fields.tags')}</Table.Th>
            <Table.Th>{t('fields.created')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {contacts.data?.items.map((c) => (
            <Table.Tr key={c.id}>
              <Table.Td>{bulk.rowBox(c.id, t('bulk.selectRow', { name: personName(c) }))}</Table.Td>
              <Table.Td>
                <AnchorLink to="/contacts/$id" params={{ id: c.id }}>
                  {personName(c)}
                </AnchorLink>
              </Table.Td>
              <Table.Td>{c.is_organization ? t('contacts.organization') : t('contacts.person')}</Table.Td>
              <Table.Td>{c.email ?? '—'}</Table.Td>
              <Table.Td>{userName(c.owner_id)}</Table.Td>
              <Table.Td>{c.tags.join(', ')}</Table.Td>
              <Table.Td>{dateTime(c.created_at)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
