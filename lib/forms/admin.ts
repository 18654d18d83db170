import { z } from 'zod';
import { optionalTextField, textField } from './index';

/**
 * Console administration forms (app/(console)/console/(workspace)/admin). Roles and key names are
 * checked by lib/platform/admin, after it has checked who is asking.
 */
export const agentAccessForm = z.object({
  agentId: textField('The agent'),
  role: optionalTextField('The role'),
  // "true" or "false" from the toggle; anything else leaves the flag as it is.
  active: z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : undefined), z.boolean().optional()),
});

export const createApiKeyForm = z.object({ name: textField('The key name') });

export const revokeApiKeyForm = z.object({ apiKeyId: textField('The key') });
