import { useEffect, useState } from 'react';
import { Alert, Button, Loader, Stack, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client.ts';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';

/** Milliseconds the success message shows before the browser goes on to Settings → Mailboxes. */
const SUCCESS_PAUSE_MS = 1500;

/** The callback of POST /mailboxes/oauth/callback: the connected (or reconnected) mailbox. */
async function finish(code: string, state: string) {
  return unwrap(await api().POST('/mailboxes/oauth/callback', { body: { code, state } }));
}
type Connected = Awaited<ReturnType<typeof finish>>;

// One call per state for the page's lifetime: the API takes a state once, so a second call
// (React strict mode's repeated effect, a remount) would answer state_invalid after a success.
const finishing = new Map<string, Promise<Connected>>();

/**
 * Where a mailbox OAuth2 provider returns the browser (/settings/mailboxes/oauth?code=&state=,
 * or ?error= when the user declined): hands code and state to the API once as the signed-in
 * user, then shows the connected account and goes on to Settings → Mailboxes; or shows the
 * API's problem (e.g. mailbox_oauth.state_invalid) or the provider's error.
 */
export function MailboxOAuth() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { code, state, error, error_description } = useSearch({ from: '/app/settings/mailboxes/oauth' });
  const [connected, setConnected] = useState<Connected>();
  const [failure, setFailure] = useState<unknown>();

  useEffect(() => {
    if (error || !code || !state) return;
    let current = true;
    let call = finishing.get(state);
    if (!call) {
      call = finish(code, state);
      finishing.set(state, call);
    }
    call.then(
      async (mailbox) => {
        await queryClient.invalidateQueries({ queryKey: ['mailboxes'] });
        if (current) setConnected(mailbox);
      },
      (cause: unknown) => {
        if (current) setFailure(cause);
      },
    );
    return () => {
      current = false;
    };
  }, [code, state, error, queryClient]);

  const toMailboxes = () => void navigate({ to: '/settings', search: { tab: 'mailboxes' }, replace: true });
  useEffect(() => {
    if (!connected) return;
    const timer = setTimeout(
      () => void navigate({ to: '/settings', search: { tab: 'mailboxes' }, replace: true }),
      SUCCESS_PAUSE_MS,
    );
    return () => clearTimeout(timer);
  }, [connected, navigate]);

  return (
    <Stack maw={640}>
      <Title order={1} size="h2">
        {t('mailboxOAuth.heading')}
      </Title>
      {error ? (
        <Alert color="red" role="alert" title={t('mailboxOAuth.declined')} data-error={error}>
          <code>{error}</code> {error_description ?? ''}
        </Alert>
      ) : !code || !state ? (
        <Alert color="red" role="alert" title={t('mailboxOAuth.incomplete')}>
          {t('mailboxOAuth.incompleteDetail')}
        </Alert>
      ) : failure ? (
        <ProblemAlert error={failure} />
      ) : connected ? (
        <Alert color="green" title={t('mailboxOAuth.connected')} data-testid="mailbox-oauth-connected">
          {t('mailboxOAuth.connectedDetail', { name: connected.username })}
        </Alert>
      ) : (
        <Stack align="flex-start" gap="xs">
          <Loader size="sm" aria-label={t('mailboxOAuth.finishing')} />
          <Text size="sm">{t('mailboxOAuth.finishing')}</Text>
        </Stack>
      )}
      {failure || error || !code || !state || connected ? (
        <div>
          <Button variant="light" onClick={toMailboxes}>
            {t('mailboxOAuth.back')}
          </Button>
        </div>
      ) : null}
    </Stack>
  );
}
