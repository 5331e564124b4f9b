/** JSON-schema pieces shared by several routes. */
import { EMAIL_MAX_LENGTH, EMAIL_MIN_LENGTH, EMAIL_PATTERN } from '../../core/email.js';

export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
export const idSchema = { type: 'string', pattern: ID_PATTERN } as const;
/** The rule of isValidEmail (src/core/email.ts), which the CLI applies. */
export const emailSchema = { type: 'string', minLength: EMAIL_MIN_LENGTH, maxLength: EMAIL_MAX_LENGTH, pattern: EMAIL_PATTERN } as const;
