import { Alert, List } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client.ts';

/** An error as the API said it: its stable code, its detail, and each refused field by name. */
export function ProblemAlert({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  if (!(error instanceof ApiError)) {
    return (
      <Alert color="red" title={t('common.wrong')} role="alert">
        {(error as Error).message ?? String(error)}
      </Alert>
    );
  }
  const { problem } = error;
  return (
    <Alert color="red" title={problem.title} role="alert" data-code={problem.code}>
      <code>{problem.code}</code> {problem.detail}
      {problem.errors?.length ? (
        <List size="sm" mt="xs">
          {problem.errors.map((e) => (
            <List.Item key={e.field + e.code}>
              <strong>{e.field.replace(/^(body|query|params)\./, '')}</strong>: {e.message} ({e.code})
            </List.Item>
          ))}
        </List>
      ) : null}
    </Alert>
  );
}
