import { useState } from 'react';
import { Alert, Button, Center, Paper, PasswordInput, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { hostedSignIn, hostedSignInError, signIn, SignInError, startHostedSignIn } from '../auth.ts';
import { Trans, useTranslation } from 'react-i18next';
import { config } from '../config.ts';
import { LanguagePicker } from '../ui/LanguagePicker.tsx';

/**
 * In AWS, a button to Cognito's hosted sign-in (code flow with PKCE; a failed return shows here);
 * locally, email and password against the Cognito stand-in, the seeded users offered in a list.
 */
export function SignIn() {
  return hostedSignIn() ? <HostedSignIn /> : <PasswordSignIn />;
}

function HostedSignIn() {
  const { t } = useTranslation();
  const { next } = useSearch({ from: '/signin' });
  const [busy, setBusy] = useState(false);
  const error = hostedSignInError();
  return (
    <Center mih="100vh" component="main">
      <Paper withBorder p="xl" w={380}>
        <Stack>
          <Title order={1} size="h3">
            {t('signIn.heading')}
          </Title>
          <LanguagePicker />
          {error ? (
            <Alert color="red" role="alert" title={t('signIn.refused')}>
              <code>{error.type}</code> {error.message}
            </Alert>
          ) : null}
          <Button
            loading={busy}
            onClick={() => {
              setBusy(true);
              void startHostedSignIn(next);
            }}
          >
            {t('signIn.hosted')}
          </Button>
        </Stack>
      </Paper>
    </Center>
  );
}

function PasswordSignIn() {
  const navigate = useNavigate();
  const { t } = useTranslation();
  const { next } = useSearch({ from: '/signin' });
  const devUsers = config().devUsers ?? [];
  const [email, setEmail] = useState(devUsers[0]?.email ?? '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<SignInError | Error | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email.trim(), password);
      await navigate({ to: next && next.startsWith('/') && !next.startsWith('/signin') ? next : '/' });
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" component="main">
      <Paper withBorder p="xl" w={380} component="form" onSubmit={submit}>
        <Stack>
          <Title order={1} size="h3">
            {t('signIn.heading')}
          </Title>
          <LanguagePicker />
          {devUsers.length > 0 ? (
            <Select
              label={t('signIn.seededUser')}
              data={devUsers.map((u) => ({ value: u.email, label: `${u.email} (${u.role})` }))}
              value={email}
              onChange={(v) => setEmail(v ?? '')}
              allowDeselect={false}
            />
          ) : null}
          <TextInput
            label={t('fields.email')}
            type="email"
            required
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
          />
          <PasswordInput
            label={t('signIn.password')}
            required
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
          />
          {devUsers.length > 0 ? (
            <Text size="sm" c="dimmed">
              <Trans i18nKey="signIn.localPassword" components={{ code: <code /> }} />
            </Text>
          ) : null}
          {error ? (
            <Alert color="red" role="alert" title={t('signIn.refused')}>
              {error instanceof SignInError ? <code>{error.type}</code> : null} {error.message}
            </Alert>
          ) : null}
          <Button type="submit" loading={busy}>
            {t('signIn.submit')}
          </Button>
        </Stack>
      </Paper>
    </Center>
  );
}
