import type { User } from './api';

export function canManage(user: User): boolean {
  return user.role === 'admin' || user.role === 'manager';
}
