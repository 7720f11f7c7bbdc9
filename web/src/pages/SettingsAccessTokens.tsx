import { useState } from 'react';
import {
  Alert,
  Button,
  Code,
  CopyButton,
  Group,
  Loader,
  Modal,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client.ts';
import type { paths } from '../api/schema.gen.ts';
import { dateTime } from '../format.ts';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';

type AccessToken = paths['/access_tokens']['get']['responses'][200]['content']['application/json']['items'][number];

/** A just-created token's name and secret: held in this component's state only, until its box is closed. */
interface Shown {
  name: string;
  secret: string;
}

/**
 * The caller's personal access tokens (issue 17): what they are for, the list (name, first
 * characters, created, last used), create one (its secret shown once, with a copy button) and
 * revoke one after a confirmation. The secret never reaches the query cache: the mutation hands
 * it to local state and answers only the listed part, so closing the box forgets it.
 */
export function AccessTokens() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [shown, setShown] = useState<Shown | null>(null);
  const [revoking, setRevoking] = useState<AccessToken | null>(null);
  const tokens = useQuery({
    queryKey: ['access_tokens'],
    queryFn: async () => unwrap(await api().GET('/access_tokens')),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['access_tokens'] });
  const create = useMutation({
    mutationFn: async (): Promise<AccessToken> => {
      const { token: secret, ...listed } = unwrap(await api().POST('/access_tokens', { body: { name: name.trim() } }));
      setShown({ name: listed.name, secret });
      return listed;
    },
    onSuccess: async () => {
      setName('');
      await refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: async (id: string) => unwrap(await api().DELETE('/access_tokens/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      setRevoking(null);
      await refresh();
    },
  });
  const items = tokens.data?.items ?? [];
  return (
    <Stack maw={900}>
      <Text size="sm" c="dimmed">
        {t('accessTokens.note')}
      </Text>
      {shown ? <SecretBox shown={shown} onClose={() => setShown(null)} /> : null}
      <ProblemAlert error={tokens.error} />
      {tokens.isPending ? <Loader aria-label={t('common.loading')} /> : null}
      {tokens.data && items.length === 0 ? <Text c="dimmed">{t('accessTokens.none')}</Text> : null}
      {items.length ? (
        <Table aria-label={t('settings.tabs.tokens')} data-testid="access-tokens">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('accessTokens.name')}</Table.Th>
              <Table.Th>{t('accessTokens.startsWith')}</Table.Th>
              <Table.Th>{t('accessTokens.created')}</Table.Th>
              <Table.Th>{t('accessTokens.lastUsed')}</Table.Th>
              <Table.Th>
                <VisuallyHidden>{t('accessTokens.actions')}</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((token) => (
              <Table.Tr key={token.id} data-token={token.name}>
                <Table.Td>{token.name}</Table.Td>
                <Table.Td>
                  <Code>{t('accessTokens.prefix', { prefix: token.prefix })}</Code>
                </Table.Td>
                <Table.Td>{dateTime(token.created_at)}</Table.Td>
                <Table.Td data-column="last-used" data-used={token.last_used_at !== null}>
                  {token.last_used_at ? dateTime(token.last_used_at) : t('accessTokens.never')}
                </Table.Td>
                <Table.Td w={120}>
                  <Button
                    size="xs"
                    variant="subtle"
                    color="red"
                    aria-label={t('accessTokens.revokeOne', { name: token.name })}
                    onClick={() => {
                      revoke.reset();
                      setRevoking(token);
                    }}
                  >
                    {t('accessTokens.revoke')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      <Title order={2} size="h4">
        {t('accessTokens.create')}
      </Title>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Group align="flex-end">
          <TextInput
            label={t('accessTokens.name')}
            description={t('accessTokens.nameHint')}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            maxLength={100}
            required
            w={320}
          />
          <Button type="submit" disabled={!name.trim()} loading={create.isPending}>
            {t('accessTokens.createButton')}
          </Button>
        </Group>
      </form>
      <ProblemAlert error={create.error} />
      <Modal
        opened={revoking !== null}
        onClose={() => setRevoking(null)}
        title={t('accessTokens.revokeTitle', { name: revoking?.name ?? '' })}
      >
        <Stack>
          <Text size="sm">{t('accessTokens.revokeBody')}</Text>
          <ProblemAlert error={revoke.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRevoking(null)}>
              {t('common.cancel')}
            </Button>
            <Button color="red" loading={revoke.isPending} onClick={() => revoking && revoke.mutate(revoking.id)}>
              {t('accessTokens.revokeConfirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

/** The new token's secret, shown this once with a copy button; closing it drops the secret. */
function SecretBox({ shown, onClose }: { shown: Shown; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <Alert color="blue" title={t('accessTokens.shownOnceTitle', { name: shown.name })}>
      <Stack gap="xs">
        <Text size="sm">{t('accessTokens.shownOnce')}</Text>
        <Code block data-testid="access-token-secret">
          {shown.secret}
        </Code>
        <Group>
          <CopyButton value={shown.secret}>
            {({ copied, copy }) => (
              <Button variant="light" onClick={copy}>
                {copied ? t('accessTokens.copied') : t('accessTokens.copy')}
              </Button>
            )}
          </CopyButton>
          <Button variant="default" onClick={onClose}>
            {t('accessTokens.done')}
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}
