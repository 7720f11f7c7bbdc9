import { useState } from 'react';
import { Badge, Button, Checkbox, Group, NumberInput, PasswordInput, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client.ts';
import { config } from '../config.ts';
import { dateTime } from '../format.ts';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';

const EMPTY = { host: '', port: 993, tls: true, username: '', password: '' };

/** A config provider name as a label: "google" → "Google". */
export function providerLabel(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * The caller's connected IMAP mailboxes (F9.2, issue 14): each one's sync state (first sync,
 * last poll, last error), connect one with a password or with a configured OAuth2 provider
 * (/config.json mailboxOAuthProviders; the browser goes to the provider and comes back to
 * MailboxOAuth.tsx), reconnect one the provider stopped honouring, disconnect. The password is
 * sent once and never shown again (the API stores it sealed and never answers it).
 */
export function Mailboxes() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [form, setForm] = useState(EMPTY);
  const mailboxes = useQuery({
    queryKey: ['mailboxes'],
    queryFn: async () => unwrap(await api().GET('/mailboxes')),
  });
  const done = () => queryClient.invalidateQueries({ queryKey: ['mailboxes'] });
  const connect = useMutation({
    mutationFn: async () => unwrap(await api().POST('/mailboxes', { body: { ...form, host: form.host.trim() } })),
    onSuccess: async () => {
      setForm(EMPTY);
      await done();
    },
  });
  const remove = useMutation({
    mutationFn: async (id: string) => unwrap(await api().DELETE('/mailboxes/{id}', { params: { path: { id } } })),
    onSuccess: done,
  });
  const providers = config().mailboxOAuthProviders ?? [];
  // The authorization URL leaves the app: the provider returns to /settings/mailboxes/oauth.
  const start = useMutation({
    mutationFn: async (provider: string) => unwrap(await api().POST('/mailboxes/oauth/start', { body: { provider } })),
    onSuccess: (started) => window.location.assign(started.authorization_url),
  });
  const items = mailboxes.data?.items ?? [];
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        {t('mailboxes.note')}
      </Text>
      <ProblemAlert error={mailboxes.error ?? connect.error ?? remove.error ?? start.error} />
      {mailboxes.data && items.length === 0 ? <Text c="dimmed">{t('mailboxes.none')}</Text> : null}
      {items.length ? (
        <Table aria-label={t('settings.tabs.mailboxes')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('mailboxes.account')}</Table.Th>
              <Table.Th>{t('mailboxes.state')}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((m) => (
              <Table.Tr key={m.id} data-mailbox={m.username}>
                <Table.Td>
                  {m.username}
                  <Text size="xs" c="dimmed">
                    {m.host}:{m.port}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {m.needs_reconnect ? (
                    <Badge color="orange" size="sm">
                      {t('mailboxes.needsReconnect')}
                    </Badge>
                  ) : m.last_error ? (
                    <Badge color="red" size="sm" title={m.last_error}>
                      {t('mailboxes.failing')}
                    </Badge>
                  ) : m.first_synced_at ? (
                    <Badge color="green" size="sm">
                      {t('mailboxes.synced')}
                    </Badge>
                  ) : (
                    <Badge color="blue" size="sm">
                      {t('mailboxes.syncing')}
                    </Badge>
                  )}
                  <Text size="xs" c="dimmed">
                    {m.last_polled_at ? t('mailboxes.lastPolled', { at: dateTime(m.last_polled_at) }) : t('mailboxes.notPolled')}
                  </Text>
                  {m.last_error ? (
                    <Text size="xs" c="red.9">
                      {m.last_error}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td w={220}>
                  {m.needs_reconnect && m.provider ? (
                    <Button
                      size="xs"
                      variant="light"
                      aria-label={t('mailboxes.reconnectOne', { name: m.username })}
                      loading={start.isPending && start.variables === m.provider}
                      onClick={() => start.mutate(m.provider!)}
                    >
                      {t('mailboxes.reconnect')}
                    </Button>
                  ) : null}
                  <Button
                    size="xs"
                    variant="subtle"
                    color="red"
                    aria-label={t('mailboxes.disconnectOne', { name: m.username })}
                    onClick={() => remove.mutate(m.id)}
                  >
                    {t('mailboxes.disconnect')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {providers.length ? (
        <>
          <Title order={2} size="h4">
            {t('mailboxes.connectOAuth')}
          </Title>
          <Group>
            {providers.map((p) => (
              <Button
                key={p}
                variant="light"
                data-provider={p}
                loading={start.isPending && start.variables === p}
                onClick={() => start.mutate(p)}
              >
                {t('mailboxes.connectWith', { provider: providerLabel(p) })}
              </Button>
            ))}
          </Group>
        </>
      ) : null}
      <Title order={2} size="h4">
        {t('mailboxes.connect')}
      </Title>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          connect.mutate();
        }}
      >
        <Group align="flex-end">
          <TextInput
            label={t('mailboxes.host')}
            value={form.host}
            onChange={(e) => setForm({ ...form, host: e.currentTarget.value })}
            required
          />
          <NumberInput
            label={t('mailboxes.port')}
            value={form.port}
            onChange={(v) => setForm({ ...form, port: typeof v === 'number' ? v : Number(v) || 0 })}
            min={1}
            max={65535}
            w={100}
          />
          <Checkbox
            label={t('mailboxes.tls')}
            checked={form.tls}
            onChange={(e) => setForm({ ...form, tls: e.currentTarget.checked })}
            mb={8}
          />
          <TextInput
            label={t('mailboxes.username')}
            value={form.username}
            onChange={(e) => setForm({ ...form, username: e.currentTarget.value })}
            required
          />
          <PasswordInput
            label={t('mailboxes.password')}
            value={form.password}
            onChange={(e) => setForm({ ...form, password: e.currentTarget.value })}
            required
            w={200}
          />
          <Button type="submit" variant="light" loading={connect.isPending}>
            {t('mailboxes.connectButton')}
          </Button>
        </Group>
      </form>
    </Stack>
  );
}
