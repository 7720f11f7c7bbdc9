import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { UNREAD_KEY } from './live.ts';

/** The caller's unread count (GET /notifications?unread=true, one item): kept current by live pushes. */
export function useUnreadCount() {
  return useQuery({
    queryKey: UNREAD_KEY,
    queryFn: async () =>
      unwrap(await api().GET('/notifications', { params: { query: { unread: 'true', limit: 1 } } })).unread_count,
    staleTime: 60_000,
  });
}
