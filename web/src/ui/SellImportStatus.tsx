import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { paths } from '../api/schema.gen.ts';

// A Sell import's status, as its page and the Settings list show it.

export type SellImportView = paths['/sell_imports/{id}']['get']['responses'][200]['content']['application/json'];
type Status = SellImportView['status'];

const ACTIVE: readonly Status[] = ['queued', 'running'];
// Dark shades, filled: white text keeps a 4.5:1 contrast (axe's color-contrast; green.9 and
// orange.9 fall short). A light badge in a shade index drew its text in its own colour.
const COLORS: Record<Status, string> = {
  queued: 'gray.8',
  running: 'blue.8',
  finished: 'teal.9',
  failed: 'red.9',
  cancelled: 'gray.7',
};

/** Whether a job still runs (queued or running): refreshed and cancellable. */
export const sellImportActive = (status: Status | undefined): boolean => status !== undefined && ACTIVE.includes(status);

/** The status as a badge; `data-status` carries the API's value for tests. */
export function SellImportStatusBadge({ status, testId }: { status: Status; testId?: string }) {
  const { t } = useTranslation();
  return (
    <Badge color={COLORS[status]} variant="filled" data-testid={testId} data-status={status}>
      {t(`sellImport.statuses.${status}`)}
    </Badge>
  );
}
