import { handlers } from '@/lib/sessions/auth';

export const { GET, POST } = handlers;
