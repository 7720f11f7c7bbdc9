import { useState } from 'react';
import {
  Badge,
  Button,
  Group,
  Loader,
  Modal,
  SegmentedControl,
  Stack,
  Table,
  TagsInput,
  Text,
  TextInput,
  Textarea,
  Title,
  UnstyledButton,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client.ts';
import type { paths } from '../api/schema.gen.ts';
import { dateTime } from '../format.ts';
import { AnchorLink } from '../ui/AnchorLink.tsx';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';
import { RecordPicker, type PickedRecord } from '../ui/RecordPicker.tsx';

/** A message as GET /emails answers it. */
type Email = paths['/emails']['get']['responses'][200]['content']['application/json']['items'][number];
/** The four folders of F9.3 (archived is a flag, listed as its own folder). */
export const EMAIL_FOLDERS = ['inbox', 'unverified', 'sent', 'archived'] as const;
export type EmailFolder = (typeof EMAIL_FOLDERS)[number];

/** Statuses worth a badge: the message did not simply go out. */
const TROUBLE = new Set(['bounced', 'complained', 'failed', 'suppressed']);

const addressLine = (list: Email['to']) => list.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(', ');

/** Plain text as minimal HTML (escaped, paragraphs and line breaks): SES tracks opens in HTML mail only. */
function textToHtml(text: string): string {
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const paragraphs = text.split(/\r?\n\s*\r?\n/).map((p) => `<p>${escape(p).replace(/\r?\n/g, '<br>')}</p>`);
  return `<html><body>${paragraphs.join('')}</body></html>`;
}

/**
 * F9: the caller's mail in four folders (inbox, unverified, sent, archived; the folder in the
 * URL), sent mail's open counts (F9.4), compose and reply (F9.1), and an unverified sender made a
 * lead or contact (F9.5). The forwarding address (F9.2) is shown for mail sent from elsewhere.
 */
export function EmailPage() {
  const { folder = 'inbox' } = useSearch({ from: '/app/email' });
  const navigate = useNavigate({ from: '/email' });
  const { t } = useTranslation();
  const [open, setOpen] = useState<string | null>(null);
  const [composing, setComposing] = useState<Partial<Compose> | null>(null);
  const list = useQuery({
    queryKey: ['emails', folder],
    queryFn: async () => unwrap(await api().GET('/emails', { params: { query: { folder, limit: 50 } } })),
  });
  const forwarding = useQuery({
    queryKey: ['emails', 'forwarding_address'],
    queryFn: async () => unwrap(await api().GET('/emails/forwarding_address')),
  });
  const items = list.data?.items ?? [];
  const outbound = folder === 'sent';
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t('email.heading')}
        </Title>
        <Button onClick={() => setComposing({})}>{t('email.compose')}</Button>
      </Group>
      {forwarding.data ? (
        <Text size="sm" c="dimmed">
          {t('email.forwarding')} <code>{forwarding.data.address}</code>
        </Text>
      ) : null}
      <SegmentedControl
        aria-label={t('email.folder')}
        w={480}
        data={EMAIL_FOLDERS.map((f) => ({ value: f, label: t(`email.folders.${f}`) }))}
        value={folder}
        onChange={(v) => void navigate({ search: { folder: v === 'inbox' ? undefined : (v as Exclude<EmailFolder, 'inbox'>) } })}
      />
      <ProblemAlert error={list.error} />
      {list.isPending ? <Loader aria-label={t('common.loading')} /> : null}
      {list.data && items.length === 0 ? <Text c="dimmed">{t('email.none')}</Text> : null}
      {items.length ? (
        <Table aria-label={t(`email.folders.${folder}`)}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{outbound ? t('email.to') : t('email.from')}</Table.Th>
              <Table.Th>{t('email.subject')}</Table.Th>
              <Table.Th>{t('email.date')}</Table.Th>
              {outbound ? <Table.Th>{t('email.opens')}</Table.Th> : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((e) => (
              <Table.Tr key={e.id} data-email={e.subject}>
                <Table.Td>{e.direction === 'outbound' ? addressLine(e.to) : addressLine([e.from])}</Table.Td>
                <Table.Td>
                  <UnstyledButton onClick={() => setOpen(e.id)} fz="sm" fw={600} c="blue.8">
                    {e.subject || t('email.noSubject')}
                  </UnstyledButton>
                  {TROUBLE.has(e.status) ? (
                    <Badge ml="xs" size="xs" color="red">
                      {t(`email.status.${e.status as 'bounced' | 'complained' | 'failed' | 'suppressed'}`)}
                    </Badge>
                  ) : null}
                </Table.Td>
                <Table.Td>{dateTime(e.sent_at ?? e.created_at)}</Table.Td>
                {outbound ? (
                  <Table.Td data-testid="opens">
                    {e.opened_count
                      ? t('email.opened', { count: e.opened_count, last: dateTime(e.last_opened_at) })
                      : t('email.notOpened')}
                  </Table.Td>
                ) : null}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {open ? (
        <Message
          id={open}
          onClose={() => setOpen(null)}
          onReply={(e) => {
            setOpen(null);
            setComposing({
              to: [e.direction === 'inbound' ? e.from.address : (e.to[0]?.address ?? '')],
              subject: /^re:/i.test(e.subject) ? e.subject : `Re: ${e.subject}`,
              reply_to_email_id: e.id,
            });
          }}
        />
      ) : null}
      {composing ? <ComposeForm initial={composing} onClose={() => setComposing(null)} /> : null}
    </Stack>
  );
}

const RECORD_LINKS = { lead: '/leads/$id', contact: '/contacts/$id', deal: '/deals/$id' } as const;

/** One message: headers, its records, its body (text, or HTML sandboxed), and what can be done with it. */
function Message({ id, onClose, onReply }: { id: string; onClose: () => void; onReply: (e: Email) => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const email = useQuery({
    queryKey: ['email', id],
    queryFn: async () => unwrap(await api().GET('/emails/{id}', { params: { path: { id } } })),
  });
  const done = async () => {
    await queryClient.invalidateQueries({ queryKey: ['emails'] });
    await queryClient.invalidateQueries({ queryKey: ['email', id] });
  };
  const file = useMutation({
    mutationFn: async (verb: 'archive' | 'unarchive') =>
      unwrap(
        await api().POST(verb === 'archive' ? '/emails/{id}/archive' : '/emails/{id}/unarchive', {
          params: { path: { id } },
        }),
      ),
    onSuccess: async () => {
      await done();
      onClose();
    },
  });
  const addSender = useMutation({
    mutationFn: async (as: 'lead' | 'contact') =>
      unwrap(await api().POST('/emails/{id}/add_sender', { params: { path: { id } }, body: { as } })),
    onSuccess: done,
  });
  const e = email.data;
  return (
    <Modal opened onClose={onClose} size="lg" title={e?.subject || t('email.noSubject')}>
      <Stack gap="xs">
        <ProblemAlert error={email.error ?? file.error ?? addSender.error} />
        {!e ? (
          <Loader aria-label={t('common.loading')} />
        ) : (
          <>
            <Text size="sm">
              {t('email.from')}: {addressLine([e.from])}
            </Text>
            <Text size="sm">
              {t('email.to')}: {addressLine(e.to)}
            </Text>
            {e.cc.length ? (
              <Text size="sm">
                {t('email.cc')}: {addressLine(e.cc)}
              </Text>
            ) : null}
            <Text size="xs" c="dimmed">
              {dateTime(e.sent_at ?? e.created_at)}
              {e.direction === 'outbound'
                ? ` · ${e.opened_count ? t('email.opened', { count: e.opened_count, last: dateTime(e.last_opened_at) }) : t('email.notOpened')}`
                : ''}
            </Text>
            {e.records.length ? (
              <Group gap="xs">
                <Text size="sm">{t('email.loggedOn')}</Text>
                {e.records.map((r) => (
                  <AnchorLink key={r.resource_id} to={RECORD_LINKS[r.resource_type]} params={{ id: r.resource_id }} size="sm">
                    {t(`activity.types.${r.resource_type}`)}
                  </AnchorLink>
                ))}
              </Group>
            ) : null}
            {e.text !== null ? (
              <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="email-body">
                {e.text}
              </Text>
            ) : e.html !== null ? (
              // Received HTML runs no script and loads nothing remote (no sender's tracking pixel).
              <iframe
                title={t('email.body')}
                sandbox=""
                style={{ width: '100%', minHeight: 240, border: 0 }}
                srcDoc={`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">${e.html}`}
              />
            ) : null}
            <Group justify="flex-end" mt="sm">
              {e.folder === 'unverified' && !e.archived ? (
                <>
                  <Button loading={addSender.isPending} onClick={() => addSender.mutate('lead')}>
                    {t('email.addAsLead')}
                  </Button>
                  <Button variant="default" loading={addSender.isPending} onClick={() => addSender.mutate('contact')}>
                    {t('email.addAsContact')}
                  </Button>
                </>
              ) : null}
              <Button
                variant="default"
                loading={file.isPending}
                onClick={() => file.mutate(e.archived ? 'unarchive' : 'archive')}
              >
                {e.archived ? t('email.unarchive') : t('email.archive')}
              </Button>
              <Button onClick={() => onReply(e)}>{t('email.reply')}</Button>
            </Group>
          </>
        )}
      </Stack>
    </Modal>
  );
}

/** What the compose form starts with (a reply fills in the recipient, subject and thread). */
interface Compose {
  to: string[];
  subject: string;
  reply_to_email_id: string;
}

/** F9.1: a new message or a reply, sent from the caller's address through SES; optionally logged on a record. */
function ComposeForm({ initial, onClose }: { initial: Partial<Compose>; onClose: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [to, setTo] = useState<string[]>(initial.to ?? []);
  const [cc, setCc] = useState<string[]>([]);
  const [subject, setSubject] = useState(initial.subject ?? '');
  const [text, setText] = useState('');
  const [record, setRecord] = useState<PickedRecord | null>(null);
  const send = useMutation({
    mutationFn: async () =>
      unwrap(
        await api().POST('/emails', {
          body: {
            to,
            ...(cc.length ? { cc } : {}),
            subject,
            text,
            html: textToHtml(text),
            ...(initial.reply_to_email_id ? { reply_to_email_id: initial.reply_to_email_id } : {}),
            ...(record ? { resource_type: record.type, resource_id: record.id } : {}),
          },
        }),
      ),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['emails'] });
      onClose();
    },
  });
  return (
    <Modal opened onClose={onClose} size="lg" title={initial.reply_to_email_id ? t('email.replyTitle') : t('email.composeTitle')}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          send.mutate();
        }}
      >
        <Stack gap="xs">
          <ProblemAlert error={send.error} />
          <TagsInput label={t('email.to')} value={to} onChange={setTo} splitChars={[',', ' ', ';']} required />
          <TagsInput label={t('email.cc')} value={cc} onChange={setCc} splitChars={[',', ' ', ';']} />
          <TextInput label={t('email.subject')} value={subject} onChange={(e) => setSubject(e.currentTarget.value)} />
          <Textarea
            label={t('email.body')}
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            autosize
            minRows={6}
            required
          />
          <RecordPicker label={t('email.about')} onChange={setRecord} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={send.isPending} disabled={to.length === 0 || !text.trim()}>
              {t('email.send')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
