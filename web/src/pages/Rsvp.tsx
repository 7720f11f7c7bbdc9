import { useState } from 'react';
import { Alert, Button, Center, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useParams, useSearch } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError, unwrap } from '../api/client.ts';
import type { operations } from '../api/schema.gen.ts';
import { dateTime } from '../format.ts';
import { i18next } from '../i18n/index.ts';
import { LanguagePicker } from '../ui/LanguagePicker.tsx';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';

type Answer = 'accepted' | 'tentative' | 'declined';
type View = operations['getRsvp']['responses'][200]['content']['application/json'];

const ANSWERS: readonly Answer[] = ['accepted', 'tentative', 'declined'];

/** An all-day appointment's days, in the UI language (dates, not instants: no zone shift). */
function days(view: View['appointment']): string {
  const format = (iso: string) =>
    new Intl.DateTimeFormat(i18next.language || 'en', { dateStyle: 'medium', timeZone: view.time_zone }).format(new Date(iso));
  const first = format(view.start_at);
  const last = format(new Date(new Date(view.end_at).getTime() - 1).toISOString());
  return first === last ? first : `${first} – ${last}`;
}

/**
 * The public page an invitation's links open (`/rsvp/<token>?response=`): no sign-in. It reads the
 * invitation (GET /rsvp/{token}) and records an answer only when the person presses a button
 * (POST): link scanners load pages, so loading must never answer. The link's `response` is only
 * pre-selected.
 */
export function Rsvp() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const { token } = useParams({ from: '/rsvp/$token' });
  const { response } = useSearch({ from: '/rsvp/$token' });
  const [choice, setChoice] = useState<Answer | undefined>(response);
  const key = ['rsvp', token];
  const view = useQuery({
    queryKey: key,
    queryFn: async () => unwrap(await api().GET('/rsvp/{token}', { params: { path: { token } } })),
  });
  const answer = useMutation({
    mutationFn: async (picked: Answer) =>
      unwrap(await api().POST('/rsvp/{token}', { params: { path: { token } }, body: { response: picked } })),
    onSuccess: (data) => queryClient.setQueryData(key, data),
  });

  const gone = view.error instanceof ApiError && view.error.problem.code === 'rsvp.not_found';
  const data = view.data;
  return (
    <Center mih="100vh" component="main">
      <Paper withBorder p="xl" w={460}>
        <Stack>
          <Title order={1} size="h3">
            {t('rsvp.heading')}
          </Title>
          <LanguagePicker />
          {view.isPending ? <Text>{t('common.loading')}</Text> : null}
          {gone ? (
            <Alert color="red" role="alert" title={t('rsvp.goneTitle')} data-code="rsvp.not_found">
              {t('rsvp.gone')}
            </Alert>
          ) : view.error ? (
            <ProblemAlert error={view.error} />
          ) : null}
          {data ? (
            <>
              <Title order={2} size="h4" data-testid="rsvp-name">
                {data.appointment.name}
              </Title>
              <dl>
                <dt>{t('rsvp.when')}</dt>
                <dd data-testid="rsvp-when">
                  {data.appointment.all_day
                    ? days(data.appointment)
                    : `${dateTime(data.appointment.start_at)} – ${dateTime(data.appointment.end_at)}`}
                </dd>
                <dt>{t('rsvp.where')}</dt>
                <dd>{data.appointment.location ?? t('rsvp.noLocation')}</dd>
                <dt>{t('rsvp.organizer')}</dt>
                <dd data-testid="rsvp-organizer">{data.organizer.name}</dd>
                <dt>{t('rsvp.invitee')}</dt>
                <dd>{data.attendee.name ?? data.attendee.email ?? '—'}</dd>
              </dl>
              {data.superseded ? (
                <Alert color="blue" role="status" title={t('rsvp.supersededTitle')} data-testid="rsvp-superseded">
                  {t('rsvp.superseded')}
                </Alert>
              ) : null}
              <Text role="status" data-testid="rsvp-current" data-response={data.response}>
                {data.response === 'needs_action'
                  ? t('rsvp.notAnswered')
                  : t('rsvp.answered', {
                      answer: t(`rsvp.answers.${data.response}`),
                      at: dateTime(data.responded_at),
                    })}
              </Text>
              <Group role="group" aria-label={t('rsvp.choose')}>
                {ANSWERS.map((a) => (
                  <Button
                    key={a}
                    variant={choice === a ? 'filled' : 'outline'}
                    aria-pressed={choice === a}
                    loading={answer.isPending && answer.variables === a}
                    disabled={answer.isPending}
                    onClick={() => {
                      setChoice(a);
                      answer.mutate(a);
                    }}
                  >
                    {t(`rsvp.buttons.${a}`)}
                  </Button>
                ))}
              </Group>
              {answer.isSuccess ? (
                <Alert color="green" role="status" data-testid="rsvp-saved">
                  {t('rsvp.saved')}
                </Alert>
              ) : null}
              <ProblemAlert error={answer.error} />
            </>
          ) : null}
        </Stack>
      </Paper>
    </Center>
  );
}
