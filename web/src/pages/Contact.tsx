import { Badge, Card, Grid, Group, Loader, Stack, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useParams } from '@tanstack/react-router';
import { api, unwrap } from '../api/client.ts';
import { dateTime, personName } from '../format.ts';
import { useTranslation } from 'react-i18next';
import { useUserName } from '../queries.ts';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';
import { customRows, Details, Timeline } from '../ui/Timeline.tsx';

/** F3: a contact's details, custom fields, tags and timeline. */
export function Contact() {
  const { id } = useParams({ from: '/app/contacts/$id' });
  const userName = useUserName();
  const { t } = useTranslation();
  const contact = useQuery({
    queryKey: ['contacts', id],
    queryFn: async () => unwrap(await api().GET('/contacts/{id}', { params: { path: { id } } })),
  });
  const c = contact.data;
  if (contact.error) return <ProblemAlert error={contact.error} />;
  if (!c) return <Loader aria-label={t('common.loading')} />;
  return (
    <Stack>
      <Group>
        <Title order={1} size="h2">
          {personName(c)}
        </Title>
        <Badge variant="light">{c.is_organization ? t('contacts.organization') : t('contacts.person')}</Badge>
      </Group>
      <Grid>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Card withBorder>
            <Title order={2} size="h4" mb="sm">
              {t('record.details')}
            </Title>
            <Details
              rows={[
                [t('contacts.title'), c.title],
                [t('fields.email'), c.email],
                [t('fields.phone'), c.phone],
                [t('contacts.website'), c.website],
                [t('fields.city'), c.address.city],
                [t('fields.owner'), userName(c.owner_id)],
                [t('fields.tags'), c.tags.join(', ')],
                [t('fields.created'), dateTime(c.created_at)],
                ...customRows(c.custom_fields),
              ]}
            />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Timeline type="contact" id={id} />
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
