import type { User } from './api';

export function canManage(user: User): boolean {
  return user.role === 'admin' || user.role === 'manager';
}

/** Who may take tasks from the review and adjudication queues. */
export function canReview(user: User): boolean {
  return canManage(user) || user.role === 'reviewer';
}
