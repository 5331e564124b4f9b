/** JSON-schema pieces shared by several routes. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
export const idSchema = { type: 'string', pattern: ID_PATTERN } as const;
export const emailSchema = { type: 'string', minLength: 3, maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$' } as const;
