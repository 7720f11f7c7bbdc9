import { useState } from 'react';
import { Alert, Badge, Button, Card, Checkbox, Grid, Group, Loader, Modal, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from '@tanstack/react-router';
import { api, unwrap } from '../api/client.ts';
import { dateTime, personName } from '../format.ts';
import { useUserName } from '../queries.ts';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';
import { customRows, Details, Timeline } from '../ui/Timeline.tsx';

/** A lead: details, custom fields, tags, timeline, and conversion (said plainly to be final). */
export function Lead() {
  const { id } = useParams({ from: '/app/leads/$id' });
  const userName = useUserName();
  const [converting, setConverting] = useState(false);
  const lead = useQuery({
    queryKey: ['lead', id],
    queryFn: async () => unwrap(await api().GET('/leads/{id}', { params: { path: { id } } })),
  });
  const l = lead.data;
  if (lead.error) return <ProblemAlert error={lead.error} />;
  if (!l) return <Loader aria-label="Loading" />;

  return (
    <Stack>
      <Group justify="space-between">
        <Group>
          <Title order={1} size="h2">
            {personName(l)}
          </Title>
          <Badge variant="light">{l.status}</Badge>
        </Group>
        {l.status !== 'converted' ? <Button onClick={() => setConverting(true)}>Convert…</Button> : null}
      </Group>
      {l.status === 'converted' ? (
        <Alert color="blue" title="Converted">
          Converted on {dateTime(l.converted_at)}; the lead is kept read-only.
        </Alert>
      ) : null}
      <Grid>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Card withBorder>
            <Title order={2} size="h4" mb="sm">
              Details
            </Title>
            <Details
              rows={[
                ['Organization', l.organization_name],
                ['Title', l.title],
                ['Email', l.email],
                ['Phone', l.phone],
                ['Mobile', l.mobile],
                ['Website', l.website],
                ['Industry', l.industry],
                ['City', l.address.city],
                ['Country', l.address.country],
                ['Owner', userName(l.owner_id)],
                [
                  'Tags',
                  l.tags.length
                    ? l.tags.map((t) => (
                        <Badge key={t} mr={4} size="sm">
                          {t}
                        </Badge>
                      ))
                    : null,
                ],
                ['Created', dateTime(l.created_at)],
              ]}
            />
            <Title order={3} size="h5" mt="md" mb="xs">
              Custom fields
            </Title>
            {Object.keys(l.custom_fields).length ? (
              <Details rows={customRows(l.custom_fields)} />
            ) : (
              <Text c="dimmed" size="sm">
                None set.
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
    <Modal opened onClose={onClose} title="Convert this lead">
      <Stack>
        <Alert color="red" title="This cannot be undone">
          Converting makes {name} a contact{withOrg ? ' with an organization' : ''}
          {withDeal ? ' and opens a deal' : ''}. The lead stays converted and read-only for good: there is no way back to a lead.
        </Alert>
        <Checkbox
          label="Also create the organization"
          checked={withOrg}
          disabled={!organization}
          onChange={(e) => setWithOrg(e.currentTarget.checked)}
        />
        <Checkbox label="Open a deal" checked={withDeal} onChange={(e) => setWithDeal(e.currentTarget.checked)} />
        {withDeal ? <TextInput label="Deal name" value={dealName} onChange={(e) => setDealName(e.currentTarget.value)} /> : null}
        <ProblemAlert error={convert.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color="red" loading={convert.isPending} onClick={() => convert.mutate()}>
            Convert for good
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
