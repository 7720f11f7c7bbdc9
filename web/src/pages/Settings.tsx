import { useState } from 'react';
import {
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  Loader,
  MultiSelect,
  Select,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSearch } from '@tanstack/react-router';
import { AccessTokens } from './SettingsAccessTokens.tsx';
import { Mailboxes } from './SettingsMailboxes.tsx';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client.ts';
import type { paths } from '../api/schema.gen.ts';
import { dateTime, number } from '../format.ts';
import { useSelf } from '../queries.ts';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';
import { Pipelines, ReasonsAndSources, SellImportStart, UsersAndTeams } from './SettingsAdmin.tsx';

// Settings by role: everyone sets their own notification channels and personal access tokens
// (SettingsAccessTokens.tsx); admins also see custom
// fields, pipelines and stages, reasons and sources, users and teams (SettingsAdmin.tsx) and the
// configured automated actions (read-only: they live in config) and the import from Zendesk Sell.

type Channel = 'web' | 'email' | 'both' | 'off';
const CHANNELS: readonly Channel[] = ['web', 'email', 'both', 'off'];
const RESOURCES = ['leads', 'contacts', 'deals'] as const;
type Resource = (typeof RESOURCES)[number];
type FieldType = paths['/custom_fields/{resource_type}']['post']['requestBody']['content']['application/json']['type'];
const FIELD_TYPES: readonly FieldType[] = [
  'string',
  'text',
  'bool',
  'list',
  'multi_select_list',
  'date',
  'datetime',
  'number',
  'email',
  'phone',
  'address',
  'url',
];
const RULE_RESOURCES = ['lead', 'contact', 'deal'] as const;
const RULE_TRIGGERS = ['created', 'task_added', 'stage_changed', 'status_changed', 'owner_changed'] as const;
const RULE_CHANNELS = ['web', 'email', 'push'] as const;
const WITH_CHOICES: readonly FieldType[] = ['list', 'multi_select_list'];

/** The settings page: tabs by role. */
export function Settings() {
  const { t } = useTranslation();
  const admin = useSelf().data?.role === 'admin';
  // ?tab= opens a tab (the mailbox OAuth return page sends the browser to ?tab=mailboxes).
  const { tab } = useSearch({ from: '/app/settings' });
  return (
    <Stack>
      <Title order={1} size="h2">
        {t('settings.heading')}
      </Title>
      <Tabs defaultValue={tab ?? 'notifications'} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="notifications">{t('settings.tabs.notifications')}</Tabs.Tab>
          <Tabs.Tab value="rules">{t('settings.tabs.rules')}</Tabs.Tab>
          <Tabs.Tab value="calendar">{t('settings.tabs.calendar')}</Tabs.Tab>
          <Tabs.Tab value="mailboxes">{t('settings.tabs.mailboxes')}</Tabs.Tab>
          <Tabs.Tab value="tokens">{t('settings.tabs.tokens')}</Tabs.Tab>
          {admin ? <Tabs.Tab value="fields">{t('settings.tabs.fields')}</Tabs.Tab> : null}
          {admin ? <Tabs.Tab value="pipelines">{t('settings.tabs.pipelines')}</Tabs.Tab> : null}
          {admin ? <Tabs.Tab value="lists">{t('settings.tabs.lists')}</Tabs.Tab> : null}
          {admin ? <Tabs.Tab value="people">{t('settings.tabs.people')}</Tabs.Tab> : null}
          {admin ? <Tabs.Tab value="automations">{t('settings.tabs.automations')}</Tabs.Tab> : null}
          {admin ? <Tabs.Tab value="sell">{t('settings.tabs.sell')}</Tabs.Tab> : null}
        </Tabs.List>
        <Tabs.Panel value="notifications" pt="md">
          <NotificationSettings />
        </Tabs.Panel>
        <Tabs.Panel value="calendar" pt="md">
          <CalendarFeed />
        </Tabs.Panel>
        <Tabs.Panel value="mailboxes" pt="md">
          <Mailboxes />
        </Tabs.Panel>
        <Tabs.Panel value="tokens" pt="md">
          <AccessTokens />
        </Tabs.Panel>
        <Tabs.Panel value="rules" pt="md">
          <Rules />
        </Tabs.Panel>
        {admin ? (
          <>
            <Tabs.Panel value="fields" pt="md">
              <CustomFields />
            </Tabs.Panel>
            <Tabs.Panel value="pipelines" pt="md">
              <Pipelines />
            </Tabs.Panel>
            <Tabs.Panel value="lists" pt="md">
              <ReasonsAndSources />
            </Tabs.Panel>
            <Tabs.Panel value="people" pt="md">
              <UsersAndTeams />
            </Tabs.Panel>
            <Tabs.Panel value="automations" pt="md">
              <Automations />
            </Tabs.Panel>
            <Tabs.Panel value="sell" pt="md">
              <SellImportStart />
            </Tabs.Panel>
          </>
        ) : null}
      </Tabs>
    </Stack>
  );
}

function NotificationSettings() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const settings = useQuery({
    queryKey: ['notification_settings'],
    queryFn: async () => unwrap(await api().GET('/notification_settings')),
  });
  const save = useMutation({
    mutationFn: async ({ kind, channel }: { kind: string; channel: Channel }) =>
      unwrap(await api().PUT('/notification_settings', { body: { channels: { [kind]: channel }, push: {} } })),
    onSuccess: (answer) => queryClient.setQueryData(['notification_settings'], answer),
  });
  if (settings.isPending) return <Loader aria-label={t('common.loading')} />;
  return (
    <Stack>
      <ProblemAlert error={settings.error ?? save.error} />
      <Table aria-label={t('settings.tabs.notifications')}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('settings.kind')}</Table.Th>
            <Table.Th>{t('settings.channel')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {settings.data?.items.map((s) => (
            <Table.Tr key={s.kind}>
              <Table.Td>
                {t(`settings.kinds.${s.kind}`)}
                {s.produced ? null : (
                  <Badge ml="xs" size="xs" variant="light" color="gray">
                    {t('settings.notYet')}
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>
                <Select
                  aria-label={t('settings.channelOf', { kind: t(`settings.kinds.${s.kind}`) })}
                  data={CHANNELS.map((c) => ({ value: c, label: t(`settings.channels.${c}`) }))}
                  value={s.channel}
                  onChange={(v) => v && save.mutate({ kind: s.kind, channel: v as Channel })}
                  allowDeselect={false}
                  w={200}
                />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

function CustomFields() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [resource, setResource] = useState<Resource>('leads');
  const [name, setName] = useState('');
  const [type, setType] = useState<FieldType>('string');
  const [choices, setChoices] = useState('');
  const fields = useQuery({
    queryKey: ['custom_fields', resource],
    queryFn: async () =>
      unwrap(await api().GET('/custom_fields/{resource_type}', { params: { path: { resource_type: resource } } })),
  });
  const create = useMutation({
    mutationFn: async () =>
      unwrap(
        await api().POST('/custom_fields/{resource_type}', {
          params: { path: { resource_type: resource } },
          body: {
            name: name.trim(),
            type,
            ...(WITH_CHOICES.includes(type)
              ? {
                  choices: choices
                    .split(',')
                    .map((c) => c.trim())
                    .filter(Boolean),
                }
              : {}),
          },
        }),
      ),
    onSuccess: async () => {
      setName('');
      setChoices('');
      await queryClient.invalidateQueries({ queryKey: ['custom_fields', resource] });
    },
  });
  return (
    <Stack>
      <Select
        label={t('settings.resource')}
        data={RESOURCES.map((r) => ({ value: r, label: t(`nav.${r}`) }))}
        value={resource}
        onChange={(v) => v && setResource(v as Resource)}
        allowDeselect={false}
        w={240}
      />
      <ProblemAlert error={fields.error} />
      <Table aria-label={t('settings.tabs.fields')}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('fields.name')}</Table.Th>
            <Table.Th>{t('settings.type')}</Table.Th>
            <Table.Th>{t('settings.choices')}</Table.Th>
            <Table.Th>{t('settings.values')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {fields.data?.items.map((f) => (
            <Table.Tr key={f.id}>
              <Table.Td>{f.name}</Table.Td>
              <Table.Td>{t(`settings.types.${f.type}`)}</Table.Td>
              <Table.Td>{f.choices?.join(', ') ?? '—'}</Table.Td>
              <Table.Td>{number(f.value_count)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Group align="flex-end">
          <TextInput label={t('settings.newField')} value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <Select
            label={t('settings.type')}
            data={FIELD_TYPES.map((ft) => ({ value: ft, label: t(`settings.types.${ft}`) }))}
            value={type}
            onChange={(v) => v && setType(v as FieldType)}
            allowDeselect={false}
          />
          {WITH_CHOICES.includes(type) ? (
            <TextInput label={t('settings.choicesInput')} value={choices} onChange={(e) => setChoices(e.currentTarget.value)} />
          ) : null}
          <Button type="submit" disabled={!name.trim()} loading={create.isPending}>
            {t('settings.addField')}
          </Button>
        </Group>
      </form>
      <ProblemAlert error={create.error} />
    </Stack>
  );
}

function Automations() {
  const { t } = useTranslation();
  const automations = useQuery({
    queryKey: ['automations'],
    queryFn: async () => unwrap(await api().GET('/automations')),
  });
  if (automations.isPending) return <Loader aria-label={t('common.loading')} />;
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        {t('settings.automationsNote')}
      </Text>
      <ProblemAlert error={automations.error} />
      {automations.data?.items.length === 0 ? <Text c="dimmed">{t('settings.noAutomations')}</Text> : null}
      <Table aria-label={t('settings.tabs.automations')}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('fields.name')}</Table.Th>
            <Table.Th>{t('settings.trigger')}</Table.Th>
            <Table.Th>{t('settings.runs')}</Table.Th>
            <Table.Th>{t('settings.lastRun')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {automations.data?.items.map((a) => (
            <Table.Tr key={a.name}>
              <Table.Td>{a.name}</Table.Td>
              <Table.Td>
                <code>{a.trigger}</code>
              </Table.Td>
              <Table.Td>{t('settings.runCount', { runs: number(a.runs), failures: number(a.failures) })}</Table.Td>
              <Table.Td>
                {a.last_run ? `${t(`settings.outcomes.${a.last_run.outcome}`)}, ${dateTime(a.last_run.at)}` : '—'}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

/** The caller's own notification rules (F2.2): list, add (record type, triggers, channels), delete. */
function Rules() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [resource, setResource] = useState<(typeof RULE_RESOURCES)[number]>('deal');
  const [triggers, setTriggers] = useState<string[]>([]);
  const [channels, setChannels] = useState<string[]>(['web']);
  const rules = useQuery({
    queryKey: ['notification_rules'],
    queryFn: async () => unwrap(await api().GET('/notification_rules')),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['notification_rules'] });
  const create = useMutation({
    mutationFn: async () =>
      unwrap(
        await api().POST('/notification_rules', {
          body: {
            name: name.trim(),
            resource,
            filters: [],
            triggers: triggers as (typeof RULE_TRIGGERS)[number][],
            channels: channels as (typeof RULE_CHANNELS)[number][],
          },
        }),
      ),
    onSuccess: async () => {
      setName('');
      setTriggers([]);
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: async (id: string) => unwrap(await api().DELETE('/notification_rules/{id}', { params: { path: { id } } })),
    onSuccess: refresh,
  });
  return (
    <Stack>
      <ProblemAlert error={rules.error ?? remove.error} />
      {rules.data?.items.length === 0 ? <Text c="dimmed">{t('settings.noRules')}</Text> : null}
      <Table aria-label={t('settings.tabs.rules')}>
        <Table.Tbody>
          {rules.data?.items.map((r) => (
            <Table.Tr key={r.id}>
              <Table.Td>{r.name}</Table.Td>
              <Table.Td>{t(`activity.types.${r.resource}`)}</Table.Td>
              <Table.Td>{r.triggers.map((tr) => t(`settings.triggers.${tr}`)).join(', ')}</Table.Td>
              <Table.Td>{r.channels.map((c) => t(`settings.ruleChannels.${c}`)).join(', ')}</Table.Td>
              <Table.Td w={100}>
                <Button size="xs" variant="subtle" color="red" onClick={() => remove.mutate(r.id)}>
                  {t('settings.delete')}
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Group align="flex-end">
          <TextInput label={t('settings.ruleName')} value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <Select
            label={t('settings.resource')}
            data={RULE_RESOURCES.map((r) => ({ value: r, label: t(`activity.types.${r}`) }))}
            value={resource}
            onChange={(v) => v && setResource(v as (typeof RULE_RESOURCES)[number])}
            allowDeselect={false}
          />
          <MultiSelect
            label={t('settings.when')}
            data={RULE_TRIGGERS.map((tr) => ({ value: tr, label: t(`settings.triggers.${tr}`) }))}
            value={triggers}
            onChange={setTriggers}
            miw={220}
          />
          <MultiSelect
            label={t('settings.channel')}
            data={RULE_CHANNELS.map((c) => ({ value: c, label: t(`settings.ruleChannels.${c}`) }))}
            value={channels}
            onChange={setChannels}
            miw={180}
          />
          <Button type="submit" disabled={!name.trim() || !triggers.length || !channels.length} loading={create.isPending}>
            {t('settings.addRule')}
          </Button>
        </Group>
      </form>
      <ProblemAlert error={create.error} />
    </Stack>
  );
}

/**
 * The caller's calendar feed (GET/POST/DELETE /calendar_feed): whether one exists, make or rotate
 * it (the URL is the credential, so the API shows it only in the POST's answer: shown here once,
 * with a copy button), and turn it off.
 */
function CalendarFeed() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [url, setUrl] = useState<string | null>(null);
  const feed = useQuery({
    queryKey: ['calendar_feed'],
    queryFn: async () => unwrap(await api().GET('/calendar_feed')),
  });
  const rotate = useMutation({
    mutationFn: async () => unwrap(await api().POST('/calendar_feed')),
    onSuccess: (made) => {
      setUrl(made.url);
      queryClient.setQueryData(['calendar_feed'], {
        enabled: made.enabled,
        token_hint: made.token_hint,
        created_at: made.created_at,
      });
    },
  });
  const off = useMutation({
    mutationFn: async () => {
      const answer = await api().DELETE('/calendar_feed');
      if (!answer.response.ok) unwrap(answer);
    },
    onSuccess: () => {
      setUrl(null);
      void queryClient.invalidateQueries({ queryKey: ['calendar_feed'] });
    },
  });
  if (feed.isPending) return <Loader aria-label={t('common.loading')} />;
  if (feed.error) return <ProblemAlert error={feed.error} />;
  const view = feed.data;
  return (
    <Stack maw={640} data-testid="calendar-feed" data-enabled={view.enabled}>
      <Text size="sm" c="dimmed">
        {t('settings.feed.note')}
      </Text>
      <Text>
        {view.enabled
          ? t('settings.feed.on', { hint: view.token_hint ?? '', at: dateTime(view.created_at) })
          : t('settings.feed.none')}
      </Text>
      {url ? (
        <Stack gap="xs">
          <Text fw={600}>{t('settings.feed.shownOnce')}</Text>
          <Code block data-testid="calendar-feed-url">
            {url}
          </Code>
          <CopyButton value={url}>
            {({ copied, copy }) => (
              <Button variant="light" onClick={copy} w="fit-content">
                {copied ? t('settings.feed.copied') : t('settings.feed.copy')}
              </Button>
            )}
          </CopyButton>
        </Stack>
      ) : null}
      <Group>
        <Button onClick={() => rotate.mutate()} loading={rotate.isPending}>
          {view.enabled ? t('settings.feed.rotate') : t('settings.feed.make')}
        </Button>
        {view.enabled ? (
          <Button color="red" variant="outline" onClick={() => off.mutate()} loading={off.isPending}>
            {t('settings.feed.turnOff')}
          </Button>
        ) : null}
      </Group>
      <ProblemAlert error={rotate.error ?? off.error} />
    </Stack>
  );
}
