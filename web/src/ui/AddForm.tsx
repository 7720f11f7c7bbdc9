import { useState } from 'react';
import { Button, Checkbox, Group, Modal, Select, Stack, Textarea, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { api, unwrap } from '../api/client.ts';
import { usePipelines, useStages } from '../queries.ts';
import { useTranslation } from 'react-i18next';
import { ProblemAlert } from './ProblemAlert.tsx';
import type { AddKind } from './Shell.tsx';
import { RecordPicker, type PickedRecord } from './RecordPicker.tsx';

const blank = (v: string) => (v.trim() === '' ? null : v.trim());

/** A local date-time as a datetime-local input shows it ("2027-03-30T12:00"). */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** An appointment's default slot: the next full hour, one hour long. */
function nextHour(): Record<string, string> {
  const start = new Date();
  start.setHours(start.getHours() + 1, 0, 0, 0);
  return { start: localInput(start), end: localInput(new Date(start.getTime() + 3_600_000)) };
}

/** The universal Add dialog: one small form per kind; opens the new record when it is made. */
export default function AddForm({ kind, onClose }: { kind: AddKind; onClose: () => void }) {
  const [fields, setFields] = useState<Record<string, string>>(() => (kind === 'appointment' ? nextHour() : {}));
  const [isOrg, setIsOrg] = useState(false);
  const [record, setRecord] = useState<PickedRecord | null>(null);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { t } = useTranslation();
  const pipelines = usePipelines().data?.items ?? [];
  const pipelineId = fields.pipeline_id ?? pipelines[0]?.id;
  const stages = useStages(kind === 'deal' ? pipelineId : undefined).data?.items ?? [];
  const set = (name: string) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setFields({ ...fields, [name]: e.currentTarget.value });
  const f = (name: string) => fields[name] ?? '';

  const create = useMutation({
    mutationFn: async () => {
      const c = api();
      switch (kind) {
        case 'lead': {
          const lead = unwrap(
            await c.POST('/leads', {
              body: {
                first_name: blank(f('first_name')),
                last_name: blank(f('last_name')),
                organization_name: blank(f('organization_name')),
                email: blank(f('email')),
                phone: blank(f('phone')),
              },
            }),
          );
          return { to: '/leads/$id', id: lead.id } as const;
        }
        case 'contact': {
          const contact = unwrap(
            await c.POST('/contacts', {
              body: isOrg
                ? { is_organization: true, name: blank(f('name')), email: blank(f('email')) }
                : {
                    is_organization: false,
                    first_name: blank(f('first_name')),
                    last_name: blank(f('last_name')),
                    email: blank(f('email')),
                  },
            }),
          );
          return { to: '/contacts/$id', id: contact.id } as const;
        }
        case 'deal': {
          const deal = unwrap(
            await c.POST('/deals', {
              body: {
                name: f('name'),
                ...(f('value') ? { value: f('value') } : {}),
                ...(pipelineId ? { pipeline_id: pipelineId } : {}),
                ...(f('stage_id') ? { stage_id: f('stage_id') } : {}),
              },
            }),
          );
          return { to: '/deals/$id', id: deal.id } as const;
        }
        case 'task': {
          unwrap(
            await c.POST('/tasks', {
              body: {
                content: f('content'),
                due_date: f('due') ? new Date(f('due')).toISOString() : null,
                ...(record ? { resource_type: record.type, resource_id: record.id } : {}),
              },
            }),
          );
          return { to: '/tasks' } as const;
        }
        case 'appointment': {
          unwrap(
            await c.POST('/appointments', {
              body: {
                name: f('name'),
                start_at: new Date(f('start')).toISOString(),
                end_at: new Date(f('end')).toISOString(),
                time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
                ...(blank(f('location')) ? { location: blank(f('location'))! } : {}),
                ...(record ? { resource_type: record.type, resource_id: record.id } : {}),
              },
            }),
          );
          return { to: '/calendar' } as const;
        }
        case 'note': {
          if (!record) throw new Error(t('add.pickRecord'));
          unwrap(await c.POST('/notes', { body: { content: f('content'), resource_type: record.type, resource_id: record.id } }));
          const to = ({ lead: '/leads/$id', contact: '/contacts/$id', deal: '/deals/$id' } as const)[record.type];
          return { to, id: record.id } as const;
        }
      }
    },
    onSuccess: async (target) => {
      await queryClient.invalidateQueries();
      onClose();
      if (target.to === '/tasks') await navigate({ to: '/tasks', search: { done: undefined } });
      else if (target.to === '/calendar') await navigate({ to: '/calendar' });
      else await navigate({ to: target.to, params: { id: target.id } });
    },
  });

  const title = t(`add.titles.${kind}`);
  return (
    <Modal opened onClose={onClose} title={title}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Stack>
          {kind === 'lead' ? (
            <>
              <TextInput label={t('fields.firstName')} value={f('first_name')} onChange={set('first_name')} />
              <TextInput label={t('fields.lastName')} value={f('last_name')} onChange={set('last_name')} />
              <TextInput label={t('fields.organization')} value={f('organization_name')} onChange={set('organization_name')} />
              <TextInput label={t('fields.email')} value={f('email')} onChange={set('email')} />
              <TextInput label={t('fields.phone')} value={f('phone')} onChange={set('phone')} />
            </>
          ) : null}
          {kind === 'contact' ? (
            <>
              <Checkbox label={t('add.isOrganization')} checked={isOrg} onChange={(e) => setIsOrg(e.currentTarget.checked)} />
              {isOrg ? (
                <TextInput label={t('fields.name')} value={f('name')} onChange={set('name')} />
              ) : (
                <>
                  <TextInput label={t('fields.firstName')} value={f('first_name')} onChange={set('first_name')} />
                  <TextInput label={t('fields.lastName')} value={f('last_name')} onChange={set('last_name')} />
                </>
              )}
              <TextInput label={t('fields.email')} value={f('email')} onChange={set('email')} />
            </>
          ) : null}
          {kind === 'deal' ? (
            <>
              <TextInput label={t('fields.name')} value={f('name')} onChange={set('name')} />
              <TextInput label={t('fields.value')} inputMode="decimal" value={f('value')} onChange={set('value')} />
              <Select
                label={t('fields.pipeline')}
                data={pipelines.map((p) => ({ value: p.id, label: p.name }))}
                value={pipelineId ?? null}
                onChange={(v) => setFields({ ...fields, pipeline_id: v ?? '', stage_id: '' })}
                allowDeselect={false}
              />
              <Select
                label={t('fields.stage')}
                placeholder={t('add.firstStage')}
                data={stages.filter((s) => s.category === 'active').map((s) => ({ value: s.id, label: s.name }))}
                value={f('stage_id') || null}
                onChange={(v) => setFields({ ...fields, stage_id: v ?? '' })}
                clearable
              />
            </>
          ) : null}
          {kind === 'task' ? (
            <>
              <TextInput label={t('add.whatToDo')} value={f('content')} onChange={set('content')} />
              <TextInput label={t('add.due')} type="datetime-local" value={f('due')} onChange={set('due')} />
              <RecordPicker label={t('add.aboutOptional')} onChange={setRecord} />
            </>
          ) : null}
          {kind === 'appointment' ? (
            <>
              <TextInput label={t('fields.name')} required value={f('name')} onChange={set('name')} />
              <TextInput label={t('calendar.start')} type="datetime-local" required value={f('start')} onChange={set('start')} />
              <TextInput label={t('calendar.end')} type="datetime-local" required value={f('end')} onChange={set('end')} />
              <TextInput label={t('calendar.location')} value={f('location')} onChange={set('location')} />
              <RecordPicker label={t('add.aboutOptional')} onChange={setRecord} />
            </>
          ) : null}
          {kind === 'note' ? (
            <>
              <RecordPicker label={t('add.about')} required onChange={setRecord} />
              <Textarea
                label={t('add.note')}
                value={f('content')}
                onChange={(e) => setFields({ ...fields, content: e.currentTarget.value })}
                autosize
                minRows={3}
              />
            </>
          ) : null}
          <ProblemAlert error={create.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={create.isPending}>
              {t('common.save')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
