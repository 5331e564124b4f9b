/** A mistake in how the command was called: main prints it with the usage line and exits 2. */
export class UsageError extends Error {}
