import { useState } from 'react';
import { Alert, Badge, Button, Card, Checkbox, Grid, Group, Loader, Modal, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from '@tanstack/react-router';
import { api, unwrap } from '../api/client.ts';
import { dateTime, personName } from '../format.ts';
import { useTranslation } from 'react-i18next';
import { useUserName } from '../queries.ts';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';
import { customRows, Details, Timeline } from '../ui/Timeline.tsx';

/** A lead: details, custom fields, tags, timeline, and conversion (said plainly to be final). */
export function Lead() {
  const { id } = useParams({ from: '/app/leads/$id' });
  const userName = useUserName();
  const { t } = useTranslation();
  const [converting, setConverting] = useState(false);
  const lead = useQuery({
    queryKey: ['lead', id],
    queryFn: async () => unwrap(await api().GET('/leads/{id}', { params: { path: { id } } })),
  });
  const l = lead.data;
  if (lead.error) return <ProblemAlert error={lead.error} />;
  if (!l) return <Loader aria-label={t('common.loading')} />;

  return (
    <Stack>
      <Group justify="space-between">
        <Group>
          <Title order={1} size="h2">
            {personName(l)}
          </Title>
          <Badge variant="light">{t(`leads.statuses.${l.status}`)}</Badge>
        </Group>
        {l.status !== 'converted' ? <Button onClick={() => setConverting(true)}>{t('lead.convert')}</Button> : null}
      </Group>
      {l.status === 'converted' ? (
        <Alert color="blue" title={t('lead.converted')}>
          {t('lead.convertedOn', { when: dateTime(l.converted_at) })}
        </Alert>
      ) : null}
      <Grid>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Card withBorder>
            <Title order={2} size="h4" mb="sm">
              {t('record.details')}
            </Title>
            <Details
              rows={[
                [t('fields.organization'), l.organization_name],
                [t('contacts.title'), l.title],
                [t('fields.email'), l.email],
                [t('fields.phone'), l.phone],
                [t('lead.mobile'), l.mobile],
                [t('contacts.website'), l.website],
                [t('lead.industry'), l.industry],
                [t('fields.city'), l.address.city],
                [t('lead.country'), l.address.country],
                [t('fields.owner'), userName(l.owner_id)],
                [
                  t('fields.tags'),
                  l.tags.length
                    ? l.tags.map((tag) => (
                        <Badge key={tag} mr={4} size="sm">
                          {tag}
                        </Badge>
                      ))
                    : null,
                ],
                [t('fields.created'), dateTime(l.created_at)],
              ]}
            />
            <Title order={3} size="h5" mt="md" mb="xs">
              {t('record.customFields')}
            </Title>
            {Object.keys(l.custom_fields).length ? (
              <Details rows={customRows(l.custom_fields)} />
            ) : (
              <Text c="dimmed" size="sm">
                {t('record.noneSet')}
              </Text>
            )}
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Timeline type="lead" id={id} />
        </Grid.Col>
      </Grid>
      {converting ? (
        <ConvertDialog id={id} name={personName(l)} organization={l.organization_name} onClose={() => setConverting(false)} />
      ) : null}
    </Stack>
  );
}

function ConvertDialog({
  id,
  name,
  organization,
  onClose,
}: {
  id: string;
  name: string;
  organization: string | null;
  onClose: () => void;
}) {
  const [withDeal, setWithDeal] = useState(true);
  const [dealName, setDealName] = useState(organization ?? name);
  const [withOrg, setWithOrg] = useState(Boolean(organization));
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { t } = useTranslation();
  const convert = useMutation({
    mutationFn: async () =>
      unwrap(
        await api().POST('/leads/{id}/convert', {
          params: { path: { id } },
          body: { ...(withOrg ? { create_organization: true } : {}), deal: withDeal ? { name: dealName } : null },
        }),
      ),
    onSuccess: async (result) => {
      await queryClient.invalidateQueries();
      onClose();
      if (result.deal) await navigate({ to: '/deals/$id', params: { id: result.deal.id } });
      else await navigate({ to: '/contacts/$id', params: { id: result.contact.id } });
    },
  });
  return (
    <Modal opened onClose={onClose} title={t('lead.convertTitle')}>
      <Stack>
        <Alert color="red" title={t('lead.cannotUndo')}>
          {t(
            withOrg ? (withDeal ? 'lead.convertsOrgDeal' : 'lead.convertsOrg') : withDeal ? 'lead.convertsDeal' : 'lead.converts',
            { name },
          )}
        </Alert>
        <Checkbox
          label={t('lead.alsoOrganization')}
          checked={withOrg}
          disabled={!organization}
          onChange={(e) => setWithOrg(e.currentTarget.checked)}
        />
        <Checkbox label={t('lead.openDeal')} checked={withDeal} onChange={(e) => setWithDeal(e.currentTarget.checked)} />
        {withDeal ? (
          <TextInput label={t('lead.dealName')} value={dealName} onChange={(e) => setDealName(e.currentTarget.value)} />
        ) : null}
        <ProblemAlert error={convert.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button color="red" loading={convert.isPending} onClick={() => convert.mutate()}>
            {t('lead.convertForGood')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
